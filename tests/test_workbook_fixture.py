"""A plan added without code is first class: the hand-filled fixture shaped like ASEAN's Bohol
TIP Work Plan (provision, area of collaboration, activity, expected outputs, lead and
cooperating bodies, implementation status) goes through plangraph import -> build -> serve and
appears on its pages, in search, in the network and in the overlaps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from plangraph.cli import main
from tests.conftest import copy_project
from tests.server_process import running_server

BOHOL = Path(__file__).parent / "data" / "workbook" / "bohol"
SLUG = "asean-bohol-tip-2017-2020"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    root = tmp_path_factory.mktemp("bohol")
    copy_project(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLANGRAPH_ROOT", str(root))
        assert main(["import", str(BOHOL)]) == 0
        assert main(["build"]) == 0
    with running_server(root) as url, httpx.Client(base_url=url, timeout=60) as c:
        yield c


@pytest.mark.slow
def test_the_plan_has_its_page_with_steps_agencies_and_notes(client: httpx.Client) -> None:
    page = client.get(f"/id/plan/{SLUG}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    html = page.text
    assert "Bohol Trafficking in Persons Work Plan 2017-2020" in html
    assert "Train law enforcement officers on the investigation of trafficking cases" in html
    step = client.get(f"/id/plan/{SLUG}/activity/3.1", headers={"Accept": "text/html"})
    assert step.status_code == 200
    assert "ASEAN Senior Officials Meeting on Transnational Crime" in step.text
    # the provision is a note of the step; the implementation status its own property
    query = (
        "PREFIX pg: <https://w3id.org/plangraph/ontology#> "
        "PREFIX dcterms: <http://purl.org/dc/terms/> "
        "SELECT ?kind ?text WHERE { ?step pg:number '3.1' ; pg:plan ?plan ; pg:note ?n . "
        "?n pg:noteKind ?kind ; dcterms:description ?text . "
        f"FILTER(?plan = <https://w3id.org/plangraph/id/plan/{SLUG}>) }}"
    )
    answer = client.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    ).json()
    notes = {(b["kind"]["value"], b["text"]["value"]) for b in answer["results"]["bindings"]}
    assert notes == {("provision", "ACTIP Article 16 (Law enforcement)")}
    status = (
        "PREFIX pg: <https://w3id.org/plangraph/ontology#> "
        "SELECT ?number ?status WHERE { ?step pg:plan "
        f"<https://w3id.org/plangraph/id/plan/{SLUG}> ; pg:number ?number ; "
        "pg:implementationStatus ?status } ORDER BY ?number"
    )
    answer = client.get(
        "/sparql", params={"query": status}, headers={"Accept": "application/sparql-results+json"}
    ).json()
    statuses = {b["number"]["value"]: b["status"]["value"] for b in answer["results"]["bindings"]}
    assert statuses["3.1"] == "Completed in 2019" and len(statuses) == 5
    # "the source text" of a workbook plan is the workbook itself
    source = client.get(f"/sources/{SLUG}")
    assert source.status_code == 200 and source.content[:2] == b"PK"
    assert source.headers["content-type"] == "application/zip"
    plans = client.get("/api/plans").json()
    listed = plans["items"] if isinstance(plans, dict) else plans
    assert any(SLUG in str(p) for p in listed)


@pytest.mark.slow
def test_the_plan_is_found_by_search(client: httpx.Client) -> None:
    body = client.get("/api/search", params={"q": "ASEANAPOL database"}).json()
    hits = body.get("items") or body.get("hits") or []
    assert any(f"/id/plan/{SLUG}/" in h["url"] for h in hits), hits[:3]
    page = client.get("/search", params={"q": "ASEANAPOL database"})
    assert page.status_code == 200 and "ASEANAPOL" in page.text


@pytest.mark.slow
def test_the_plan_is_in_the_network(client: httpx.Client) -> None:
    body = client.get("/api/network", params={"plan": SLUG}).json()
    ids = {n["data"]["id"] for n in body["elements"]["nodes"]}
    assert body["counts"]["commitments"] == 12
    assert any("asean-somtc" in i for i in ids), sorted(ids)
    assert any("khm/mosvy" in i for i in ids)  # a registry agency beside the new ones


@pytest.mark.slow
def test_the_plan_is_in_the_overlaps(client: httpx.Client) -> None:
    body = client.get("/api/overlaps", params={"plan": SLUG}).json()
    assert body["total"] >= 3
    labels = {g["label"] for g in body["items"]}
    assert "Train law enforcement officers" in labels
    members = [m for g in body["items"] for m in g["members"]]
    assert any(m["href"].startswith(f"/id/plan/{SLUG}/") for m in members)
    assert any(not m["href"].startswith(f"/id/plan/{SLUG}/") for m in members)  # other plans
    page = client.get("/overlaps", params={"plan": SLUG})
    assert page.status_code == 200 and "Train law enforcement officers" in page.text


@pytest.mark.slow
def test_the_plan_has_themes_catalog_rows_and_void_counts(client: httpx.Client) -> None:
    query = (
        "PREFIX pg: <https://w3id.org/plangraph/ontology#> "
        "SELECT (COUNT(DISTINCT ?step) AS ?n) WHERE { ?step pg:plan "
        f"<https://w3id.org/plangraph/id/plan/{SLUG}> ; pg:theme ?theme }}"
    )
    answer = client.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    ).json()
    assert int(answer["results"]["bindings"][0]["n"]["value"]) >= 5  # of its 7 steps
    plans = client.get("/api/queries/plans").json()
    assert SLUG in str(plans)
    void = client.get("/.well-known/void", headers={"Accept": "text/turtle"}).text
    assert f"graph/{SLUG}" in void
