"""Point lookups (plangraph/store/point.py): which queries the server may answer in its own process
(their cost is bounded before they run), and that those answers are exactly what a worker
gives for the same question."""

from __future__ import annotations

import json

import httpx
import pyoxigraph as ox
import pytest

from plangraph.store.embedded import EmbeddedStore
from plangraph.store.point import MAX_DEGREE, RDF_TYPE, PointLookup, bounded_degree, point_lookup

S = "https://w3id.org/plangraph/id/plan/vnm-khm-2020-2022/activity/1.1.1"
P = "http://purl.org/dc/terms/description"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"SELECT ?p ?o WHERE {{ <{S}> ?p ?o }}", PointLookup(S, None)),
        (f"select * {{ <{S}> a ?o . }} limit 10", PointLookup(S, RDF_TYPE)),
        (f"SELECT DISTINCT ?o {{ <{S}> <{P}> ?o }} OFFSET 5 LIMIT 3", PointLookup(S, P)),
        (f"SELECT ?o WHERE {{ <{S}> <{P}> <{S}> }}", PointLookup(S, P)),
    ],
)
def test_point_lookups(query: str, expected: PointLookup) -> None:
    assert point_lookup(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT ?p ?o WHERE {{ <{S}> ?p ?o FILTER(REGEX(STR(?o), '(a+)+$')) }}",
        f"SELECT ?p ?o WHERE {{ <{S}> ?p ?o }} ORDER BY ?o",
        f"SELECT ?p ?o WHERE {{ <{S}> ?p ?o . ?o ?q ?r }}",
        f"SELECT ?p ?o WHERE {{ <{S}> ?p ?o OPTIONAL {{ ?o ?q ?r }} }}",
        f"SELECT ?o WHERE {{ <{S}> <{P}>* ?o }}",
        f"SELECT ?o WHERE {{ <{S}> <{P}>/<{P}> ?o }}",
        f"SELECT ?o FROM <{S}> WHERE {{ <{S}> ?p ?o }}",
        f"SELECT ?o WHERE {{ GRAPH ?g {{ <{S}> ?p ?o }} }}",
        f"SELECT ?o WHERE {{ SERVICE <http://127.0.0.1/> {{ <{S}> ?p ?o }} }}",
        f"SELECT ?o WHERE {{ <{S}> ?p ?o }} # }} a comment",
        f"SELECT ?o WHERE {{ <{S}> ?p ?o }} LIMIT 1 LIMIT 2",
        f"SELECT ?o WHERE {{ <{S}> ?p ?o }} VALUES ?o {{ 1 }}",
        f"SELECT ?o WHERE {{ <{S}> ?p ?o BIND(1 AS ?x) }}",
        f"SELECT (COUNT(*) AS ?n) WHERE {{ <{S}> ?p ?o }}",
        f"PREFIX x: <{P}> SELECT ?o WHERE {{ <{S}> x: ?o }}",
        f"BASE <{S}> SELECT ?o WHERE {{ <> ?p ?o }}",
        "SELECT ?o WHERE { <relative> ?p ?o }",
        "SELECT ?p ?o WHERE { ?s ?p ?o }",
        f'SELECT ?o WHERE {{ <{S}> ?p "}}" }}',
        f"ASK {{ <{S}> ?p ?o }}",
        f"CONSTRUCT WHERE {{ <{S}> ?p ?o }}",
        f"SELECT ?o WHERE {{ <{S}> ?p ?o }} " + "x" * 3000,
        "",
    ],
)
def test_anything_else_is_not_a_point_lookup(query: str) -> None:
    assert point_lookup(query) is None


def test_degree_is_counted_up_to_the_cap() -> None:
    subject = ox.NamedNode("https://example.org/hub")
    store = ox.Store()
    store.extend(
        ox.Quad(subject, ox.NamedNode(f"https://example.org/p{i}"), ox.Literal(str(i)))
        for i in range(MAX_DEGREE + 50)
    )
    wrapped = EmbeddedStore(store, "test", len(store))
    assert bounded_degree(wrapped, PointLookup(subject.value, None)) == MAX_DEGREE + 1
    one = PointLookup(subject.value, "https://example.org/p7")
    assert bounded_degree(wrapped, one) == 1


def rows(server_url: str, query: str) -> list[dict]:
    r = httpx.get(
        f"{server_url}/sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return sorted(json.loads(r.content)["results"]["bindings"], key=json.dumps)


@pytest.mark.parametrize(
    "subject",
    [
        S,
        "https://w3id.org/plangraph/id/agency/khm/mosvy",
        "https://w3id.org/plangraph/id/plan/khm-npa-2011-2013",
        "https://w3id.org/plangraph/id/nothing-here",
    ],
)
def test_in_process_answers_equal_the_workers(server_url: str, subject: str) -> None:
    point = f"SELECT ?p ?o WHERE {{ <{subject}> ?p ?o }}"
    assert point_lookup(point) is not None
    via_worker = f"SELECT ?p ?o WHERE {{ <{subject}> ?p ?o FILTER(true) }}"
    assert point_lookup(via_worker) is None
    got = rows(server_url, point)
    assert got == rows(server_url, via_worker)
    if subject != "https://w3id.org/plangraph/id/nothing-here":
        assert got  # a real resource has triples
