"""The pages in a real browser (Playwright driving headless Chromium) against a real server.

Chromium is Debian's /usr/bin/chromium (`.ci/run` installs it). Without it the tests skip,
except in CI (the CI variable set), where they must run. Screenshots go to test-output/.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser import require_chromium, shot, watched_page

sync_api = require_chromium()


@pytest.fixture
def page(browser, server_url: str) -> Iterator[object]:
    with watched_page(browser, server_url) as pg:
        yield pg


def test_home_page_shows_the_plans_table(page) -> None:
    page.goto("/")
    rows = page.locator("table#plans tbody tr")
    sync_api.expect(rows.first).to_be_visible()
    assert rows.count() >= 2
    text = page.locator("table#plans").inner_text()
    assert "Joint Plan of Action Viet Nam–Cambodia 2020-2022" in text
    assert "Joint Plan of Action China–Cambodia 2017-2019 (draft)" in text
    shot(page, "home")
    assert not page.problems, page.problems


def test_query_page_runs_a_catalog_query(page) -> None:
    page.goto("/query")
    sync_api.expect(page.locator(".yasqe .CodeMirror")).to_be_visible(timeout=15_000)
    page.get_by_label("Example query").select_option("plans")
    page.get_by_role("button", name="Load and run").click()
    rows = page.locator("#results table tbody tr")
    sync_api.expect(rows.first).to_be_visible(timeout=15_000)
    assert rows.count() >= 2
    results = page.locator("#results").inner_text()
    assert "Viet Nam–Cambodia 2020-2022" in results
    assert "China–Cambodia 2017-2019" in results
    shot(page, "query")
    assert not page.problems, page.problems


def test_agency_page_lists_its_commitments(page) -> None:
    page.goto("/id/agency/khm/commit-task-force")
    sync_api.expect(page.locator("h1")).to_have_text("Cambodia COMMIT Task Force")
    rows = page.locator("table#commitments tbody tr")
    assert rows.count() >= 10  # the Viet Nam–Cambodia plan alone gives it more than ten
    table = page.locator("table#commitments").inner_text()
    assert "Joint Plan of Action Viet Nam–Cambodia 2020-2022" in table
    vnm_row = rows.filter(has_text="Joint Plan of Action Viet Nam–Cambodia 2020-2022").first
    for i in range(rows.count()):  # every commitment links to the source lines that back it
        assert rows.nth(i).locator("a.src").count() >= 1
    first_source = vnm_row.locator("a.src").first
    href = first_source.get_attribute("href")
    assert href and href.startswith("/sources/vnm-khm-jpa-2020-2022?lines=")
    shot(page, "agency")
    first_source.click()
    sync_api.expect(page.locator("pre#source .line.hl").first).to_be_visible()
    shot(page, "source")
    assert not page.problems, page.problems


def test_openapi_docs_work_offline(page) -> None:
    page.goto("/docs")
    ops = page.locator(".opblock-summary-path")
    sync_api.expect(ops.first).to_be_visible(timeout=15_000)
    paths = set(ops.all_inner_texts())
    assert any(p.startswith("/api/plans") for p in paths), paths
    assert "/sparql" in {p.strip("\u200b") for p in paths}
    shot(page, "docs")
    assert not page.problems, page.problems


def test_agency_page_shows_hierarchy_and_history(page) -> None:
    page.goto("/id/agency/khm/nc-stsls")
    sync_api.expect(page.locator("#children li").first).to_be_visible()
    assert page.locator("#children li").count() >= 6  # its working groups and secretariat
    sync_api.expect(page.locator("#leadership")).to_contain_text("Ministry of Interior")
    history = page.locator("table#history").inner_text()
    assert "not stated by the sources" in history  # NC/S.T.S.L.S. -> NCCT is not in the texts
    assert "2009-09-25" in history  # established by Sub-decree No. 162
    shot(page, "agency-history")
    assert not page.problems, page.problems


NAV = ["Plans", "Agencies", "Themes", "Search", "Overlaps", "Network", "Query", "API", "Downloads"]


def test_every_page_carries_the_same_navigation(page) -> None:
    for path, current in (("/", "Plans"), ("/agencies", "Agencies"), ("/overlaps", "Overlaps")):
        page.goto(path)
        links = page.locator("nav.site-nav a")
        assert links.all_inner_texts() == NAV
        assert page.locator('nav.site-nav a[aria-current="page"]').inner_text() == current


def test_home_page_opens_one_door_per_user(page) -> None:
    page.goto("/")
    doors = page.locator("#doors .door")
    assert doors.count() == 3
    # the analyst's worked example is one click away and lands on a page that answers
    page.locator("#example-analyst").click()
    page.wait_for_load_state()
    assert page.url.endswith("/id/agency/khm/mosvy")
    assert "Ministry of Social Affairs" in page.locator("h1").inner_text()
