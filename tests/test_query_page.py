"""The query page (/query) in a real browser (Debian's Chromium through Playwright) against
the real server: examples run with their parameters and answer what the catalog API answers,
prefixes are declared for the user, results are readable, errors say where, the keyboard
can leave the editor, and nothing scrolls sideways on a phone.

Every page is watched (tests/browser.py): a console error, a CSP violation or a request to
another origin fails the test. A 400 the test provokes on purpose is logged by Chromium as a
console error ("Failed to load resource"); :func:`expect_http_errors` takes exactly those
out, after checking they happened.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser import require_chromium, shot, watched_page

sync_api = require_chromium()
expect = sync_api.expect

ID = "https://w3id.org/plangraph/id/"
MOSVY = ID + "agency/khm/mosvy"
MOSVY_LABEL = "Ministry of Social Affairs, Veterans and Youth Rehabilitation"
ROWS = "#results table tbody tr"


@pytest.fixture
def page(browser: Any, server_url: str) -> Iterator[Any]:
    with watched_page(browser, server_url) as pg:
        yield pg


@pytest.fixture
def phone(browser: Any, server_url: str) -> Iterator[Any]:
    with watched_page(browser, server_url, width=390, height=844) as pg:
        yield pg


@pytest.fixture(scope="module")
def api(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=60) as c:
        yield c


def expect_http_errors(page: Any, status: int) -> None:
    """Take the console errors of the HTTP ``status`` answers a test provoked out of the
    watched page's problems (there must be at least one), leaving any other problem."""
    words = f"status of {status}"
    provoked = [p for p in page.problems if words in p]
    assert provoked, f"expected a {status} answer, console: {page.problems}"
    page.problems[:] = [p for p in page.problems if words not in p]


def open_query_page(page: Any, path: str = "/query") -> None:
    page.goto(path)
    expect(page.locator("#editor .CodeMirror")).to_be_visible(timeout=15_000)


def editor_text(page: Any) -> str:
    return page.evaluate("window.plangraphQuery.yasqe.getValue()")


def set_editor(page: Any, text: str) -> None:
    page.evaluate("(t) => window.plangraphQuery.yasqe.setValue(t)", text)


def focus_in_editor(page: Any) -> bool:
    return page.evaluate("!!document.activeElement.closest('.CodeMirror')")


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"the page is {width} px wide in a {viewport} px viewport"


def sparql_requests(page: Any) -> list[str]:
    """Record the bodies of the page's requests to /sparql from now on."""
    bodies: list[str] = []
    page.on(
        "request",
        lambda r: (
            bodies.append(r.post_data or "") if r.url.split("?")[0].endswith("/sparql") else None
        ),
    )
    return bodies


# -- examples with their parameters ----------------------------------------------------------


def test_an_example_runs_with_its_parameter_and_answers_the_catalog_apis_rows(
    page: Any, api: httpx.Client
) -> None:
    open_query_page(page)
    assert not focus_in_editor(page)  # nothing takes focus on load
    page.get_by_label("Example query").select_option(label="An agency's commitments across plans")
    agency = page.get_by_label("agency (iri)")
    expect(agency).to_be_visible()
    agency.select_option(label=MOSVY_LABEL)
    assert agency.input_value() == MOSVY
    page.get_by_role("button", name="Load and run").click()
    rows = page.locator(ROWS)
    expect(rows.first).to_be_visible(timeout=15_000)

    expected = api.get("/api/queries/agency-commitments", params={"agency": MOSVY}).json()
    assert expected["count"] == 71
    expect(rows).to_have_count(expected["count"])
    expect(page.locator("#status")).to_contain_text("71 results")
    # the same rows, in the same order: each row's activity link is the API row's activity
    hrefs = page.locator(ROWS + " td:nth-child(4) a.iri").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert hrefs == ["/id/" + r["activity"][len(ID) :] for r in expected["rows"]]
    # what ran is what the editor shows: the catalog API's text with its VALUES clause
    text = api.get("/api/queries/agency-commitments/text", params={"agency": MOSVY}).text
    assert editor_text(page) == text
    assert f"VALUES (?agency) {{ (<{MOSVY}>) }}" in editor_text(page)
    # a link to share: the example and its value
    assert "example=agency-commitments" in page.url and "agency=" in page.url
    expect(page.locator("#share")).to_have_attribute(
        "href", re.compile("example=agency-commitments")
    )
    # a label beside the agency IRI, which opens the local page in the same tab
    first_agency = rows.first.locator("td").nth(1)
    expect(first_agency.locator(".label")).to_have_text(MOSVY_LABEL)
    link = first_agency.locator("a.iri")
    expect(link).to_have_attribute("href", "/id/agency/khm/mosvy")
    assert link.get_attribute("target") is None
    shot(page, "query-example")
    no_sideways_scroll(page)
    link.click()
    page.wait_for_url("**/id/agency/khm/mosvy")
    expect(page.locator("h1")).to_contain_text(MOSVY_LABEL)


def test_a_shared_example_link_runs_it(page: Any, api: httpx.Client) -> None:
    open_query_page(page, "/query?example=activities-in-year&year=2011")
    expect(page.get_by_label("Example query")).to_have_value("activities-in-year")
    expect(page.get_by_label("year (year)")).to_have_value("2011")
    expected = api.get("/api/queries/activities-in-year", params={"year": "2011"}).json()
    assert expected["count"] > 100
    expect(page.locator("#status")).to_contain_text(f"{expected['count']} results", timeout=15_000)
    expect(page.locator(ROWS)).to_have_count(expected["count"])


def test_a_shared_link_may_name_an_agency_as_other_pages_do(page: Any, api: httpx.Client) -> None:
    open_query_page(page, "/query?example=agency-commitments&agency=khm/mosvy")
    iri = "https://w3id.org/plangraph/id/agency/khm/mosvy"
    expect(page.get_by_label("agency (iri)")).to_have_value(iri)
    expected = api.get("/api/queries/agency-commitments", params={"agency": iri}).json()
    expect(page.locator("#status")).to_contain_text(f"{expected['count']} results", timeout=15_000)


def test_long_results_are_drawn_on_demand(page: Any, api: httpx.Client) -> None:
    open_query_page(page, "/query?example=activities-in-year")  # every year
    expected = api.get("/api/queries/activities-in-year").json()["count"]
    assert expected > 400
    expect(page.locator("#status")).to_contain_text(f"{expected:,} results", timeout=15_000)
    expect(page.locator(ROWS)).to_have_count(200)  # 200 at a time
    page.get_by_role("button", name="Show 200 more").click()
    expect(page.locator(ROWS)).to_have_count(400)
    page.get_by_role("button", name=re.compile(r"^Show all")).click()
    expect(page.locator(ROWS)).to_have_count(expected)
    assert page.locator(ROWS).last.locator("td").first.inner_text() == str(expected)


def test_an_invalid_parameter_value_shows_the_field_error_and_runs_nothing(page: Any) -> None:
    open_query_page(page)
    sent = sparql_requests(page)
    page.get_by_label("Example query").select_option("activities-in-year")
    year = page.get_by_label("year (year)")
    year.fill("12345")
    before = editor_text(page)
    page.get_by_role("button", name="Load and run").click()
    error = page.locator("#param-year-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("not a year (four digits)")
    expect(year).to_have_attribute("aria-invalid", "true")
    expect(year).to_be_focused()
    assert sent == []  # nothing ran
    assert editor_text(page) == before
    expect(page.locator(ROWS)).to_have_count(0)
    expect_http_errors(page, 400)  # the /text answer that named the parameter
    # corrected, it runs
    year.fill("2022")
    page.get_by_role("button", name="Load and run").click()
    expect(page.locator(ROWS).first).to_be_visible(timeout=15_000)
    expect(error).to_be_hidden()
    assert len(sent) == 1


def test_an_invalid_value_in_a_shared_link_is_shown_not_run(page: Any) -> None:
    sent = sparql_requests(page)
    open_query_page(page, "/query?example=agency-commitments&agency=not-an-iri")
    error = page.locator("#param-agency-error")
    expect(error).to_contain_text("is not an http(s) IRI")
    assert sent == []
    expect_http_errors(page, 400)


# -- prefixes, readable results ----------------------------------------------------------------


def test_a_query_without_prefix_lines_runs_and_reads_well(page: Any) -> None:
    open_query_page(page)
    sent = sparql_requests(page)
    set_editor(
        page,
        "SELECT ?agency (COUNT(?c) AS ?commitments) ?kind WHERE {\n"
        "  ?c a pg:Commitment ; pg:agency ?agency .\n"
        "  ?agency a pg:Agency ; skos:prefLabel ?name .\n"
        '  BIND("agency"@en AS ?kind)\n'
        "} GROUP BY ?agency ?kind ORDER BY DESC(?commitments) LIMIT 5",
    )
    page.get_by_role("button", name="Run query").click()
    rows = page.locator(ROWS)
    expect(rows).to_have_count(5, timeout=15_000)
    # the page declared the two prefixes, in the editor, and sent exactly that
    text = editor_text(page)
    assert text.startswith(
        "PREFIX pg: <https://w3id.org/plangraph/ontology#>\n"
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
    )
    assert len(sent) == 1 and httpx.QueryParams(sent[0])["query"] == text
    expect(page.locator("#status")).to_contain_text("Declared for you: pg: skos:")
    # a count is a plain number; a language tag is shown apart, small
    count = rows.first.locator("td").nth(2)
    assert re.fullmatch(r"\d+", count.inner_text().strip())
    assert "num" in (count.get_attribute("class") or "")
    table = page.locator("#results table").inner_text()
    assert "XMLSchema" not in table and "^^" not in table
    expect(rows.first.locator("td").nth(3).locator(".lang")).to_have_text("en")
    # a label beside each agency IRI; an IRI of the graph opens its local page
    for i in range(5):
        cell = rows.nth(i).locator("td").nth(1)
        expect(cell.locator(".label")).not_to_be_empty()
        assert cell.locator("a.iri").get_attribute("href").startswith("/id/agency/")


def test_iris_outside_the_graph_stay_external(page: Any) -> None:
    open_query_page(page)
    set_editor(page, "SELECT ?type WHERE { ?c a ?type } GROUP BY ?type ORDER BY ?type LIMIT 3")
    page.get_by_role("button", name="Run query").click()
    link = page.locator(ROWS).first.locator("a.iri")
    expect(link).to_be_visible(timeout=15_000)
    href = link.get_attribute("href")
    assert href.startswith("http") and not href.startswith(ID)
    assert link.get_attribute("target") == "_blank"


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [1280, 390])
def test_a_missing_prefix_shows_line_and_column_marked_in_the_editor(
    browser: Any, server_url: str, width: int
) -> None:
    with watched_page(browser, server_url, width=width) as page:
        open_query_page(page)
        set_editor(page, "SELECT * WHERE {\n  ?s foo:bar ?o\n}")
        page.get_by_role("button", name="Run query").click()
        box = page.locator("#query-error")
        expect(box).to_be_visible(timeout=15_000)
        expect(box).to_contain_text("line 2, column 13")
        expect(box).to_contain_text("The prefix foo: (first used on line 2) is not declared")
        assert "['%']" not in box.inner_text()  # the parser's raw list stays folded away
        expect(page.locator(".query-error-mark")).to_have_text("foo:bar")
        mark_line = page.locator(".CodeMirror-code > div").nth(1)
        expect(mark_line.locator(".query-error-mark")).to_have_count(1)
        no_sideways_scroll(page)
        box.locator("summary").click()  # the parser's message, wrapped
        expect(box.locator("pre.message")).to_contain_text("Prefix not found")
        no_sideways_scroll(page)
        box.get_by_role("button", name="Show in the editor").click()
        assert focus_in_editor(page)
        cursor = page.evaluate("window.plangraphQuery.yasqe.getCursor()")
        assert cursor == {"line": 1, "ch": 12, "sticky": None} or (
            cursor["line"] == 1 and cursor["ch"] == 12
        )
        shot(page, f"query-error-{width}")
        expect_http_errors(page, 400)


def test_a_syntax_error_names_what_was_expected(page: Any) -> None:
    open_query_page(page)
    set_editor(page, "SELECT * WHERE {\n  ?s ?p ?o\n}\nLIMIT ten")
    page.get_by_role("button", name="Run query").click()
    box = page.locator("#query-error")
    expect(box).to_contain_text("Syntax error at line 4, column 7", timeout=15_000)
    expect(box).to_contain_text("The parser expected one of: HAVING, OFFSET")
    expect(page.locator(".query-error-mark")).to_have_text("ten")
    expect(page.locator(".query-error-line")).to_have_count(1)
    no_sideways_scroll(page)
    expect_http_errors(page, 400)


# -- keyboard, phone -----------------------------------------------------------------------


def test_esc_then_tab_leaves_the_editor(page: Any) -> None:
    open_query_page(page)
    assert not focus_in_editor(page)
    page.locator("#editor .CodeMirror-code").click()
    assert focus_in_editor(page)
    page.keyboard.press("Tab")  # indents: still in the editor
    assert focus_in_editor(page)
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Run query")).to_be_focused()
    page.locator("#editor .CodeMirror-code").click()
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+Tab")
    assert not focus_in_editor(page)
    expect(page.get_by_role("button", name="Load and run")).to_be_focused()
    expect(page.locator("#editor-keys")).to_contain_text("press Esc, then Tab")


def test_on_a_phone_nothing_scrolls_sideways(phone: Any) -> None:
    open_query_page(phone, "/query?example=agency-commitments")
    expect(phone.locator(ROWS)).to_have_count(71, timeout=15_000)
    no_sideways_scroll(phone)
    box = phone.locator("#results .results-scroll")
    # the wide table scrolls inside its own box
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")
    phone.locator(".prefix-help summary").click()
    no_sideways_scroll(phone)
    shot(phone, "query-phone")
