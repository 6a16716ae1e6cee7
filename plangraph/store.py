"""The store: the only module that talks to a SPARQL engine.

The embedded store is pyoxigraph (Oxigraph's compiled SPARQL 1.1 engine) in memory, loaded
from the built N-Quads. The default graph of a query is the union of all named graphs, so
queries need no GRAPH clause; GRAPH still selects one source document's graph.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .build import MANIFEST, NQUADS
from .errors import DatasetError, QueryError

RESULT_FORMATS = {
    "json": (ox.QueryResultsFormat.JSON, "application/sparql-results+json"),
    "xml": (ox.QueryResultsFormat.XML, "application/sparql-results+xml"),
    "csv": (ox.QueryResultsFormat.CSV, "text/csv"),
    "tsv": (ox.QueryResultsFormat.TSV, "text/tab-separated-values"),
}
GRAPH_FORMATS = {
    "turtle": (ox.RdfFormat.TURTLE, "text/turtle"),
    "ntriples": (ox.RdfFormat.N_TRIPLES, "application/n-triples"),
    "rdfxml": (ox.RdfFormat.RDF_XML, "application/rdf+xml"),
}


@dataclass
class QueryOutput:
    kind: str  # "select", "ask", "graph"
    body: bytes
    media_type: str


def _term(value: str | int) -> ox.NamedNode | ox.Literal:
    if isinstance(value, int):
        return ox.Literal(
            str(value), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
        )
    if value.startswith(("https://", "http://")):
        return ox.NamedNode(value)
    return ox.Literal(value)


def bind_values(sparql: str, bindings: dict[str, str | int]) -> str:
    """The query with a trailing ``VALUES`` clause binding each variable to one term.

    Terms are built by the engine's own term types (which validate IRIs and escape
    literals), so a request value can never change the query's structure.
    """
    names = []
    for name in bindings:
        if not name.isidentifier():
            raise QueryError(f"bad parameter name {name!r}", param=name)
        names.append(f"?{name}")
    try:
        terms = [str(_term(v)) for v in bindings.values()]
    except ValueError as exc:
        raise QueryError(f"bad parameter value: {exc}", param=next(iter(bindings))) from None
    return f"{sparql.rstrip()}\nVALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}\n"


class EmbeddedStore:
    def __init__(self, store: ox.Store, build_id: str, triples: int) -> None:
        self._store = store
        self.build_id = build_id
        self.triples = triples

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
        return cls(store, manifest["build_id"], manifest.get("triples", 0))

    def _run(self, sparql: str, bindings: dict[str, str | int] | None = None):
        if bindings:
            sparql = bind_values(sparql, bindings)
        try:
            return self._store.query(sparql, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise QueryError(f"malformed query: {exc}", param="query") from None

    def query(self, sparql: str, fmt: str | None = None) -> QueryOutput:
        """Run a read-only query and serialise its result (SELECT/ASK or graph)."""
        result = self._run(sparql)
        if isinstance(result, ox.QueryBoolean | ox.QuerySolutions):
            kind = "ask" if isinstance(result, ox.QueryBoolean) else "select"
            rf, media = RESULT_FORMATS.get(fmt or "json", RESULT_FORMATS["json"])
            return QueryOutput(kind, result.serialize(format=rf), media)
        gf, media = GRAPH_FORMATS.get(fmt or "turtle", GRAPH_FORMATS["turtle"])
        return QueryOutput("graph", result.serialize(format=gf), media)

    def select(
        self, sparql: str, bindings: dict[str, str | int] | None = None
    ) -> list[dict[str, str]]:
        """SELECT rows as plain dicts of variable -> lexical value (unbound left out).

        ``bindings`` pre-binds variables (an ``https://`` string binds an IRI, any other
        string a plain literal, an int an integer): values are never pasted into the text.
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
