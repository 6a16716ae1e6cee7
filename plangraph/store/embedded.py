"""The embedded store: pyoxigraph (Oxigraph's compiled SPARQL 1.1 engine) in memory.

It is loaded from the built N-Quads. The default graph of a query is the union of all named
graphs, so queries need no GRAPH clause; GRAPH still selects one source document's graph.
User queries run in worker processes (:mod:`plangraph.store.pool`) that each hold an
:class:`EmbeddedStore`, so a query past its time limit can be stopped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from plangraph.errors import DatasetError, QueryError
from plangraph.paths import MANIFEST, NQUADS
from plangraph.store.base import syntax_error
from plangraph.store.bindings import BindingValue, bind_values
from plangraph.store.guard import has_dataset_clause
from plangraph.store.results import (
    RESULT_FORMATS,
    QueryOutput,
    ask_body,
    check_formats,
    graph_output,
    pick_format,
    serialize_solutions,
)


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
        formats = check_formats(fmt)
        result = self._run(sparql, bindings, default_graphs, named_graphs)
        limit = max_rows if max_rows is not None else -1
        if isinstance(result, ox.QueryBoolean):
            name = pick_format("ask", formats)
            return QueryOutput(
                "ask", ask_body(bool(result), name), RESULT_FORMATS[name][1], count=1
            )
        if isinstance(result, ox.QuerySolutions):
            name = pick_format("select", formats)
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
        return graph_output(triples, formats, truncated)

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
