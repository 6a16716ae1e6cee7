"""Result formats: a query's answer serialised as the client asked, with a row cap.

SELECT / ASK answers as SPARQL 1.1 results (JSON, XML, CSV, TSV), graph answers (CONSTRUCT,
DESCRIBE) as an RDF format; iteration stops after ``max_rows`` solutions (or triples) and
:attr:`QueryOutput.truncated` says so. The body is always complete and valid in its format.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, cast
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from plangraph.errors import QueryError

XSD = "http://www.w3.org/2001/XMLSchema#"

# name -> (format for SELECT/ASK results, format for graph results); None: not applicable
RESULT_FORMATS = {
    "json": (ox.QueryResultsFormat.JSON, "application/sparql-results+json"),
    "xml": (ox.QueryResultsFormat.XML, "application/sparql-results+xml"),
    "csv": (ox.QueryResultsFormat.CSV, "text/csv"),
    "tsv": (ox.QueryResultsFormat.TSV, "text/tab-separated-values"),
}
# Internal (not a client's format=): SELECT rows as {"columns": [...], "rows": [{var: lexical
# value}]}, what the catalog API returns, built by the worker so the server only wraps it.
ROWS = "plangraph-rows"
RESULT_FORMATS[ROWS] = (ox.QueryResultsFormat.JSON, "application/json")
GRAPH_FORMATS = {
    "turtle": (ox.RdfFormat.TURTLE, "text/turtle"),
    "ntriples": (ox.RdfFormat.N_TRIPLES, "application/n-triples"),
    "jsonld": (ox.RdfFormat.JSON_LD, "application/ld+json"),
    "rdfxml": (ox.RdfFormat.RDF_XML, "application/rdf+xml"),
    "trig": (ox.RdfFormat.TRIG, "application/trig"),
    "nquads": (ox.RdfFormat.N_QUADS, "application/n-quads"),
}
# every name a client may send as format= (SPARQLWrapper sends json, xml, csv, tsv, turtle,
# n3, rdf+xml, json-ld): which results format and which graph format it means
FORMAT_NAMES: dict[str, tuple[str | None, str | None]] = {
    "json": ("json", "jsonld"),
    "xml": ("xml", "rdfxml"),
    "csv": ("csv", None),
    "tsv": ("tsv", None),
    "turtle": (None, "turtle"),
    "ttl": (None, "turtle"),
    "n3": (None, "turtle"),
    "ntriples": (None, "ntriples"),
    "nt": (None, "ntriples"),
    "n-triples": (None, "ntriples"),
    "jsonld": (None, "jsonld"),
    "json-ld": (None, "jsonld"),
    "rdfxml": (None, "rdfxml"),
    "rdf+xml": (None, "rdfxml"),
    "rdf": (None, "rdfxml"),
    "trig": (None, "trig"),
    "nquads": (None, "nquads"),
    "n-quads": (None, "nquads"),
}


Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


@dataclass(frozen=True)
class Solutions:
    """A SELECT answer: its variables and its rows (a term or None per variable), which may
    be read lazily (the embedded engine's iterator: reading stops at the row cap)."""

    variables: list[str]
    rows: Iterable[Sequence[Term | None]]
    # the embedded engine's own iterator (``rows`` reads it too: use one or the other) and
    # how to run the query again, so the engine can serialise the answer itself
    engine: ox.QuerySolutions | None = None
    again: Callable[[], Solutions] | None = None

    def records(self) -> list[dict[str, str]]:
        """Every row as a dict of variable -> lexical value (unbound variables left out)."""
        return [
            {v: lexical(t) for v, t in zip(self.variables, row, strict=True) if t is not None}
            for row in self.rows
        ]


# A store's answer to a query: ASK a boolean, SELECT solutions, CONSTRUCT / DESCRIBE triples.
Answer = bool | Solutions | Iterable[ox.Triple]


@dataclass
class QueryOutput:
    kind: str  # "select", "ask", "graph"
    body: bytes
    media_type: str
    truncated: bool = False
    count: int | None = None  # rows (SELECT) or triples (graph) in the body


def lexical(term: Term) -> str:
    """A term's lexical value (an IRI, a blank node's label, a literal's text)."""
    return str(term) if isinstance(term, ox.Triple) else term.value


def _pick_format(kind: str, formats: Sequence[str]) -> str:
    """The first requested format name that applies to the result kind, else the default."""
    slot = 1 if kind == "graph" else 0
    for name in formats:
        if name == ROWS and kind == "select":
            return ROWS
        picked = FORMAT_NAMES.get(name, (None, None))[slot]
        if picked is not None:
            return picked
    return "turtle" if kind == "graph" else "json"


def _json_term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD + "string":
            out["datatype"] = term.datatype.value
        return out
    return {
        "type": "triple",
        "value": {
            "subject": _json_term(term.subject),
            "predicate": _json_term(term.predicate),
            "object": _json_term(term.object),
        },
    }


def _xml_term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD + "string":
            dt = quoteattr(term.datatype.value)
            return f"<literal datatype={dt}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return (
        f"<triple><subject>{_xml_term(term.subject)}</subject>"
        f"<predicate>{_xml_term(term.predicate)}</predicate>"
        f"<object>{_xml_term(term.object)}</object></triple>"
    )


def _csv_value(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)


def serialize_solutions(variables: list[str], rows: list[list[Term | None]], fmt: str) -> bytes:
    """SPARQL 1.1 results (JSON, XML, CSV, TSV) of the given rows, or :data:`ROWS`."""
    if fmt == ROWS:
        plain = Solutions(variables, rows).records()
        return json.dumps({"columns": variables, "rows": plain}, ensure_ascii=False).encode()
    if fmt == "json":
        bindings = [
            {v: _json_term(t) for v, t in zip(variables, row, strict=True) if t is not None}
            for row in rows
        ]
        doc = {"head": {"vars": variables}, "results": {"bindings": bindings}}
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
    if fmt == "xml":
        out = [
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">',
            "<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in variables) + "</head>",
            "<results>",
        ]
        for row in rows:
            cells = "".join(
                f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                for v, t in zip(variables, row, strict=True)
                if t is not None
            )
            out.append(f"<result>{cells}</result>")
        out.append("</results>\n</sparql>\n")
        return "\n".join(out).encode("utf-8")
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(variables)
        for row in rows:
            writer.writerow([_csv_value(t) for t in row])
        return buf.getvalue().encode("utf-8")
    # TSV: terms in their SPARQL / N-Triples form
    lines = ["\t".join(f"?{v}" for v in variables)]
    for row in rows:
        lines.append("\t".join("" if t is None else str(t) for t in row))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _ask_body(value: bool, fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode("utf-8")
    if fmt == "xml":
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head/><boolean>{str(value).lower()}</boolean></sparql>\n"
        ).encode()
    if fmt == "csv":
        return f"_askResult\r\n{str(value).lower()}\r\n".encode()
    return f"?_askResult\n{str(value).lower()}\n".encode()


def check_formats(fmt: str | Sequence[str] | None) -> list[str]:
    formats = [fmt] if isinstance(fmt, str) else list(fmt or ())
    for name in formats:
        if name not in FORMAT_NAMES and name != ROWS:
            known = ", ".join(sorted(FORMAT_NAMES))
            raise QueryError(f"unknown format {name!r}; one of {known}", param="format")
    return formats


def answer_output(
    answer: Answer, formats: Sequence[str], max_rows: int | None, max_bytes: int | None = None
) -> QueryOutput:
    """The answer serialised in the first of ``formats`` that applies to its kind (else
    SPARQL JSON / Turtle), with at most ``max_rows`` rows or triples and a body of at most
    about ``max_bytes`` (rows are dropped from the end, the body stays valid and is marked
    truncated): what every store's :meth:`~plangraph.store.base.Store.query` returns."""
    limit = max_rows if max_rows is not None else -1
    if isinstance(answer, bool):
        name = _pick_format("ask", formats)
        return QueryOutput("ask", _ask_body(answer, name), RESULT_FORMATS[name][1], count=1)
    if isinstance(answer, Solutions):
        name = _pick_format("select", formats)
        fast = _engine_output(answer, name, max_rows, max_bytes)
        if fast is not None:
            return fast
        if answer.engine is not None and answer.again is not None:
            answer = answer.again()  # the engine's try read the rows: cap them in Python
        rows: list[list[Term | None]] = []
        truncated = False
        size = 0
        for row in answer.rows:
            if len(rows) == limit:
                truncated = True
                break
            values = list(row)
            size += sum(_term_size(t) for t in values)
            if max_bytes is not None and size > max_bytes:
                truncated = True
                break
            rows.append(values)
        body = serialize_solutions(answer.variables, rows, name)
        while max_bytes is not None and len(body) > max_bytes and rows:  # escaping added bytes
            rows, truncated = rows[: len(rows) // 2], True
            body = serialize_solutions(answer.variables, rows, name)
        return QueryOutput("select", body, RESULT_FORMATS[name][1], truncated, len(rows))
    triples: list[ox.Triple] = []
    truncated = False
    size = 0
    for triple in answer:
        if len(triples) == limit:
            truncated = True
            break
        size += _term_size(triple)
        if max_bytes is not None and size > max_bytes:
            truncated = True
            break
        triples.append(triple)
    out = _graph_output(triples, formats, truncated)
    while max_bytes is not None and len(out.body) > max_bytes and triples:
        triples = triples[: len(triples) // 2]
        out = _graph_output(triples, formats, True)
    return out


class _Overflow(Exception):
    """The engine's body went past the byte cap."""


class _CappedBuffer(io.RawIOBase):
    """A bytes sink for the engine's serialiser that keeps the first ``limit`` bytes and
    then stops it."""

    def __init__(self, limit: int | None) -> None:
        super().__init__()
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        chunk = bytes(cast(bytes, data))
        if self.limit is not None and self.size + len(chunk) > self.limit:
            self.parts.append(chunk[: self.limit - self.size])
            self.size = self.limit
            raise _Overflow
        self.parts.append(chunk)
        self.size += len(chunk)
        return len(chunk)


# Where each solution of a body the engine wrote ends, and what closes a cut body. The
# patterns cannot occur inside a value: XML escapes "<", TSV writes values in N-Triples form
# (a line break in a literal is escaped), JSON escapes '"' (so '},{"' only separates two
# solutions); CSV quotes a value with a line break (so a body without '"' has none).
_FIRST = {"xml": b"<results>", "tsv": b"\n", "csv": b"\r\n", "json": b'"bindings":['}
_END = {"xml": b"</result>", "tsv": b"\n", "csv": b"\r\n", "json": b'},{"'}
_CLOSE = {"xml": b"</results></sparql>", "tsv": b"", "csv": b"", "json": b"]}}"}


def _exact(body: bytes, name: str) -> bool:
    """Whether the solutions of ``body`` can be found by its patterns."""
    if name == "csv":
        return b'"' not in body
    if name == "json":  # an empty solution is '{}', which a value may hold too
        return b"{}" not in body
    return True


def _row_ends(body: bytes, name: str, stop: int | None) -> list[int]:
    """The offsets just past each complete solution of ``body`` (at most ``stop``)."""
    first = body.find(_FIRST[name])
    if first < 0:
        return []
    at = first + len(_FIRST[name])
    ends: list[int] = []
    pattern = _END[name]
    skip = 1 if name == "json" else len(pattern)  # JSON: the solution ends at its "}"
    while stop is None or len(ends) < stop:
        found = body.find(pattern, at)
        if found < 0:
            break
        ends.append(found + skip)
        at = found + skip
    return ends


def _cut(
    body: bytes, name: str, rows: int | None, size: int | None = None
) -> tuple[bytes, int] | None:
    """``body`` (the engine's, perhaps stopped mid-way) cut to its first complete solutions
    (at most ``rows``, closed in at most ``size`` bytes): a valid body and its row count;
    None if that cannot be done exactly."""
    if not _exact(body, name) or body.find(_FIRST[name]) < 0:
        return None
    start = body.find(_FIRST[name]) + len(_FIRST[name])
    if body[start : start + 2] in (b"", b"</", b"]}"):
        return None  # no solution begun: whether there is one is unknown
    ends = _row_ends(body, name, rows)
    while ends and size is not None and ends[-1] + len(_CLOSE[name]) > size:
        ends.pop()
    end = ends[-1] if ends else start
    return body[:end] + _CLOSE[name], len(ends)


def _row_count(body: bytes, name: str) -> int:
    """The solutions in a complete results body the engine wrote."""
    if name == "xml":
        return body.count(b"<result>")
    if name == "tsv":
        return body.count(b"\n") - 1
    if name == "csv":  # a quoted value may hold line breaks: read it as CSV
        return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8")))) - 1
    if body.endswith(b'"bindings":[]}}'):
        return 0
    if _exact(body, name):
        return 1 + body.count(_END[name])
    parsed = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
    assert isinstance(parsed, ox.QuerySolutions)
    return len(list(parsed))


def _engine_output(
    answer: Solutions, name: str, max_rows: int | None, max_bytes: int | None
) -> QueryOutput | None:
    """The answer serialised by the engine itself (several times faster than Python), cut
    after its last complete solution within both caps and marked truncated then; None if
    the capped Python path must write it (not the engine's answer, or a cut that cannot be
    made exactly: the answer must then be read again)."""
    if answer.engine is None or answer.again is None or name == ROWS:
        return None
    if max_rows is not None and max_bytes is None:
        return None  # the engine cannot stop at a row count: keep its work bounded
    results_format, media = RESULT_FORMATS[name]
    sink = _CappedBuffer(max_bytes)
    try:
        answer.engine.serialize(cast(IO[bytes], sink), format=results_format)
    except _Overflow:
        cut = _cut(b"".join(sink.parts), name, max_rows, max_bytes)
        if cut is None:
            return None
        return QueryOutput("select", cut[0], media, True, cut[1])
    body = b"".join(sink.parts)
    count = _row_count(body, name)
    if max_rows is None or count <= max_rows:
        return QueryOutput("select", body, media, False, count)
    cut = _cut(body, name, max_rows)
    if cut is None:
        return None
    return QueryOutput("select", cut[0], media, True, cut[1])


def _term_size(term: object) -> int:
    """About the bytes a term takes in a result (its lexical form, datatype or language)."""
    if term is None:
        return 0
    if isinstance(term, ox.Triple):
        return _term_size(term.subject) + _term_size(term.predicate) + _term_size(term.object)
    if isinstance(term, ox.Literal):
        extra = term.language or term.datatype.value
        return len(term.value) + len(extra) + 16
    value = getattr(term, "value", "")
    return len(value) + 16 if isinstance(value, str) else 16


def _graph_output(triples: list[ox.Triple], formats: Sequence[str], truncated: bool) -> QueryOutput:
    name = _pick_format("graph", formats)
    rdf_format, media = GRAPH_FORMATS[name]
    if rdf_format.supports_datasets:
        quads = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
        body = ox.serialize(quads, format=rdf_format)
    else:
        body = ox.serialize(triples, format=rdf_format)
    return QueryOutput("graph", body or b"", media, truncated, len(triples))
