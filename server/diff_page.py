"""/diff (the page) and /api/diff (JSON or CSV): two plans or plan versions compared.

Thin over :mod:`plangraph.views.diff`, which reads both sides through SPARQL
(``queries/diff/*.rq``). The page is a GET form (it works without script).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from plangraph.settings import Settings
from plangraph.store.base import Store
from plangraph.views.diff import TEXT_MATCH, diff, diff_csv
from server.formats import add_json_csv_routes, response_format
from server.pages import diff_reader, render

A = Annotated[
    str,
    Query(
        description="plan or version A: a plan slug (khm-tha-2023-2025), a version "
        "(khm-tha-2023-2025/annex-3) or an IRI",
        max_length=500,
    ),
]
B = Annotated[str, Query(description="plan or version B (as A)", max_length=500)]
Format = Annotated[str | None, Query(description="'json' (default) or 'csv'")]


def router(settings: Settings, store: Store) -> APIRouter:
    r = APIRouter()

    def api_diff(request: Request, a: A, b: B, format: Format = None) -> Response:
        """Steps and commitments added, removed and changed from A to B, each with the
        source lines on both sides (unchanged steps are counted, not listed)."""
        d = diff(diff_reader(settings, store), a, b)
        if response_format(request, format) == "csv":
            return Response(
                diff_csv(d),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="diff.csv"'},
            )
        return JSONResponse(d.to_json())

    add_json_csv_routes(
        r,
        "/api/diff",
        api_diff,
        summary="Two plans or plan versions compared",
        csv_summary="Two plans or plan versions compared, as CSV",
        tags=["diff"],
    )

    @r.get("/diff", response_class=HTMLResponse, include_in_schema=False)
    def diff_page(request: Request, a: str = "", b: str = "") -> HTMLResponse:
        reader = diff_reader(settings, store)
        result = diff(reader, a, b) if a or b else None
        query = urlencode({"a": a, "b": b})
        return render(
            request,
            "diff.html",
            {
                "sides": reader.sides(),
                "chosen": {"a": a, "b": b},
                "d": result,
                "query": query,
                "text_match": TEXT_MATCH,
            },
        )

    return r
