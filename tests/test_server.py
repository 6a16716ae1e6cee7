"""The minimal server over real HTTP: a page and the SPARQL endpoint (httpx, SPARQLWrapper)."""

from __future__ import annotations

import httpx
from SPARQLWrapper import CSV, JSON, SPARQLWrapper

COUNT = """PREFIX pg: <https://w3id.org/plangraph/ontology#>
SELECT ?plan (COUNT(?a) AS ?n)
WHERE { ?a a pg:Activity ; pg:plan ?plan } GROUP BY ?plan ORDER BY ?plan"""


def test_home_page_lists_the_plans(server_url: str) -> None:
    r = httpx.get(server_url + "/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "Joint Plan of Action Viet Nam–Cambodia 2020-2022" in r.text
    assert "Joint Plan of Action China–Cambodia 2017-2019 (draft)" in r.text


def test_sparqlwrapper_select_json(server_url: str) -> None:
    sw = SPARQLWrapper(server_url + "/sparql")
    sw.setQuery(COUNT)
    sw.setReturnFormat(JSON)
    rows = sw.query().convert()["results"]["bindings"]
    counts = {r["plan"]["value"].rsplit("/", 1)[-1]: int(r["n"]["value"]) for r in rows}
    assert counts["vnm-khm-2020-2022"] == 19
    assert counts["chn-khm-2017-2019"] == 23


def test_sparqlwrapper_post_csv(server_url: str) -> None:
    sw = SPARQLWrapper(server_url + "/sparql")
    sw.setMethod("POST")
    sw.setQuery(COUNT)
    sw.setReturnFormat(CSV)
    text = sw.query().convert().decode("utf-8")
    assert text.splitlines()[0].strip() == "plan,n"


def test_post_sparql_query_body_and_ask(server_url: str) -> None:
    r = httpx.post(
        server_url + "/sparql",
        content="ASK { ?s a <https://w3id.org/plangraph/ontology#Commitment> }",
        headers={
            "content-type": "application/sparql-query",
            "accept": "application/sparql-results+json",
        },
    )
    assert r.status_code == 200
    assert r.json() == {"head": {}, "boolean": True}


def test_construct_as_turtle(server_url: str) -> None:
    mosvy = "<https://w3id.org/plangraph/id/agency/khm/mosvy>"
    q = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ BIND({mosvy} AS ?s) ?s ?p ?o }}"
    r = httpx.get(server_url + "/sparql", params={"query": q}, headers={"accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    assert "Ministry of Social Affairs, Veterans and Youth Rehabilitation" in r.text


def test_malformed_query_is_400_with_message(server_url: str) -> None:
    r = httpx.get(server_url + "/sparql", params={"query": "SELECT ?x WHERE { ?x "})
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "query-error" and body["param"] == "query"
    assert "malformed query" in body["message"]
