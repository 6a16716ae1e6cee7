"""No outbound request, ever: every way a SPARQL request (or a file the build loads, or a
JSON-LD document with a remote @context) could make plangraph fetch a URL, against loopback
listeners that count connections and a file:// canary. Every attempt must be refused (4xx) or
return no canary bytes, and the listeners must see 0 connections. A positive control
(pyoxigraph without our guard connects to the same listener) proves the listeners would
notice."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from plangraph.paths import ProjectPaths
from tests.outbound import COUNTER, Targets, targets
from tests.server_process import running_server

ALL = "?s ?p ?o"
Vector = Callable[[str], tuple[str, dict[str, object]]]


def q(text: str) -> dict[str, object]:
    return {"params": {"query": text}}


VECTORS: dict[str, Vector] = {
    "service-const": lambda t: ("GET", q(f"SELECT * WHERE {{ SERVICE <{t}> {{ {ALL} }} }}")),
    "service-silent": lambda t: (
        "POST",
        {"data": {"query": f"SELECT * WHERE {{ SERVICE SILENT <{t}> {{ {ALL} }} }}"}},
    ),
    "service-lowercase": lambda t: ("GET", q(f"select * where {{ service <{t}> {{ {ALL} }} }}")),
    "service-var-values": lambda t: (
        "GET",
        q(f"SELECT * WHERE {{ VALUES ?svc {{ <{t}> }} SERVICE ?svc {{ {ALL} }} }}"),
    ),
    "service-var-bind": lambda t: (
        "POST",
        {
            "content": f"SELECT * WHERE {{ BIND(<{t}> AS ?e) SERVICE ?e {{ {ALL} }} }}",
            "headers": {"content-type": "application/sparql-query"},
        },
    ),
    "service-prefixed": lambda t: (
        "GET",
        q(f"PREFIX r: <{t}> SELECT * WHERE {{ SERVICE r:x {{ {ALL} }} }}"),
    ),
    "from": lambda t: ("GET", q(f"SELECT * FROM <{t}> WHERE {{ {ALL} }}")),
    "from-named": lambda t: (
        "POST",
        {"data": {"query": f"SELECT * FROM NAMED <{t}> WHERE {{ GRAPH ?g {{ {ALL} }} }}"}},
    ),
    "from-base": lambda t: ("GET", q(f"BASE <{t}> SELECT * FROM <> WHERE {{ {ALL} }}")),
    "construct-from": lambda t: ("GET", q(f"CONSTRUCT {{ {ALL} }} FROM <{t}> WHERE {{ {ALL} }}")),
    "load": lambda t: ("POST", {"data": {"query": f"LOAD <{t}>"}}),
    "load-update-param": lambda t: ("POST", {"data": {"update": f"LOAD <{t}>"}}),
    "load-update-media": lambda t: (
        "POST",
        {
            "content": f"LOAD SILENT <{t}> INTO GRAPH <urn:x>",
            "headers": {"content-type": "application/sparql-update"},
        },
    ),
    # a JSON-LD document whose @context is the target (a Graph Store write: never read)
    "jsonld-context": lambda t: (
        "POST",
        {
            "content": json.dumps({"@context": t, "@id": "urn:x", "p": "v"}),
            "headers": {"content-type": "application/ld+json"},
        },
    ),
    "default-graph-uri": lambda t: (
        "GET",
        {"params": {"query": f"SELECT * WHERE {{ {ALL} }} LIMIT 1", "default-graph-uri": t}},
    ),
    "named-graph-uri": lambda t: (
        "POST",
        {"data": {"query": f"SELECT * WHERE {{ {ALL} }} LIMIT 1", "named-graph-uri": t}},
    ),
}


@pytest.fixture(scope="module")
def world(paths: ProjectPaths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    tmp = tmp_path_factory.mktemp("outbound")
    with targets(tmp) as t, running_server(paths.root) as url:
        yield url, t


def test_every_outbound_vector_is_refused(world: tuple[str, Targets]) -> None:
    url, t = world
    before = COUNTER.connections
    attempts = refused = 0
    with httpx.Client(base_url=url, timeout=30) as client:
        for name, vector in VECTORS.items():
            for target in t.all():
                method, kwargs = vector(target)
                r = client.request(method, "/sparql", **kwargs)  # type: ignore[arg-type]
                attempts += 1
                assert 400 <= r.status_code < 500, (name, target, r.status_code, r.text)
                assert t.secret not in r.text, (name, target)
                assert "root:" not in r.text, (name, target)
                refused += 1
    assert attempts >= 40
    assert COUNTER.connections == before, COUNTER.peers
    print(
        f"\noutbound: {attempts} attempts, {refused} refused (4xx), "
        f"{COUNTER.connections - before} connections seen, 0 canary bytes"
    )


def test_owl_imports_and_shapes_graph_are_not_followed(tmp_path: Path) -> None:
    """The build's RDF loaders (ontology, shapes, SHACL validation) never follow
    owl:imports or sh:shapesGraph, whatever the target."""
    from rdflib import Graph

    from plangraph.graph.mapping import ontology_graph
    from plangraph.shacl.loading import load_shapes
    from plangraph.shacl.reference import validate_graph

    with targets(tmp_path) as t:
        before = COUNTER.connections
        lines = [
            "@prefix owl: <http://www.w3.org/2002/07/owl#> .",
            "@prefix sh: <http://www.w3.org/ns/shacl#> .",
        ]
        for i, target in enumerate(t.all()):
            lines.append(f"<urn:o{i}> a owl:Ontology ; owl:imports <{target}> .")
            lines.append(f"<urn:o{i}> sh:shapesGraph <{target}> .")
        (tmp_path / "o.ttl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        g = Graph()
        ontology_graph(g, tmp_path)
        shapes = load_shapes(tmp_path)
        report = validate_graph(g, shapes)
        assert report.conforms
        assert COUNTER.connections == before, COUNTER.peers


def test_positive_control_listener_sees_an_unguarded_engine(tmp_path: Path) -> None:
    """Without plangraph's guard, the engine itself does fetch SERVICE IRIs: this is what
    the guard stops, and the proof that the listener counts connections."""
    with targets(tmp_path) as t:
        before = COUNTER.connections
        query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{t.port}/> {{ {ALL} }} }}"
        with contextlib.suppress(OSError, SyntaxError, ValueError):
            list(ox.Store().query(query))  # type: ignore[arg-type]
        assert COUNTER.connections > before


def test_remote_store_does_not_follow_jsonld_contexts(tmp_path: Path) -> None:
    """A remote store answering with JSON-LD whose @context is a target (instead of SPARQL
    JSON results or N-Triples): refused as the store's error, the context never fetched."""
    from plangraph.errors import DatasetError
    from plangraph.store.remote import RemoteStore
    from tests.fake_endpoint import canned_endpoint

    with targets(tmp_path) as t, canned_endpoint() as fake:
        before = COUNTER.connections
        store = RemoteStore(f"http://127.0.0.1:{fake.server_address[1]}/sparql", load=False)
        store.graph_counts = {"urn:g": 1}
        fake.media = "application/ld+json"
        attempts = 0
        for target in t.all():
            fake.payload = json.dumps({"@context": target, "@id": "urn:x", "p": "v"}).encode()
            for call in (
                lambda: store.query("SELECT * WHERE { ?s ?p ?o }"),
                lambda: store.query("CONSTRUCT WHERE { ?s ?p ?o }", "jsonld"),
            ):
                with pytest.raises(DatasetError):
                    call()
                attempts += 1
        assert attempts == 2 * len(t.all())
        assert COUNTER.connections == before, COUNTER.peers
