"""HTML pages for people."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from plangraph.queries import load_catalog
from plangraph.settings import Settings
from plangraph.store import EmbeddedStore

HERE = Path(__file__).parent


def router(settings: Settings, store: EmbeddedStore) -> APIRouter:
    r = APIRouter()
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    catalog = load_catalog(settings.paths.queries)

    @r.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        plans = store.select(catalog["plans"].text)
        return templates.TemplateResponse(
            request,
            "home.html",
            {"plans": plans, "build_id": store.build_id, "triples": store.triples},
        )

    return r
