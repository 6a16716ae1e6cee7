"""/api/search (JSON or CSV) and /search (the page): full-text search with facets.

Thin over :mod:`plangraph.views.search`: the request's parameters are read here (repeated
parameters: ``plan=a&plan=b``), checked by the index against its own identifiers, searched,
and rendered. One index per store, built (or loaded from data/cache/) when the app is made,
kept by :class:`server.per_store.PerStore`, so a reloaded build's old index goes with its
store (server/live.py).

The page is a GET form (it works without script; ``static/search/search.js`` only submits it
when a facet box changes and folds the facets on a narrow screen); the URL holds the whole
state, and the download links carry it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from plangraph.errors import PlangraphError, QueryError
from plangraph.paths import cache_folder
from plangraph.settings import Settings
from plangraph.store.base import Store
from plangraph.views.search import FACETS, Result, SearchIndex, Selection, hits_csv, open_index
from plangraph.views.search.index import DEFAULT_LIMIT, MAX_LIMIT, MAX_VALUES
from plangraph.views.search.query import MAX_LENGTH
from server.formats import CSV_SUFFIX, add_json_csv_routes, wants_csv
from server.pages import render
from server.per_store import PerStore
from server.sparql import ERROR_CONTENT

PAGE_LIMIT = 20  # hits per page on /search (10-50 with limit=)
PAGE_MIN, PAGE_MAX = 10, 50
AGENCY_FACET_SHOWN = 12  # agency values shown before "more"
FACET_TITLES = {
    "plan": "Plan",
    "party": "Party",
    "agency": "Agency",
    "theme": "Theme",
    "year": "Year",
    "role": "Role",
    "kind": "Kind of step",
}
STATE_PARAMS = ("q", *FACETS, "rollup")


# The index of one store: loaded from the cache folder or built, once.
search_index = PerStore(
    "search_index",
    lambda settings, store: open_index(
        store, settings.paths.queries / "search", cache_folder(settings.paths.graph)
    ),
)


# -- reading a request ------------------------------------------------------------------------


def _one(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise QueryError("given more than once", param=name)
    return values[0] if values else None


def _int(request: Request, name: str) -> int | None:
    raw = _one(request, name)
    if raw is None or raw.strip() == "":
        return None
    text = raw.strip()
    if not (text.isascii() and text.lstrip("+-").isdigit()) or len(text) > 9:
        raise QueryError(f"{raw[:40]!r} is not a whole number", param=name)
    return int(text)


def _state(request: Request, index: SearchIndex) -> tuple[str, Selection]:
    q = _one(request, "q") or ""
    if len(q) > MAX_LENGTH:
        raise QueryError(f"longer than {MAX_LENGTH} characters", param="q")
    selection = index.selection(
        {f: request.query_params.getlist(f) for f in FACETS}, _one(request, "rollup")
    )
    return q, selection


def state_query(q: str, selection: Selection, **extra: object) -> str:
    """The query string of a search state (q, facets, rollup) plus ``extra``."""
    pairs: list[tuple[str, str]] = []
    if q:
        pairs.append(("q", q))
    for facet in FACETS:
        pairs.extend((facet, v) for v in selection.chosen(facet))
    if selection.rollup:
        pairs.append(("rollup", "true"))
    pairs.extend((k, str(v)) for k, v in extra.items() if v is not None)
    return urlencode(pairs)


def _url(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


def result_json(request: Request, q: str, result: Result, index: SearchIndex) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/") + request.url.path

    def page(offset: int | None) -> str | None:
        if offset is None:
            return None
        return _url(base, state_query(q, result.selection, limit=result.limit, offset=offset))

    parsed = result.query
    return {
        "q": q,
        "expression": parsed.expression if parsed else None,
        "ignored": list(parsed.ignored) if parsed else [],
        "selected": result.selection.to_json(),
        "total": result.total,
        "limit": result.limit,
        "offset": result.offset,
        "next": page(result.next_offset),
        "previous": page(result.previous_offset),
        "build": index.build_id,
        "items": result.items,
        "facets": result.facets,
        "agencies": {"total": result.agency_total, "items": result.agencies},
    }


def _csv_response(index: SearchIndex, q: str, selection: Selection) -> Response:
    items = index.all_hits(q, selection)
    return Response(
        hits_csv(items),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="plangraph-search.csv"',
            "X-Total-Count": str(len(items)),
        },
    )


# -- the OpenAPI description -----------------------------------------------------------------

_NULLABLE_STRING = {"type": ["string", "null"]}
_SPAN = {
    "type": "object",
    "required": ["uri", "document", "startLine", "endLine", "href"],
    "properties": {
        "uri": {"type": "string"},
        "document": {"type": "string"},
        "startLine": {"type": "integer"},
        "endLine": {"type": "integer"},
        "href": {"type": "string"},
    },
}
HIT_SCHEMA = {
    "type": "object",
    "required": ["rank", "uri", "url", "plan", "number", "kind", "text", "snippet", "score"],
    "properties": {
        "rank": {"type": "integer", "description": "position in the result set, from 1"},
        "uri": {"type": "string"},
        "url": {**_NULLABLE_STRING, "description": "the step's page on this server"},
        "plan": {"type": "string"},
        "planLabel": {"type": "string"},
        "number": {"type": "string"},
        "printedNumber": _NULLABLE_STRING,
        "kind": {
            "type": "string",
            "enum": ["activity", "sub-activity", "work-item", "quarterly-activity"],
        },
        "text": {"type": "string"},
        "section": {"type": "string", "description": "the title of the step's section"},
        "snippet": {
            "type": "string",
            "description": "HTML: the best passage, escaped, the matches in <mark>",
        },
        "matched": {
            "type": "array",
            "items": {"type": "string"},
            "description": "the fields the query matched: number, text, section, outputs, "
            "indicators, targets, notes",
        },
        "score": {
            "type": ["number", "null"],
            "description": "BM25 relevance (higher is better); null when browsing",
        },
        "exact": {
            "type": ["boolean", "null"],
            "description": "found by the query's words themselves (true, ranked first) or only "
            "through a longer word of a word's stem, e.g. identify for identification "
            "(false); null when browsing",
        },
        "years": {"type": "array", "items": {"type": "integer"}},
        "themes": {"type": "array", "items": {"type": "string"}},
        "agencies": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "label"],
                "properties": {"id": {"type": "string"}, "label": {"type": "string"}},
            },
        },
        "sources": {"type": "array", "items": _SPAN},
    },
}
_FACET_VALUE = {
    "type": "object",
    "required": ["value", "label", "count", "selected"],
    "properties": {
        "value": {"type": "string"},
        "label": {"type": "string"},
        "count": {"type": "integer", "minimum": 0},
        "selected": {"type": "boolean"},
    },
}
AGENCY_HIT_SCHEMA = {
    "type": "object",
    "required": ["id", "uri", "label", "labelHtml", "type"],
    "properties": {
        "id": {"type": "string"},
        "uri": {"type": "string"},
        "url": _NULLABLE_STRING,
        "type": {"type": "string", "enum": ["agency", "party"]},
        "label": {"type": "string"},
        "labelHtml": {"type": "string"},
        "aliases": {"type": "array", "items": {"type": "string"}},
        "matchedAliases": {"type": "array", "items": {"type": "string"}},
        "party": _NULLABLE_STRING,
        "kind": _NULLABLE_STRING,
        "parent": _NULLABLE_STRING,
        "score": {"type": "number"},
    },
}
RESULT_SCHEMA = {
    "type": "object",
    "required": ["q", "total", "limit", "offset", "next", "previous", "items", "facets"],
    "properties": {
        "q": {"type": "string"},
        "expression": {**_NULLABLE_STRING, "description": "the FTS5 expression searched"},
        "ignored": {"type": "array", "items": {"type": "string"}},
        "selected": {"type": "object"},
        "total": {"type": "integer", "minimum": 0},
        "limit": {"type": "integer"},
        "offset": {"type": "integer"},
        "next": _NULLABLE_STRING,
        "previous": _NULLABLE_STRING,
        "build": {"type": "string"},
        "items": {"type": "array", "items": HIT_SCHEMA},
        "facets": {
            "type": "object",
            "required": list(FACETS),
            "properties": {f: {"type": "array", "items": _FACET_VALUE} for f in FACETS},
        },
        "agencies": {
            "type": "object",
            "required": ["total", "items"],
            "properties": {
                "total": {"type": "integer"},
                "items": {"type": "array", "items": AGENCY_HIT_SCHEMA},
            },
        },
    },
}
_FACET_HELP = {
    "plan": "plan slug",
    "party": "party code (ISO 3166-1 alpha-3, lower case): steps of its plans",
    "agency": "agency id (khm/mosvy; party/khm for a party named alone): steps it is committed to",
    "theme": "action theme slug",
    "year": "a year the step is scheduled in (its own, else its parent's, else its plan's)",
    "role": "a role some agency takes for the step",
    "kind": "kind of step",
}


def search_openapi(index: SearchIndex, csv_only: bool) -> dict[str, object]:
    """Parameters and answers of /api/search (read from the request by the handler, so
    repeated parameters and every bad value are answered by the project's 400)."""
    params: list[dict[str, object]] = [
        {
            "name": "q",
            "in": "query",
            "required": False,
            "description": 'words (all must match, stemmed), "quoted phrases", OR, NOT or '
            "-word, a trailing * for a prefix of three letters or more; empty: browse the steps "
            "the facets keep",
            "schema": {"type": "string", "maxLength": MAX_LENGTH},
        }
    ]
    for facet in FACETS:
        table = "agency" if facet == "agency" else facet
        values = sorted(index.labels.get(table, {}))
        params.append(
            {
                "name": facet,
                "in": "query",
                "required": False,
                "description": _FACET_HELP[facet] + "; repeat for either of several",
                "style": "form",
                "explode": True,
                "schema": {
                    "type": "array",
                    "maxItems": MAX_VALUES,
                    "items": {"type": "string", "enum": values},
                },
            }
        )
    params.append(
        {
            "name": "rollup",
            "in": "query",
            "required": False,
            "description": "count agencies into their top-most parent body",
            "schema": {"type": "boolean"},
        }
    )
    csv_content = {"text/csv": {"schema": {"type": "string"}}}
    if not csv_only:
        params += [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": f"page size, 1-{MAX_LIMIT} (default {DEFAULT_LIMIT})",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
            {
                "name": "offset",
                "in": "query",
                "required": False,
                "description": "hits to skip (default 0)",
                "schema": {"type": "integer", "minimum": 0, "maximum": 100_000},
            },
            {
                "name": "format",
                "in": "query",
                "required": False,
                "description": "'json' (default) or 'csv' (every hit, not one page); or send "
                "Accept: text/csv",
                "schema": {"type": "string", "enum": ["json", "csv"]},
            },
        ]
    ok = csv_content if csv_only else {"application/json": {"schema": RESULT_SCHEMA}, **csv_content}
    return {
        "parameters": params,
        "responses": {
            "200": {"description": "the hits, facet counts and matching agencies", "content": ok},
            "400": {
                "description": "a query or parameter that cannot be searched (named in param)",
                "content": ERROR_CONTENT,
            },
        },
    }


# -- the routes --------------------------------------------------------------------------------


def router(settings: Settings, store: Store) -> APIRouter:
    r = APIRouter()
    index = search_index(settings, store)  # when the app is made, not on the first request

    def api_search(request: Request) -> Response:
        """Every step (activity, sub-activity, work item, quarterly activity) whose number,
        text, section title, outputs, indicators, targets or notes match ``q``, ranked by
        BM25, with highlighted snippets and source lines; facet counts (each facet counted
        under the other facets' selections); the agencies whose name or alias matches."""
        ix = search_index(settings, store)
        # a .csv URL does not read format= (given twice, it is no error there)
        csv = request.url.path.endswith(CSV_SUFFIX) or wants_csv(request, _one(request, "format"))
        q, selection = _state(request, ix)
        if csv:
            return _csv_response(ix, q, selection)
        result = ix.search(
            q, selection, limit=_int(request, "limit"), offset=_int(request, "offset")
        )
        body = result_json(request, q, result, ix)
        return JSONResponse(body, headers={"X-Total-Count": str(result.total)})

    add_json_csv_routes(
        r,
        "/api/search",
        api_search,
        tags=["search"],
        summary="Full-text search of every step, with facets",
        openapi_extra=search_openapi(index, csv_only=False),
        csv_summary="The whole result set of a search as CSV",
        csv_description="The same parameters as /api/search; every hit (not one page), "
        "plain columns.",
        csv_openapi_extra=search_openapi(index, csv_only=True),
    )

    @r.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request) -> HTMLResponse:
        ix = search_index(settings, store)
        q = (request.query_params.get("q") or "")[:MAX_LENGTH]
        context: dict[str, Any] = {
            "q": q,
            "titles": FACET_TITLES,
            "error": None,
            "kind_labels": ix.labels.get("kind", {}),
        }
        try:
            q, selection = _state(request, ix)
            limit = _int(request, "limit")
            result = ix.search(
                q,
                selection,
                limit=PAGE_LIMIT if limit is None else limit,
                offset=_int(request, "offset"),
                min_limit=PAGE_MIN,
                max_limit=PAGE_MAX,
            )
        except PlangraphError as exc:
            context["error"] = exc
            return render(request, "search.html", context, status_code=exc.http_status)
        extra_limit = None if result.limit == PAGE_LIMIT else result.limit

        def page(offset: int | None) -> str | None:
            if offset is None:
                return None
            return _url("/search", state_query(q, selection, limit=extra_limit, offset=offset))

        state = state_query(q, selection)
        rollup_state = Selection(selection.values, not selection.rollup)
        context.update(
            {
                "result": result,
                "selection": selection,
                "facets": result.facets,
                "facet_order": FACETS,
                "agency_shown": AGENCY_FACET_SHOWN,
                "limit": extra_limit,
                "next_href": page(result.next_offset),
                "previous_href": page(result.previous_offset),
                "csv_href": _url("/api/search.csv", state),
                "json_href": _url("/api/search", state_query(q, selection, limit=MAX_LIMIT)),
                "clear_href": _url("/search", state_query(q, Selection())),
                "rollup_href": _url("/search", state_query(q, rollup_state)),
                "any_selected": any(selection.chosen(f) for f in FACETS),
                "first": result.offset + 1,
                "last": result.offset + len(result.items),
            }
        )
        return render(request, "search.html", context)

    return r
