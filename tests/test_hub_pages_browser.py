"""The hub pages in a real browser (Playwright driving Debian's Chromium) against the real
server: the donor's path from the home page to a theme, an overlap group and the theme's
gaps; the plan page's filter box; no sideways scroll at 390 px; the agency roll-up totals
against plangraph.network computed in the test. Any console error, CSP violation or request
to another origin fails a test (tests/browser.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from plangraph import network
from plangraph.paths import ProjectPaths
from plangraph.store.embedded import EmbeddedStore
from tests.browser import require_chromium, shot, watched_page
from tests.server_process import dataset_folder

sync_api = require_chromium()
expect = sync_api.expect
ID = "https://w3id.org/plangraph/id/"


@pytest.fixture
def page(browser, server_url: str) -> Iterator[object]:
    with watched_page(browser, server_url) as pg:
        yield pg


def sparql(server_url: str, query: str) -> list[dict[str, str]]:
    r = httpx.post(
        f"{server_url}/sparql",
        data={"query": "PREFIX pg: <https://w3id.org/plangraph/ontology#>\n" + query},
        headers={"accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    return [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]


def test_journey_donor_home_theme_overlap_group_gaps_csv(page, server_url: str) -> None:
    """Issue 16's donor journey: home page -> the victim-identification theme -> an overlap
    group -> the gaps of that theme -> its steps exported as CSV."""
    theme = "victim-identification"
    page.goto("/")
    page.locator("#example-donor").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == f"/id/theme/{theme}"
    expect(page.locator("h1")).to_have_text("Victim identification")
    assert page.locator('nav.site-nav a[aria-current="page"]').inner_text() == "Themes"
    # the plans that promise it, and the gaps, as the graph says
    rows = sparql(
        server_url,
        f"""SELECT ?plan (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?plan a pg:PlanOfAction .
              OPTIONAL {{ ?s pg:plan ?plan ; pg:theme <{ID}theme/{theme}> }} }} GROUP BY ?plan""",
    )
    counts = {r["plan"].rsplit("/", 1)[-1]: int(r["n"]) for r in rows}
    gap_plans = sorted(p for p, n in counts.items() if n == 0)
    shot(page, "hub-theme")

    # an overlap group: opens on the overlap report, filtered to the theme, at the group
    link = page.locator("a.overlap-link").first
    group = link.get_attribute("data-overlap")
    link.click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/overlaps"
    assert urlsplit(page.url).query == f"theme={theme}"
    article = page.locator(f"article#overlap-{group}")
    expect(article).to_be_visible()
    expect(article).to_be_in_viewport()
    assert page.locator("#filter-theme").input_value() == theme
    shot(page, "hub-theme-overlap")

    # a member of the group that carries the theme (a kind of work shares the theme through
    # members of two plans, not necessarily all of them), and from its page back to the gaps
    kinds = httpx.get(f"{server_url}/api/overlaps", params={"theme": theme}, timeout=30).json()
    kind = next(k for k in kinds["items"] if k["id"] == group)
    member = next(m for m in kind["members"] if f"{ID}theme/{theme}" in m["themes"])
    article.locator(f'a.activity-link[href="{member["href"]}"]').click()
    page.wait_for_load_state()
    page.locator("#themes a", has_text="Victim identification").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == f"/id/theme/{theme}"
    gaps = page.locator("#gaps p.gap-sentence")
    shown = sorted(
        g for g in (gaps.nth(i).get_attribute("data-plan") for i in range(gaps.count())) if g
    )
    assert shown == gap_plans
    if not gap_plans:
        expect(gaps.first).to_have_text("Every plan has at least one step that carries this theme.")
    # the coverage row agrees, plan by plan
    row = page.locator("#coverage-row li")
    assert {
        row.nth(i).get_attribute("data-plan"): int(row.nth(i).get_attribute("data-count"))
        for i in range(row.count())
    } == counts
    # export: the theme's steps as CSV, as many rows as the page counts, all carrying it
    with page.expect_download() as download:
        page.locator("#steps-csv").click()
    text = download.value.path().read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == int(page.locator("#step-count").inner_text()) == sum(counts.values())
    assert all(theme in r["themes"].split("; ") for r in rows)
    assert {r["plan"] for r in rows} == {p for p, n in counts.items() if n}
    # and a theme with a gap says it in words
    page.goto("/id/theme/repatriation-reintegration")
    expect(page.locator("#gaps")).to_contain_text("No step of the Plan of Action Cambodia–Thailand")
    assert not page.problems, page.problems


def test_plan_filter_box_hides_the_steps_that_do_not_match(page, server_url: str) -> None:
    query = (
        f"SELECT (COUNT(?a) AS ?n) WHERE {{ ?a a pg:Step ; pg:plan <{ID}plan/khm-npa-2011-2013> }}"
    )
    steps = int(sparql(server_url, query)[0]["n"])
    page.goto("/id/plan/khm-npa-2011-2013")
    box = page.locator("#step-filter-q")
    expect(box).to_be_visible()  # the script shows it
    rows = page.locator("tr.step-row")
    total = rows.count()
    assert total == steps
    texts = [t.lower() for t in rows.all_inner_texts()]
    box.fill("shelter")
    expected = sum(1 for t in texts if "shelter" in t)
    assert 0 < expected < total
    visible = page.locator("tr.step-row:visible")
    expect(visible).to_have_count(expected)
    expect(page.locator("#step-filter-status")).to_have_text(f"{expected} of {total} steps match")
    # every visible row holds the word; sections left empty are hidden
    assert all("shelter" in t.lower() for t in visible.all_inner_texts())
    hidden_sections = page.locator("section.plan-section:not(:visible)")
    assert hidden_sections.count() > 0
    box.fill("shelter minimum standards")  # every word must be there
    expected2 = sum(1 for t in texts if all(w in t for w in ("shelter", "minimum", "standards")))
    expect(page.locator("tr.step-row:visible")).to_have_count(expected2)
    box.fill("zzzz-no-such-word")
    expect(page.locator("tr.step-row:visible")).to_have_count(0)
    expect(page.locator("#step-filter-none")).to_be_visible()
    box.fill("")
    expect(page.locator("tr.step-row:visible")).to_have_count(total)
    shot(page, "hub-plan-filter")
    assert not page.problems, page.problems


def test_plan_page_without_script_lists_everything(browser, server_url: str) -> None:
    context = browser.new_context(base_url=server_url, java_script_enabled=False)
    try:
        pg = context.new_page()
        pg.goto("/id/plan/khm-npa-2011-2013")
        expect(pg.locator("#step-filter")).to_be_hidden()
        expect(pg.locator("tr.step-row:visible")).to_have_count(206)
        # the contents still work as plain anchors
        pg.locator("#toc a").nth(3).click()
        target = urlsplit(pg.url).fragment
        assert target and pg.locator(f"#{target}").is_visible()
    finally:
        context.close()


PHONE_PAGES = [
    "/id/theme/repatriation-reintegration",
    "/id/theme/protection",
    "/themes",
    "/id/party/khm",
    "/years",
    "/years/2012",
    "/years/1990",
    "/id/plan/khm-npa-2011-2013",
    "/id/plan/commit-srpa-2005-2007",
    "/id/plan/vnm-khm-2020-2022/activity/1.1.1",
    "/id/plan/commit-srpa-2005-2007/activity/ppc-9.pre.1.3",
    "/id/agency/khm/mosvy",
    "/id/agency/khm/nc-stsls",
    "/id/agency/int/iom",
]


def test_no_sideways_scroll_at_390px(browser, server_url: str) -> None:
    with watched_page(browser, server_url, width=390, height=844) as pg:
        for path in PHONE_PAGES:
            pg.goto(path)
            width = pg.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
        pg.goto("/id/theme/repatriation-reintegration")
        shot(pg, "hub-theme-390")
        pg.goto("/id/agency/khm/mosvy")
        shot(pg, "hub-agency-390")


@pytest.fixture(scope="module")
def network_data(paths: ProjectPaths) -> network.NetworkData:
    store = EmbeddedStore.from_folder(dataset_folder() or paths.graph)
    return network.load(store, paths.queries / "network")


def test_agency_rollup_totals_in_the_browser_equal_the_networks(
    page, network_data: network.NetworkData
) -> None:
    links = network.select(network_data, network.Filters())  # the network's defaults
    parents = sorted({a.parent for a in network_data.agents.values() if a.parent})
    for iri in parents:
        under = {iri} | {a for a in network_data.agents if _under(network_data, a, iri)}
        mine = [k for k in links if k.agency in under]
        page.goto("/id/agency/" + iri.removeprefix(ID + "agency/"))
        foot = page.locator("table#rollup tfoot")
        expect(foot.locator('[data-total="load"]')).to_have_text(
            str(len({(k.step, k.role) for k in mine}))
        )
        expect(foot.locator('[data-total="load-plans"]')).to_have_text(
            str(len({k.plan for k in mine}))
        )
    # MoSVY with its departments: the network's rolled-up node
    node = network.network(network_data, network.Filters(rollup=True)).graph.nodes[
        ID + "agency/khm/mosvy"
    ]
    page.goto("/id/agency/khm/mosvy")
    expect(page.locator("#total-load")).to_have_text(str(node["obligation_load"]))
    expect(page.locator("#total-load-plans")).to_have_text(str(len(node["plans"])))
    expect(page.locator("#load-note")).to_contain_text("resourcing (funding) and participant")
    assert not page.problems, page.problems


def _under(data: network.NetworkData, a: str, top: str) -> bool:
    seen = set()
    while (agent := data.agents.get(a)) is not None and agent.parent and a not in seen:
        seen.add(a)
        if agent.parent == top:
            return True
        a = agent.parent
    return False
