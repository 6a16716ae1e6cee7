"""HTML pages for people: home, plans, steps, agencies, the hub pages of themes (/themes,
/id/theme/{slug}), parties (/id/party/{iso3}) and years (/years, /years/{yyyy}), any other
resource (the query page is server/query_page.py).

Rendering only: the data comes from :class:`plangraph.views.read_model.GraphApi`. Every page is a
Jinja2 template extending ``base.html``; scripts and styles are static files, so the
Content-Security-Policy allows no inline script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from plangraph.errors import PlangraphError
from plangraph.network.rdf import METRICS_GRAPH
from plangraph.settings import Settings
from plangraph.sources.catalog import load_source_catalog as load_sources
from plangraph.store.base import Store
from plangraph.views.diff import DiffReader
from plangraph.views.read_model import GraphApi
from plangraph.views.source_spans import parse_span, spans
from server.per_store import PerStore

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))

# No inline script and nothing from another origin on any page. YASGUI (CodeMirror,
# DataTables) sets style attributes, so the query page alone also allows inline styles; it
# needs no 'unsafe-eval' (the browser tests fail on any CSP violation).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
CSP_QUERY_PAGE = CSP.replace("style-src 'self';", "style-src 'self' 'unsafe-inline';")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
# Pages whose vendored UI (YASGUI, Swagger UI) sets style attributes.
_INLINE_STYLE_PAGES = ("/query", "/docs")
# Pages other sites may frame (OpenRefine shows the reconciliation preview in a frame; the
# page sets its own CSP with frame-ancestors *): no X-Frame-Options DENY.
_FRAMEABLE_PAGES = ("/reconcile/preview",)


class SecurityHeaders:
    """Pure ASGI middleware (no per-request task or body streaming, unlike
    ``@app.middleware``): security headers on every response, the CSP on HTML pages."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._base = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {k.lower() for k, _ in headers}
                framed = path in _FRAMEABLE_PAGES
                headers.extend(
                    h
                    for h in self._base
                    if h[0] not in present and not (framed and h[0] == b"x-frame-options")
                )
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if ctype.startswith(b"text/html") and b"content-security-policy" not in present:
                    policy = CSP_QUERY_PAGE if path in _INLINE_STYLE_PAGES else CSP
                    headers.append((b"content-security-policy", policy.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    """Security headers on every response, the CSP on every HTML page; /static files."""
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request, name, context, status_code=status_code, headers={"Vary": "Accept"}
    )


# One GraphApi per store, shared by the API, Linked Data and page routers.
graph_api = PerStore(
    "graph_api", lambda settings, store: GraphApi(store, settings.paths.queries / "api")
)


# One diff reader per store: plans, plan versions and their steps (server/diff_page.py).
diff_reader = PerStore(
    "diff_reader", lambda settings, store: DiffReader(store, settings.paths.queries / "diff")
)


def _sources(settings: Settings) -> list[dict[str, str]]:
    try:
        catalog = load_sources(settings.paths.catalog)
    except PlangraphError:  # the home page still works without data/sources
        return []
    return [
        {"slug": d.slug, "title": d.title, "file": d.file, "kind": d.kind}
        for d in catalog.documents
    ]


# -- page builders used by the Linked Data router -----------------------------------------


def _printed_order(step: dict[str, Any]) -> tuple[int, int]:
    """Where a step is printed in its plan's source (steps without a span last)."""
    lines = [s["startLine"] for s in step.get("sources", [])]
    return (0, min(lines)) if lines else (1, 0)


def _parents_first(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Steps in their order, each sub-step right after its parent (marked ``depth`` 1)."""
    listed = {a["uri"] for a in steps}
    below: dict[str, list[dict[str, Any]]] = {}
    for a in steps:
        if a.get("parent") in listed:
            below.setdefault(a["parent"], []).append(a)
    out: list[dict[str, Any]] = []

    def add(a: dict[str, Any], depth: int) -> None:
        out.append({**a, "depth": depth})
        for child in below.get(a["uri"], []):
            add(child, depth + 1)

    for a in steps:
        if a.get("parent") not in listed:
            add(a, 0)
    return out


def plan_page(
    request: Request, api: GraphApi, slug: str, diffs: DiffReader | None = None
) -> HTMLResponse:
    plan = api.plan(slug)
    versions = diffs.versions_of(plan["uri"]) if diffs is not None else []
    by_iri = {v.iri: v for v in versions}
    # each version that revises another, with the one it revises: what to compare
    revisions = [(by_iri[v.revision_of], v) for v in versions if v.revision_of in by_iri]
    by_section: dict[str | None, list[dict[str, Any]]] = {}
    steps = _parents_first(sorted(plan["steps"], key=_printed_order))
    for a in steps:
        by_section.setdefault(a["section"], []).append(a)
    children: dict[str | None, list[dict[str, Any]]] = {}
    for s in plan["sections"]:
        children.setdefault(s["parent"], []).append(s)
    known = {s["uri"] for s in plan["sections"]}
    roots = [s for s in plan["sections"] if s["parent"] not in known]
    counts: dict[str, int] = {}  # activities in a section and the sections inside it

    def count(uri: str, seen: frozenset[str] = frozenset()) -> int:
        if uri not in counts:
            inner = [c for c in children.get(uri, []) if c["uri"] not in seen]
            counts[uri] = len(by_section.get(uri, [])) + sum(
                count(c["uri"], seen | {uri}) for c in inner
            )
        return counts[uri]

    for s in plan["sections"]:
        count(s["uri"])
    return render(
        request,
        "plan.html",
        {
            "plan": plan,
            "roots": roots,
            "children": children,
            "by_section": by_section,
            "counts": counts,
            "unsectioned": [a for a in steps if a["section"] not in known],
            "versions": versions,
            "revisions": revisions,
        },
    )


def activity_page(request: Request, api: GraphApi, activity: dict[str, Any]) -> HTMLResponse:
    plan = api.plan_summary(activity["plan"])
    return render(
        request,
        "activity.html",
        {
            "activity": activity,
            "plan": plan,
            "parent": api.activity(activity["parent"]) if activity.get("parent") else None,
            "themes": [api.theme_ref(t) for t in activity["themes"]],
            "commitments": api.activity_commitments(activity["uri"]),
            "statements": api.statements(activity["uri"]),
        },
    )


def agency_page(request: Request, api: GraphApi, agency_id: str) -> HTMLResponse:
    # a build served before its network metrics are computed (server/live.py) says so
    pending = METRICS_GRAPH not in api.store.graphs()
    return render(
        request, "agency.html", {"agency": api.agency(agency_id), "metrics_pending": pending}
    )


def theme_page(request: Request, api: GraphApi, slug: str) -> HTMLResponse:
    theme = api.hubs().theme(slug)
    extra = {"plans": theme["plans"], "themes": theme["themes"]} if theme["isPillar"] else {}
    return render(
        request,
        "theme.html",
        {"theme": theme, "statements": api.statements(theme["uri"]), **extra},
    )


def themes_page(request: Request, api: GraphApi) -> HTMLResponse:
    hubs = api.hubs()
    return render(
        request,
        "themes.html",
        {"coverage": hubs.coverage(), "theme_count": len(hubs.themes)},
    )


def party_page(request: Request, api: GraphApi, code: str) -> HTMLResponse:
    party = api.hubs().party(code)
    return render(
        request, "party.html", {"party": party, "statements": api.statements(party["uri"])}
    )


def resource_page(request: Request, api: GraphApi, iri: str) -> HTMLResponse:
    statements = api.statements(iri)
    backing = [
        span.to_json()
        for span in spans(
            s["value"]
            for s in statements
            if s["isIri"] and s["property"].endswith("#wasDerivedFrom") and parse_span(s["value"])
        )
    ]
    types = [s for s in statements if s["property"].endswith("#type")]
    label = next(
        (
            s["value"]
            for s in statements
            if not s["isIri"] and s["property"].endswith(("#prefLabel", "#label"))
        ),
        iri,
    )
    return render(
        request,
        "resource.html",
        {"iri": iri, "label": label, "types": types, "statements": statements, "spans": backing},
    )


def router(settings: Settings, store: Store) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    api = graph_api.deferred(settings, store)
    sources = _sources(settings)

    @r.get("/docs", response_class=HTMLResponse)
    def docs(request: Request) -> HTMLResponse:
        return render(request, "docs.html", {})

    @r.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        return render(
            request,
            "home.html",
            {
                "plans": api.plans(),
                "sources": sources,
                "agency_count": len(api.agencies()),
                "build_id": store.build_id,
                "triples": store.triples,
            },
        )

    @r.get("/agencies", response_class=HTMLResponse)
    def agencies(request: Request) -> HTMLResponse:
        return render(request, "agencies.html", {"agencies": api.agencies()})

    @r.get("/themes", response_class=HTMLResponse)
    def themes(request: Request) -> HTMLResponse:
        return themes_page(request, api)

    @r.get("/years", response_class=HTMLResponse)
    def years(request: Request) -> HTMLResponse:
        return render(request, "years.html", {"index": api.hubs().years()})

    @r.get("/years/{year}", response_class=HTMLResponse)
    def year(request: Request, year: str) -> HTMLResponse:
        return render(request, "year.html", {"year": api.hubs().year(year)})

    return r


__all__ = ["graph_api", "install", "render", "router"]
