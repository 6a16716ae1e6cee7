"""The search page in a real browser (Debian's Chromium through Playwright) against a real
server: a policy researcher's task end to end, the page on a phone, and the page without
script. Screenshots go to test-output/."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser import require_chromium, shot, watched_page

sync_api = require_chromium()
expect = sync_api.expect
PLANS = ("khm-npa-2011-2013", "commit-srpa-2005-2007")


@pytest.fixture(scope="module")
def url(server_url: str) -> str:
    return server_url


def hits(page) -> list[str]:
    return page.locator("ol#hits li.hit").evaluate_all("els => els.map(e => e.dataset.uri)")


def total(page) -> int:
    return int(page.locator("#search-total").inner_text())


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_journey_researcher_searches_narrows_checks_and_downloads(browser, url: str) -> None:
    """Issue 16's researcher journey: search "repatriation", narrow to two plans with the
    facets, open an activity, follow its source lines, download the result CSV."""
    with watched_page(browser, url) as page:
        page.goto("/")
        box = page.locator("#site-search-q")
        box.fill("repatriation")
        box.press("Enter")
        page.wait_for_url("**/search?q=repatriation")
        expect(page.locator("ol#hits li.hit").first).to_be_visible()
        everything = total(page)
        assert everything >= 25
        assert page.locator("ol#hits mark").count() >= 10  # highlighted snippets

        # narrow to two plans with the facet boxes (each change submits the form)
        counts = {}
        for plan in PLANS:
            box = page.locator(f'#facet-plan input[value="{plan}"]')
            counts[plan] = int(box.locator("xpath=ancestor::label").locator(".count").inner_text())
            with page.expect_navigation():
                box.check()
        state = query(page)
        assert state["q"] == ["repatriation"] and sorted(state["plan"]) == sorted(PLANS)
        narrowed = total(page)
        assert narrowed == sum(counts.values()) < everything
        listed = hits(page)
        assert len(listed) == min(narrowed, 20)
        shot(page, "search-narrowed")

        # the URL holds the whole state: a reload shows the same results
        page.reload()
        assert hits(page) == listed and total(page) == narrowed
        for plan in PLANS:
            expect(page.locator(f'#facet-plan input[value="{plan}"]')).to_be_checked()

        # open an activity, follow its source-lines link, come back
        first = page.locator("ol#hits li.hit").filter(has_text="Activity").first
        number = first.locator(".hit-link").inner_text().removeprefix("Activity ").strip()
        first.locator(".hit-link").click()
        expect(page.locator("h1")).to_have_text(f"Activity {number}")
        source = page.locator("main p.lead a.src").first
        source.click()
        page.wait_for_url("**/sources/**")
        expect(page.locator("pre#source .line.hl").first).to_be_visible()
        page.go_back()
        page.go_back()
        page.wait_for_url("**/search?**")
        assert hits(page) == listed

        # the CSV holds the rows the page said it had
        with page.expect_download() as download:
            page.locator("#download-csv").click()
        path = download.value.path()
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
        assert len(rows) == narrowed
        assert [r["uri"] for r in rows][: len(listed)] == listed
        assert {r["plan"] for r in rows} == set(PLANS)


def test_paging_through_the_results(browser, url: str) -> None:
    with watched_page(browser, url) as page:
        page.goto("/search?q=training")
        n = total(page)
        assert n > 40
        seen = hits(page)
        while page.locator("#page-next").count():
            page.locator("#page-next").click()
            page.wait_for_load_state()
            seen += hits(page)
        assert len(seen) == n == len(set(seen))


def test_on_a_phone_nothing_scrolls_sideways_and_the_facets_fold(browser, url: str) -> None:
    with watched_page(browser, url, width=390, height=844) as page:
        page.goto("/search?q=victim+identification")
        expect(page.locator("ol#hits li.hit").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        facets = page.locator("details#facets")
        assert facets.get_attribute("open") is None  # folded
        box = page.locator('#facet-kind input[value="activity"]')
        assert not box.is_visible()
        page.locator("details#facets > summary").click()
        expect(box).to_be_visible()
        before = total(page)
        with page.expect_navigation():
            box.check()
        assert query(page)["kind"] == ["activity"]
        assert 0 < total(page) < before
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.locator("details#facets > summary").click()
        more = page.locator("#facet-agency details.more > summary")
        if more.count():
            more.click()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "search-phone")


def test_the_page_works_without_script(browser, url: str) -> None:
    context = browser.new_context(base_url=url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/search?q=shelter")
        assert page.locator("details#facets").get_attribute("open") is not None
        before = total(page)
        page.locator('#facet-plan input[value="khm-npa-2011-2013"]').check()
        page.locator("#facets-apply").click()
        page.wait_for_url("**plan=khm-npa-2011-2013**")
        assert query(page)["q"] == ["shelter"]
        assert 0 < total(page) < before
    finally:
        context.close()


def test_an_unknown_facet_value_is_explained_on_the_page(browser, url: str) -> None:
    with watched_page(browser, url) as page:
        response = page.goto("/search?q=shelter&plan=nowhere")
        assert response is not None and response.status == 400
        expect(page.locator("#search-error")).to_contain_text("plan")
        page.problems.clear()  # the 400 itself is logged as a console error
