"""The FastAPI app: thin routes over the library (parse request, call library, render).

``create_app(settings, store)`` composes one router per concern; nothing happens at import.
``plangraph serve`` runs it inside :class:`server.live.LiveApp`, which swaps in a new app
when the dataset is rebuilt.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
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
from server.ratelimit import RateLimiter


def create_app(settings: Settings, store: Store, limiter: RateLimiter | None = None) -> FastAPI:
    """The app over one store (one build). ``limiter``: the per-client budgets to use (shared
    by the apps of successive builds); a new one from ``settings`` if None."""
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

    network_api.install_metrics(settings, store)  # before the SPARQL router sees the graphs
    app.include_router(sparql.router(settings, store))
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
