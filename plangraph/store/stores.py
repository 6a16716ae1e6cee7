"""The store: the only module that talks to a SPARQL engine.

The embedded store is pyoxigraph (Oxigraph's compiled SPARQL 1.1 engine) in memory, loaded
from the built N-Quads. The default graph of a query is the union of all named graphs, so
queries need no GRAPH clause; GRAPH still selects one source document's graph.

Results are serialised here with a row cap: iteration stops after ``max_rows`` solutions
(or triples) and :attr:`QueryOutput.truncated` says so; the body is always complete and
valid in its format. User queries run in worker processes (:mod:`plangraph.store.pool`) that
each hold an :class:`EmbeddedStore`, so a query past its time limit can be stopped.
"""

from __future__ import annotations

import csv
import hashlib
import http.client
import io
import json
import re
import urllib.error
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox
from SPARQLWrapper import BASIC, DIGEST, POST, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from plangraph.errors import DatasetError, QueryError, QueryTimeout
from plangraph.paths import MANIFEST, NQUADS
from plangraph.store.guard import has_dataset_clause, query_form, tokens

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
_SYNTAX_POSITION = re.compile(r"error at (\d+):(\d+):?\s*")


@dataclass
class QueryOutput:
    kind: str  # "select", "ask", "graph"
    body: bytes
    media_type: str
    truncated: bool = False
    count: int | None = None  # rows (SELECT) or triples (graph) in the body


@dataclass(frozen=True)
class Iri:
    """A parameter value to bind as an IRI."""

    value: str


@dataclass(frozen=True)
class TypedLiteral:
    """A parameter value to bind as a literal with a datatype (e.g. xsd:gYear)."""

    lexical: str
    datatype: str


BindingValue = str | int | Iri | TypedLiteral


def _term(value: BindingValue) -> ox.NamedNode | ox.Literal:
    if isinstance(value, Iri):
        return ox.NamedNode(value.value)
    if isinstance(value, TypedLiteral):
        return ox.Literal(value.lexical, datatype=ox.NamedNode(value.datatype))
    if isinstance(value, bool):
        return ox.Literal(str(value).lower(), datatype=ox.NamedNode(XSD + "boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
    if value.startswith(("https://", "http://")):
        return ox.NamedNode(value)
    return ox.Literal(value)


def bind_values(
    sparql: str, bindings: dict[str, BindingValue], *, first_in_where: bool = False
) -> str:
    """The query with a trailing ``VALUES`` clause binding each variable to one term.

    Terms are built by the engine's own term types (which validate IRIs and escape
    literals), so a request value can never change the query's structure. A trailing VALUES
    joins with the solutions of the WHERE clause (after grouping), so a bound variable must
    be visible at the query's outer level.
    """
    if not bindings:
        return sparql
    names = []
    for name in bindings:
        if not name.isidentifier():
            raise QueryError(f"bad parameter name {name!r}", param=name)
        names.append(f"?{name}")
    terms = []
    for name, value in bindings.items():
        try:
            terms.append(str(_term(value)))
        except ValueError as exc:
            raise QueryError(f"bad parameter value: {exc}", param=name) from None
    values = f"VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"
    where = _where_brace(sparql) if first_in_where else _graph_form_where(sparql)
    if where is not None:
        return f"{sparql[: where + 1]}\n  {values}\n{sparql[where + 1 :]}"
    return f"{sparql.rstrip()}\n{values}\n"


def _where_brace(sparql: str) -> int | None:
    """The offset of the ``{`` opening the outermost WHERE clause."""
    seen_where = False
    for tok in tokens(sparql):
        if tok.keyword == "WHERE":
            seen_where = True
        elif seen_where and tok.text == "{":
            return tok.offset
    return None


def _graph_form_where(sparql: str) -> int | None:
    """For CONSTRUCT / DESCRIBE: the offset of the ``{`` opening the WHERE clause.

    A graph-form query has no outer projection or grouping, so its trailing VALUES means
    the same as a VALUES block first in its WHERE clause; the second is the portable
    spelling (Virtuoso 7.2 accepts a trailing VALUES only after SELECT), so both stores
    bind graph-form queries there.
    """
    if query_form(sparql) not in ("construct", "describe"):
        return None
    return _where_brace(sparql)


def syntax_error(exc: SyntaxError, sparql: str) -> QueryError:
    """A QueryError with the parser's message, its line and the character offset."""
    message = str(exc)
    m = _SYNTAX_POSITION.match(message)
    if not m:
        return QueryError(f"malformed query: {message}", param="query")
    line, col = int(m.group(1)), int(m.group(2))
    lines = sparql.split("\n")
    offset = sum(len(x) + 1 for x in lines[: line - 1]) + col - 1
    detail = message[m.end() :].replace("\n", " ")
    return QueryError(
        f"malformed query at line {line}, column {col}: {detail}",
        param="query",
        line=line,
        position=offset,
    )


def _pick(kind: str, formats: Sequence[str]) -> str:
    """The first requested format name that applies to the result kind, else the default."""
    slot = 1 if kind == "graph" else 0
    for name in formats:
        if name == ROWS and kind == "select":
            return ROWS
        choice = FORMAT_NAMES.get(name)
        if choice is not None and choice[slot] is not None:
            return choice[slot]  # type: ignore[return-value]
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


def serialize_solutions(variables: list[str], rows: list[list[object]], fmt: str) -> bytes:
    """SPARQL 1.1 results (JSON, XML, CSV, TSV) of the given rows, or :data:`ROWS`."""
    if fmt == ROWS:
        plain = [
            {
                v: t.value if hasattr(t, "value") else str(t)
                for v, t in zip(variables, row, strict=True)
                if t is not None
            }
            for row in rows
        ]
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
                f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"  # type: ignore[arg-type]
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


def _check_formats(fmt: str | Sequence[str] | None) -> list[str]:
    formats = [fmt] if isinstance(fmt, str) else list(fmt or ())
    for name in formats:
        if name not in FORMAT_NAMES and name != ROWS:
            known = ", ".join(sorted(FORMAT_NAMES))
            raise QueryError(f"unknown format {name!r}; one of {known}", param="format")
    return formats


def _graph_output(triples: list[ox.Triple], formats: list[str], truncated: bool) -> QueryOutput:
    name = _pick("graph", formats)
    rdf_format, media = GRAPH_FORMATS[name]
    items: Iterable[ox.Triple | ox.Quad] = triples
    if rdf_format.supports_datasets:
        items = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
    body = ox.serialize(items, format=rdf_format) or b""
    return QueryOutput("graph", body, media, truncated, len(triples))


class Store(Protocol):
    """What the rest of the code uses of a store: the embedded one or a remote SPARQL server."""

    build_id: str
    triples: int
    folder: Path | None

    def graphs(self) -> frozenset[str]: ...

    def query(
        self,
        sparql: str,
        fmt: str | Sequence[str] | None = None,
        *,
        bindings: dict[str, BindingValue] | None = None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        max_rows: int | None = None,
    ) -> QueryOutput: ...

    def select(
        self, sparql: str, bindings: dict[str, BindingValue] | None = None
    ) -> list[dict[str, str]]: ...


# The publication record a remote store holds (written by plangraph.store.publish): which build is
# live and which graphs it has, with their triple counts. Readers query exactly those graphs.
PUBLICATION_GRAPH = "urn:plangraph:publication"
PUB = "https://w3id.org/plangraph/publication#"
STAGING_PREFIX = "urn:plangraph:staging:"
STORE_URL_SCHEMES = ("sparql+http://", "sparql+https://")
_EMPTY = ox.Store()  # parses user queries locally: the same syntax errors on every store


def _from_json_term(term: dict[str, object]) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    kind = term.get("type")
    value = str(term.get("value", ""))
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(re.sub(r"[^A-Za-z0-9_]", "_", value.removeprefix("nodeID://")))
    if "xml:lang" in term:
        return ox.Literal(value, language=str(term["xml:lang"]))
    if "datatype" in term:
        datatype = str(term["datatype"])
        if datatype == XSD + "boolean" and value in ("0", "1"):
            value = "true" if value == "1" else "false"  # Virtuoso: the canonical form
        return ox.Literal(value, datatype=ox.NamedNode(datatype))
    return ox.Literal(value)


MAX_RESPONSE_HEADERS = 100_000
# The largest answer read from a remote store: a bigger one is refused (DatasetError), never
# read whole into memory. Answers are row-capped afterwards, so the cap bounds what the remote
# store may send before that (set a result limit on the store as well: Virtuoso ResultSetMaxRows).
MAX_REMOTE_ANSWER = 256 * 1024 * 1024


class RemoteStore:
    """A SPARQL 1.1 server (Virtuoso, Fuseki, GraphDB, Oxigraph server, QLever) read through
    SPARQLWrapper: the same :meth:`query` / :meth:`select` as :class:`EmbeddedStore`.

    The server may hold other graphs (another dataset, a publish's staging graphs), so every
    query that names no dataset of its own is sent with the published graphs as
    ``default-graph-uri`` (their union is the default graph, as on the embedded store) and as
    ``named-graph-uri``. Results are parsed and re-serialised here, so clients get the same
    formats and the same row cap. The time limit is the HTTP client's timeout (the server
    sends nothing before the query has run); set the server's own limit as well (Virtuoso:
    ``[SPARQL] MaxQueryExecutionTime``).
    """

    def __init__(
        self,
        endpoint: str,
        *,
        user: str = "",
        password: str = "",
        auth: str = "digest",
        timeout: float = 10.0,
        load: bool = True,
    ) -> None:
        self.endpoint = endpoint
        self.folder: Path | None = None
        self._user = user
        self._password = password
        self._auth = auth
        self.timeout = timeout
        self.build_id = ""
        self.triples = 0
        self.graph_counts: dict[str, int] = {}
        # Virtuoso echoes one X-SPARQL-default-graph header per graph of the dataset; a corpus
        # of hundreds of source documents would pass the standard library's limit of 100
        # response headers (urllib, under SPARQLWrapper). Raise it for this process.
        http.client._MAXHEADERS = max(http.client._MAXHEADERS, MAX_RESPONSE_HEADERS)  # type: ignore[attr-defined]
        if load:
            self.reload()

    @classmethod
    def from_url(cls, url: str, **kwargs: object) -> RemoteStore:
        """``sparql+http://host:port/sparql`` (or ``sparql+https://``) -> a store over it."""
        if not url.startswith(STORE_URL_SCHEMES):
            raise QueryError(
                f"store {url!r}: 'embedded' or sparql+http(s)://host:port/path", param="--store"
            )
        return cls(url.removeprefix("sparql+"), **kwargs)  # type: ignore[arg-type]

    def reload(self) -> None:
        """Read the publication record: the live build, its graphs and their counts."""
        rows = self._select_raw(
            f"SELECT ?build ?graph ?count WHERE {{ GRAPH <{PUBLICATION_GRAPH}> {{ "
            f"<{PUBLICATION_GRAPH}> <{PUB}build> ?build ; <{PUB}graph> ?graph . "
            f"?graph <{PUB}triples> ?count }} }}",
            dataset=False,
        )
        if not rows:
            raise DatasetError(
                f"nothing published at {self.endpoint}: run 'plangraph publish' first",
                file=self.endpoint,
            )
        try:
            build_id = rows[0]["build"]
            counts = {r["graph"]: int(r["count"]) for r in rows}
        except (KeyError, ValueError) as exc:
            raise DatasetError(
                f"the publication record at {self.endpoint} is incomplete or malformed "
                f"({type(exc).__name__}: {exc}): run 'plangraph publish' again",
                file=self.endpoint,
            ) from None
        self.build_id = build_id
        self.graph_counts = counts
        self.triples = sum(self.graph_counts.values())

    def graphs(self) -> frozenset[str]:
        return frozenset(self.graph_counts)

    def _wrapper(self, sparql: str, accept: str) -> SPARQLWrapper:
        sw = SPARQLWrapper(self.endpoint)
        sw.setMethod(POST)
        sw.setRequestMethod(URLENCODED)
        sw.setQuery(sparql)
        sw.setOnlyConneg(True)  # content negotiation only: no format=/output= parameters
        sw.setTimeout(max(1, round(self.timeout)))
        sw.addCustomHttpHeader("Accept", accept)
        if self._user and self._password:
            sw.setHTTPAuth(DIGEST if self._auth == "digest" else BASIC)
            sw.setCredentials(self._user, self._password)
        return sw

    def _send(
        self,
        sparql: str,
        accept: str,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        dataset: bool = True,
    ) -> bytes:
        sw = self._wrapper(sparql, accept)
        if dataset and not default_graphs and not named_graphs:
            if not has_dataset_clause(sparql):
                default_graphs = named_graphs = sorted(self.graph_counts)
        elif dataset and default_graphs and not named_graphs:
            named_graphs = sorted(self.graph_counts)  # as on the embedded store: all graphs
        for g in default_graphs:
            sw.addParameter("default-graph-uri", g)
        for g in named_graphs:
            sw.addParameter("named-graph-uri", g)
        try:
            with warnings.catch_warnings():
                # SPARQLWrapper warns when it cannot tell the query form (it only decides the
                # Accept header, which is set explicitly here)
                warnings.filterwarnings("ignore", "not detected query type", RuntimeWarning)
                response = sw.query().response
            try:
                body = response.read(MAX_REMOTE_ANSWER + 1)
            finally:
                response.close()
            if len(body) > MAX_REMOTE_ANSWER:
                raise DatasetError(
                    f"the SPARQL store at {self.endpoint} answered with more than "
                    f"{MAX_REMOTE_ANSWER} bytes (refused, not read)",
                    file=self.endpoint,
                )
            return body
        except QueryBadFormed as exc:
            raise QueryError(
                f"the store refused the query: {_detail(exc)}", param="query"
            ) from None
        except TimeoutError:
            raise QueryTimeout(
                f"query stopped after the time limit of {self.timeout:g} s", param="query"
            ) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise QueryTimeout(
                    f"query stopped after the time limit of {self.timeout:g} s", param="query"
                ) from None
            raise DatasetError(
                f"the SPARQL store at {self.endpoint} failed: {exc}", file=self.endpoint
            ) from None
        except (SPARQLWrapperException, OSError, http.client.HTTPException) as exc:
            raise DatasetError(
                f"the SPARQL store at {self.endpoint} failed: {_detail(exc)}", file=self.endpoint
            ) from None

    # Only SPARQL JSON results (SELECT, ASK) and N-Triples (graphs) are asked for and read:
    # an answer in any other format, XML included (whose DTD and entities are never parsed:
    # tests/test_xml_bombs.py), is refused as a DatasetError naming the store.
    def _unexpected(self, body: bytes, expected: str, exc: Exception | None = None) -> DatasetError:
        detail = f": {_detail(exc)[:200]}" if exc is not None else ""
        return DatasetError(
            f"the SPARQL store at {self.endpoint} answered with something other than "
            f"{expected} (it begins {body[:40]!r}){detail}",
            file=self.endpoint,
        )

    def _results(self, body: bytes) -> dict:
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError):
            raise self._unexpected(body, "SPARQL JSON results") from None
        results = doc.get("results") if isinstance(doc, dict) else None
        if not isinstance(doc, dict) or not (
            isinstance(doc.get("boolean"), bool)
            or (isinstance(results, dict) and isinstance(results.get("bindings"), list))
        ):
            raise self._unexpected(body, "SPARQL JSON results")
        if "boolean" in doc:
            return doc
        head = doc.get("head", {})
        variables = head.get("vars", []) if isinstance(head, dict) else None
        if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
            raise self._unexpected(body, "SPARQL JSON results (a head with a vars list)")
        try:
            doc["results"]["bindings"] = [
                {str(k): _from_json_term(v) for k, v in b.items()} for b in results["bindings"]
            ]
        except (AttributeError, TypeError, ValueError) as exc:  # not a dict; not an IRI
            raise self._unexpected(body, "SPARQL JSON results", exc) from None
        return doc

    def _select_raw(
        self,
        sparql: str,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        dataset: bool = True,
    ) -> list[dict[str, str]]:
        doc = self._results(
            self._send(sparql, RESULT_FORMATS["json"][1], default_graphs, named_graphs, dataset)
        )
        return [{k: term.value for k, term in b.items()} for b in doc["results"]["bindings"]]

    def _prepare(self, sparql: str, bindings: dict[str, BindingValue] | None) -> str:
        if bindings:
            # First in the WHERE clause, not trailing: Virtuoso 7.2 does not restrict a
            # variable bound by a trailing VALUES when it is the object of a triple pattern
            # with a variable predicate (it returned every agency's relations for one agency).
            # The catalog's parameters are group keys bound in required patterns, where both
            # placements mean the same; tests/test_remote_store.py compares every query.
            sparql = bind_values(sparql, bindings, first_in_where=True)
        try:
            _EMPTY.query(sparql, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise syntax_error(exc, sparql) from None
        return sparql

    def query(
        self,
        sparql: str,
        fmt: str | Sequence[str] | None = None,
        *,
        bindings: dict[str, BindingValue] | None = None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        max_rows: int | None = None,
    ) -> QueryOutput:
        """As :meth:`EmbeddedStore.query`, on the remote store."""
        formats = _check_formats(fmt)
        sparql = self._prepare(sparql, bindings)
        form = query_form(sparql) or "select"
        limit = max_rows if max_rows is not None else -1
        if form in ("select", "ask"):
            body = self._send(sparql, RESULT_FORMATS["json"][1], default_graphs, named_graphs)
            doc = self._results(body)
            if "boolean" in doc:
                name = _pick("ask", formats)
                value = bool(doc["boolean"])
                return QueryOutput("ask", _ask_body(value, name), RESULT_FORMATS[name][1], count=1)
            name = _pick("select", formats)
            variables = list(doc.get("head", {}).get("vars", []))
            bound = doc["results"]["bindings"]
            truncated = 0 <= limit < len(bound)
            if truncated:
                bound = bound[:limit]
            rows: list[list[object]] = [[b.get(v) for v in variables] for b in bound]
            body = serialize_solutions(variables, rows, name)
            return QueryOutput("select", body, RESULT_FORMATS[name][1], truncated, len(rows))
        body = self._send(sparql, "application/n-triples", default_graphs, named_graphs)
        try:
            triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        except (SyntaxError, ValueError) as exc:
            raise self._unexpected(body, "N-Triples", exc) from None
        truncated = 0 <= limit < len(triples)
        if truncated:
            triples = triples[:limit]
        return _graph_output(triples, formats, truncated)

    def select(
        self, sparql: str, bindings: dict[str, BindingValue] | None = None
    ) -> list[dict[str, str]]:
        """As :meth:`EmbeddedStore.select`, on the remote store."""
        sparql = self._prepare(sparql, bindings)
        if (query_form(sparql) or "select") != "select":
            raise QueryError("not a SELECT query", param="query")
        return self._select_raw(sparql)

    def add_graph(self, name: str, nquads_or_ntriples: bytes) -> bool:
        """Computed graphs (the network metrics) are not written to a remote store, which
        the server only reads: publish them with the dataset instead. Always False."""
        return False


def _detail(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:500]


def open_store(
    url: str,
    folder: Path,
    *,
    user: str = "",
    password: str = "",
    auth: str = "digest",
    timeout: float = 10.0,
) -> EmbeddedStore | RemoteStore:
    """``embedded``: the built dataset in ``folder``; ``sparql+http(s)://...``: that server."""
    if url == "embedded":
        return EmbeddedStore.from_folder(folder)
    return RemoteStore.from_url(url, user=user, password=password, auth=auth, timeout=timeout)


class EmbeddedStore:
    def __init__(
        self, store: ox.Store, build_id: str, triples: int, folder: Path | None = None
    ) -> None:
        self._store = store
        self.build_id = build_id
        self.triples = triples
        self.folder = folder
        self._graphs: frozenset[str] | None = None

    @classmethod
    def from_folder(cls, folder: Path) -> EmbeddedStore:
        """Load the built dataset; refuse a missing or inconsistent one."""
        nq = folder / NQUADS
        manifest_path = folder / MANIFEST
        try:
            data = nq.read_bytes()
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise DatasetError(
                "no built dataset: run 'plangraph build' first", file=exc.filename
            ) from None
        except ValueError:
            raise DatasetError("build manifest is not valid JSON", file=manifest_path) from None
        if manifest.get("build_id") != hashlib.sha256(data).hexdigest()[:16]:
            raise DatasetError("dataset does not match its build manifest (half-written?)", file=nq)
        store = ox.Store()
        store.load(data, ox.RdfFormat.N_QUADS)
        return cls(store, manifest["build_id"], manifest.get("triples", 0), folder)

    @classmethod
    def from_rdf(cls, data: bytes, fmt: str = "trig", build_id: str = "fixture") -> EmbeddedStore:
        """A store over RDF given as bytes (TriG or N-Quads): for fixtures and tests."""
        store = ox.Store()
        store.load(data, ox.RdfFormat.TRIG if fmt == "trig" else ox.RdfFormat.N_QUADS)
        return cls(store, build_id, len(store))

    def graphs(self) -> frozenset[str]:
        """The IRIs of the dataset's named graphs."""
        if self._graphs is None:
            self._graphs = frozenset(
                g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)
            )
        return self._graphs

    def _run(
        self,
        sparql: str,
        bindings: dict[str, BindingValue] | None = None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
    ):
        if bindings:
            sparql = bind_values(sparql, bindings)
        kwargs: dict[str, object] = {}
        if default_graphs:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        elif not has_dataset_clause(sparql):  # FROM / FROM NAMED: the query's own dataset
            kwargs["use_default_graph_as_union"] = True
        if named_graphs:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        try:
            return self._store.query(sparql, **kwargs)
        except SyntaxError as exc:
            raise syntax_error(exc, sparql) from None
        except ValueError as exc:
            raise QueryError(f"bad graph IRI: {exc}", param="default-graph-uri") from None

    def query(
        self,
        sparql: str,
        fmt: str | Sequence[str] | None = None,
        *,
        bindings: dict[str, BindingValue] | None = None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        max_rows: int | None = None,
    ) -> QueryOutput:
        """Run a read-only query and serialise its result (SELECT/ASK or graph).

        ``fmt`` is a format name or a list of them in order of preference (see
        :data:`FORMAT_NAMES`); the first that applies to the result kind wins, else SPARQL
        JSON / Turtle. At most ``max_rows`` rows (or triples) are serialised.
        """
        formats = _check_formats(fmt)
        result = self._run(sparql, bindings, default_graphs, named_graphs)
        limit = max_rows if max_rows is not None else -1
        if isinstance(result, ox.QueryBoolean):
            name = _pick("ask", formats)
            return QueryOutput(
                "ask", _ask_body(bool(result), name), RESULT_FORMATS[name][1], count=1
            )
        if isinstance(result, ox.QuerySolutions):
            name = _pick("select", formats)
            variables = [v.value for v in result.variables]
            rows: list[list[object]] = []
            truncated = False
            for solution in result:
                if len(rows) == limit:
                    truncated = True
                    break
                rows.append([solution[v] for v in variables])
            body = serialize_solutions(variables, rows, name)
            return QueryOutput("select", body, RESULT_FORMATS[name][1], truncated, len(rows))
        triples: list[ox.Triple] = []
        truncated = False
        for triple in result:
            if len(triples) == limit:
                truncated = True
                break
            triples.append(triple)
        return _graph_output(triples, formats, truncated)

    def select(
        self, sparql: str, bindings: dict[str, BindingValue] | None = None
    ) -> list[dict[str, str]]:
        """SELECT rows as plain dicts of variable -> lexical value (unbound left out).

        ``bindings`` pre-binds variables (an ``https://`` string binds an IRI, any other
        string a plain literal, an int an integer, :class:`Iri` / :class:`TypedLiteral`
        exactly that): values are never pasted into the text.
        """
        result = self._run(sparql, bindings)
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("not a SELECT query", param="query")
        names = [v.value for v in result.variables]
        rows = []
        for solution in result:
            row = {}
            for name in names:
                term = solution[name]
                if term is not None:
                    row[name] = term.value
            rows.append(row)
        return rows

    # -- extra named graphs (network metrics), added after loading -------------------------

    def add_graph(self, name: str, nquads_or_ntriples: bytes) -> bool:
        """Load triples (N-Triples or N-Quads; quads are put in ``name`` too) into the named
        graph ``name`` unless that graph exists already; True if loaded. Kept in
        :attr:`extra_graphs` so query workers can load the same (see querypool)."""
        graph = ox.NamedNode(name)
        if any(g == graph for g in self._store.named_graphs()):
            return False
        self._store.load(nquads_or_ntriples, ox.RdfFormat.N_QUADS, to_graph=graph)
        extras = getattr(self, "extra_graphs", {})
        extras[name] = nquads_or_ntriples
        self.extra_graphs = extras
        self._graphs = None
        return True
