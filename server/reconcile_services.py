"""The services beside /reconcile (W3C Entity Reconciliation API 0.2), as the manifest lists
them:

- ``GET /reconcile/suggest/entity|type|property?prefix=...&cursor=...``: auto-completion
  (``{"result": [...]}``; JSONP with ``callback=``);
- ``GET /reconcile/preview?id=khm/mosvy``: a small HTML page about the agency, for a frame in
  OpenRefine (the only page other sites may frame);
- ``GET /reconcile/extend/propose?type=Agency``: the properties a data extension can add;
  the extension itself is ``extend={...}`` on /reconcile (:mod:`server.reconcile`).

Thin over :class:`plangraph.views.reconcile_services.ReconcileServices`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from plangraph.errors import PlangraphError
from plangraph.views.reconcile_services import MAX_PREFIX, ReconcileServices
from server.pages import CSP, TEMPLATES
from server.sparql import ERROR_CONTENT, preflight

# OpenRefine shows the preview in a frame of its own page: this page alone may be framed
PREVIEW_CSP = CSP.replace("frame-ancestors 'none'", "frame-ancestors *")


def _param(request: Request, name: str) -> str | None:
    return request.query_params.get(name)


def _query_param(
    name: str, description: str, schema: dict[str, Any], required: bool = False
) -> Any:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


CALLBACK = _query_param(
    "callback", "JSONP: wrap the answer in a call of this function", {"type": "string"}
)
PREFIX = _query_param(
    "prefix", "what the user has typed so far", {"type": "string", "maxLength": MAX_PREFIX}, True
)
CURSOR = _query_param("cursor", "results to skip (pages of 10)", {"type": "integer", "minimum": 0})


def _openapi(params: list[Any], result_key: str) -> dict[str, Any]:
    """Parameters and answers of a JSON service (read from the request by the handler)."""
    return {
        "parameters": params,
        "responses": {
            "200": {
                "description": "the answer (W3C Entity Reconciliation API 0.2)",
                "content": {
                    "application/json": {"schema": {"type": "object", "required": [result_key]}},
                    "application/javascript": {"schema": {"type": "string"}},
                },
            },
            "400": {"description": "a parameter that cannot be read", "content": ERROR_CONTENT},
        },
    }


def add_routes(
    r: APIRouter,
    services: ReconcileServices,
    answer: Callable[[Any, str | None, int], Response],
) -> None:
    """The suggest, preview and propose routes on ``r`` (``answer``: JSON or JSONP)."""

    def json_route(
        path: str,
        summary: str,
        call: Callable[[Request], dict[str, Any]],
        params: list[Any],
        result_key: str = "result",
    ) -> None:
        async def handler(request: Request) -> Response:
            callback = request.query_params.get("callback")
            try:
                return answer(call(request), callback, 200)
            except PlangraphError as exc:
                return answer(exc.to_json(), callback, exc.http_status)

        r.add_api_route(
            path,
            handler,
            methods=["GET"],
            summary=summary,
            openapi_extra=_openapi([*params, CALLBACK], result_key),
        )

        async def options() -> Response:
            return preflight()

        r.add_api_route(path, options, methods=["OPTIONS"], include_in_schema=False)

    json_route(
        "/reconcile/suggest/entity",
        "Suggest agencies by the start of a name (reconciliation suggest service)",
        lambda req: services.suggest_entities(
            _param(req, "prefix"), _param(req, "cursor"), _param(req, "type")
        ),
        [PREFIX, CURSOR, _query_param("type", "an agency kind, or Agency", {"type": "string"})],
    )
    json_route(
        "/reconcile/suggest/type",
        "Suggest types: Agency and the agency kinds",
        lambda req: services.suggest_types(_param(req, "prefix"), _param(req, "cursor")),
        [PREFIX, CURSOR],
    )
    json_route(
        "/reconcile/suggest/property",
        "Suggest properties (for queries and data extension)",
        lambda req: services.suggest_properties(_param(req, "prefix"), _param(req, "cursor")),
        [PREFIX, CURSOR],
    )
    json_route(
        "/reconcile/extend/propose",
        "The properties a data extension can add to reconciled agencies",
        lambda req: services.propose_properties(_param(req, "type"), _param(req, "limit")),
        [
            _query_param("type", "Agency or an agency kind", {"type": "string"}),
            _query_param("limit", "at most this many properties", {"type": "number"}),
        ],
        result_key="properties",
    )

    async def preview(request: Request) -> Response:
        try:
            agency = services.preview(_param(request, "id"))
        except PlangraphError as exc:
            return answer(exc.to_json(), None, exc.http_status)
        html = TEMPLATES.get_template("reconcile_preview.html").render(
            agency=agency, request=request
        )
        return HTMLResponse(html, headers={"Content-Security-Policy": PREVIEW_CSP})

    r.add_api_route(
        "/reconcile/preview",
        preview,
        methods=["GET"],
        summary="A small HTML preview of an agency (reconciliation preview service)",
        response_class=HTMLResponse,
        openapi_extra={
            "parameters": [
                _query_param("id", "the agency's id, e.g. khm/mosvy", {"type": "string"}, True)
            ],
            "responses": {
                "200": {
                    "description": "the preview",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                },
                "404": {"description": "no such agency", "content": ERROR_CONTENT},
            },
        },
    )
