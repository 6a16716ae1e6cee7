"""/sparql: the SPARQL 1.1 Protocol endpoint (queries only)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from plangraph.errors import QueryError
from plangraph.settings import Settings
from plangraph.store import EmbeddedStore

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


def router(settings: Settings, store: EmbeddedStore) -> APIRouter:
    r = APIRouter()

    def run(query: str, request: Request, fmt: str | None) -> Response:
        if len(query) > settings.max_query_length:
            raise QueryError(
                f"query is longer than {settings.max_query_length} characters", param="query"
            )
        out = store.query(query, _format(request, fmt))
        return Response(
            out.body, media_type=out.media_type, headers={"X-Plangraph-Build": store.build_id}
        )

    @r.get("/sparql")
    def sparql_get(
        request: Request, query: str | None = None, format: str | None = None
    ) -> Response:
        if not query:
            raise QueryError("missing 'query' parameter", param="query")
        return run(query, request, format)

    @r.post("/sparql")
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
        return await run_in_threadpool(run, query, request, fmt)

    return r
