"""/sparql: the SPARQL 1.1 Protocol endpoint (queries only, read-only).

GET ``query=``, POST form (``query=``), POST ``application/sparql-query``; ``default-graph-uri``
and ``named-graph-uri``; results by ``Accept`` or ``format=``. GET without a query answers
with the SPARQL Service Description. Every query passes :mod:`plangraph.store.guard` and
then runs in a worker process of :class:`plangraph.store.pool.QueryPool` (time limit, row
cap), awaited off the event loop. The pool is started (in the background) by this router's
lifespan and kept in ``app.state.query_pool`` (the catalog API uses it too).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from plangraph.errors import PlangraphError, QueryError, QueryRefused
from plangraph.settings import Settings
from plangraph.store.base import Store
from plangraph.store.embedded import EmbeddedStore
from plangraph.store.guard import Guard, Token, tokens
from plangraph.store.point import MAX_DEGREE, bounded_degree, point_lookup
from plangraph.store.pool import DirectRunner, QueryPool, QueryRequest
from plangraph.store.query_catalog import load_meta
from plangraph.store.remote import RemoteStore
from plangraph.store.results import FORMAT_NAMES, QueryOutput
from server.bodies import read_capped

ACCEPT_FORMATS = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "text/n3": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/ld+json": "jsonld",
    "application/x-json+ld": "jsonld",
    "application/rdf+xml": "rdfxml",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "X-Plangraph-Build, X-Plangraph-Truncated, X-Plangraph-Rows",
}
RDF_MEDIA = {m for m, f in ACCEPT_FORMATS.items() if FORMAT_NAMES[f][0] is None}

# The shape of every error answer (PlangraphError.to_json), for the OpenAPI description.
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "param": {"type": "string"},
        "position": {"type": "integer"},
        "file": {"type": "string"},
        "line": {"type": "integer"},
    },
}
ERROR_CONTENT = {"application/json": {"schema": ERROR_SCHEMA}}
_GRAPH_LIST = {"type": "array", "items": {"type": "string", "format": "uri"}}


def protocol_openapi(max_query_length: int, post: bool) -> dict[str, object]:
    """The SPARQL 1.1 Protocol operation as OpenAPI (the handlers read the request
    themselves, so FastAPI cannot infer it): parameters, bodies and every answer."""
    query = {
        "type": "string",
        "minLength": 1,
        "maxLength": max_query_length,
        "description": "a SPARQL 1.1 query (SELECT, ASK, CONSTRUCT or DESCRIBE)",
        "example": "SELECT ?plan ?label WHERE { ?plan a "
        "<https://w3id.org/plangraph/ontology#PlanOfAction> ; "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?label }",
    }
    fmt = {
        "type": "string",
        "description": "result format by name (" + ", ".join(sorted(FORMAT_NAMES)) + ") "
        "or media type; overrides Accept",
    }
    params: list[dict[str, object]] = [
        {"name": "format", "in": "query", "required": False, "schema": fmt},
        {
            "name": "default-graph-uri",
            "in": "query",
            "required": False,
            "schema": _GRAPH_LIST,
            "style": "form",
            "explode": True,
            "description": "graphs whose union is the default graph (names in the dataset only)",
        },
        {
            "name": "named-graph-uri",
            "in": "query",
            "required": False,
            "schema": _GRAPH_LIST,
            "style": "form",
            "explode": True,
            "description": "graphs for GRAPH patterns (names in the dataset only)",
        },
    ]
    # JSON answers are SPARQL JSON results or JSON-LD (a CONSTRUCT asked for as json)
    results: dict[str, object] = {media: {"schema": {}} for media in ACCEPT_FORMATS}
    results["application/sparql-results+json"] = {
        "schema": {"type": "object", "required": ["head"]}
    }
    responses: dict[str, object] = {
        "200": {
            "description": "the results (SELECT, ASK) or the graph (CONSTRUCT, DESCRIBE); "
            "header X-Plangraph-Truncated is true when the row cap cut them"
            + ("" if post else "; without `query`: the SPARQL Service Description"),
            "content": results,
        },
        "400": {
            "description": "a malformed query or parameter (its position named)",
            "content": ERROR_CONTENT,
        },
        "403": {
            "description": "a refused query: SPARQL Update, SERVICE, LOAD, a graph "
            "outside the dataset",
            "content": ERROR_CONTENT,
        },
        "405": {
            "description": "SPARQL Update sent as application/sparql-update",
            "content": ERROR_CONTENT,
        },
        "413": {
            "description": "a request body over the size limit (refused unread)",
            "content": ERROR_CONTENT,
        },
        "429": {
            "description": "over this client's query budget (Retry-After)",
            "content": ERROR_CONTENT,
        },
        "503": {
            "description": "the query ran out of time, or no query worker was free",
            "content": ERROR_CONTENT,
        },
    }
    if not post:
        params.insert(0, {"name": "query", "in": "query", "required": False, "schema": query})
        return {"parameters": params, "responses": responses}
    form = {
        "type": "object",
        "required": ["query"],
        "properties": {
            "query": query,
            "format": fmt,
            "default-graph-uri": _GRAPH_LIST,
            "named-graph-uri": _GRAPH_LIST,
        },
    }
    return {
        "parameters": params,
        "requestBody": {
            "required": True,
            "content": {
                "application/sparql-query": {"schema": query},
                "application/x-www-form-urlencoded": {"schema": form},
            },
        },
        "responses": responses,
    }


def requested_formats(request: Request, explicit: str | None) -> list[str]:
    """Format names in order of preference: ``format=`` first, then the Accept header by q."""
    names: list[str] = []
    if explicit:
        # a name (json, turtle...) or media types (SPARQLWrapper sends "a/b,c/d")
        for value in explicit.lower().split(","):
            name = ACCEPT_FORMATS.get(value.split(";")[0].strip(), value.strip())
            if name in FORMAT_NAMES:
                names.append(name)
        if not names:
            known = ", ".join(sorted(FORMAT_NAMES))
            raise QueryError(f"unknown format {explicit!r}; one of {known}", param="format")
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(request.headers.get("accept", "").split(",")):
        media, *opts = (x.strip() for x in part.split(";"))
        q = 1.0
        for opt in opts:
            if opt.startswith("q="):
                try:
                    q = float(opt[2:])
                except ValueError:
                    q = 0.0
        if media.lower() in ACCEPT_FORMATS and q > 0:
            ranked.append((-q, i, ACCEPT_FORMATS[media.lower()]))
    names.extend(name for _, _, name in sorted(ranked))
    return names


def preflight() -> Response:
    """The answer to a CORS preflight (OPTIONS) of a read endpoint: GET and POST from any
    origin, without credentials."""
    return Response(
        status_code=204,
        headers={
            **CORS,
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Accept, Content-Type",
            "Access-Control-Max-Age": "86400",
            "Allow": "GET, POST, OPTIONS",
        },
    )


def error_response(exc: PlangraphError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        exc.to_json(), status_code=exc.http_status, headers={**CORS, **(headers or {})}
    )


def output_response(out: QueryOutput, build_id: str) -> Response:
    headers = {
        **CORS,
        "Vary": "Accept",
        "X-Plangraph-Build": build_id,
        "X-Plangraph-Truncated": "true" if out.truncated else "false",
    }
    if out.count is not None:
        headers["X-Plangraph-Rows"] = str(out.count)
    media = out.media_type
    if media.startswith("text/") or media.endswith(("+json", "+xml", "/trig", "/n-quads")):
        media += "; charset=utf-8"
    return Response(out.body, headers={**headers, "Content-Type": media})


def _charset(content_type: str) -> str:
    """The charset parameter of a Content-Type (default utf-8), lower-cased."""
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return "utf-8"


_SCHEME = re.compile(r"<[A-Za-z][A-Za-z0-9+.-]*:")


def with_base(query: str, base: str, toks: Sequence[Token] | None = None) -> str | None:
    """``BASE <base>`` and a newline, then the query, when it has relative IRIs and no BASE
    of its own (SPARQL 1.1 Protocol: relative IRIs resolve against the service's base IRI,
    here the endpoint's URL; W3C protocol test query_content_type_construct); else None.
    ``toks``: the query's tokens when the caller has them (the guard's)."""
    toks = list(tokens(query)) if toks is None else toks
    if any(t.kind == "name" and t.text.upper() == "BASE" for t in toks):
        return None
    if not any(t.kind == "iri" and not _SCHEME.match(t.text) for t in toks):
        return None
    return f"BASE <{base}>\n{query}"


def _unbased(exc: PlangraphError, based: str, query: str) -> PlangraphError:
    """An error about the query ``with_base`` made, at the line and offset of the user's."""
    if exc.line is None or exc.line < 2:
        return exc
    exc.message = exc.message.replace(f"at line {exc.line},", f"at line {exc.line - 1},", 1)
    exc.line -= 1
    if exc.position is not None:
        exc.position -= len(based) - len(query)
    return exc


def query_pool(request: Request) -> QueryPool | DirectRunner:
    return request.app.state.query_pool


def start_pool(
    settings: Settings,
    folder: Path,
    build_id: str | None,
    extra_graphs: dict[str, bytes] | None,
) -> QueryPool:
    """The pool of query workers over the dataset in ``folder`` (``extra_graphs``: the
    network metrics graph), started in the background: the first query waits for the
    first ready worker (``pool.wait_started()`` waits for all of them)."""
    pool = QueryPool(
        folder,
        size=settings.query_workers,
        timeout=settings.query_timeout,
        max_rows=settings.max_rows,
        extra_graphs=extra_graphs,
        memory_mb=settings.worker_memory_mb,
        build_id=build_id,
        max_bytes=settings.max_result_mb * 1024 * 1024,
    )
    return pool.start(wait=False)


def router(settings: Settings, store: Store, pool: QueryPool | None = None) -> APIRouter:
    """``pool``: the query workers, started already (server/live.py starts them before the
    server's own copy of the dataset is loaded); made here over ``store`` if None. The
    router's lifespan closes it."""
    guard = Guard(store.graphs(), settings.max_query_length)
    meta = load_meta(settings.paths.queries)
    endpoint = settings.public_base + "/sparql"

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal pool
        if isinstance(store, RemoteStore):  # no engine here: queries go to the server
            app.state.query_pool = DirectRunner(
                store, settings.max_rows, settings.max_result_mb * 1024 * 1024
            )
            yield
            return
        if pool is None:
            folder = store.folder if store.folder is not None else settings.paths.graph
            build_id = store.build_id if store.folder is not None else None
            pool = start_pool(settings, folder, build_id, getattr(store, "extra_graphs", None))
        app.state.query_pool = pool
        try:
            yield
        finally:
            await run_in_threadpool(pool.close)

    r = APIRouter(lifespan=lifespan)
    # a form percent-encodes: 3 bytes a query byte, plus the graph parameters
    body_limit = 12 * settings.max_query_length + 64 * 1024

    async def run(
        request: Request,
        query: str,
        fmt: str | None,
        default_graphs: Sequence[str],
        named_graphs: Sequence[str],
    ) -> Response:
        based: str | None = None
        try:
            formats = requested_formats(request, fmt)
            toks = guard.check(query)  # one pass over the text: guard, base, point lookup
            guard.check_dataset(default_graphs, named_graphs)
            based = with_base(query, endpoint, toks)
            lookup = None
            if not (based or default_graphs or named_graphs) and isinstance(store, EmbeddedStore):
                lookup = point_lookup(query, toks)
                if lookup is not None and bounded_degree(store, lookup) > MAX_DEGREE:
                    lookup = None
            if lookup is not None:
                # bounded before it runs (plangraph/store/point.py): answered here, no worker trip
                out = store.query(
                    query,
                    formats,
                    max_rows=settings.max_rows,
                    max_bytes=settings.max_result_mb * 1024 * 1024,
                )
            else:
                out = await query_pool(request).arun(
                    QueryRequest(
                        based or query,
                        tuple(formats),
                        {},
                        tuple(default_graphs),
                        tuple(named_graphs),
                    )
                )
        except PlangraphError as exc:
            if based is not None:
                exc = _unbased(exc, based, query)
            return error_response(exc)
        return output_response(out, store.build_id)

    async def service_description(request: Request, fmt: str | None) -> Response:
        sd = meta["service-description"]
        formats = requested_formats(request, fmt)
        out = await run_in_threadpool(
            store.query, sd.text, formats, bindings=sd.bindings({"endpoint": endpoint})
        )
        return output_response(out, store.build_id)

    @r.get(
        "/sparql",
        summary="SPARQL 1.1 query (GET)",
        openapi_extra=protocol_openapi(settings.max_query_length, post=False),
    )
    async def sparql_get(request: Request) -> Response:
        params = request.query_params
        if "update" in params:
            return error_response(
                QueryRefused("SPARQL Update is refused: this endpoint is read-only", param="update")
            )
        query = params.get("query")
        fmt = params.get("format")
        if len(params.getlist("query")) > 1:
            return error_response(QueryError("more than one 'query' parameter", param="query"))
        if query is None:
            try:
                return await service_description(request, fmt)
            except PlangraphError as exc:
                return error_response(exc)
        if not query.strip():
            return error_response(QueryError("empty 'query' parameter", param="query"))
        return await run(
            request,
            query,
            fmt,
            params.getlist("default-graph-uri"),
            params.getlist("named-graph-uri"),
        )

    # GET /sparql is served by a plain Starlette route ahead of the APIRoute above (which
    # stays for the OpenAPI description): the same function, without FastAPI's dependency
    # solving for a handler that takes only the request (a point lookup: 190 -> 150 µs of
    # CPU in-process, issue 21)
    r.routes.insert(0, Route("/sparql", sparql_get, methods=["GET"], include_in_schema=False))

    @r.post(
        "/sparql",
        summary="SPARQL 1.1 query (POST: application/sparql-query or a form)",
        openapi_extra=protocol_openapi(settings.max_query_length, post=True),
    )
    async def sparql_post(request: Request) -> Response:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        params = request.query_params
        if ctype == "application/sparql-update":
            return JSONResponse(
                {
                    "error": "method-not-allowed",
                    "message": "SPARQL Update (application/sparql-update) is not allowed: "
                    "this endpoint is read-only",
                    "param": "update",
                },
                status_code=405,
                headers={**CORS, "Allow": "GET, POST, OPTIONS"},
            )
        try:  # at most the longest query (4 bytes a character) and room for form fields
            raw = await read_capped(request, body_limit, "query")
        except PlangraphError as exc:
            return error_response(exc)
        if ctype == "application/sparql-query":
            if len(raw) > 4 * settings.max_query_length:
                return error_response(
                    QueryError(
                        f"query is longer than {settings.max_query_length} characters",
                        param="query",
                    )
                )
            charset = _charset(request.headers.get("content-type", ""))
            try:
                if charset not in ("utf-8", "utf8", "us-ascii", "ascii"):
                    raise UnicodeError
                query = raw.decode("utf-8")
            except UnicodeError:
                return error_response(
                    QueryError("the query must be UTF-8 (SPARQL 1.1 Protocol)", param="query")
                )
            return await run(
                request,
                query,
                params.get("format"),
                params.getlist("default-graph-uri"),
                params.getlist("named-graph-uri"),
            )
        if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.form()
            if "update" in form:
                return error_response(
                    QueryRefused(
                        "SPARQL Update is refused: this endpoint is read-only", param="update"
                    )
                )
            if len(form.getlist("query")) + len(params.getlist("query")) > 1:
                return error_response(QueryError("more than one 'query' parameter", param="query"))
            query = str(form.get("query") or "")
            if not query.strip():
                return error_response(QueryError("missing 'query' parameter", param="query"))
            fmt = form.get("format") or params.get("format")
            return await run(
                request,
                query,
                str(fmt) if fmt else None,
                [str(v) for v in form.getlist("default-graph-uri")]
                or params.getlist("default-graph-uri"),
                [str(v) for v in form.getlist("named-graph-uri")]
                or params.getlist("named-graph-uri"),
            )
        if ctype in RDF_MEDIA:
            return error_response(
                QueryRefused(
                    f"writing RDF ({ctype}) is refused: this endpoint is read-only "
                    "(no Graph Store writes)",
                    param="content-type",
                )
            )
        return error_response(
            QueryError(
                f"unsupported content type {ctype!r}: send application/sparql-query "
                "or a form (application/x-www-form-urlencoded) with query=",
                param="content-type",
            )
        )

    async def sparql_write(request: Request) -> Response:
        return JSONResponse(
            {
                "error": "method-not-allowed",
                "message": f"{request.method} is not allowed: this endpoint is read-only "
                "(no SPARQL Update, no Graph Store writes)",
            },
            status_code=405,
            headers={**CORS, "Allow": "GET, POST, OPTIONS"},
        )

    for method in ("PUT", "DELETE", "PATCH"):  # one operation id each (OpenAPI needs them unique)
        r.add_api_route(
            "/sparql", sparql_write, methods=[method], operation_id=f"sparql_{method.lower()}"
        )

    @r.options("/sparql")
    async def sparql_options() -> Response:
        return preflight()

    return r
