"""The network page in a real browser (Playwright, headless Chromium) against a real server:
it draws as many nodes as /api/network answers, a year filter changes the count, clicking a
node opens its panel, clicking an edge lists the shared activities with source links.
Skips only without /usr/bin/chromium when CI is not set. Screenshot: test-output/network.png.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.browser import require_chromium, watched_page
from tests.browser import shot as _shot

sync_api = require_chromium()


@pytest.fixture(scope="module")
def url(server_url: str) -> str:
    """The session's server on the default dataset (tests/conftest.py)."""
    return server_url


@pytest.fixture
def page(browser, url: str) -> Iterator[object]:
    with watched_page(browser, url, width=1400, height=1000) as pg:
        yield pg


def api_count(url: str, **params: str) -> int:
    r = httpx.get(f"{url}/api/network", params={"generic": "false", **params}, timeout=60)
    assert r.status_code == 200, r.text
    return len(r.json()["elements"]["nodes"])


def wait_drawn(page, after: str = "") -> int:
    """Wait until the page has drawn a network (a new one if ``after`` is the old mark)."""
    page.wait_for_function(
        "m => document.body.dataset.networkReady && document.body.dataset.networkReady !== m",
        arg=after,
        timeout=60_000,
    )
    return page.evaluate("window.plangraphCy.nodes().length")


def click_element(page, selector: str) -> None:
    """A real mouse click on a drawn element (a node or the middle of an edge), once the
    view has stopped moving (selecting a node animates the zoom for 300 ms)."""
    page.wait_for_function("() => !window.plangraphCy.animated()")
    box = page.locator("#network-canvas").bounding_box()
    pos = page.evaluate(
        """sel => {
          const ele = window.plangraphCy.$(sel)[0];
          const p = ele.isNode() ? ele.renderedPosition() : ele.renderedMidpoint();
          return {x: p.x, y: p.y};
        }""",
        selector,
    )
    page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])


def test_page_draws_filters_and_opens_panels(page, url: str) -> None:
    expected = api_count(url)
    page.goto("/network")
    drawn = wait_drawn(page)
    assert drawn == expected > 20
    assert page.locator("#network-status").get_attribute("data-nodes") == str(expected)
    legend = page.locator("#network-legend").inner_text()
    assert "KHM" in legend and "Load in steps" in legend

    # a year filter: 2021 only (the Viet Nam–Cambodia plan), fewer agencies
    mark = page.evaluate("document.body.dataset.networkReady")
    page.locator("#f-year-on").check()
    drawn_all_years = wait_drawn(page, mark)  # checking the box filters by the slider's year
    mark = page.evaluate("document.body.dataset.networkReady")
    page.evaluate(
        """() => { const s = document.getElementById('f-year'); s.value = '2021';
                   s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change')); }"""
    )
    in_2021 = wait_drawn(page, mark)
    assert in_2021 == api_count(url, year="2021")
    assert 0 < in_2021 < expected
    assert drawn_all_years != expected or in_2021 != expected
    mark = page.evaluate("document.body.dataset.networkReady")
    page.locator("#f-year-on").uncheck()
    assert wait_drawn(page, mark) == expected

    # click the most loaded agency: its panel with load, metrics, commitments, page link
    top = page.evaluate(
        """() => window.plangraphCy.nodes().max(n => n.data('obligation_load')).ele.id()"""
    )
    click_element(page, f'node[id = "{top}"]')
    panel = page.locator("#network-panel")
    sync_api.expect(panel).to_be_visible()
    assert panel.get_attribute("data-node") == top
    text = panel.inner_text()
    assert "steps (distinct)" in text and "commitments (step, role)" in text
    assert "betweenness" in text and "component size" in text and "Commitments" in text
    link = panel.locator("a.node-page")
    assert link.get_attribute("href") == "/" + top.removeprefix("https://w3id.org/plangraph/")
    assert panel.locator("ol.commitments li").count() > 5
    _shot(page, "network.png")

    # click the heaviest edge whose middle no node covers: the shared activities, linked to
    # their source lines
    page.wait_for_function("() => !window.plangraphCy.animated()")
    edge = page.evaluate(
        """() => {
          const cy = window.plangraphCy;
          const far = (m, a, b) => { const dx = b.x - a.x, dy = b.y - a.y;
            const t = Math.max(0, Math.min(1, ((m.x - a.x) * dx + (m.y - a.y) * dy) /
              (dx * dx + dy * dy || 1)));
            return Math.hypot(m.x - a.x - t * dx, m.y - a.y - t * dy) > 8; };
          // no node covers its middle, and no other edge passes within 8 px of it
          const free = e => { const m = e.renderedMidpoint();
            return cy.nodes().every(n => { const b = n.renderedBoundingBox();
              return m.x < b.x1 - 4 || m.x > b.x2 + 4 || m.y < b.y1 - 4 || m.y > b.y2 + 4; }) &&
              cy.edges().every(o => o === e || far(m, o.source().renderedPosition(),
                                                     o.target().renderedPosition())); };
          const edges = cy.edges().sort((a, b) => b.data('weight') - a.data('weight'));
          return edges.filter(free)[0].id();
        }"""
    )
    click_element(page, f'edge[id = "{edge}"]')
    sync_api.expect(panel.locator("ol.shared-steps")).to_be_visible()
    weight = page.evaluate(f"window.plangraphCy.$id({edge!r}).data('weight')")
    assert panel.locator("ol.shared-steps > li").count() == weight
    href = panel.locator("a.source-link").first.get_attribute("href")
    assert href.startswith("/sources/") and "?lines=" in href and "#L" in href
    assert httpx.get(url + href.split("#")[0], timeout=30).status_code == 200

    # search for an agency: it is selected and its panel opens
    page.locator("#f-search").fill("Ministry of Justice")
    page.locator("#f-search").press("Enter")
    sync_api.expect(panel.locator("h2")).to_have_text("Ministry of Justice")


def test_the_page_is_served_with_the_strict_csp(url: str) -> None:
    r = httpx.get(f"{url}/network", timeout=30)
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "/static/vendor/cytoscape/cytoscape.min.js" in r.text
    js = httpx.get(f"{url}/static/vendor/cytoscape/cytoscape.min.js", timeout=30)
    assert js.status_code == 200 and len(js.content) > 100_000
