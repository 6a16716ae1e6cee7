"""/api/labels: the label of each of a batch of IRIs, for result tables (the query page).

``GET /api/labels?iri=...&iri=...`` (up to 200) or ``POST /api/labels`` with
``{"iris": [...]}`` (up to 10,000: the IRIs of a result, too many for a URL) answer
``{"labels": {iri: label}}`` for the IRIs that have one: ``skos:prefLabel``, else
``rdfs:label``, else ``dcterms:title`` (English or untagged). Thin over
:class:`plangraph.views.query_page.QueryPageData`, which reads every label once, through SPARQL.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from plangraph.errors import PlangraphError, QueryError
from plangraph.settings import Settings
from plangraph.store.base import Store
from server.query_page import query_page_data
from server.sparql import CORS, ERROR_CONTENT, error_response, preflight

MAX_IRIS = 10_000  # in a POST body
MAX_GET_IRIS = 200  # in a URL (a server refuses request lines past some 16 KB)
MAX_IRI_LENGTH = 4096
MAX_BODY = 2_000_000

_IRI_LIST = {
    "type": "array",
    "items": {"type": "string", "maxLength": MAX_IRI_LENGTH},
    "maxItems": MAX_IRIS,
}
# No length limit declared on a URL's IRIs (checked all the same): a generated client would
# otherwise try request lines longer than any HTTP server reads.
_GET_IRI_LIST = {"type": "array", "items": {"type": "string"}, "maxItems": MAX_GET_IRIS}
_ANSWERS = {
    "200": {
        "description": "the label of each IRI that has one (the others are left out)",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["labels"],
                    "properties": {
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}}
                    },
                }
            }
        },
    },
    "400": {"description": "a malformed request (named in `param`)", "content": ERROR_CONTENT},
}


def _checked(iris: object, param: str = "iris", most: int = MAX_IRIS) -> list[str]:
    if not isinstance(iris, list) or not all(isinstance(i, str) for i in iris):
        raise QueryError("expected a list of IRIs (strings)", param=param)
    if len(iris) > most:
        more = " (POST them as JSON)" if most < MAX_IRIS else ""
        raise QueryError(f"more than {most} IRIs{more}", param=param)
    if any(len(i) > MAX_IRI_LENGTH for i in iris):
        raise QueryError(f"an IRI longer than {MAX_IRI_LENGTH} characters", param=param)
    return iris


async def _requested(request: Request) -> list[str]:
    if request.method == "GET":
        for name in request.query_params:
            if name != "iri":
                raise QueryError("unknown parameter (the only one is 'iri')", param=name)
        return _checked(request.query_params.getlist("iri"), "iri", MAX_GET_IRIS)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise QueryError(
            f'send application/json ({{"iris": [...]}}), not {media or "no content type"!r}',
            param="content-type",
        )
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():  # keep no more than the limit; read to the end,
        size += len(chunk)  # so that the client gets the answer, not a reset connection
        if size <= MAX_BODY:
            parts.append(chunk)
    if size > MAX_BODY:
        raise QueryError(f"request body longer than {MAX_BODY} bytes", param="iris")
    raw = b"".join(parts)
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise QueryError(f"body is not JSON: {exc}", param="iris") from None
    if not isinstance(doc, dict) or "iris" not in doc:
        raise QueryError('expected an object {"iris": [...]}', param="iris")
    return _checked(doc["iris"])


def router(settings: Settings, store: Store) -> APIRouter:
    r = APIRouter(tags=["Labels"])

    async def labels(request: Request) -> Response:
        try:
            iris = await _requested(request)
        except PlangraphError as exc:
            return error_response(exc)
        data = query_page_data(settings, store)
        found = await run_in_threadpool(data.labels, iris)
        return JSONResponse(
            {"labels": found}, headers={**CORS, "X-Plangraph-Build": store.build_id}
        )

    r.add_api_route(
        "/api/labels",
        labels,
        methods=["GET"],
        summary="Labels of IRIs",
        description=f"The label of each `iri` (repeat the parameter, at most {MAX_GET_IRIS} "
        "times): skos:prefLabel, else rdfs:label, else dcterms:title, in English or without "
        "a language.",
        openapi_extra={
            "parameters": [
                {
                    "name": "iri",
                    "in": "query",
                    "required": False,
                    "schema": _GET_IRI_LIST,
                    "style": "form",
                    "explode": True,
                }
            ],
            "responses": _ANSWERS,
        },
    )
    r.add_api_route(
        "/api/labels",
        labels,
        methods=["POST"],
        summary="Labels of many IRIs",
        description=f"As `GET /api/labels`, for a batch too long for a URL (at most {MAX_IRIS}): "
        '`{"iris": [...]}`.',
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["iris"],
                            "properties": {"iris": _IRI_LIST},
                        }
                    }
                },
            },
            "responses": _ANSWERS,
        },
    )

    @r.options("/api/labels", include_in_schema=False)
    async def labels_options() -> Response:
        return preflight()

    return r
