"""/api/*: the REST API (JSON with paging; every list also as CSV). Thin over
plangraph.views.read_model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from plangraph.errors import QueryError
from plangraph.settings import Settings
from plangraph.store.stores import EmbeddedStore
from plangraph.views.paging import DEFAULT_LIMIT, MAX_LIMIT, paginate, to_csv
from plangraph.views.read_model import ACTIVITY_COLUMNS, AGENCY_COLUMNS, PLAN_COLUMNS
from server.pages import graph_api

Limit = Annotated[
    int | None, Query(description=f"page size, 1-{MAX_LIMIT} (default {DEFAULT_LIMIT})")
]
Offset = Annotated[int | None, Query(description="rows to skip (default 0)")]
Format = Annotated[
    str | None, Query(description="'json' (default) or 'csv'; or send Accept: text/csv")
]


def _wants_csv(request: Request, fmt: str | None, suffix: bool = False) -> bool:
    if suffix:
        return True
    if fmt is not None:
        if fmt not in ("json", "csv"):
            raise QueryError(f"format must be 'json' or 'csv', not {fmt!r}", param="format")
        return fmt == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


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


def router(settings: Settings, store: EmbeddedStore) -> APIRouter:
    r = APIRouter(prefix="/api", tags=["REST API"])
    api = graph_api(settings, store)

    @r.get("/plans", summary="Plans with parties, periods and counts")
    def plans(
        request: Request, limit: Limit = None, offset: Offset = None, format: Format = None
    ) -> Response:
        csv = _wants_csv(request, format)
        return _list(request, api.plans(), PLAN_COLUMNS, limit, offset, csv, "plans")

    @r.get("/plans.csv", summary="Plans as CSV")
    def plans_csv(request: Request, limit: Limit = None, offset: Offset = None) -> Response:
        return _list(request, api.plans(), PLAN_COLUMNS, limit, offset, True, "plans")

    @r.get("/plans/{slug}", summary="One plan with its sections and activities")
    def plan(slug: Annotated[str, Path(description="plan slug, e.g. vnm-khm-2020-2022")]):
        return api.plan(slug)

    def _activities(
        plan: str | None,
        party: str | None,
        agency: str | None,
        theme: str | None,
        year: str | None,
        text: str | None,
    ) -> list[dict[str, Any]]:
        return api.activities(
            plan=plan, party=party, agency=agency, theme=theme, year=year, text=text
        )

    @r.get("/activities", summary="Numbered activities of all plans, filtered")
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
        csv = _wants_csv(request, format)
        items = _activities(plan, party, agency, theme, year, text)
        return _list(request, items, ACTIVITY_COLUMNS, limit, offset, csv, "activities")

    @r.get("/activities.csv", summary="Activities as CSV (same filters)")
    def activities_csv(
        request: Request,
        plan: str | None = None,
        party: str | None = None,
        agency: str | None = None,
        theme: str | None = None,
        year: str | None = None,
        text: str | None = None,
        limit: Limit = None,
        offset: Offset = None,
    ) -> Response:
        items = _activities(plan, party, agency, theme, year, text)
        return _list(request, items, ACTIVITY_COLUMNS, limit, offset, True, "activities")

    @r.get("/agencies", summary="Agencies with party, kind and commitment counts")
    def agencies(
        request: Request, limit: Limit = None, offset: Offset = None, format: Format = None
    ) -> Response:
        csv = _wants_csv(request, format)
        return _list(request, api.agencies(), AGENCY_COLUMNS, limit, offset, csv, "agencies")

    @r.get("/agencies.csv", summary="Agencies as CSV")
    def agencies_csv(request: Request, limit: Limit = None, offset: Offset = None) -> Response:
        return _list(request, api.agencies(), AGENCY_COLUMNS, limit, offset, True, "agencies")

    @r.get("/agencies/{party}/{slug}", summary="One agency with its commitments")
    def agency(
        party: Annotated[str, Path(description="party code, e.g. khm")],
        slug: Annotated[str, Path(description="agency slug, e.g. mosvy")],
    ) -> dict[str, Any]:
        return api.agency(f"{party}/{slug}")

    return r
