"""The query catalog over HTTP: /api/queries, /api/queries/{name}, and /.well-known/*.

- ``/api/queries``: every catalog query (name, title, question, params, tags, links);
- ``/api/queries/{name}?param=...``: its rows as JSON, or CSV (``format=csv`` or
  ``Accept: text/csv``); parameters are checked by type and bound, never pasted;
- ``/api/queries/{name}/text?param=...``: the text that runs for those values (the query
  with its VALUES clause), as ``application/sparql-query``: what the query page shows and
  sends to /sparql, so its rows are the rows of ``/api/queries/{name}``;
- ``/.well-known/sparql-examples``: the catalog as SHACL-SPARQL examples (RDF);
- ``/.well-known/void``: VoID statistics, computed by ``queries/meta/void.rq``.

Catalog queries are fixed queries with typed values, like the pages' and the REST API's: they
run in this process (in a thread; the engine releases the GIL), with the row cap, not in the
worker pool that guards /sparql against arbitrary queries (measured in the same server:
activities-per-year 3.3 ms this way, 3.9 ms through a worker; plans 4.1 / 5.8 ms).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from plangraph.errors import PlangraphError, QueryError
from plangraph.settings import Settings
from plangraph.store.base import Store
from plangraph.store.query_catalog import load_catalog, load_meta
from plangraph.store.remote import RemoteStore
from plangraph.store.results import ROWS
from server.sparql import CORS, ERROR_CONTENT, error_response, output_response, requested_formats

RDFLIB_FORMATS = {
    "turtle": ("turtle", "text/turtle; charset=utf-8"),
    "ntriples": ("nt", "application/n-triples"),
    "jsonld": ("json-ld", "application/ld+json"),
    "rdfxml": ("xml", "application/rdf+xml"),
    "trig": ("trig", "application/trig"),
    "nquads": ("nquads", "application/n-quads"),
}


def _plain_rows(body: bytes) -> tuple[list[str], list[dict[str, str]]]:
    doc = json.loads(body)
    columns = doc["head"].get("vars", [])
    rows = [{k: v["value"] for k, v in b.items()} for b in doc["results"]["bindings"]]
    return columns, rows


def router(settings: Settings, store: Store) -> APIRouter:
    r = APIRouter()
    base = settings.public_base
    endpoint = base + "/sparql"
    catalog = load_catalog(settings.paths.queries)
    meta = load_meta(settings.paths.queries)
    examples: list = []  # the SHACL-SPARQL examples graph, built on first request

    def describe(name: str) -> dict[str, object]:
        q = catalog[name]
        out = q.to_json()
        out["links"] = {
            "self": f"{base}/api/queries/{name}",
            "csv": f"{base}/api/queries/{name}?format=csv",
            "sparql": f"{endpoint}?{urlencode({'query': q.text})}",
            "example": f"{base}/.well-known/sparql-examples#{name}",
        }
        return out

    @r.get("/api/queries")
    def list_queries() -> JSONResponse:
        return JSONResponse({"queries": [describe(n) for n in catalog]}, headers=CORS)

    @r.get("/api/queries/{name}")
    async def run_query(name: str, request: Request) -> Response:
        if name not in catalog:
            exc = QueryError(f"no query named {name!r} in the catalog", param="name")
            return JSONResponse(exc.to_json(), status_code=404, headers=CORS)
        q = catalog[name]
        values = {k: v for k, v in request.query_params.items() if k != "format"}
        fmt = request.query_params.get("format")
        try:
            formats = requested_formats(request, fmt)
            as_csv = bool(formats) and formats[0] in ("csv", "tsv")
            bindings = q.bindings(values)
            # a fixed query with typed values, like the pages' and REST API's own: answered
            # in this process (the engine releases the GIL), no worker round trip
            out = await run_in_threadpool(
                store.query,
                q.text,
                (formats[0],) if as_csv else (ROWS,),
                bindings=bindings,
                max_rows=settings.max_rows,
            )
        except PlangraphError as exc:
            return error_response(exc)
        if as_csv:
            return output_response(out, store.build_id)
        head = {
            "query": name,
            "title": q.title,
            "question": q.question,
            "params": {
                k: getattr(v, "value", getattr(v, "lexical", v)) for k, v in bindings.items()
            },
        }
        if out.kind == "select" and out.count is not None:
            # the worker's {"columns", "rows"} spliced in: no second parse and encode here
            body = b"".join(
                (
                    json.dumps(head, ensure_ascii=False).encode()[:-1],
                    b",",
                    out.body[1:-1],
                    f',"count":{out.count},"truncated":{json.dumps(out.truncated)}}}'.encode(),
                )
            )
        else:  # not a SELECT: SPARQL JSON
            columns, rows = _plain_rows(out.body)
            body = json.dumps(
                {
                    **head,
                    "columns": columns,
                    "rows": rows,
                    "count": len(rows),
                    "truncated": out.truncated,
                },
                ensure_ascii=False,
            ).encode()
        return Response(
            body,
            media_type="application/json",
            headers={
                **CORS,
                "X-Plangraph-Build": store.build_id,
                "X-Plangraph-Truncated": "true" if out.truncated else "false",
            },
        )

    @r.get(
        "/api/queries/{name}/text",
        summary="The text of a catalog query with its parameters bound",
        description="The query with the given values bound by a VALUES clause, exactly as "
        "`/api/queries/{name}` runs it: send it to `/sparql` for the same rows. Takes the "
        "parameters of the query (`GET /api/queries` lists them), checked the same way.",
        response_class=Response,
        responses={
            200: {
                "description": "the SPARQL text",
                "content": {"application/sparql-query": {"schema": {"type": "string"}}},
            },
            400: {
                "description": "a missing, unknown or malformed parameter (named in `param`)",
                "content": ERROR_CONTENT,
            },
            404: {"description": "no query of that name", "content": ERROR_CONTENT},
            429: {
                "description": "over this client's budget (Retry-After)",
                "content": ERROR_CONTENT,
            },
        },
    )
    def query_text(name: str, request: Request) -> Response:
        if name not in catalog:
            exc = QueryError(f"no query named {name!r} in the catalog", param="name")
            return JSONResponse(exc.to_json(), status_code=404, headers=CORS)
        try:
            # bound where the store binds it (a remote store: first in the WHERE clause)
            text = catalog[name].bound_text(
                dict(request.query_params.items()),
                first_in_where=isinstance(store, RemoteStore),
            )
        except PlangraphError as exc:
            return error_response(exc)
        return Response(
            text,
            media_type="application/sparql-query; charset=utf-8",
            headers={**CORS, "X-Plangraph-Build": store.build_id},
        )

    @r.get("/.well-known/sparql-examples")
    def sparql_examples(request: Request, format: str | None = None) -> Response:
        try:
            formats = requested_formats(request, format)
        except PlangraphError as exc:
            return error_response(exc)
        name = next((f for f in formats if f in RDFLIB_FORMATS), "turtle")
        rdflib_format, media = RDFLIB_FORMATS[name]
        if not examples:  # (rdflib and the graph kept out of the server's start-up)
            from plangraph.graph.mapping import catalog_examples_graph

            examples.append(catalog_examples_graph(catalog.values(), endpoint, base))
        body = examples[0].serialize(format=rdflib_format, encoding="utf-8")
        return Response(body, headers={**CORS, "Content-Type": media, "Vary": "Accept"})

    @r.get("/.well-known/void")
    async def void(request: Request, format: str | None = None) -> Response:
        q = meta["void"]
        try:
            formats = requested_formats(request, format)
            out = await run_in_threadpool(
                store.query, q.text, formats, bindings=q.bindings({"endpoint": endpoint})
            )
        except PlangraphError as exc:
            return error_response(exc)
        return output_response(out, store.build_id)

    return r
