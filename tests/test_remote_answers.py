"""RemoteStore against answers a SPARQL store should not send (issue 11: bad input gets a
clear error): malformed SPARQL JSON results, an incomplete publication record and an answer
larger than the cap each end in a DatasetError naming the store, never a KeyError,
AttributeError or an unbounded read. The store is a loopback fake (tests/fake_endpoint.py)."""

from __future__ import annotations

import json

import pytest

import plangraph.store.remote as store_module
from plangraph.errors import DatasetError
from plangraph.store.remote import RemoteStore
from tests.fake_endpoint import canned_endpoint

ROW = {"s": {"type": "uri", "value": "http://example.org/a"}}
MALFORMED = {
    "head-not-an-object": {"head": [], "results": {"bindings": [ROW]}},
    "vars-not-a-list": {"head": {"vars": "s"}, "results": {"bindings": [ROW]}},
    "var-not-a-string": {"head": {"vars": [1]}, "results": {"bindings": [ROW]}},
    "binding-not-an-object": {"head": {"vars": ["s"]}, "results": {"bindings": [["s"]]}},
    "term-not-an-object": {"head": {"vars": ["s"]}, "results": {"bindings": [{"s": "a"}]}},
    "uri-not-an-iri": {
        "head": {"vars": ["s"]},
        "results": {"bindings": [{"s": {"type": "uri", "value": "not an iri"}}]},
    },
    "bad-language-tag": {
        "head": {"vars": ["s"]},
        "results": {
            "bindings": [{"s": {"type": "literal", "value": "x", "xml:lang": "not a tag!"}}]
        },
    },
}


@pytest.fixture(scope="module")
def fake():
    with canned_endpoint() as srv:
        yield srv


def _store(fake) -> RemoteStore:
    store = RemoteStore(f"http://127.0.0.1:{fake.server_address[1]}/sparql", load=False, timeout=5)
    store.graph_counts = {"urn:g": 1}
    return store


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_results_are_the_stores_error(fake, name: str) -> None:
    fake.payload = json.dumps(MALFORMED[name]).encode()
    store = _store(fake)
    for call in (
        lambda: store.query("SELECT ?s WHERE { ?s ?p ?o }"),
        lambda: store.select("SELECT ?s WHERE { ?s ?p ?o }"),
    ):
        with pytest.raises(DatasetError) as err:
            call()
        assert store.endpoint in str(err.value) and "SPARQL JSON results" in str(err.value)


def test_well_formed_results_still_read(fake) -> None:
    """The control: the same fake with a valid answer gives the row."""
    fake.payload = json.dumps({"head": {"vars": ["s"]}, "results": {"bindings": [ROW]}}).encode()
    store = _store(fake)
    assert store.select("SELECT ?s WHERE { ?s ?p ?o }") == [{"s": "http://example.org/a"}]
    out = store.query("SELECT ?s WHERE { ?s ?p ?o }", "csv")
    assert out.body.decode().splitlines() == ["s", "http://example.org/a"]


@pytest.mark.parametrize(
    "bindings",
    [
        [{"build": {"type": "literal", "value": "b1"}}],  # no graph, no count
        [
            {
                "build": {"type": "literal", "value": "b1"},
                "graph": {"type": "uri", "value": "urn:g"},
                "count": {"type": "literal", "value": "many"},
            }
        ],
    ],
    ids=["missing-variables", "count-not-a-number"],
)
def test_malformed_publication_record(fake, bindings: list[dict]) -> None:
    fake.payload = json.dumps(
        {"head": {"vars": ["build", "graph", "count"]}, "results": {"bindings": bindings}}
    ).encode()
    with pytest.raises(DatasetError, match=r"publication record .* malformed") as err:
        _store(fake).reload()
    assert str(fake.server_address[1]) in str(err.value)


def test_oversize_answer_is_refused_unread(fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "MAX_REMOTE_ANSWER", 1000)
    rows = [ROW] * 100  # about 5 KB
    fake.payload = json.dumps({"head": {"vars": ["s"]}, "results": {"bindings": rows}}).encode()
    assert len(fake.payload) > 1000
    with pytest.raises(DatasetError, match="more than 1000 bytes"):
        _store(fake).query("SELECT ?s WHERE { ?s ?p ?o }")
    monkeypatch.setattr(store_module, "MAX_REMOTE_ANSWER", len(fake.payload))
    assert _store(fake).query("SELECT ?s WHERE { ?s ?p ?o }").count == 100


def test_the_result_byte_cap_holds_on_a_remote_store(fake) -> None:
    """Issue 20, item 6, on a remote store (its answers go through DirectRunner): 30 rows of
    100 KB with a 1 MB cap are cut, marked truncated, and the body parses."""
    from plangraph.store.pool import DirectRunner, QueryRequest

    big = {"s": {"type": "literal", "value": "x" * 100_000}}
    fake.payload = json.dumps({"head": {"vars": ["s"]}, "results": {"bindings": [big] * 30}})
    fake.payload = fake.payload.encode()
    runner = DirectRunner(_store(fake), max_rows=10_000, max_bytes=1_000_000)
    out = runner.run(QueryRequest("SELECT ?s WHERE { ?s ?p ?o }", ("json",)))
    assert out.truncated and len(out.body) <= 1_000_000
    assert out.count is not None and 0 < out.count < 30
    assert len(json.loads(out.body)["results"]["bindings"]) == out.count
