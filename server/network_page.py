"""/network: the interactive network page (Cytoscape.js, vendored under /static/vendor).

Rendering only: the page's script (static/network/network.js) reads /api/network/options and
/api/network. Cytoscape.js would add a <style> element to the page (blocked by the
Content-Security-Policy); the template links a stylesheet with the id Cytoscape looks for,
so it adds none, and the page needs no inline script or style.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from plangraph.settings import Settings
from plangraph.store.base import Store
from server import pages


def router(settings: Settings, store: Store) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/network", response_class=HTMLResponse)
    def network_page(request: Request) -> HTMLResponse:
        return pages.render(request, "network.html", {"build_id": store.build_id})

    return r
