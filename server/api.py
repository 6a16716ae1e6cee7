"""/api/*: the REST API (JSON with paging; every list also as CSV). Thin over
plangraph.views.read_model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from plangraph.settings import Settings
from plangraph.store.base import Store
from plangraph.views.paging import DEFAULT_LIMIT, MAX_LIMIT, paginate, to_csv
from plangraph.views.read_model import ACTIVITY_COLUMNS, AGENCY_COLUMNS, PLAN_COLUMNS
from server.formats import add_json_csv_routes, wants_csv
from server.pages import graph_api

Limit = Annotated[
    int | None, Query(description=f"page size, 1-{MAX_LIMIT} (default {DEFAULT_LIMIT})")
]
Offset = Annotated[int | None, Query(description="rows to skip (default 0)")]
Format = Annotated[
    str | None, Query(description="'json' (default) or 'csv'; or send Accept: text/csv")
]


def _page_url(request: Request, offset: int | None, limit: int) -> str | None:
    if offset is None:
        return None
    params = dict(request.query_params)
    params["offset"] = str(offset)
    params["limit"] = str(limit)
    return str(request.url.replace_query_params(**params))


def _list(
    request: Request,
    items: Sequence[dict[str, Any]],
    columns: Sequence[str],
    limit: int | None,
    offset: int | None,
    csv: bool,
    name: str,
) -> Response:
    page = paginate(items, limit, offset)
    next_url = _page_url(request, page.next_offset, page.limit)
    prev_url = _page_url(request, page.previous_offset, page.limit)
    headers = {"X-Total-Count": str(page.total)}
    links = [f'<{u}>; rel="{rel}"' for u, rel in ((next_url, "next"), (prev_url, "prev")) if u]
    if links:
        headers["Link"] = ", ".join(links)
    if csv:
        headers["Content-Disposition"] = f'inline; filename="{name}.csv"'
        return Response(
            to_csv(page.items, columns), media_type="text/csv; charset=utf-8", headers=headers
        )
    body = {
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
        "next": next_url,
        "previous": prev_url,
        "items": page.items,
    }
    return JSONResponse(body, headers=headers)


def router(settings: Settings, store: Store) -> APIRouter:
    r = APIRouter(prefix="/api", tags=["REST API"])
    api = graph_api.deferred(settings, store)

    def plans(
        request: Request, limit: Limit = None, offset: Offset = None, format: Format = None
    ) -> Response:
        csv = wants_csv(request, format)
        return _list(request, api.plans(), PLAN_COLUMNS, limit, offset, csv, "plans")

    add_json_csv_routes(
        r,
        "/plans",
        plans,
        summary="Plans with parties, periods and counts",
        csv_summary="Plans as CSV",
    )

    @r.get(
        "/plans/{slug}", summary="One plan with its sections and activities", response_model=None
    )
    def plan(
        slug: Annotated[str, Path(description="plan slug, e.g. vnm-khm-2020-2022")],
    ) -> dict[str, Any]:
        return api.plan(slug)

    def activities(
        request: Request,
        plan: Annotated[str | None, Query(description="plan slug")] = None,
        party: Annotated[
            str | None, Query(description="ISO 3166 alpha-3 code: activities of its plans")
        ] = None,
        agency: Annotated[
            str | None, Query(description="agency id, e.g. khm/mosvy: activities it commits to")
        ] = None,
        theme: Annotated[str | None, Query(description="theme IRI or its last segment")] = None,
        year: Annotated[str | None, Query(description="a scheduled year, e.g. 2021")] = None,
        text: Annotated[str | None, Query(description="words in the number or text")] = None,
        limit: Limit = None,
        offset: Offset = None,
        format: Format = None,
    ) -> Response:
        csv = wants_csv(request, format)
        items = api.activities(
            plan=plan, party=party, agency=agency, theme=theme, year=year, text=text
        )
        return _list(request, items, ACTIVITY_COLUMNS, limit, offset, csv, "activities")

    add_json_csv_routes(
        r,
        "/activities",
        activities,
        summary="Numbered activities of all plans, filtered",
        csv_summary="Activities as CSV (same filters)",
    )

    def agencies(
        request: Request, limit: Limit = None, offset: Offset = None, format: Format = None
    ) -> Response:
        csv = wants_csv(request, format)
        return _list(request, api.agencies(), AGENCY_COLUMNS, limit, offset, csv, "agencies")

    add_json_csv_routes(
        r,
        "/agencies",
        agencies,
        summary="Agencies with party, kind and commitment counts",
        csv_summary="Agencies as CSV",
    )

    @r.get("/agencies/{party}/{slug}", summary="One agency with its commitments")
    def agency(
        party: Annotated[str, Path(description="party code, e.g. khm")],
        slug: Annotated[str, Path(description="agency slug, e.g. mosvy")],
    ) -> dict[str, Any]:
        return api.agency(f"{party}/{slug}")

    return r
