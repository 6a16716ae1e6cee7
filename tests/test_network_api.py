"""/api/network through the real HTTP server: parameters, errors, formats, and the metrics
named graph visible to SPARQL clients."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import httpx
import networkx as nx
import pytest

from tests.server_process import assert_error

METRICS = "https://w3id.org/plangraph/graph/metrics"


@pytest.fixture(scope="module")
def url(server_url: str) -> str:
    """The session's server on the default dataset (tests/conftest.py)."""
    return server_url


def get(url: str, **params) -> httpx.Response:
    return httpx.get(f"{url}/api/network", params=params, timeout=60)


def test_default_is_cytoscape_json_with_metrics(url: str) -> None:
    r = get(url)
    assert r.status_code == 200
    doc = r.json()
    assert doc["projection"] == "agency"
    assert doc["filters"]["roles"] == ["lead", "responsible", "implementing-partner", "support"]
    nodes = doc["elements"]["nodes"]
    assert len(nodes) == doc["counts"]["nodes"] > 50
    assert all("obligation_load" in n["data"] and "position" in n for n in nodes)


def test_filters_narrow_the_network(url: str) -> None:
    everything = get(url).json()["counts"]["nodes"]
    one_plan = get(url, plan="vnm-khm-2020-2022").json()
    assert 0 < one_plan["counts"]["nodes"] < everything
    two = get(url, plan=["vnm-khm-2020-2022", "khm-tha-2023-2025"]).json()
    assert two["counts"]["nodes"] > one_plan["counts"]["nodes"]
    assert get(url, year="2021").json()["counts"]["nodes"] < everything
    assert get(url, from_year="2005", to_year="2007").json()["counts"]["nodes"] < everything
    assert get(url, party="vnm").json()["counts"]["nodes"] < everything
    assert (
        get(url, role="all").json()["counts"]["commitments"]
        > get(url).json()["counts"]["commitments"]
    )
    # the default is real bodies only; generic=true adds catch-alls and parties
    assert get(url, generic="false").json()["counts"] == get(url).json()["counts"]
    with_generic = get(url, generic="true").json()
    assert with_generic["counts"]["nodes"] > everything
    assert any(n["data"]["generic"] for n in with_generic["elements"]["nodes"])
    assert get(url, rollup="true").json()["counts"]["nodes"] <= everything


def test_no_catch_all_or_party_is_ever_ranked(url: str) -> None:
    """Issue 22: the top lists (load both ways, betweenness, PageRank, bridging) hold only
    real bodies, in the default view and when catch-alls are asked for; centralities are
    ranked on the largest component."""
    for params in ({}, {"generic": "true"}, {"role": "all", "generic": "true"}):
        doc = get(url, format="metrics", **params).json()
        kinds = {r["agency"]: r["kind"] for r in doc["agencies"]}
        for name, rows in doc["summary"].items():
            assert rows, name
            assert all(kinds[r["agency"]] not in ("unspecified-group", "party") for r in rows)
            if name in ("betweenness", "pagerank"):
                biggest = max(r["component_size"] for r in doc["agencies"])
                assert all(r["component_size"] == biggest for r in rows)
        # steps and commitments side by side; the headline is steps
        rows = doc["agencies"]
        assert all(r["step_load"] <= r["obligation_load"] for r in rows)
        steps = [r["step_load"] for r in rows]
        assert steps == sorted(steps, reverse=True)


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"plan": "no-such-plan"}, "plan"),
        ({"party": "xxx"}, "party"),
        ({"agreement": "none"}, "agreement"),
        ({"year": "2O21"}, "year"),
        ({"role": "king"}, "role"),
        ({"projection": "tree"}, "projection"),
        ({"format": "pdf"}, "format"),
    ],
)
def test_bad_parameters_answer_400(url: str, params: dict, param: str) -> None:
    assert_error(get(url, **params), 400, "query-error", param)


def test_exports_parse(url: str, tmp_path) -> None:
    for fmt, reader in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        r = get(url, format=fmt, projection="party")
        assert r.status_code == 200
        assert "attachment" in r.headers["content-disposition"]
        ET.fromstring(r.content)
        path = tmp_path / f"n.{fmt}"
        path.write_bytes(r.content)
        assert reader(path).number_of_nodes() >= 5
    cy = get(url, format="cytoscape").json()
    assert nx.cytoscape_graph(cy).number_of_nodes() > 50
    rows = list(csv.DictReader(io.StringIO(get(url, format="csv-edges").text)))
    assert rows and {"source", "target", "weight"} <= set(rows[0])
    metrics = get(url, format="metrics").json()
    assert len(metrics["summary"]["obligation_load"]) == 10
    assert metrics["summary"]["bridging"]


def test_options(url: str) -> None:
    doc = httpx.get(f"{url}/api/network/options", timeout=30).json()
    assert len(doc["plans"]) == 5
    assert {p["id"] for p in doc["parties"]} >= {"khm", "vnm", "tha"}
    assert doc["years"]["min"] == 2005


def test_metrics_graph_is_queryable_over_sparql(url: str) -> None:
    query = f"""PREFIX pg: <https://w3id.org/plangraph/ontology#>
    PREFIX prov: <http://www.w3.org/ns/prov#>
    SELECT ?agency ?load ?when WHERE {{
      GRAPH <{METRICS}> {{
        ?m pg:metricsOf ?agency ; pg:obligationLoad ?load ; prov:wasGeneratedBy ?run .
        ?run prov:endedAtTime ?when ; pg:seed 42 ; pg:rolledUp false .
      }}
    }} ORDER BY DESC(?load) LIMIT 10"""
    r = httpx.post(
        f"{url}/sparql",
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    rows = r.json()["results"]["bindings"]
    assert len(rows) == 10
    top = get(url, format="metrics").json()["agencies"][0]
    assert rows[0]["agency"]["value"] == top["agency"]
    assert int(rows[0]["load"]["value"]) == top["obligation_load"]
    assert json.loads(json.dumps(rows))  # plain JSON
