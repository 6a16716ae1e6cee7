"""Refusals and limits over real HTTP: updates, LOAD, SERVICE, remote FROM, foreign
protocol graphs, too long, malformed; the row cap; a query past the time limit is stopped
while a second client is answered."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest

from plangraph.paths import ProjectPaths
from tests.server_process import running_server

PG = "https://w3id.org/plangraph/ontology#"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(?c != ?i) }"
QUICK = f"ASK {{ ?s a <{PG}Commitment> }}"
JSON_ACCEPT = {"accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def url(paths: ProjectPaths) -> Iterator[str]:
    env = {
        "PLANGRAPH_QUERY_TIMEOUT": "1",
        "PLANGRAPH_MAX_ROWS": "5",
        "PLANGRAPH_MAX_QUERY_LENGTH": "2000",
    }
    with running_server(paths.root, env=env) as u:
        yield u


def error(r: httpx.Response, status: int, kind: str) -> dict[str, object]:
    """The one JSON error shape: status, kind, message, and CORS still open."""
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == kind and isinstance(body["message"], str)
    assert r.headers["access-control-allow-origin"] == "*"
    return body


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }",
        "DELETE WHERE { ?s ?p ?o }",
        "DROP ALL",
        "CLEAR DEFAULT",
    ],
)
def test_updates_in_query_are_403(url: str, update: str) -> None:
    for r in (
        httpx.get(url + "/sparql", params={"query": update}),
        httpx.post(url + "/sparql", data={"query": update}),
        httpx.post(
            url + "/sparql", content=update, headers={"content-type": "application/sparql-query"}
        ),
    ):
        body = error(r, 403, "query-refused")
        assert "is refused: this endpoint is read-only" in str(body["message"])


def test_update_parameter_is_403(url: str) -> None:
    r = httpx.post(url + "/sparql", data={"update": "DROP ALL"})
    assert "read-only" in str(error(r, 403, "query-refused")["message"])
    r = httpx.get(url + "/sparql", params={"update": "DROP ALL"})
    error(r, 403, "query-refused")


def test_sparql_update_media_type_is_405(url: str) -> None:
    r = httpx.post(
        url + "/sparql", content="DROP ALL", headers={"content-type": "application/sparql-update"}
    )
    body = error(r, 405, "method-not-allowed")
    assert "read-only" in str(body["message"])
    assert "POST" in r.headers["allow"]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_graph_store_writes_are_405(url: str, method: str) -> None:
    r = httpx.request(
        method, url + "/sparql", params={"graph": "http://x/g"}, content="<a:a> <a:b> <a:c> ."
    )
    assert "read-only" in str(error(r, 405, "method-not-allowed")["message"])


def test_posting_rdf_is_403(url: str) -> None:
    r = httpx.post(
        url + "/sparql",
        content="<http://x/a> <http://x/b> <http://x/c> .",
        headers={"content-type": "text/turtle"},
    )
    assert "no Graph Store writes" in str(error(r, 403, "query-refused")["message"])


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("LOAD <http://example.org/data.ttl>", "LOAD is refused"),
        ("SELECT * WHERE { SERVICE <http://dbpedia.org/sparql> { ?s ?p ?o } }", "SERVICE is"),
        ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", "never fetches remote"),
        ("SELECT * FROM NAMED <http://example.org/g> WHERE { ?s ?p ?o }", "not a graph"),
    ],
)
def test_remote_access_is_400(url: str, query: str, says: str) -> None:
    body = error(httpx.get(url + "/sparql", params={"query": query}), 400, "query-error")
    assert says in str(body["message"]) and body["param"] == "query"
    assert isinstance(body["position"], int)


def test_foreign_protocol_graphs_are_400(url: str) -> None:
    q = "SELECT * WHERE { ?s ?p ?o }"
    r = httpx.get(url + "/sparql", params={"query": q, "default-graph-uri": "http://x.org/g"})
    assert error(r, 400, "query-error")["param"] == "default-graph-uri"
    r = httpx.post(url + "/sparql", data={"query": q, "named-graph-uri": "http://x.org/g"})
    assert error(r, 400, "query-error")["param"] == "named-graph-uri"


def test_too_long_is_400(url: str) -> None:
    q = "SELECT * WHERE { ?s ?p ?o }" + " " * 2000
    body = error(httpx.post(url + "/sparql", data={"query": q}), 400, "query-error")
    assert "the limit is 2000" in str(body["message"])


def test_malformed_is_400_with_position(url: str) -> None:
    q = "SELECT ?x WHERE {\n  ?x ?y }"
    body = error(httpx.get(url + "/sparql", params={"query": q}), 400, "query-error")
    # the parser stops at the end of the text (line 2, column 10): offset len(q)
    assert "malformed query at line 2, column 10: expected" in str(body["message"])
    assert body["line"] == 2 and body["position"] == len(q) and body["param"] == "query"


def test_unknown_format_is_400(url: str) -> None:
    r = httpx.get(url + "/sparql", params={"query": QUICK, "format": "yaml"})
    assert error(r, 400, "query-error")["param"] == "format"


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_row_cap_is_applied_and_said(url: str, fmt: str) -> None:
    q = f"SELECT ?s WHERE {{ ?s a <{PG}Commitment> }}"
    r = httpx.get(url + "/sparql", params={"query": q, "format": fmt})
    assert r.status_code == 200
    assert r.headers["x-plangraph-truncated"] == "true"
    assert r.headers["x-plangraph-rows"] == "5"
    if fmt == "json":
        assert len(json.loads(r.text)["results"]["bindings"]) == 5  # still valid SPARQL JSON
    elif fmt in ("csv", "tsv"):
        assert len(r.text.strip().splitlines()) == 6


def test_row_cap_on_graphs_and_catalog(url: str) -> None:
    q = f"CONSTRUCT {{ ?s a <{PG}Commitment> }} WHERE {{ ?s a <{PG}Commitment> }}"
    r = httpx.get(url + "/sparql", params={"query": q, "format": "ntriples"})
    assert r.headers["x-plangraph-truncated"] == "true"
    assert len(r.text.strip().splitlines()) == 5
    r = httpx.get(url + "/api/queries/agencies-most-commitments")
    assert r.json()["truncated"] is True and r.json()["count"] == 5
    r = httpx.get(url + "/sparql", params={"query": QUICK}, headers=JSON_ACCEPT)
    assert r.headers["x-plangraph-truncated"] == "false"


def test_timeout_stops_the_query_and_others_are_served(url: str) -> None:
    slow: dict[str, httpx.Response] = {}

    def run_slow() -> None:
        slow["r"] = httpx.get(
            url + "/sparql", params={"query": SLOW}, headers=JSON_ACCEPT, timeout=60
        )

    t = threading.Thread(target=run_slow)
    t.start()
    # while the slow query runs, a second client is answered (several times)
    answered = 0
    while t.is_alive() and answered < 3:
        r = httpx.get(url + "/sparql", params={"query": QUICK}, headers=JSON_ACCEPT, timeout=30)
        assert r.status_code == 200 and r.json()["boolean"] is True
        answered += 1
    assert httpx.get(url + "/health", timeout=30).status_code == 200
    t.join(60)
    assert answered >= 1
    body = error(slow["r"], 503, "query-timeout")
    assert "time limit of 1 s" in str(body["message"])
    # the stopped worker was replaced: two slow queries at once are both stopped, and the
    # server answers afterwards
    results: list[httpx.Response] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                httpx.get(url + "/sparql", params={"query": SLOW}, timeout=60)
            )
        )
        for _ in range(2)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert sorted(r.status_code for r in results) == [503, 503]
    r = httpx.get(url + "/sparql", params={"query": QUICK}, headers=JSON_ACCEPT, timeout=30)
    assert r.status_code == 200
