"""/api/network: agency networks, their metrics and exports (thin over plangraph.network).

``install_metrics(settings, store)`` loads the default agency metrics into the store's
metrics named graph when the app is created, so SPARQL users can query them. They are
computed once per build and cached in data/cache/ (keyed by build id; ``plangraph build``
computes them): a server started on a build reads them instead of computing them. A build
without them in the cache is served at once without them while they are computed aside
(server/live.py), then served again with them.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from plangraph import network as nw
from plangraph.errors import QueryError
from plangraph.paths import cache_folder
from plangraph.settings import Settings
from plangraph.store.base import Store
from server.per_store import PerStore

_EXTENSIONS = {
    "graphml": "graphml",
    "gexf": "gexf",
    "cytoscape": "cyjs",
    "csv-nodes": "nodes.csv",
    "csv-edges": "edges.csv",
}
_CACHE_SIZE = 64


# The network rows of one store, read once.
network_data = PerStore(
    "network_data", lambda settings, store: nw.load(store, settings.paths.queries / "network")
)


def install_metrics(settings: Settings, store: Store, defer: bool = False) -> bool:
    """Load the default agency metrics into the metrics named graph (if not there yet):
    from the cache when this build's metrics were computed before, else computed now; True
    when they are in the store. ``defer``: never compute them here (False when they are not
    cached: the caller has them computed aside, see :func:`metrics_job`, and serves the
    build again with them; at 1M triples they take about a minute)."""
    queries = settings.paths.queries / "network"
    cache = cache_folder(settings.paths.graph)
    data = None
    if not nw.metrics_cache_file(cache, store.build_id, queries).exists():
        if defer and nw.METRICS_GRAPH not in store.graphs():
            return False
        data = network_data(settings, store)  # the rows, read before the metrics graph is in
    nw.add_metrics_graph(store, queries, data, cache=cache)
    return True


def cached_metrics(settings: Settings, build_id: str) -> dict[str, bytes]:
    """The metrics graph of build ``build_id`` from the cache, by graph IRI (empty when not
    cached): what :func:`install_metrics` will add, for query workers started before it."""
    queries = settings.paths.queries / "network"
    path = nw.metrics_cache_file(cache_folder(settings.paths.graph), build_id, queries)
    try:
        return {nw.METRICS_GRAPH: path.read_bytes()}
    except OSError:
        return {}


def metrics_job(settings: Settings, store: Store) -> tuple[str, str, str] | None:
    """What :func:`plangraph.network.write_metrics_cache` needs to compute the metrics of
    ``store``'s build in another process (its folder, the network queries, the cache
    folder); None without a folder of its own (nothing to compute them from)."""
    if store.folder is None:
        return None
    queries = settings.paths.queries / "network"
    return str(store.folder), str(queries), str(cache_folder(settings.paths.graph))


def router(settings: Settings, store: Store) -> APIRouter:
    r = APIRouter(tags=["network"])
    cache: OrderedDict[tuple[Any, ...], tuple[bytes, str]] = OrderedDict()

    @r.get("/api/network/options")
    def network_options() -> dict[str, Any]:
        """What the network filters accept: plans, agreements, parties, themes, roles, years."""
        return nw.options(network_data(settings, store))

    @r.get("/api/network")
    def network(
        projection: str = "agency",
        plan: Annotated[list[str] | None, Query()] = None,
        agreement: Annotated[list[str] | None, Query()] = None,
        party: Annotated[list[str] | None, Query()] = None,
        year: str | None = None,
        from_year: str | None = None,
        to_year: str | None = None,
        theme: Annotated[list[str] | None, Query()] = None,
        role: Annotated[list[str] | None, Query()] = None,
        rollup: str = "false",
        sub_activities: str = "false",
        generic: str = "false",
        format: str = "json",
    ) -> Response:
        """An agency network (projection ``bipartite``, ``agency``, ``agency-plan``,
        ``agency-agreement`` or ``party``) under the filters, as Cytoscape JSON with metrics
        (``format=json``, the default), ``cytoscape``, ``graphml``, ``gexf``, ``csv-nodes``,
        ``csv-edges`` or ``metrics`` (agency metrics and the top lists). Plans, agreements
        and themes by IRI or slug, parties by ISO code or IRI, roles by name or ``all``."""
        if projection not in nw.PROJECTIONS:
            raise QueryError(
                f"unknown projection {projection!r} (one of: {', '.join(nw.PROJECTIONS)})",
                param="projection",
            )
        if format not in nw.FORMATS:
            raise QueryError(
                f"unknown format {format!r} (one of: {', '.join(nw.FORMATS)})", param="format"
            )
        data = network_data(settings, store)
        filters = nw.parse_filters(
            data,
            plan=plan,
            agreement=agreement,
            party=party,
            year=year,
            year_from=from_year,
            year_to=to_year,
            theme=theme,
            role=role,
            rollup=rollup,
            sub_activities=sub_activities,
            generic=generic,
        )
        key = (projection, format, filters)
        if key in cache:
            cache.move_to_end(key)
            body, media = cache[key]
        else:
            body, media = nw.export(nw.network(data, filters, projection), format)
            cache[key] = (body, media)
            if len(cache) > _CACHE_SIZE:
                cache.popitem(last=False)
        headers = {}
        if format in _EXTENSIONS:
            name = f"plangraph-{projection}.{_EXTENSIONS[format]}"
            headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return Response(body, media_type=media, headers=headers)

    return r
