"""The network page as an analyst shares it, in a real browser against the real server.

The view lives in the address (every filter, the colouring and the selected agency); a
permalink or a reload draws the same view; each export link returns the nodes and edges the
page shows; a party keeps its colour under every filter; the ranking lists the nodes of the
view by obligation load; at 390 px the filters fold, the graph takes the width and nothing
scrolls sideways. Screenshots: test-output/network-shared.png, network-phone.png.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import networkx as nx
import pytest

from tests.browser import require_chromium, watched_page
from tests.browser import shot as _shot
from tests.test_network_page import wait_drawn

sync_api = require_chromium()

FORMATS = ("graphml", "gexf", "cytoscape", "csv-nodes", "csv-edges", "metrics", "json")


@pytest.fixture
def page(browser, server_url: str) -> Iterator[Any]:
    with watched_page(browser, server_url, width=1400, height=1000) as pg:
        yield pg


def mark(page) -> str:
    return page.evaluate("() => document.body.dataset.networkReady")


def change(page, action) -> int:
    """Do ``action`` (a control change) and wait for the new network; its node count."""
    before = mark(page)
    action()
    return wait_drawn(page, before)


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def view(page) -> dict[str, Any]:
    """What the page shows: node ids by type, edge count, the controls' values."""
    return page.evaluate(
        """() => {
          const cy = window.plangraphCy, v = id => document.getElementById(id);
          return {
            nodes: cy.nodes().map(n => n.id()).sort(),
            types: Object.fromEntries(cy.nodes().map(n => [n.id(), n.data('type')])),
            edges: cy.edges().length,
            controls: ['f-projection', 'f-plan', 'f-party', 'f-theme', 'f-role', 'f-colour']
              .map(id => v(id).value)
              .concat([v('f-year-on').checked, v('f-year').value, v('f-generic').checked,
                       v('f-rollup').checked]),
            selected: cy.nodes(':selected').map(n => n.id()),
            panel: v('network-panel').hidden ? null : v('network-panel').dataset.node,
          };
        }"""
    )


def rgb_to_hex(rgb: str) -> str:
    r, g, b = (int(x) for x in re.findall(r"\d+", rgb)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def party_colour(page, code: str) -> tuple[str, str]:
    """The colour of the party's nodes (all the same) and of its legend swatch."""
    nodes = page.evaluate(
        """c => [...new Set(window.plangraphCy.nodes(`[party_code = '${c}']`)
                              .map(n => n.data('colour')))]""",
        code.upper(),
    )
    assert len(nodes) == 1, nodes
    swatch = page.locator(f'#network-legend li[data-key="{code}"] .swatch')
    legend = rgb_to_hex(swatch.evaluate("s => getComputedStyle(s).backgroundColor"))
    return nodes[0], legend


def ranking(page) -> list[dict[str, Any]]:
    return page.evaluate(
        """() => [...document.querySelectorAll('#ranking-table tbody tr')].map(tr => {
          const c = tr.cells;
          return {id: tr.dataset.id, rank: +c[0].textContent,
                  label: c[1].querySelector('button').textContent,
                  load: +c[3].textContent, commitments: +c[4].textContent,
                  degree: +c[5].textContent, betweenness: +c[6].textContent,
                  pagerank: +c[7].textContent, component: +c[8].textContent};
        })"""
    )


def export_counts(base: str, href: str, fmt: str, tmp_path) -> tuple[Any, int | None]:
    """(nodes, edges) in an export: node ids for the graph formats, metrics rows for metrics."""
    r = httpx.get(base + href, timeout=120)
    assert r.status_code == 200, (href, r.text[:300])
    if fmt in ("graphml", "gexf"):
        path = tmp_path / f"view.{fmt}"
        path.write_bytes(r.content)
        g = (nx.read_graphml if fmt == "graphml" else nx.read_gexf)(path)
        if fmt == "graphml":  # ids are n0, n1...; the IRI is a data attribute
            return sorted(d["iri"] for _, d in g.nodes(data=True)), g.number_of_edges()
        return sorted(g.nodes), g.number_of_edges()
    if fmt in ("cytoscape", "json"):
        els = r.json()["elements"]
        return sorted(n["data"]["id"] for n in els["nodes"]), len(els["edges"])
    if fmt == "csv-nodes":
        return sorted(row["id"] for row in csv.DictReader(io.StringIO(r.text))), None
    if fmt == "csv-edges":
        return None, len(list(csv.DictReader(io.StringIO(r.text))))
    assert fmt == "metrics"
    return r.json()["agencies"], None


def test_journey_analyst_filters_shares_and_downloads(page, server_url: str, tmp_path) -> None:
    """Issue 16's analyst journey: the network from the navigation, Cambodia + a theme with
    roll-up, the permalink reloaded to the same view, the GEXF with the same node count."""
    # from the navigation to the network
    page.goto("/")
    page.locator("nav.site-nav a[data-nav=network]").click()
    everything = wait_drawn(page)
    assert urlsplit(page.url).path == "/network"
    assert everything > 20
    khm_all = party_colour(page, "khm")
    assert khm_all[0] == khm_all[1]
    others = {party_colour(page, c)[0] for c in ("vnm", "tha", "chn")}
    assert khm_all[0] not in others and len(others) == 3

    # Cambodia, victim identification, rolled up: the address says so
    assert page.locator("#network-filters").evaluate("d => d.open")  # open on a wide screen
    change(page, lambda: page.select_option("#f-party", "khm"))
    change(page, lambda: page.select_option("#f-theme", "victim-identification"))
    shown = change(page, lambda: page.locator("#f-rollup").check())
    q = query(page)
    assert q == {"party": ["khm"], "theme": ["victim-identification"], "rollup": ["true"]}
    api = httpx.get(
        f"{server_url}/api/network",
        params={
            "party": "khm",
            "theme": "victim-identification",
            "rollup": "true",
        },
        timeout=60,
    ).json()
    assert shown == api["counts"]["nodes"]
    assert 0 < shown < everything
    assert "Cambodia" in page.locator("#network-filter-summary").inner_text()

    # Cambodia keeps its colour, on the nodes and in the legend
    assert party_colour(page, "khm") == khm_all

    # the ranking: one row per node shown, by load; the chart of the top loads agrees
    rows = ranking(page)
    seen = view(page)
    assert sorted(r["id"] for r in rows) == seen["nodes"]
    loads = [r["load"] for r in rows]
    assert loads == sorted(loads, reverse=True)
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    by_id = {n["data"]["id"]: n["data"] for n in api["elements"]["nodes"]}
    for r in rows:
        d = by_id[r["id"]]
        assert (r["load"], r["commitments"], r["degree"], r["component"]) == (
            d["step_load"],
            d["obligation_load"],
            d["degree"],
            d["component_size"],
        )
        assert r["betweenness"] == pytest.approx(d["betweenness"])
        assert r["pagerank"] == pytest.approx(d["pagerank"])
        assert r["commitments"] == len(api["commitments"][r["id"]])
    chart = page.locator("#load-chart li")
    assert chart.count() == min(15, len(rows))
    assert [int(x) for x in chart.locator(".bar-value").all_inner_texts()] == loads[:15]

    # sorting: by betweenness (descending, then ascending), back to load
    page.locator('#ranking-table th[data-key="betweenness"] button').click()
    values = [r["betweenness"] for r in ranking(page)]
    assert values == sorted(values, reverse=True)
    assert page.locator('th[data-key="betweenness"]').get_attribute("aria-sort") == "descending"
    page.locator('#ranking-table th[data-key="betweenness"] button').click()
    values = [r["betweenness"] for r in ranking(page)]
    assert values == sorted(values) and values[0] < values[-1]
    page.locator('#ranking-table th[data-key="load"] button').click()
    assert [r["id"] for r in ranking(page)] == [r["id"] for r in rows]

    # a row selects its node: panel open, the address names it
    third = rows[2]
    page.locator(f'#ranking-table button.pick[data-id="{third["id"]}"]').click()
    sync_api.expect(page.locator("#network-panel h2")).to_have_text(third["label"])
    assert view(page)["selected"] == [third["id"]]
    short_id = third["id"].removeprefix("https://w3id.org/plangraph/id/")
    assert query(page)["selected"] == [short_id]
    assert "selected=" + short_id in page.url  # readable: slashes unescaped

    # the GEXF link of the view holds the nodes and edges the page shows
    gexf = page.locator('#network-exports a[data-format="gexf"]').get_attribute("href")
    nodes, edges = export_counts(server_url, gexf, "gexf", tmp_path)
    assert nodes == seen["nodes"] and edges == seen["edges"]
    csv_href = page.locator("#ranking-csv").get_attribute("href")
    assert csv_href == page.locator('a[data-format="csv-nodes"]').first.get_attribute("href")
    assert export_counts(server_url, csv_href, "csv-nodes", tmp_path)[0] == seen["nodes"]
    _shot(page, "network-shared.png")

    # the permalink, reloaded: the same view, the same filters, the same selection
    permalink = page.url
    before = view(page)
    page.reload()
    wait_drawn(page)
    assert page.url == permalink
    after = view(page)
    assert after == before
    assert after["panel"] == third["id"]

    # and opened afresh in another window
    with watched_page(page.context.browser, server_url, width=1000, height=800) as other:
        other.goto(permalink)
        wait_drawn(other)
        assert view(other) == before


COMBINATIONS = [
    "",
    "party=vnm&generic=true",
    "projection=party&role=all",
    "projection=bipartite&plan=vnm-khm-2020-2022",
    "projection=agency-plan&year=2021&rollup=true",
    "theme=training-and-capacity&generic=true&rollup=true",
]


@pytest.mark.parametrize("combo", COMBINATIONS)
def test_every_export_link_holds_the_view(page, server_url: str, combo: str, tmp_path) -> None:
    page.goto("/network" + ("?" + combo if combo else ""))
    wait_drawn(page)
    assert page.locator("#network-notice").is_hidden()
    seen = view(page)
    assert seen["nodes"]
    links = {
        a.get_attribute("data-format"): a.get_attribute("href")
        for a in page.locator("#network-exports a[data-format]").all()
    }
    assert set(links) == set(FORMATS)
    ranked = [n for n, t in seen["types"].items() if t in ("agency", "party")]
    assert sorted(r["id"] for r in ranking(page)) == sorted(ranked)
    for fmt, href in links.items():
        nodes, edges = export_counts(server_url, href, fmt, tmp_path)
        if fmt == "metrics":  # agency metrics: the agencies behind the view
            if "projection=party" in combo:
                parties = {r["party_code"].lower() for r in nodes if r["party_code"]}
                assert parties == {n.rsplit("/", 1)[-1] for n in seen["nodes"]}
            else:
                agencies = [n for n, t in seen["types"].items() if t == "agency"]
                assert sorted(r["agency"] for r in nodes) == sorted(agencies)
            continue
        if nodes is not None:
            assert nodes == seen["nodes"], fmt
        if edges is not None:
            assert edges == seen["edges"], fmt


def test_the_address_ignores_what_it_does_not_know(page) -> None:
    page.goto("/network")
    default = wait_drawn(page)
    page.goto(
        "/network?party=atlantis&year=20x1&generic=maybe&projection=tree&bogus=1"
        "&theme=victim-identification&party=vnm&selected=agency/xxx/none"
    )
    drawn = wait_drawn(page)
    notice = page.locator("#network-notice")
    sync_api.expect(notice).to_be_visible()
    text = notice.inner_text()
    for needle in (
        "atlantis",
        "20x1",
        "maybe",
        "tree",
        "bogus",
        "agency/xxx/none",
        "one value at a time",
    ):
        assert needle in text, (needle, text)
    # what was valid is kept (the theme; no party, since the first one given is unknown)
    assert query(page) == {"theme": ["victim-identification"]}
    assert page.locator("#f-theme").input_value() == "victim-identification"
    assert page.locator("#f-party").input_value() == ""
    assert 0 < drawn < default
    # the next change clears the notice
    change(page, lambda: page.locator("#f-rollup").check())
    assert notice.is_hidden()
    # case and IRIs are understood
    page.goto("/network?party=KHM&plan=https://w3id.org/plangraph/id/plan/vnm-khm-2020-2022")
    wait_drawn(page)
    assert notice.is_hidden()
    assert query(page) == {"party": ["khm"], "plan": ["vnm-khm-2020-2022"]}


@contextlib.contextmanager
def phone(browser, url: str) -> Iterator[Any]:
    """A 390 x 844 touch screen; console errors and outside requests fail the test (as in
    tests.browser.watched_page, which has no touch)."""
    context = browser.new_context(
        base_url=url,
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
    )
    pg = context.new_page()
    problems: list[str] = []
    outside: list[str] = []
    pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(str(e)))
    pg.on("request", lambda r: None if r.url.startswith(url) else outside.append(r.url))
    try:
        yield pg
    finally:
        context.close()
    assert not outside, f"requests to other origins: {outside}"
    assert not problems, f"console errors / CSP violations: {problems}"


def no_sideways_scroll(pg) -> None:
    assert pg.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_on_a_phone(browser, server_url: str) -> None:
    with phone(browser, server_url) as pg:
        pg.goto("/network?party=khm")
        shown = wait_drawn(pg)
        no_sideways_scroll(pg)
        # the filters are folded; opened, they fit the screen and work
        details = pg.locator("#network-filters")
        assert not details.evaluate("d => d.open")
        assert pg.locator("#f-theme").is_hidden()
        details.locator("summary").tap()
        sync_api.expect(pg.locator("#f-theme")).to_be_visible()
        no_sideways_scroll(pg)
        for control in pg.locator("#network-controls select, #network-controls input").all():
            if control.is_visible():
                box = control.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= 390, control
        before = mark(pg)
        pg.locator("#f-rollup").tap()
        rolled = wait_drawn(pg, before)
        assert rolled <= shown and query(pg) == {"party": ["khm"], "rollup": ["true"]}
        details.locator("summary").tap()

        # the graph takes the width, with a sensible height; the ranking follows below
        canvas = pg.locator("#network-canvas").bounding_box()
        assert canvas["width"] >= 300 and canvas["height"] >= 300
        assert canvas["width"] >= 390 - 2 * 16
        ranking_box = pg.locator("#network-ranking").bounding_box()
        assert ranking_box["y"] >= canvas["y"] + canvas["height"]
        assert pg.locator("#ranking-table tbody tr").count() == rolled
        no_sideways_scroll(pg)

        # tapping a node opens its panel
        pg.locator("#network-canvas").scroll_into_view_if_needed()
        top = pg.evaluate(
            "() => window.plangraphCy.nodes().max(n => n.data('obligation_load')).ele.id()"
        )
        box = pg.locator("#network-canvas").bounding_box()
        pos = pg.evaluate(
            "id => { const p = window.plangraphCy.$id(id).renderedPosition(); return [p.x, p.y]; }",
            top,
        )
        pg.touchscreen.tap(box["x"] + pos[0], box["y"] + pos[1])
        panel = pg.locator("#network-panel")
        sync_api.expect(panel).to_be_visible()
        assert panel.get_attribute("data-node") == top
        assert panel.evaluate(
            "p => { const r = p.getBoundingClientRect();"
            " return r.top < innerHeight && r.bottom > 0; }"
        )
        assert query(pg)["selected"] == [top.removeprefix("https://w3id.org/plangraph/id/")]
        no_sideways_scroll(pg)
        _shot(pg, "network-phone.png")


def test_kinds_keep_their_colours(page) -> None:
    def kind_colours() -> dict[str, str]:
        legend = page.evaluate(
            """() => Object.fromEntries(
                 [...document.querySelectorAll('#network-legend li[data-key]')].map(li =>
                   [li.dataset.key,
                    getComputedStyle(li.querySelector('.swatch')).backgroundColor]))"""
        )
        nodes = page.evaluate(
            """() => Object.fromEntries(window.plangraphCy.nodes()
                 .map(n => ['kind:' + n.data('kind'), n.data('colour')]))"""
        )
        assert {k: rgb_to_hex(v) for k, v in legend.items()} == nodes  # legend = nodes
        return nodes

    page.goto("/network?colour=kind&generic=true")
    wait_drawn(page)
    everything = kind_colours()
    page.goto("/network?colour=kind&party=tha&plan=khm-tha-2023-2025")
    wait_drawn(page)
    some = kind_colours()
    assert 0 < len(some) < len(everything)
    assert some == {k: everything[k] for k in some}
    assert len(set(everything.values())) == len(everything)  # one colour per kind
