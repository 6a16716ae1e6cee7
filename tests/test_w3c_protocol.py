"""The W3C SPARQL 1.1 Protocol test suite (rdf-tests, sparql/sparql11/protocol), as our own
tests against plangraph's endpoint over real HTTP.

The cases were written from the manifest's descriptions of each request and its expected
outcome (one test per manifest entry, named after it), adapted to a read-only endpoint over
our own data: where the W3C case first loads data with an update, the query runs over our
graphs instead, and every update case must be refused with a 4xx (the endpoint is
read-only). Every query case must answer 2xx with the right content type and content; every
bad case 4xx; no case may answer 5xx.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest

from plangraph.paths import ProjectPaths
from tests.server_process import running_server

PG = "https://w3id.org/plangraph/ontology#"
SELECT = f"SELECT ?s WHERE {{ ?s a <{PG}PlanOfAction> }} ORDER BY ?s"
ASK = f"ASK {{ ?s a <{PG}PlanOfAction> }}"
GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
RESULTS_MEDIA = (
    "application/sparql-results+xml",
    "application/sparql-results+json",
    "text/csv",
    "text/tab-separated-values",
)
RDF_MEDIA = ("text/turtle", "application/rdf+xml", "application/n-triples", "application/ld+json")
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"


@pytest.fixture(scope="module")
def c(paths: ProjectPaths) -> Iterator[httpx.Client]:
    with running_server(paths.root) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def graphs(c: httpx.Client) -> list[str]:
    r = c.get("/sparql", params={"query": GRAPHS}, headers={"accept": RESULTS_MEDIA[1]})
    names = [b["g"]["value"] for b in r.json()["results"]["bindings"]]
    assert len(names) >= 2
    return names


def media(r: httpx.Response) -> str:
    return r.headers["content-type"].split(";")[0].strip()


def ok(r: httpx.Response, allowed: tuple[str, ...] = RESULTS_MEDIA) -> httpx.Response:
    assert 200 <= r.status_code < 300, (r.status_code, r.text[:300])
    assert media(r) in allowed, media(r)
    return r


def bad(r: httpx.Response) -> None:
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])


def rows(r: httpx.Response) -> list[str]:
    doc = json.loads(r.content)
    return [next(iter(b.values()))["value"] for b in doc["results"]["bindings"]]


J = {"accept": "application/sparql-results+json"}


# --- query cases: 2xx with the right content


def test_query_get(c: httpx.Client) -> None:
    assert len(rows(ok(c.get("/sparql", params={"query": SELECT}, headers=J)))) == 5


def test_query_post_form(c: httpx.Client) -> None:
    r = c.post(
        "/sparql",
        content=str(httpx.QueryParams({"query": ASK})),
        headers={"content-type": FORM, **J},
    )
    assert json.loads(ok(r).content)["boolean"] is True


def test_query_post_direct(c: httpx.Client) -> None:
    r = c.post("/sparql", content=SELECT.encode(), headers={"content-type": DIRECT, **J})
    assert len(rows(ok(r))) == 5


def test_query_dataset_default_graph(c: httpx.Client, graphs: list[str]) -> None:
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    r = c.get("/sparql", params={"query": q, "default-graph-uri": graphs[0]}, headers=J)
    assert int(rows(ok(r))[0]) > 0


def test_query_dataset_default_graphs_get(c: httpx.Client, graphs: list[str]) -> None:
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    one = int(
        rows(ok(c.get("/sparql", params={"query": q, "default-graph-uri": graphs[0]}, headers=J)))[
            0
        ]
    )
    params = [("query", q), ("default-graph-uri", graphs[0]), ("default-graph-uri", graphs[1])]
    two = int(rows(ok(c.get("/sparql", params=params, headers=J)))[0])
    assert two > one


def test_query_dataset_default_graphs_post(c: httpx.Client, graphs: list[str]) -> None:
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    data = [("query", q), ("default-graph-uri", graphs[0]), ("default-graph-uri", graphs[1])]
    r = c.post("/sparql", content=str(httpx.QueryParams(data)), headers={"content-type": FORM, **J})
    assert int(rows(ok(r))[0]) > 0


def test_query_dataset_named_graphs_get(c: httpx.Client, graphs: list[str]) -> None:
    params = [("query", GRAPHS), ("named-graph-uri", graphs[0]), ("named-graph-uri", graphs[1])]
    assert rows(ok(c.get("/sparql", params=params, headers=J))) == sorted(graphs[:2])


def test_query_dataset_named_graphs_post(c: httpx.Client, graphs: list[str]) -> None:
    data = [("query", GRAPHS), ("named-graph-uri", graphs[1])]
    r = c.post("/sparql", content=str(httpx.QueryParams(data)), headers={"content-type": FORM, **J})
    assert rows(ok(r)) == [graphs[1]]


def test_query_dataset_full(c: httpx.Client, graphs: list[str]) -> None:
    q = (
        "SELECT ?g (COUNT(*) AS ?n) "
        "WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } GROUP BY ?g"
    )
    params = [("query", q), ("default-graph-uri", graphs[0]), ("named-graph-uri", graphs[1])]
    doc = json.loads(ok(c.get("/sparql", params=params, headers=J)).content)
    seen = {b.get("g", {}).get("value") for b in doc["results"]["bindings"]}
    assert seen == {None, graphs[1]}


def test_query_multiple_dataset(c: httpx.Client, graphs: list[str]) -> None:
    """A query with its own FROM, and protocol dataset parameters: the protocol's win."""
    q = f"SELECT DISTINCT ?g FROM NAMED <{graphs[0]}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    params = [("query", q), ("named-graph-uri", graphs[1])]
    assert rows(ok(c.get("/sparql", params=params, headers=J))) == [graphs[1]]


def test_query_content_type_select(c: httpx.Client) -> None:
    for accept in RESULTS_MEDIA:
        r = ok(c.get("/sparql", params={"query": SELECT}, headers={"accept": accept}))
        assert media(r) == accept


def test_query_content_type_ask(c: httpx.Client) -> None:
    r = ok(
        c.get(
            "/sparql", params={"query": ASK}, headers={"accept": "application/sparql-results+xml"}
        )
    )
    ns = "{http://www.w3.org/2005/sparql-results#}"
    assert ET.fromstring(r.content).find(f"{ns}boolean").text == "true"  # type: ignore[union-attr]


@pytest.mark.parametrize("form", ["describe", "construct"])
def test_query_content_type_describe_construct(c: httpx.Client, form: str) -> None:
    q = (
        f"DESCRIBE ?s WHERE {{ ?s a <{PG}PlanOfAction> }}"
        if form == "describe"
        else f"CONSTRUCT {{ ?s a <{PG}PlanOfAction> }} WHERE {{ ?s a <{PG}PlanOfAction> }}"
    )
    for accept in RDF_MEDIA:
        r = ok(c.get("/sparql", params={"query": q}, headers={"accept": accept}), RDF_MEDIA)
        assert media(r) == accept
        fmt = ox.RdfFormat.from_media_type(accept)
        assert fmt is not None and len(list(ox.parse(r.content, fmt))) >= 5


# --- update cases: this endpoint is read-only, every one is refused with 4xx

UPDATE = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"


def test_update_post_form(c: httpx.Client) -> None:
    bad(c.post("/sparql", data={"update": UPDATE}))


def test_update_post_direct(c: httpx.Client) -> None:
    bad(c.post("/sparql", content=UPDATE, headers={"content-type": "application/sparql-update"}))


def test_update_base_uri(c: httpx.Client) -> None:
    bad(c.post("/sparql", data={"update": "BASE <http://example/> INSERT DATA { <a> <b> <c> }"}))


@pytest.mark.parametrize(
    "params",
    [
        {"using-graph-uri": "urn:g"},
        {"using-named-graph-uri": "urn:g"},
        {"using-graph-uri": "urn:g", "using-named-graph-uri": "urn:h"},
    ],
    ids=["update_dataset_default_graph", "update_dataset_named_graphs", "update_dataset_full"],
)
def test_update_dataset(c: httpx.Client, params: dict[str, str]) -> None:
    bad(c.post("/sparql", data={"update": UPDATE, **params}))


# --- bad cases: 4xx


def test_bad_query_method(c: httpx.Client) -> None:
    bad(c.request("PUT", "/sparql", params={"query": ASK}))


def test_bad_multiple_queries(c: httpx.Client) -> None:
    bad(c.get("/sparql", params=[("query", ASK), ("query", SELECT)]))
    body = str(httpx.QueryParams([("query", ASK), ("query", SELECT)]))
    bad(c.post("/sparql", content=body, headers={"content-type": FORM}))


def test_bad_query_wrong_media_type(c: httpx.Client) -> None:
    bad(c.post("/sparql", content=ASK, headers={"content-type": "text/plain"}))


def test_bad_query_missing_form_type(c: httpx.Client) -> None:
    bad(c.post("/sparql", content=f"query={ASK}"))


def test_bad_query_missing_direct_type(c: httpx.Client) -> None:
    bad(c.post("/sparql", content=ASK))


def test_bad_query_non_utf8(c: httpx.Client) -> None:
    bad(
        c.post(
            "/sparql",
            content=ASK.encode("utf-16"),
            headers={"content-type": f"{DIRECT}; charset=UTF-16"},
        )
    )
    bad(c.post("/sparql", content=b'ASK { ?s ?p "\xff\xfe" }', headers={"content-type": DIRECT}))


def test_bad_query_syntax(c: httpx.Client) -> None:
    bad(c.get("/sparql", params={"query": "ASK {"}))


def test_bad_update_get(c: httpx.Client) -> None:
    bad(c.get("/sparql", params={"update": UPDATE}))


def test_bad_multiple_updates(c: httpx.Client) -> None:
    body = str(httpx.QueryParams([("update", UPDATE), ("update", UPDATE)]))
    bad(c.post("/sparql", content=body, headers={"content-type": FORM}))


def test_bad_update_wrong_media_type(c: httpx.Client) -> None:
    bad(c.post("/sparql", content=UPDATE, headers={"content-type": "text/plain"}))


def test_bad_update_missing_form_type(c: httpx.Client) -> None:
    bad(c.post("/sparql", content=f"update={UPDATE}"))


def test_bad_update_non_utf8(c: httpx.Client) -> None:
    bad(
        c.post(
            "/sparql",
            content=UPDATE.encode("utf-16"),
            headers={"content-type": "application/sparql-update; charset=UTF-16"},
        )
    )


def test_bad_update_syntax(c: httpx.Client) -> None:
    bad(c.post("/sparql", data={"update": "INSERT DATA { <a> }"}))


def test_bad_update_dataset_conflict(c: httpx.Client) -> None:
    bad(c.post("/sparql", data={"update": f"WITH <urn:g> {UPDATE}", "using-graph-uri": "urn:g"}))


def test_bad_query_in_update_field_and_update_in_query(c: httpx.Client) -> None:
    """(manifest: update via the query operation, query via the update operation)"""
    bad(c.get("/sparql", params={"query": UPDATE}))
    bad(c.post("/sparql", data={"update": ASK}))
