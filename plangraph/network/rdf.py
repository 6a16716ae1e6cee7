"""The default agency metrics as RDF: an rdflib graph (:func:`metrics_rdf`), its N-Triples
cached per build (:func:`metrics_ntriples`) and the store's metrics named graph
(:data:`METRICS_GRAPH`, :func:`add_metrics_graph`), so SPARQL users can query them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from plangraph.network.cache import metrics_cache_file, write_cache
from plangraph.network.filters import Filters
from plangraph.network.lazy_networkx import nx
from plangraph.network.loader import load
from plangraph.network.metrics import ALGORITHMS, SEED
from plangraph.network.records import NetworkData
from plangraph.network.result import agency_metrics
from plangraph.store.base import Store

if TYPE_CHECKING:
    from rdflib import Graph

METRICS_GRAPH = "https://w3id.org/plangraph/graph/metrics"


def metrics_rdf(
    data: NetworkData, filters: Filters | None = None, computed_at: str | None = None
) -> Graph:
    """The agency metrics under ``filters`` as an rdflib Graph
    (plangraph.graph.mapping.metrics_graph)."""
    from datetime import UTC, datetime

    from plangraph.graph.mapping import metrics_graph

    filters = filters or Filters()
    rows = agency_metrics(data, filters)
    when = computed_at or datetime.now(UTC).replace(microsecond=0).isoformat()
    params = {
        "filters": filters.to_json(),
        "algorithms": ALGORITHMS,
        "networkx": nx.__version__,
        "seed": SEED,
        "build_id": data.build_id,
        "projection": "agency",
        "view": view_label(filters),
    }
    return metrics_graph(rows, when, params)


def view_label(filters: Filters) -> str:
    """The view the filters give, in words (recorded with the metrics)."""
    bodies = (
        "catch-all groups and parties included"
        if filters.generic
        else "real bodies only (catch-all groups and parties left out)"
    )
    rest = "default filters" if replace(filters, generic=False) == Filters() else "filtered"
    return f"{bodies}; {rest} (see pg:parameters)"


def metrics_ntriples(
    store: Store,
    folder: Path,
    data: NetworkData | None = None,
    cache: Path | None = None,
) -> bytes:
    """The default agency metrics of the store's build as N-Triples, as measured and rolled
    up (two computations, ``pg:rolledUp`` false and true): read from ``cache``
    (a folder) when computed before for this build, else computed (and cached there)."""
    path = metrics_cache_file(cache, store.build_id, folder) if cache is not None else None
    if path is not None:
        try:
            body = path.read_bytes()
        except OSError:
            pass
        else:
            if f'"{store.build_id}"'.encode() in body:  # the file names its build
                return body
    data = data or load(store, folder)
    # the default view, and the same rolled up (agency pages show both for a parent body)
    graph = metrics_rdf(data) + metrics_rdf(data, Filters(rollup=True))
    body = graph.serialize(format="nt", encoding="utf-8")
    if path is not None:
        write_cache(path, body)
    return body


def add_metrics_graph(
    store: Store,
    folder: Path,
    data: NetworkData | None = None,
    cache: Path | None = None,
) -> bool:
    """Compute the default agency metrics and load them into the store's metrics named graph
    (:data:`METRICS_GRAPH`) unless it is there already; True if added. ``cache``: a folder
    where they are kept per build (see :func:`metrics_ntriples`)."""
    if METRICS_GRAPH in store.graphs():
        return False
    return store.add_graph(METRICS_GRAPH, metrics_ntriples(store, folder, data, cache))


def computed_graphs(folder: Path, queries: Path, cache: Path | None = None) -> dict[str, bytes]:
    """The graphs a server adds to the dataset in ``folder`` when it loads it (the default
    agency metrics, by graph IRI), for publishing them with it to a remote store, which the
    server only reads. ``queries``: queries/network; ``cache``: see :func:`metrics_ntriples`."""
    from plangraph.store.embedded import EmbeddedStore

    store = EmbeddedStore.from_folder(folder)
    return {METRICS_GRAPH: metrics_ntriples(store, queries, cache=cache)}


def write_metrics_cache(folder: str, queries: str, cache: str) -> None:
    """Compute the default agency metrics of the dataset in ``folder`` into the ``cache``
    folder (the file :func:`metrics_cache_file` names): what a server runs in a process of
    its own when a build's metrics are not cached, so it can answer meanwhile."""
    computed_graphs(Path(folder), Path(queries), cache=Path(cache))
