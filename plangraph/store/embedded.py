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
from plangraph.store.base import Store, syntax_error
from plangraph.store.bindings import BindingValue, bind_values
from plangraph.store.guard import has_dataset_clause
from plangraph.store.results import Answer, Solutions


class EmbeddedStore(Store):
    """The built dataset in memory, queried by pyoxigraph."""

    def __init__(
        self, store: ox.Store, build_id: str, triples: int, folder: Path | None = None
    ) -> None:
        self._store = store
        self.build_id = build_id
        self.triples = triples
        self.folder = folder
        self._graphs: frozenset[str] | None = None
        self.extra_graphs: dict[str, bytes] = {}

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

    def _answer(
        self,
        sparql: str,
        bindings: dict[str, BindingValue] | None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        *,
        only_select: bool = False,
    ) -> Answer:
        """The engine's answer; a trailing VALUES binds ``bindings``. The engine checks the
        form as it runs: ``only_select`` changes nothing here."""
        if bindings:
            sparql = bind_values(sparql, bindings)
        defaults: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None = None
        if default_graphs:
            defaults = [ox.NamedNode(g) for g in default_graphs]
        named: list[ox.NamedNode | ox.BlankNode] | None = None
        if named_graphs:
            named = [ox.NamedNode(g) for g in named_graphs]
        # FROM / FROM NAMED: the query's own dataset; else the union of the named graphs
        union = not default_graphs and not has_dataset_clause(sparql)
        try:
            result = self._store.query(
                sparql,
                use_default_graph_as_union=union,
                default_graph=defaults,
                named_graphs=named,
            )
        except SyntaxError as exc:
            raise syntax_error(exc, sparql) from None
        except ValueError as exc:
            raise QueryError(f"bad graph IRI: {exc}", param="default-graph-uri") from None
        if isinstance(result, ox.QueryBoolean):
            return bool(result)
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            return Solutions(
                variables,
                ([s[v] for v in variables] for s in result),
                engine=result,
                again=lambda: self._select_again(sparql, union, defaults, named),
            )
        return result

    def _select_again(
        self,
        sparql: str,
        union: bool,
        defaults: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None,
        named: list[ox.NamedNode | ox.BlankNode] | None,
    ) -> Solutions:
        """A SELECT run a second time (it ran once already: no error to map), read row by
        row: when the engine's own serialisation went past a cap."""
        result = self._store.query(
            sparql, use_default_graph_as_union=union, default_graph=defaults, named_graphs=named
        )
        assert isinstance(result, ox.QuerySolutions)
        variables = [v.value for v in result.variables]
        return Solutions(variables, ([s[v] for v in variables] for s in result))

    # -- extra named graphs (network metrics), added after loading -------------------------

    def add_graph(self, name: str, nquads_or_ntriples: bytes) -> bool:
        """Load triples (N-Triples or N-Quads; quads are put in ``name`` too) into the named
        graph ``name`` unless that graph exists already; True if loaded. Kept in
        :attr:`extra_graphs` so query workers can load the same (see querypool)."""
        graph = ox.NamedNode(name)
        if any(g == graph for g in self._store.named_graphs()):
            return False
        self._store.load(nquads_or_ntriples, ox.RdfFormat.N_QUADS, to_graph=graph)
        self.extra_graphs[name] = nquads_or_ntriples
        self._graphs = None
        return True
