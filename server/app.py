"""The FastAPI app: thin routes over the library (parse request, call library, render)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from plangraph.errors import PlangraphError, QueryError
from plangraph.queries import load_catalog
from plangraph.settings import Settings
from plangraph.store import EmbeddedStore

HERE = Path(__file__).parent
ACCEPT_FORMATS = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "text/turtle": "turtle",
    "application/n-triples": "ntriples",
    "application/rdf+xml": "rdfxml",
}


def _format(request: Request, explicit: str | None) -> str | None:
    if explicit:
        return explicit
    for part in request.headers.get("accept", "").split(","):
        media = part.split(";")[0].strip().lower()
        if media in ACCEPT_FORMATS:
            return ACCEPT_FORMATS[media]
    return None


def create_app(settings: Settings, store: EmbeddedStore) -> FastAPI:
    app = FastAPI(
        title="plangraph", description="Plans of action against human trafficking as linked data"
    )
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    catalog = load_catalog(settings.paths.queries)

    @app.exception_handler(PlangraphError)
    async def _user_error(_request: Request, exc: PlangraphError) -> JSONResponse:
        return JSONResponse(exc.to_json(), status_code=exc.http_status)

    def _sparql(query: str, request: Request, fmt: str | None) -> Response:
        if len(query) > settings.max_query_length:
            raise QueryError(
                f"query is longer than {settings.max_query_length} characters", param="query"
            )
        out = store.query(query, _format(request, fmt))
        return Response(
            out.body, media_type=out.media_type, headers={"X-Plangraph-Build": store.build_id}
        )

    @app.get("/sparql")
    def sparql_get(
        request: Request, query: str | None = None, format: str | None = None
    ) -> Response:
        if not query:
            raise QueryError("missing 'query' parameter", param="query")
        return _sparql(query, request, format)

    @app.post("/sparql")
    async def sparql_post(request: Request) -> Response:
        ctype = request.headers.get("content-type", "").split(";")[0].strip()
        if ctype == "application/sparql-query":
            query = (await request.body()).decode("utf-8")
            fmt = request.query_params.get("format")
        else:
            form = await request.form()
            query = str(form.get("query") or "")
            fmt = str(form.get("format")) if form.get("format") else None
        if not query:
            raise QueryError("missing 'query' parameter", param="query")
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(_sparql, query, request, fmt)

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        plans = store.select(catalog["plans"].text)
        return templates.TemplateResponse(
            request,
            "home.html",
            {"plans": plans, "build_id": store.build_id, "triples": store.triples},
        )

    @app.get("/health")
    def health() -> dict[str, object]:
        return {"status": "ok", "build": store.build_id, "triples": store.triples}

    return app
