"""/api/network's GraphML and GEXF against their official XSDs (vendored in tests/schemas/,
see its README), for every projection; GEXF spells as Gephi reads them: a node or an edge is
active in a year only when it has commitments that year, as the API's year filter says."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from lxml import etree

from plangraph.network import PROJECTIONS

SCHEMAS = Path(__file__).parent / "schemas"
GEXF = "{http://www.gexf.net/1.2draft}"
VIEWS = [{}, {"generic": "true"}, {"rollup": "true", "role": "all"}]


@pytest.fixture(scope="module")
def schemas() -> dict[str, etree.XMLSchema]:
    # every schemaLocation is a local file: nothing is fetched
    return {
        "graphml": etree.XMLSchema(etree.parse(str(SCHEMAS / "graphml-1.0" / "graphml.xsd"))),
        "gexf": etree.XMLSchema(etree.parse(str(SCHEMAS / "gexf-1.2draft" / "gexf.xsd"))),
    }


def get(url: str, **params: str) -> httpx.Response:
    r = httpx.get(f"{url}/api/network", params=params, timeout=120)
    assert r.status_code == 200, r.text[:300]
    return r


@pytest.mark.parametrize("view", VIEWS, ids=["default", "generic", "rollup-all-roles"])
@pytest.mark.parametrize("projection", PROJECTIONS)
def test_exports_validate_against_the_official_xsds(
    server_url: str, schemas: dict[str, etree.XMLSchema], projection: str, view: dict
) -> None:
    for fmt in ("graphml", "gexf"):
        doc = etree.fromstring(get(server_url, projection=projection, format=fmt, **view).content)
        assert schemas[fmt].validate(doc), (fmt, projection, view, schemas[fmt].error_log)
    graphml = etree.fromstring(get(server_url, projection=projection, format="graphml").content)
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    iri_key = graphml.find("g:key[@attr.name='iri'][@for='node']", ns)
    assert iri_key is not None
    iris = graphml.xpath(f"//g:node/g:data[@key='{iri_key.get('id')}']/text()", namespaces=ns)
    assert iris and all(i.startswith("https://w3id.org/plangraph/id/") for i in iris)
    gexf = etree.fromstring(get(server_url, projection=projection, format="gexf").content)
    assert gexf.find(f"{GEXF}graph").get("name") is None


def spells(element: etree._Element) -> list[tuple[int, int]]:
    return [(int(s.get("start")[:4]), int(s.get("end")[:4])) for s in element.iter(f"{GEXF}spell")]


def active(element: etree._Element, year: int) -> bool:
    return any(a <= year <= b for a, b in spells(element))


def test_gexf_spells_agree_with_the_year_filter(server_url: str) -> None:
    """Gephi's timeline at year Y shows the nodes and edges whose spells cover Y: exactly
    the network the API (and the page's year slider) gives for ?year=Y."""
    gexf = etree.fromstring(get(server_url, format="gexf").content)
    nodes = list(gexf.iter(f"{GEXF}node"))
    edges = list(gexf.iter(f"{GEXF}edge"))
    assert nodes and all(spells(n) for n in nodes) and all(spells(e) for e in edges)
    years = httpx.get(f"{server_url}/api/network/options", timeout=60).json()["years"]
    checked = 0
    for year in range(years["min"], years["max"] + 1):
        doc = get(server_url, year=str(year)).json()
        api_nodes = {n["data"]["id"] for n in doc["elements"]["nodes"]}
        api_edges = {
            frozenset((e["data"]["source"], e["data"]["target"])) for e in doc["elements"]["edges"]
        }
        assert {n.get("id") for n in nodes if active(n, year)} == api_nodes, year
        assert {
            frozenset((e.get("source"), e.get("target"))) for e in edges if active(e, year)
        } == api_edges, year
        checked += bool(api_nodes)
    assert checked >= 10
    # no plan has work in 2016: no agency is active then (issue 22)
    assert not any(active(n, 2016) for n in nodes)
    assert not get(server_url, year="2016").json()["elements"]["nodes"]
