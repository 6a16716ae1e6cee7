"""The guard that runs before every query: updates, LOAD, SERVICE, foreign FROM, length."""

from __future__ import annotations

import pytest

from plangraph.errors import QueryError, QueryRefused
from plangraph.store.guard import Guard, has_dataset_clause, query_form

OWN = "https://w3id.org/plangraph/graph/registry"
GUARD = Guard(frozenset({OWN}), max_length=500)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s ?p ?o }",
        'SELECT * WHERE { ?s ?p "DROP ALL; INSERT DATA" }',
        "SELECT * WHERE { ?s <http://example.org/load> ?o } # DELETE WHERE { ?s ?p ?o }",
        "SELECT ?insert ?delete WHERE { ?insert ex:drop ?delete }",
        "SELECT * WHERE { ?s ?p ?o FILTER(?o < 3 && ?o > 1) }",
        f"SELECT * FROM <{OWN}> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{OWN}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "PREFIX g: <https://w3id.org/plangraph/graph/> SELECT * FROM g:registry { ?s ?p ?o }",
        'SELECT * WHERE { ?s ?p """a\nSERVICE <http://x/> { }""" }',
        "SELECT * WHERE { ?s ?p _:with }",
    ],
)
def test_allowed(query: str) -> None:
    GUARD.check(query)


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("INSERT DATA { <a:b> <a:c> <a:d> }", "INSERT"),
        ("PREFIX x: <http://x/> delete where { ?s ?p ?o }", "DELETE"),
        ("DROP ALL", "DROP"),
        ("CLEAR DEFAULT", "CLEAR"),
        ("CREATE GRAPH <http://x/g>", "CREATE"),
        ("ADD DEFAULT TO <http://x/g>", "ADD"),
        ("MOVE DEFAULT TO <http://x/g>", "MOVE"),
        ("COPY DEFAULT TO <http://x/g>", "COPY"),
        ("WITH <http://x/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH"),
    ],
)
def test_updates_are_refused_403(query: str, word: str) -> None:
    with pytest.raises(QueryRefused) as info:
        GUARD.check(query)
    assert info.value.http_status == 403
    assert f"SPARQL Update ({word}) is refused" in info.value.message
    assert "read-only" in info.value.message


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("LOAD <http://example.org/data.ttl>", "LOAD is refused"),
        ("SELECT * WHERE { SERVICE <http://dbpedia.org/sparql> { ?s ?p ?o } }", "SERVICE"),
        ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", "<http://example.org/g>"),
        ("SELECT * FROM NAMED <http://x.org/g> WHERE { ?s ?p ?o }", "<http://x.org/g>"),
        ("PREFIX e: <http://evil.org/> SELECT * FROM e:g { ?s ?p ?o }", "<http://evil.org/g>"),
        ("BASE <http://evil.org/> SELECT * FROM <g> { ?s ?p ?o }", "<http://evil.org/g>"),
    ],
)
def test_remote_access_is_refused_400(query: str, says: str) -> None:
    with pytest.raises(QueryError) as info:
        GUARD.check(query)
    assert info.value.http_status == 400
    assert says in info.value.message
    assert info.value.position is not None


def test_position_points_at_the_keyword() -> None:
    query = "SELECT * WHERE {\n  SERVICE <http://x/> { ?s ?p ?o } }"
    with pytest.raises(QueryError) as info:
        GUARD.check(query)
    assert info.value.position == query.index("SERVICE")
    assert "(line 2, column 3)" in info.value.message


def test_too_long() -> None:
    with pytest.raises(QueryError, match="the limit is 500"):
        GUARD.check("SELECT * WHERE { ?s ?p ?o }" + " " * 500)


def test_protocol_graph_parameters() -> None:
    GUARD.check_dataset([OWN], [OWN])
    with pytest.raises(QueryError) as info:
        GUARD.check_dataset(["http://example.org/remote"], [])
    assert info.value.param == "default-graph-uri"
    with pytest.raises(QueryError) as info:
        GUARD.check_dataset([], ["http://example.org/remote"])
    assert info.value.param == "named-graph-uri"


def test_query_form() -> None:
    assert query_form("# SELECT\nPREFIX a: <http://x/> ASK { ?s ?p ?o }") == "ask"
    assert query_form("CONSTRUCT WHERE { ?s ?p ?o }") == "construct"


def test_dataset_clause_is_a_from_keyword_in_any_case_only() -> None:
    """FROM / FROM NAMED in any case is a dataset clause; "from" in an IRI, a string or a
    variable is not (the shortcut for texts without "from" decides the same)."""
    assert has_dataset_clause("SELECT * FROM <https://x/g> WHERE { ?s ?p ?o }")
    assert has_dataset_clause("select * from named <https://x/g> where { graph ?g {} }")
    for query in (
        "SELECT ?p ?o WHERE { <https://x/from> ?p ?o }",
        'SELECT ?from WHERE { ?s ?p "from" }',
        "SELECT ?p ?o WHERE { <https://x/a> ?p ?o }",
    ):
        assert not has_dataset_clause(query), query
