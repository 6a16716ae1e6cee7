"""The reconciliation preview (/reconcile/preview) in a real browser, at the size OpenRefine
frames it (400 x 180, from the manifest) and on a phone: no console error or CSP violation, its
stylesheet applied, nothing wider than the frame."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser import watched_page


@pytest.mark.parametrize("agency", ["khm/mosvy", "khm/gcnp-ahtjp"])
def test_preview_fits_the_frame_openrefine_gives_it(
    browser: Any, server_url: str, agency: str
) -> None:
    manifest = httpx.get(server_url + "/reconcile").json()
    width, height = manifest["preview"]["width"], manifest["preview"]["height"]
    url = manifest["preview"]["url"].replace("{{id}}", agency)
    for w, h in ((width, height), (390, 800)):
        with watched_page(browser, server_url, width=w, height=h) as page:
            page.goto(url)
            heading = page.locator("h1")
            assert heading.count() == 1 and heading.inner_text()
            margin = page.evaluate("getComputedStyle(document.body).marginTop")
            assert margin == "0px"  # preview.css applied (the default is 8px)
            assert page.evaluate("document.documentElement.scrollWidth") <= w
            link = heading.locator("a").get_attribute("href")
            assert link == f"/id/agency/{agency}"
