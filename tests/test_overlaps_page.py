"""The overlap report page (/overlaps) in a real browser against the real server: it opens,
filters by a theme, shows the coverage matrix and follows a source link."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from plangraph.paths import ProjectPaths
from tests.browser import shot, watched_page
from tests.server_process import dataset_folder, running_server


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


def test_filter_by_theme_and_follow_a_source_link(browser, url: str) -> None:
    with watched_page(browser, url) as page:
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
        shot(page, "overlaps")
        # each kind: its label, the plans that promise it and those that do not, evidence
        first = page.locator("article.overlap").first
        assert first.locator("h3").inner_text().strip()
        assert "Promised by:" in first.locator("p.plans-gaps").inner_text()
        assert first.locator("dd.evidence").first.inner_text().startswith("mean similarity")
        with page.expect_navigation():
            page.select_option("#filter-confidence", "possible")
        assert "confidence=possible" in page.url
        assert page.locator("span.confidence").count() == int(
            page.locator("#overlap-count").inner_text()
        )
        assert {c.inner_text() for c in page.locator("span.confidence").all()} == {"possible"}
        link = page.locator("a.source-link").first
        href = link.get_attribute("href")
        assert href.startswith("/sources/") and "?lines=" in href
        link.click()
        page.wait_for_load_state()
        assert "/sources/" in page.url
        start = href.split("#L", 1)[1]
        assert page.locator(f"[id='L{start}']").count() == 1
