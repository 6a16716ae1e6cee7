"""/query: the SPARQL page, an editor over /sparql with the catalog queries as examples.

Rendering only: the page's data (the examples and their typed parameters, the values an
``iri`` parameter can take, the predeclared prefixes) comes from
:mod:`plangraph.views.query_page` and is embedded as JSON; ``static/query/query.js`` does the
rest in the browser, through ``/api/queries/{name}/text``, ``/sparql`` and ``/api/labels``.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from plangraph import ids
from plangraph.settings import Settings
from plangraph.store.base import Store
from plangraph.store.query_catalog import load_catalog
from plangraph.views.query_page import PREFIXES, QueryPageData, examples_json
from server.pages import render
from server.per_store import PerStore

# The labels and parameter values of one store (the page and /api/labels), read once.
query_page_data = PerStore(
    "query_page_data",
    lambda settings, store: QueryPageData(store, settings.paths.queries / "query-page"),
)


def router(settings: Settings, store: Store) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    examples = examples_json(load_catalog(settings.paths.queries))
    embedded: list[str] = []  # the page's JSON, made on the first request

    def page_json() -> str:
        if not embedded:
            data = query_page_data(settings, store)
            doc = {
                "examples": examples,
                "choices": data.choices(),
                "prefixes": PREFIXES,
                "idBase": str(ids.ID),
                "maxRows": settings.max_rows,
            }
            embedded.append(json.dumps(doc, ensure_ascii=False).replace("</", "<\\/"))
        return embedded[0]

    @r.get("/query", response_class=HTMLResponse)
    def query(request: Request) -> HTMLResponse:
        return render(
            request,
            "query.html",
            {"examples": examples, "prefixes": PREFIXES, "page_json": page_json()},
        )

    return r
