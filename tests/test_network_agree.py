"""Issue 22: one default view everywhere. For every agency, the /network page (in a real
browser), /api/network, the `plangraph network` CLI, the metrics graph in SPARQL and the
agency page give the same numbers; no catch-all group or party is in that view."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import require_chromium, watched_page
from tests.hub_html import parse_html
from tests.server_process import dataset_folder
from tests.test_network_page import wait_drawn

ROOT = Path(__file__).resolve().parent.parent
ID = "https://w3id.org/plangraph/id/"
# the numbers compared, as the API names them
KEYS = ("step_load", "obligation_load", "betweenness", "pagerank", "community", "component_size")

sync_api = require_chromium()


def _num(value: Any) -> float:
    return float(value)


def _same(a: dict[str, float], b: dict[str, float], keys: tuple[str, ...]) -> bool:
    return all(abs(_num(a[k]) - _num(b[k])) < 1e-9 for k in keys)


@pytest.fixture(scope="module")
def api(server_url: str) -> dict[str, dict[str, Any]]:
    r = httpx.get(f"{server_url}/api/network", params={"format": "metrics"}, timeout=120)
    assert r.status_code == 200, r.text[:300]
    rows = r.json()["agencies"]
    assert len(rows) > 50
    return {row["agency"]: row for row in rows}


def test_the_default_view_holds_real_bodies_only(api: dict[str, dict[str, Any]]) -> None:
    assert not any(r["generic"] for r in api.values())
    assert not {r["kind"] for r in api.values()} & {"unspecified-group", "party"}


@pytest.mark.skipif(dataset_folder() is not None, reason="the CLI reads data/graph")
def test_cli_gives_the_apis_numbers(api: dict[str, dict[str, Any]]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "plangraph.cli", "network", "--format", "metrics"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    cli = {r["agency"]: r for r in json.loads(out.stdout)["agencies"]}
    assert set(cli) == set(api)
    for agency, row in api.items():
        assert _same(cli[agency], row, KEYS), agency


def test_sparql_metrics_graph_gives_the_apis_numbers(
    server_url: str, api: dict[str, dict[str, Any]]
) -> None:
    text = (ROOT / "queries" / "network" / "most-loaded-agencies.rq").read_text()
    r = httpx.post(
        f"{server_url}/sparql",
        data={"query": text},
        headers={"Accept": "application/sparql-results+json"},
        timeout=120,
    )
    assert r.status_code == 200, r.text[:300]
    rows = {
        b["agency"]["value"]: {k: v["value"] for k, v in b.items()}
        for b in r.json()["results"]["bindings"]
    }
    assert set(rows) == set(api)
    for agency, row in api.items():
        got = rows[agency]
        sparql = {
            "step_load": got["steps"],
            "obligation_load": got["commitments"],
            "betweenness": got["betweenness"],
            "pagerank": got["pageRank"],
            "community": got["community"],
            "component_size": got["componentSize"],
        }
        assert _same(sparql, row, KEYS), agency
        assert got["kind"] == row["kind"]
        assert got["view"].startswith("real bodies only")
    # ranked as the API ranks: steps, then commitments
    assert list(rows) == list(api)


def test_agency_pages_give_the_apis_numbers(
    server_url: str, api: dict[str, dict[str, Any]]
) -> None:
    r = httpx.get(
        f"{server_url}/api/network", params={"format": "metrics", "rollup": "true"}, timeout=120
    )
    rolled = {row["agency"]: row for row in r.json()["agencies"]}
    with_rollup = 0
    with httpx.Client(base_url=server_url, timeout=60) as client:
        for agency, row in api.items():
            r = client.get("/id/" + agency.removeprefix(ID))
            assert r.status_code == 200, agency
            table = parse_html(r.text).by_id("network-metrics")
            views = {
                tr.attrs["data-view"]: {
                    td.attrs["data-metric"]: td.text for td in tr.find_all("td")
                }
                for tr in table.find("tbody").find_all("tr")
            }
            page = views["own"]
            assert _same(page, row, KEYS), (agency, page)
            assert int(page["brokerage"]) == row["brokerage"]
            assert int(page["weighted_degree"]) == row["weighted_degree"]
            if "rollup" in views:  # a body with sub-units: the network rolled up
                assert _same(views["rollup"], rolled[agency], KEYS), agency
                with_rollup += 1
        # a catch-all group has a page, but no place in the default view
        r = client.get("/id/agency/khm/relevant-ministries")
        assert r.status_code == 200
        doc = parse_html(r.text)
        assert "catch-all" in doc.by_id("network-none").text
    assert with_rollup >= 5


@pytest.fixture
def page(browser: Any, server_url: str) -> Iterator[Any]:
    with watched_page(browser, server_url, width=1400, height=1000) as pg:
        yield pg


def test_network_page_gives_the_apis_numbers(page: Any, api: dict[str, dict[str, Any]]) -> None:
    page.goto("/network")
    wait_drawn(page)
    rows = page.evaluate(
        """() => [...document.querySelectorAll('#ranking-table tbody tr')].map(tr => {
          const c = tr.cells;
          return {agency: tr.dataset.id, rank: c[0].textContent,
                  step_load: c[3].textContent, obligation_load: c[4].textContent,
                  betweenness: c[6].textContent, pagerank: c[7].textContent,
                  component_size: c[8].textContent};
        })"""
    )
    assert [r["agency"] for r in rows] == list(api)  # the same ranking, in the same order
    assert [r["rank"] for r in rows] == [str(i) for i in range(1, len(rows) + 1)]
    keys = ("step_load", "obligation_load", "betweenness", "pagerank", "component_size")
    for r in rows:
        assert _same(r, api[r["agency"]], keys), r
    # the community is in the node's panel
    communities = page.evaluate(
        "() => Object.fromEntries("
        "window.plangraphCy.nodes().map(n => [n.id(), n.data('community')]))"
    )
    assert all(communities[a] == row["community"] for a, row in api.items())


def test_agency_page_says_which_roles_count(server_url: str) -> None:
    """Resourcing (funding) is listed on the page but does not count toward load."""
    r = httpx.get(f"{server_url}/api/agencies/int/development-partners", timeout=60)
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    roles = {g["role"] for p in body["plans"] for g in p["roles"]}
    assert "resourcing" in roles
    page = parse_html(
        httpx.get(f"{server_url}/id/agency/int/development-partners", timeout=60).text
    )
    items = page.by_id("by-plan").find_all("li")
    assert any("resourcing" in li.text.lower() and "not counted" in li.text for li in items)
    # a catch-all group: on its page, not in the default view
    assert "catch-all" in page.by_id("network-none").text


def test_catch_alls_asked_for_are_context_never_ranked(page: Any, server_url: str) -> None:
    page.goto("/network?generic=true")
    wait_drawn(page)
    rows = page.evaluate(
        """() => [...document.querySelectorAll('#ranking-table tbody tr')].map(tr => ({
          id: tr.dataset.id, rank: tr.cells[0].textContent,
          context: tr.classList.contains('context')}))"""
    )
    doc = httpx.get(
        f"{server_url}/api/network", params={"generic": "true", "format": "metrics"}, timeout=120
    ).json()
    generic = {r["agency"] for r in doc["agencies"] if r["generic"]}
    assert generic
    assert {r["id"] for r in rows if r["context"]} == generic
    assert all(r["rank"] == "—" for r in rows if r["context"])
    ranked = [r for r in rows if not r["context"]]
    assert rows[: len(ranked)] == ranked  # context rows last
    assert [r["rank"] for r in ranked] == [str(i) for i in range(1, len(ranked) + 1)]
    chart = set(page.locator("#load-chart li").evaluate_all("ls => ls.map(l => l.dataset.id)"))
    assert chart and not chart & generic
