"""The FastAPI app: thin routes over the library (parse request, call library, render).

``create_app(settings, store)`` composes one router per concern; nothing happens at import.
``plangraph serve`` runs it inside :class:`server.live.LiveApp`, which swaps in a new app
when the dataset is rebuilt.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from plangraph.settings import Settings
from plangraph.store.base import Store
from plangraph.store.pool import QueryPool
from server import (
    api,
    catalog_api,
    contribute,
    diff_page,
    edges,
    labels_api,
    ld,
    limits,
    network_api,
    network_page,
    overlaps_api,
    overlaps_page,
    pages,
    query_page,
    reconcile,
    search,
    sparql,
)
from server.per_store import warm
from server.ratelimit import RateLimiter

# Made in the background while the app already answers (the read model, the reconciliation
# names): at 1M triples they took 4 s before the first answer. (The search index is made
# with the app: its OpenAPI lists the facets' values; it is read from data/cache/.)
WARM = (pages.graph_api, reconcile.services_of)


def create_app(
    settings: Settings,
    store: Store,
    limiter: RateLimiter | None = None,
    defer_metrics: bool = False,
    pool: QueryPool | None = None,
) -> FastAPI:
    """The app over one store (one build). ``limiter``: the per-client budgets to use (shared
    by the apps of successive builds); a new one from ``settings`` if None.
    ``defer_metrics``: do not compute network metrics that are not cached; the app is served
    without them and ``app.state.metrics_job`` says how to compute them aside (server/live.py
    does, then serves the build again). ``pool``: the query workers, started already over
    the same build (server/live.py); made by the SPARQL router if None."""
    app = FastAPI(
        title="plangraph",
        description="Plans of action against human trafficking as linked data",
        docs_url=None,  # /docs is served by server/pages.py from vendored Swagger UI (no CDN)
        redoc_url=None,
    )

    @app.get(
        "/health",
        responses={503: {"description": "degraded: no query worker can start"}},
    )
    def health(request: Request) -> Response:
        body: dict[str, object] = {
            "status": "ok",
            "build": store.build_id,
            "triples": store.triples,
        }
        report = getattr(request.app.state, "reload_report", None)  # set by server/live.py
        if report is not None:
            body.update(report())  # "reload_error": the last rebuild that was not loaded
        pool = getattr(request.app.state, "query_pool", None)
        if isinstance(pool, QueryPool):  # e.g. the served files were removed: workers fail
            workers = pool.health()
            body.update(workers)
            if "error" in workers:
                body["status"] = "degraded"
                return JSONResponse(body, status_code=503)
        return JSONResponse(body)

    # before the SPARQL router sees the graphs
    if not network_api.install_metrics(settings, store, defer=defer_metrics):
        app.state.metrics_job = network_api.metrics_job(settings, store)

    @asynccontextmanager
    async def warm_up(app: FastAPI) -> AsyncIterator[None]:
        warm(settings, store, WARM)
        yield

    app.include_router(APIRouter(lifespan=warm_up))
    app.state.early_pool = pool  # closed by the router's lifespan, or if never served
    app.include_router(sparql.router(settings, store, pool))
    app.include_router(catalog_api.router(settings, store))
    limits.install(app, settings, limiter)  # inside pages' middleware: its 429s get the headers too
    pages.install(app)
    app.include_router(pages.router(settings, store))
    app.include_router(query_page.router(settings, store))
    app.include_router(labels_api.router(settings, store))
    app.include_router(api.router(settings, store))
    app.include_router(ld.router(settings, store))
    app.include_router(overlaps_api.router(settings, store))
    app.include_router(overlaps_page.router(settings, store))
    app.include_router(diff_page.router(settings, store))
    app.include_router(reconcile.router(settings, store))
    app.include_router(network_api.router(settings, store))
    app.include_router(network_page.router(settings, store))
    app.include_router(search.router(settings, store))
    app.include_router(contribute.router(settings, store))
    edges.install(app, settings, store.build_id)  # last: compression outermost
    return app
