"""The donor view (/overlaps) against the real server: the page, the API's JSON, CSV and XLSX
and the graph say the same thing about every kind of work; in a real browser, a donor filters,
reads the plans side by side with their gaps, goes to a theme and downloads the spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from openpyxl import load_workbook

from plangraph.views.overlaps import CSV_COLUMNS, KIND_COLUMNS
from tests.browser import require_chromium, shot, watched_page

sync_api = require_chromium()
expect = sync_api.expect
PG = "https://w3id.org/plangraph/ontology#"


@pytest.fixture(scope="module")
def client(server_url: str):
    with httpx.Client(base_url=server_url, timeout=60) as c:
        yield c


def sparql_count(client: httpx.Client, where: str) -> int:
    r = client.post(
        "/sparql",
        data={"query": f"PREFIX pg: <{PG}> SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"},
        headers={"accept": "application/sparql-results+json"},
    )
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def workbook(body: bytes) -> dict[str, list[list[object]]]:
    wb = load_workbook(io.BytesIO(body), read_only=True)
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in wb}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"theme": "victim-identification"},
        {"plan": "vnm-khm-2020-2022", "confidence": "possible"},
    ],
)
def test_page_api_csv_xlsx_and_graph_agree(client: httpx.Client, params: dict) -> None:
    kinds = client.get("/api/overlaps", params=params).json()["items"]
    assert kinds
    page = client.get("/overlaps", params=params).text
    csv_rows = list(
        csv.reader(
            io.StringIO(client.get("/api/overlaps", params={**params, "format": "csv"}).text)
        )
    )
    xlsx = client.get("/api/overlaps", params={**params, "format": "xlsx"})
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheets = workbook(xlsx.content)
    # CSV and the workbook's Steps sheet: the same rows, one per member of each kind
    members = sum(len(k["members"]) for k in kinds)
    assert csv_rows[0] == list(CSV_COLUMNS) and len(csv_rows) == members + 1
    steps = [["" if v is None else str(v) for v in row] for row in sheets["Steps"]]
    assert steps == csv_rows
    assert [r[0] for r in sheets["Kinds of work"]] == ["overlap", *[k["overlap"] for k in kinds]]
    assert sheets["Kinds of work"][0] == list(KIND_COLUMNS)
    grid = sheets["Side by side"]
    for k, row in zip(kinds, grid[1:], strict=True):
        gaps = {i for i, v in enumerate(row[2:]) if v == "gap: no step"}
        assert len(gaps) == len(k["gaps"]), k["id"]
    # the page: every kind, its members and its gap columns as the JSON says
    for k in kinds:
        article = re.search(
            rf'<article class="overlap kind" id="overlap-{k["id"]}".*?</article>', page, re.S
        )
        assert article, k["id"]
        html = article.group(0)
        assert set(re.findall(r'data-activity="([^"]+)"', html)) == {
            m["activity"] for m in k["members"]
        }
        assert set(re.findall(r'<section class="plan-col gap" data-plan="([^"]+)"', html)) == set(
            k["gaps"]
        )
        assert f">{k['confidence']}</span>" in html
    # the graph: one pg:Overlap per kind and one pg:member per member (unfiltered)
    if not params:
        assert sparql_count(client, "?o a pg:Overlap") == len(kinds)
        assert sparql_count(client, "?o a pg:Overlap ; pg:member ?m") == members


def test_xlsx_is_the_same_bytes_for_the_same_request(client: httpx.Client) -> None:
    a = client.get("/api/overlaps", params={"format": "xlsx"})
    b = client.get("/api/overlaps", params={"format": "xlsx"})
    assert a.content == b.content and a.headers["etag"] == b.headers["etag"]


def test_page_without_a_browser(client: httpx.Client) -> None:
    r = client.get("/overlaps", params={"theme": "victim-identification"})
    assert r.status_code == 200
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert 'id="coverage"' in r.text and "<script>" not in r.text
    assert client.get("/overlaps", params={"year": "x"}).status_code == 400
    assert client.get("/api/overlaps", params={"format": "pdf"}).status_code == 400


def test_journey_donor_filters_reads_side_by_side_and_downloads(browser, server_url: str) -> None:
    """A donor: the overlaps from the navigation, a theme, the plans side by side with their
    gaps, the theme's page, back, strong kinds only, the spreadsheet of what the page shows."""
    with watched_page(browser, server_url) as page:
        page.goto("/")
        page.locator("nav.site-nav a[data-nav=overlaps]").click()
        page.wait_for_load_state()
        total = int(page.locator("#overlap-count").inner_text())
        assert total >= 10
        # choosing a theme submits the form (server/static/overlaps/overlaps.js)
        with page.expect_navigation():
            page.select_option("#filter-theme", "repatriation-reintegration")
        assert parse_qs(urlsplit(page.url).query) == {"theme": ["repatriation-reintegration"]}
        shown = int(page.locator("#overlap-count").inner_text())
        assert 0 < shown < total
        kind = page.locator("article.kind").first
        columns = kind.locator("section.plan-col")
        assert columns.count() == page.locator("#filter-plan option").count() - 1  # every plan
        promised = kind.locator("section.plan-col:not(.gap)")
        assert promised.count() >= 2
        assert promised.first.locator("li.member a.activity-link").count() >= 1
        assert promised.first.locator("p.who").inner_text().startswith("Who:")
        gaps = kind.locator("section.plan-col.gap")
        for i in range(gaps.count()):
            assert "Gap:" in gaps.nth(i).inner_text()
        kind.locator("details.why summary").click()
        expect(kind.locator("table.evidence-table")).to_be_visible()
        shot(page, "overlaps-donor")
        # its theme's page, and back
        link = kind.locator("a.theme-link", has_text="Repatriation and reintegration")
        link.click()
        page.wait_for_load_state()
        assert urlsplit(page.url).path == "/id/theme/repatriation-reintegration"
        page.go_back()
        page.wait_for_load_state()
        # strong kinds only: every badge says so
        with page.expect_navigation():
            page.select_option("#filter-confidence", "strong")
        badges = page.locator("article.kind h3 .badge")
        n = int(page.locator("#overlap-count").inner_text())
        assert badges.count() == n
        assert all(t == "strong" for t in badges.all_inner_texts())
        # the spreadsheet holds the kinds and steps the page shows
        with page.expect_download() as download:
            page.locator("#xlsx-link").click()
        sheets = workbook(download.value.path().read_bytes())
        assert len(sheets["Kinds of work"]) - 1 == n
        on_page = set(
            page.locator("li.member").evaluate_all("els => els.map(e => e.dataset.activity)")
        )
        assert {row[4] for row in sheets["Steps"][1:]} == on_page


def test_on_a_phone_the_plans_stack_and_nothing_scrolls_sideways(browser, server_url: str) -> None:
    with watched_page(browser, server_url, width=390, height=844) as page:
        page.goto("/overlaps?theme=victim-identification")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        cols = page.locator("article.kind").first.locator("section.plan-col")
        boxes = [cols.nth(i).bounding_box() for i in range(cols.count())]
        assert all(b["width"] > 300 for b in boxes)  # one column per row on a phone
        shot(page, "overlaps-phone")
