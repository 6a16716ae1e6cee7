"""/reconcile: the W3C Entity Reconciliation API for agencies (what OpenRefine speaks).

- ``GET /reconcile``: the service manifest (JSON; JSONP with ``callback=``);
- ``GET /reconcile?queries={...}`` or ``POST /reconcile`` with the form field ``queries``
  (``application/x-www-form-urlencoded``, as OpenRefine sends it; a JSON body
  ``{"queries": {...}}`` is accepted too): ``{"q0": {"result": [candidates]}, ...}``;
- the same with ``extend={"ids": [...], "properties": [{"id": "party"}]}``: the data
  extension (``{"meta": [...], "rows": {...}}``);
- the suggest, preview and propose-properties services: :mod:`server.reconcile_services`.

Thin over :class:`plangraph.views.reconcile.Reconciler`, whose index is read from the graph once,
when the app is made. CORS is open, as for /sparql.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from plangraph.errors import PlangraphError, QueryError
from plangraph.settings import Settings
from plangraph.store.base import Store
from plangraph.views.reconcile_runner import ReconcileRunner
from plangraph.views.reconcile_services import ReconcileServices
from server.bodies import read_capped
from server.per_store import PerStore
from server.reconcile_services import add_routes
from server.sparql import CORS, ERROR_CONTENT, preflight

_CALLBACK = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$.]{0,63}$")
MAX_BODY = 1_000_000
RECONCILE_WORKERS = 2  # batches at once (one a core); each stopped at the query time limit


def _answer(body: Any, callback: str | None, status: int = 200) -> Response:
    headers = {**CORS, "Cache-Control": "no-store"}
    if callback is None:
        return JSONResponse(body, status_code=status, headers=headers)
    if not _CALLBACK.match(callback):
        error = QueryError("not a valid JavaScript function name", param="callback")
        return JSONResponse(error.to_json(), status_code=400, headers=headers)
    text = f"/**/{callback}({json.dumps(body)});"
    return Response(text, status_code=status, media_type="application/javascript", headers=headers)


async def _fields(request: Request) -> dict[str, str]:
    """Query-string fields, overridden by those of a form or JSON body."""
    fields = {k: v for k, v in request.query_params.items()}
    if request.method != "POST":
        return fields
    raw = await read_capped(request, MAX_BODY, "queries")
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    text = raw.decode("utf-8", errors="replace")
    if media == "application/json":
        try:
            doc = json.loads(text or "{}")
        except RecursionError:
            raise QueryError("body nested too deeply", param="queries") from None
        except ValueError as exc:
            raise QueryError(f"body is not JSON: {exc}", param="queries") from None
        if isinstance(doc, dict) and "queries" in doc:
            value = doc["queries"]
            fields["queries"] = value if isinstance(value, str) else json.dumps(value)
        return fields
    for key, values in parse_qs(text, keep_blank_values=True).items():
        fields[key] = values[-1]
    return fields


def reconcile_openapi(post: bool) -> dict[str, object]:
    """The parameters and answers of /reconcile for the OpenAPI description (the handler
    reads the request itself, so FastAPI cannot infer them)."""
    queries = {
        "type": "string",
        "description": "a JSON object of queries: "
        '{"q0": {"query": "MoSVY", "type": "Agency", "limit": 3}}',
    }
    callback = {
        "type": "string",
        "pattern": _CALLBACK.pattern,
        "description": "JSONP: wrap the answer in a call of this function",
    }
    extend = {
        "type": "string",
        "description": "data extension, a JSON object: "
        '{"ids": ["khm/mosvy"], "properties": [{"id": "party"}, {"id": "commitments"}]}',
    }
    params = [
        {"name": "queries", "in": "query", "required": False, "schema": queries},
        {"name": "extend", "in": "query", "required": False, "schema": extend},
        {"name": "callback", "in": "query", "required": False, "schema": callback},
    ]
    out: dict[str, object] = {
        "parameters": params,
        "responses": {
            "200": {
                "description": "the service manifest, or candidates per query",
                "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "application/javascript": {"schema": {"type": "string"}},
                },
            },
            "400": {
                "description": "queries that are not valid JSON or not a batch",
                "content": ERROR_CONTENT,
            },
            "413": {
                "description": "a request body over 1,000,000 bytes (refused unread)",
                "content": ERROR_CONTENT,
            },
            "429": {
                "description": "over this client's budget (Retry-After)",
                "content": ERROR_CONTENT,
            },
            "503": {
                "description": "the batch ran past the time limit, or every "
                "reconciliation worker stayed busy",
                "content": ERROR_CONTENT,
            },
        },
    }
    if post:
        out["requestBody"] = {
            "required": False,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "queries": queries,
                            "extend": extend,
                            "callback": callback,
                        },
                    }
                },
                "application/json": {
                    "schema": {"type": "object", "properties": {"queries": {"type": "object"}}}
                },
            },
        }
    return out


# The reconciliation services of one store (the agencies' names and aliases, read once).
services_of = PerStore(
    "reconcile_services",
    lambda settings, store: ReconcileServices.from_store(store, settings.paths.queries / "api"),
)


def router(settings: Settings, store: Store) -> APIRouter:
    services = services_of.deferred(settings, store)  # made on first use or by the warm-up
    runners: list[ReconcileRunner] = []  # made on the first batch
    made = threading.Lock()

    def runner() -> ReconcileRunner:
        with made:
            if not runners:
                runners.append(
                    ReconcileRunner(
                        services.reconciler,
                        workers=RECONCILE_WORKERS,
                        timeout=settings.query_timeout,
                    )
                )
            return runners[0]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            for each in runners:
                await anyio.to_thread.run_sync(each.close)

    r = APIRouter(tags=["Reconciliation"], lifespan=lifespan)

    async def reconcile(request: Request) -> Response:
        callback = request.query_params.get("callback")
        try:
            fields = await _fields(request)
            callback = fields.get("callback", callback)
            raw = fields.get("queries")
            if raw is None and fields.get("extend") is not None:
                try:
                    extend = json.loads(fields["extend"])
                except ValueError as exc:
                    raise QueryError(f"not valid JSON: {exc}", param="extend") from None
                return _answer(services.extend(extend), callback)
            if raw is None:
                # the configured public base, never the Host header (a client could make the
                # manifest point anywhere: issue 20, item 14)
                return _answer(services.reconciler.manifest(settings.public_base), callback)
            try:
                queries = json.loads(raw)
            except RecursionError:
                raise QueryError("queries nested too deeply", param="queries") from None
            except ValueError as exc:
                raise QueryError(f"not valid JSON: {exc}", param="queries") from None
            # in a worker process with a time limit: never on the event loop (a batch of
            # long names is minutes of CPU), stoppable (plangraph/views/reconcile_runner.py)
            answer = await anyio.to_thread.run_sync(runner().run, queries)
            return _answer(answer, callback)
        except PlangraphError as exc:
            return _answer(exc.to_json(), callback if callback else None, exc.http_status)

    summary = "Reconcile agency names (W3C Entity Reconciliation API, as used by OpenRefine)"
    description = (
        "Without `queries`: the service manifest. With `queries` (a JSON object of "
        '`{"q0": {"query": "MoSVY", "type": "Agency", "limit": 3, "properties": '
        '[{"pid": "party", "v": "KHM"}]}}`, in the query string or a form body): '
        "candidates per query, best first, scored 0-100; `match` is true only for a name "
        "that equals a name or alias of exactly one agency."
    )
    for method in ("GET", "POST"):
        r.add_api_route(
            "/reconcile",
            reconcile,
            methods=[method],
            summary=summary,
            description=description,
            openapi_extra=reconcile_openapi(post=method == "POST"),
        )

    add_routes(r, services, _answer)

    @r.options("/reconcile", include_in_schema=False)
    async def reconcile_options() -> Response:
        return preflight()

    return r
