"""Linked Data: /id/... by content negotiation, /sources/{slug} with line anchors, /downloads.

``https://w3id.org/plangraph/id/X`` is served at ``{base}/id/X``: an HTML page for browsers;
Turtle, JSON-LD or N-Triples for clients (``Accept`` header, or a ``.ttl`` / ``.jsonld`` /
``.nt`` suffix). The RDF is the resource's own triples and those of its parts. The page of
a plan, step, agency, theme or party is its hub page (server/pages.py); of anything else, the
generic list of its statements.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from plangraph.errors import CatalogError, NotAcceptable, NotFound
from plangraph.paths import NQUADS, TRIG
from plangraph.settings import Settings
from plangraph.sources.catalog import load_source_catalog as load_sources
from plangraph.store.base import Store
from plangraph.views.links import ID_BASE, tail
from plangraph.views.rdf_formats import RDF_FORMATS
from plangraph.views.read_model import dump
from plangraph.views.source_spans import parse_line_range, parse_span
from server import pages

# media type -> view; the order is the server's preference when the client has none.
MEDIA = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/ld+json": "jsonld",
    "application/n-triples": "ntriples",
}
SUFFIXES = {suffix: name for name, (_, _, suffix) in RDF_FORMATS.items()}
_PLAN = re.compile(r"^plan/([^/]+)$")
_ACTIVITY = re.compile(r"^plan/([^/]+)/activity/([^/]+)$")
_AGENCY = re.compile(r"^agency/([^/]+/[^/]+)$")
_SOURCE = re.compile(r"^source/([^/]+)$")
_THEME = re.compile(r"^theme/([^/]+)$")
_PARTY = re.compile(r"^party/([a-z]{3})$")


WORKBOOK_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".zip": "application/zip",
}


def negotiate(accept: str | None) -> str:
    """The view for an Accept header: html, turtle, jsonld or ntriples (q-values honoured)."""
    if not accept or not accept.strip():
        return "html"
    candidates: list[tuple[float, int, int, str]] = []
    for i, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        if media in MEDIA:
            view = MEDIA[media]
        elif media in ("*/*", "text/*"):
            view = "html"
        elif media == "application/*":
            view = "jsonld"
        else:
            continue
        # the highest q wins; then an exact type over a wildcard; then the earliest listed
        candidates.append((q, 0 if "*" in media else 1, -i, view))
    best = max(candidates) if candidates else None
    if best is None:
        raise NotAcceptable(
            "none of the accepted media types is served here; ask for text/html, "
            "text/turtle, application/ld+json or application/n-triples",
            param="Accept",
        )
    return best[3]


def router(settings: Settings, store: Store) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    api = pages.graph_api.deferred(settings, store)
    # the files of the build this store was loaded from (a reloaded server's snapshot), so a
    # download never mixes a newer file with this build's header
    graph_folder = store.folder if store.folder is not None else settings.paths.graph
    # Whole-dataset Turtle and JSON-LD, serialised once, on first request (not at start:
    # about 1 s of the start-up on the real dataset; bench/run.py measures start-up)
    download_formats = {
        "plangraph.ttl": ("turtle", "text/turtle; charset=utf-8"),
        "plangraph.jsonld": ("jsonld", "application/ld+json"),
    }
    downloads: dict[str, tuple[bytes, str]] = {}
    files = {TRIG: "application/trig", NQUADS: "application/n-quads"}

    def documents() -> dict[str, Any]:
        catalog = load_sources(settings.paths.catalog)
        return {d.slug: d for d in catalog.documents}

    @r.get("/downloads/{name}")
    def download(name: str) -> Response:
        if name in download_formats:
            if name not in downloads:
                fmt, media = download_formats[name]
                downloads[name] = (dump(api, fmt), media)
            body, media = downloads[name]
            return Response(
                body,
                media_type=media,
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )
        if name in files:
            return FileResponse(graph_folder / name, media_type=files[name], filename=name)
        raise NotFound(f"no download {name!r}", param="name")

    @r.get("/sources/{slug}", response_class=HTMLResponse, response_model=None)
    def source(request: Request, slug: str, lines: str | None = None) -> Response:
        try:
            doc = documents().get(slug)
        except CatalogError:
            doc = None
        if doc is None:
            raise NotFound(f"no source document {slug!r}", param="slug")
        if doc.layout == "workbook":  # a plan added by plangraph import: the workbook itself
            return FileResponse(
                doc.path, media_type=WORKBOOK_TYPES.get(doc.path.suffix), filename=doc.file
            )
        text = doc.read_lines()
        if text and text[-1] == "":
            text = text[:-1]
        span = parse_line_range(lines, len(text))
        return pages.render(
            request,
            "source.html",
            {
                "doc": doc,
                "lines": text,
                "span": span,
                "iri": f"{ID_BASE}source/{slug}",
            },
        )

    @r.get("/id/{path:path}")
    def resource(request: Request, path: str) -> Response:
        view = None
        for suffix, name in SUFFIXES.items():
            if path.endswith(suffix) and api.exists(ID_BASE + path[: -len(suffix)]):
                path, view = path[: -len(suffix)], name
                break
        iri = ID_BASE + path
        if not api.exists(iri):
            raise NotFound(f"nothing is known about {iri}", param="path")
        if view is None:
            view = negotiate(request.headers.get("accept"))
        vary = {"Vary": "Accept"}
        if view != "html":
            _, media, _ = RDF_FORMATS[view]
            body = api.describe(iri, view)
            ctype = media + ("; charset=utf-8" if media.startswith("text/") else "")
            return Response(body, media_type=ctype, headers=vary)
        if span := parse_span(iri):
            return RedirectResponse(span.href, status_code=303, headers=vary)
        if m := _SOURCE.match(path):
            return RedirectResponse(f"/sources/{m.group(1)}", status_code=303, headers=vary)
        if m := _PLAN.match(path):
            return pages.plan_page(request, api, m.group(1), pages.diff_reader(settings, store))
        if _ACTIVITY.match(path) and (activity := api.activity(iri)) is not None:
            return pages.activity_page(request, api, activity)
        if m := _AGENCY.match(path):
            return pages.agency_page(request, api, tail(iri, "agency/"))
        if (m := _THEME.match(path)) and m.group(1) in api.theme_scheme["by_slug"]:
            return pages.theme_page(request, api, m.group(1))
        if path == "theme":  # the theme scheme itself: the themes index
            return pages.themes_page(request, api)
        if (m := _PARTY.match(path)) and (agent := api.agent(iri)) and agent["type"] == "party":
            return pages.party_page(request, api, m.group(1))
        return pages.resource_page(request, api, iri)

    return r
