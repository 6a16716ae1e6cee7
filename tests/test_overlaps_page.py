"""The overlap report page (/overlaps) in a real browser against the real server: it opens,
filters by a theme, shows the coverage matrix and follows a source link."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from plangraph.paths import ProjectPaths
from tests.server_process import dataset_folder, running_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUT = Path(__file__).resolve().parent.parent / "test-output"


@pytest.fixture(scope="module")
def url(paths: ProjectPaths) -> Iterator[str]:
    with running_server(paths.root, graph=dataset_folder()) as u:
        yield u


def test_page_without_a_browser(url: str) -> None:
    r = httpx.get(f"{url}/overlaps", params={"theme": "victim-identification"}, timeout=30)
    assert r.status_code == 200
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert 'id="coverage"' in r.text and "<script>" not in r.text
    assert httpx.get(f"{url}/overlaps", params={"year": "x"}, timeout=30).status_code == 400


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists() and not os.environ.get("CI"):
        pytest.skip("no /usr/bin/chromium (apt-get install chromium); required when CI is set")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def test_filter_by_theme_and_follow_a_source_link(browser, url: str) -> None:
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(url) else outside.append(r.url))
    try:
        page.goto("/overlaps")
        total = int(page.locator("#overlap-count").inner_text())
        assert total >= 20
        assert page.locator("table.coverage td.gap").count() > 0
        # choosing a theme submits the form (server/static/overlaps/overlaps.js)
        with page.expect_navigation():
            page.select_option("#filter-theme", "shelters-and-services")
        assert "theme=shelters-and-services" in page.url
        filtered = int(page.locator("#overlap-count").inner_text())
        assert 0 < filtered < total
        sections = page.locator("section.theme-section")
        assert sections.first.get_attribute("data-theme") == "shelters-and-services"
        assert "theme=shelters-and-services" in page.locator("#csv-link").get_attribute("href")
        OUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUT / "overlaps.png"), full_page=True)
        link = page.locator("a.source-link").first
        href = link.get_attribute("href")
        assert href.startswith("/sources/") and "?lines=" in href
        link.click()
        page.wait_for_load_state()
        assert "/sources/" in page.url
        start = href.split("#L", 1)[1]
        assert page.locator(f"[id='L{start}']").count() == 1
    finally:
        context.close()
    assert not outside, f"requests to other origins: {outside}"
    assert not problems, problems
