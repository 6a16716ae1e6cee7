"""The W3C SPARQL 1.1 Protocol test suite, as our own tests against plangraph's endpoint over
real HTTP (a ``plangraph serve`` subprocess).

Source: the manifest ``sparql/sparql11/protocol/manifest.ttl`` of the W3C rdf-tests
repository (https://github.com/w3c/rdf-tests, read at commit
0198f458a7ae9438a92b566d29624b985fe6360f). It lists 34 entries; there is exactly one test
here per entry, named after it (``test_<entry>``), in the manifest's order. Each request
(method, ``ht:absolutePath`` with its query string as written, Content-Type, body and its
encoding) is copied from the entry; the only change is the endpoint's path, ``/sparql``
where the manifest has ``/sparql/`` (on this server ``/sparql/`` redirects to ``/sparql``).

The data: the manifest's ``ut:graphData`` load http://kasei.us/2009/09/sparql/data/data1.rdf,
data2.rdf and data3.rdf as named graphs, and several requests name data0.rdf as their default
graph. This server never fetches data and is read-only, so the dataset it serves here is the
project's dataset plus those four graphs, each holding the triple the update cases insert
(``<dataN.rdf> a foaf:Document``).

Expectations, from each entry's ``ht:resp``:

- query cases (``mf:expectedStatus`` 2xx or 3xx): 2xx here, with a media type for the
  ``mf:expectedFormat`` (boolean, tabular or RDF results) and, where the manifest gives one,
  the ``mf:expectedBoolean``;
- update cases (2xx in the manifest, then a query that sees the update): the endpoint is
  read-only, so the update must get a 4xx, the follow-up query (as in the manifest) must
  see nothing of it, and the dataset must be unchanged (triples per graph);
- bad cases (``ht:StatusCode4xx``): 4xx, dataset unchanged.

No response may be a 5xx.

One entry as written does not test what it names: ``query_multiple_dataset``'s absolutePath
encodes the ``&`` between its two ``named-graph-uri`` parameters (``%26``, ``%3D``), which
makes one parameter whose value is no graph. Its test sends the request as written (this
server refuses the unknown graph with a 4xx, never a 5xx) and then as its name and expected
result describe (two parameters: true).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from plangraph.build import MANIFEST, NQUADS
from plangraph.paths import ProjectPaths
from tests.server_process import dataset_folder, running_server

MANIFEST_ENTRIES = [
    "query_post_form",
    "query_dataset_default_graphs_get",
    "query_dataset_default_graphs_post",
    "query_dataset_named_graphs_post",
    "query_dataset_named_graphs_get",
    "query_dataset_full",
    "query_multiple_dataset",
    "query_get",
    "query_content_type_select",
    "query_content_type_ask",
    "query_content_type_describe",
    "query_content_type_construct",
    "update_dataset_default_graph",
    "update_dataset_default_graphs",
    "update_dataset_named_graphs",
    "update_dataset_full",
    "update_post_form",
    "update_post_direct",
    "update_base_uri",
    "query_post_direct",
    "bad_query_method",
    "bad_multiple_queries",
    "bad_query_wrong_media_type",
    "bad_query_missing_form_type",
    "bad_query_missing_direct_type",
    "bad_query_non_utf8",
    "bad_query_syntax",
    "bad_update_get",
    "bad_multiple_updates",
    "bad_update_wrong_media_type",
    "bad_update_missing_form_type",
    "bad_update_non_utf8",
    "bad_update_syntax",
    "bad_update_dataset_conflict",
]

KASEI = "http://kasei.us/2009/09/sparql/data/"
FOAF_DOCUMENT = "http://xmlns.com/foaf/0.1/Document"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
BOOLEAN_MEDIA = ("application/sparql-results+xml", "application/sparql-results+json")
TABULAR_MEDIA = (*BOOLEAN_MEDIA, "text/csv", "text/tab-separated-values")
RDF_MEDIA = (
    "application/rdf+xml",
    "text/turtle",
    "application/n-triples",
    "application/ld+json",
    "application/trig",
    "application/n-quads",
)
FINGERPRINT = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


# --- the server, its dataset, and the request/response helpers


def w3c_dataset(source: Path, dest: Path) -> Path:
    """The project's built dataset plus the W3C data graphs, as a dataset folder."""
    extra = "".join(
        f"<{KASEI}data{i}.rdf> <{RDF_TYPE}> <{FOAF_DOCUMENT}> <{KASEI}data{i}.rdf> .\n"
        for i in range(4)
    )
    data = (source / NQUADS).read_bytes() + extra.encode()
    manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    manifest["build_id"] = hashlib.sha256(data).hexdigest()[:16]
    manifest["triples"] = manifest.get("triples", 0) + 4
    (dest / NQUADS).write_bytes(data)
    (dest / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return dest


@pytest.fixture(scope="module")
def c(paths: ProjectPaths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    graph = w3c_dataset(dataset_folder() or paths.graph, tmp_path_factory.mktemp("w3c-graph"))
    with (
        running_server(paths.root, graph=graph) as url,
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def fingerprint(c: httpx.Client) -> list[tuple[str, str]]:
    """Triples per named graph, before any case ran."""
    return _fingerprint(c)


def _fingerprint(c: httpx.Client) -> list[tuple[str, str]]:
    r = c.get("/sparql", params={"query": FINGERPRINT}, headers={"accept": BOOLEAN_MEDIA[1]})
    assert r.status_code == 200, r.text
    rows = [(b["g"]["value"], b["n"]["value"]) for b in r.json()["results"]["bindings"]]
    assert len(rows) > 4 and (f"{KASEI}data1.rdf", "1") in rows
    return rows


def send(
    c: httpx.Client,
    method: str,
    absolute_path: str,
    body: str | None = None,
    content_type: str | None = None,
    encoding: str = "utf-8",
) -> httpx.Response:
    """One manifest request: its method, absolutePath (query string as written), body (in
    its cnt:characterEncoding) and Content-Type header (none when the manifest has none)."""
    assert absolute_path.startswith("/sparql/")
    url = "/sparql" + absolute_path.removeprefix("/sparql/")
    headers = {"content-type": content_type} if content_type else {}
    content = body.encode(encoding) if body is not None else None
    r = c.request(method, url, content=content, headers=headers)
    if content_type is None:
        assert "content-type" not in r.request.headers
    assert r.status_code < 500, (r.status_code, r.text[:300])
    return r


def media(r: httpx.Response) -> str:
    return r.headers.get("content-type", "").split(";")[0].strip()


def success(r: httpx.Response, allowed: tuple[str, ...]) -> httpx.Response:
    """mf:expectedStatus 2xx (3xx is allowed by the manifest; this server answers 2xx)."""
    assert 200 <= r.status_code < 300, (r.status_code, r.text[:300])
    assert media(r) in allowed, media(r)
    return r


def boolean(r: httpx.Response) -> bool:
    """mf:expectedFormat "boolean": the answer of an ASK in XML or JSON results."""
    success(r, BOOLEAN_MEDIA)
    if media(r) == BOOLEAN_MEDIA[1]:
        value = r.json()["boolean"]
    else:
        node = ET.fromstring(r.content).find("{http://www.w3.org/2005/sparql-results#}boolean")
        assert node is not None
        value = {"true": True, "false": False}[node.text or ""]
    assert isinstance(value, bool)
    return value


def tabular(r: httpx.Response) -> list[dict[str, str]]:
    """mf:expectedFormat "tabular": SELECT results (XML, JSON, CSV or TSV) as rows."""
    success(r, TABULAR_MEDIA)
    kind = media(r)
    if kind == "application/sparql-results+json":
        return [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]
    if kind == "text/csv":
        return list(csv.DictReader(io.StringIO(r.text)))
    if kind == "text/tab-separated-values":
        lines = r.text.splitlines()
        names = [v.lstrip("?") for v in lines[0].split("\t")]
        return [dict(zip(names, line.split("\t"), strict=True)) for line in lines[1:]]
    ns = "{http://www.w3.org/2005/sparql-results#}"
    return [
        {b.get("name", ""): "".join(b.itertext()) for b in result.iter(f"{ns}binding")}
        for result in ET.fromstring(r.content).iter(f"{ns}result")
    ]


def rdf(r: httpx.Response) -> list[ox.Quad | ox.Triple]:
    """mf:expectedFormat "RDF": an RDF document in a media type for graphs."""
    success(r, RDF_MEDIA)
    fmt = ox.RdfFormat.from_media_type(media(r))
    assert fmt is not None
    return list(ox.parse(r.content, fmt))


def refused(r: httpx.Response) -> None:
    """ht:StatusCode4xx (and an update refused by this read-only endpoint)."""
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])


def unchanged(c: httpx.Client, fingerprint: list[tuple[str, str]]) -> None:
    assert _fingerprint(c) == fingerprint


# --- query cases


def test_query_post_form(c: httpx.Client) -> None:
    r = send(
        c,
        "POST",
        "/sparql/?default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata0.rdf",
        "query=ASK%20%7B%7D",
        FORM,
    )
    assert boolean(r) is True


def test_query_dataset_default_graphs_get(c: httpx.Client) -> None:
    r = send(
        c,
        "GET",
        "/sparql/?query=ASK%20%7B%20%3Chttp%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1"
        ".rdf%3E%20a%20%3Ftype%20.%20%3Chttp%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2"
        ".rdf%3E%20a%20%3Ftype%20.%20%7D"
        "&default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf"
        "&default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf",
    )
    assert boolean(r) is True


def test_query_dataset_default_graphs_post(c: httpx.Client) -> None:
    r = send(
        c,
        "POST",
        "/sparql/?default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf"
        "&default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf",
        "ASK { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?type . "
        "<http://kasei.us/2009/09/sparql/data/data2.rdf> a ?type . }",
        DIRECT,
    )
    assert boolean(r) is True


def test_query_dataset_named_graphs_post(c: httpx.Client) -> None:
    r = send(
        c,
        "POST",
        "/sparql/?named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf"
        "&named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf",
        "ASK { GRAPH ?g1 { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?type } "
        "GRAPH ?g2 { <http://kasei.us/2009/09/sparql/data/data2.rdf> a ?type } }",
        DIRECT,
    )
    assert boolean(r) is True


def test_query_dataset_named_graphs_get(c: httpx.Client) -> None:
    r = send(
        c,
        "GET",
        "/sparql/?query=ASK%20%7B%20GRAPH%20%3Fg1%20%7B%20%3Chttp%3A%2F%2Fkasei.us%2F2009%2F09%2F"
        "sparql%2Fdata%2Fdata1.rdf%3E%20a%20%3Ftype%20%7D%20GRAPH%20%3Fg2%20%7B%20%3Chttp%3A%2F%2F"
        "kasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf%3E%20a%20%3Ftype%20%7D%20%7D"
        "&named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf"
        "&named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf",
    )
    assert boolean(r) is True


def test_query_dataset_full(c: httpx.Client) -> None:
    r = send(
        c,
        "POST",
        "/sparql/?default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata3.rdf"
        "&named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf"
        "&named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf",
        "ASK {\n"
        "  <http://kasei.us/2009/09/sparql/data/data3.rdf> a ?type\n"
        "  GRAPH ?g1 { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?type }\n"
        "  GRAPH ?g2 { <http://kasei.us/2009/09/sparql/data/data2.rdf> a ?type }\n"
        "}",
        DIRECT,
    )
    assert boolean(r) is True


def test_query_multiple_dataset(c: httpx.Client) -> None:
    query = (
        "ASK FROM <http://kasei.us/2009/09/sparql/data/data3.rdf> "
        "{ GRAPH ?g1 { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?type } "
        "GRAPH ?g2 { <http://kasei.us/2009/09/sparql/data/data2.rdf> a ?type } }"
    )
    # as written: one named-graph-uri whose value is "...data1.rdf&named-graph-uri=...data2.rdf"
    as_written = send(
        c,
        "POST",
        "/sparql/?named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf"
        "%26named-graph-uri%3Dhttp%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf",
        query,
        DIRECT,
    )
    refused(as_written)
    # as named: the protocol's named graphs win over the query's FROM (expected true)
    r = send(
        c,
        "POST",
        "/sparql/?named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf"
        "&named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf",
        query,
        DIRECT,
    )
    assert boolean(r) is True


def test_query_get(c: httpx.Client) -> None:
    r = send(
        c,
        "GET",
        "/sparql/?query=ASK%20%7B%7D"
        "&default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata0.rdf",
    )
    assert boolean(r) is True


DATA0 = "/sparql/?default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata0.rdf"


def test_query_content_type_select(c: httpx.Client) -> None:
    rows = tabular(send(c, "POST", DATA0, "SELECT (1 AS ?value) {}", DIRECT))
    assert rows == [{"value": "1"}]


def test_query_content_type_ask(c: httpx.Client) -> None:
    assert boolean(send(c, "POST", DATA0, "ASK {}", DIRECT)) is True


def test_query_content_type_describe(c: httpx.Client) -> None:
    assert rdf(send(c, "POST", DATA0, "DESCRIBE <http://example.org/>", DIRECT)) == []


def test_query_content_type_construct(c: httpx.Client) -> None:
    """Relative IRIs resolve against the service's base IRI (this server: the endpoint)."""
    (triple,) = rdf(send(c, "POST", DATA0, "CONSTRUCT { <s> <p> 1 } WHERE {}", DIRECT))
    assert triple.subject.value.endswith("/s") and triple.predicate.value.endswith("/p")
    assert triple.object == ox.Literal("1", datatype=ox.NamedNode(XSD_INTEGER))


# --- update cases: the update is refused (4xx), its follow-up query sees nothing of it


def test_update_dataset_default_graph(c: httpx.Client, fingerprint) -> None:
    refused(
        send(
            c,
            "POST",
            "/sparql/?using-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf",
            "PREFIX dc: <http://purl.org/dc/terms/>\n"
            "PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
            "CLEAR ALL ;\n"
            "INSERT DATA {\n"
            "    GRAPH <http://kasei.us/2009/09/sparql/data/data1.rdf> {\n"
            "        <http://kasei.us/2009/09/sparql/data/data1.rdf> a foaf:Document\n"
            "    }\n"
            "} ;\n"
            "INSERT {\n"
            "    GRAPH <http://example.org/protocol-update-dataset-test/> {\n"
            "        ?s a dc:BibliographicResource\n"
            "    }\n"
            "}\n"
            "WHERE {\n"
            "    ?s a foaf:Document\n"
            "}",
            UPDATE,
        )
    )
    after = send(
        c,
        "POST",
        "/sparql/",
        "ASK {\n"
        "    GRAPH <http://example.org/protocol-update-dataset-test/> {\n"
        "        <http://kasei.us/2009/09/sparql/data/data1.rdf> a "
        "<http://purl.org/dc/terms/BibliographicResource>\n"
        "    }\n"
        "}",
        DIRECT,
    )
    assert boolean(after) is False
    unchanged(c, fingerprint)


INSERT_THREE = (
    "PREFIX dc: <http://purl.org/dc/terms/>\n"
    "PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
    "DROP ALL ;\n"
    "INSERT DATA {\n"
    "    GRAPH <http://kasei.us/2009/09/sparql/data/data1.rdf> "
    "{ <http://kasei.us/2009/09/sparql/data/data1.rdf> a foaf:Document }\n"
    "    GRAPH <http://kasei.us/2009/09/sparql/data/data2.rdf> "
    "{ <http://kasei.us/2009/09/sparql/data/data2.rdf> a foaf:Document }\n"
    "    GRAPH <http://kasei.us/2009/09/sparql/data/data3.rdf> "
    "{ <http://kasei.us/2009/09/sparql/data/data3.rdf> a foaf:Document }\n"
    "} ;\n"
)


def _ask_graph_test(graph: str) -> str:
    """The follow-up ASK of update_dataset_default_graphs and update_dataset_named_graphs."""
    return (
        "ASK {\n"
        f"    GRAPH <{graph}> {{\n"
        "        <http://kasei.us/2009/09/sparql/data/data1.rdf> a "
        "<http://purl.org/dc/terms/BibliographicResource> .\n"
        "        <http://kasei.us/2009/09/sparql/data/data2.rdf> a "
        "<http://purl.org/dc/terms/BibliographicResource> .\n"
        "    }\n"
        "    FILTER NOT EXISTS {\n"
        f"        GRAPH <{graph}> {{\n"
        "            <http://kasei.us/2009/09/sparql/data/data3.rdf> a "
        "<http://purl.org/dc/terms/BibliographicResource> .\n"
        "        }\n"
        "    }\n"
        "}"
    )


def test_update_dataset_default_graphs(c: httpx.Client, fingerprint) -> None:
    graph = "http://example.org/protocol-update-dataset-graphs-test/"
    refused(
        send(
            c,
            "POST",
            "/sparql/?using-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf"
            "&using-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf",
            INSERT_THREE + "INSERT {\n"
            f"    GRAPH <{graph}> {{\n"
            "        ?s a dc:BibliographicResource\n"
            "    }\n"
            "}\n"
            "WHERE {\n"
            "    ?s a foaf:Document\n"
            "}",
            UPDATE,
        )
    )
    assert boolean(send(c, "POST", "/sparql/", _ask_graph_test(graph), DIRECT)) is False
    unchanged(c, fingerprint)


def test_update_dataset_named_graphs(c: httpx.Client, fingerprint) -> None:
    graph = "http://example.org/protocol-update-dataset-named-graphs-test/"
    refused(
        send(
            c,
            "POST",
            "/sparql/?using-named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2F"
            "data1.rdf&using-named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2F"
            "data2.rdf",
            INSERT_THREE + "INSERT {\n"
            f"    GRAPH <{graph}> {{\n"
            "        ?s a dc:BibliographicResource\n"
            "    }\n"
            "}\n"
            "WHERE {\n"
            "    GRAPH ?g {\n"
            "        ?s a foaf:Document\n"
            "    }\n"
            "}",
            UPDATE,
        )
    )
    assert boolean(send(c, "POST", "/sparql/", _ask_graph_test(graph), DIRECT)) is False
    unchanged(c, fingerprint)


def test_update_dataset_full(c: httpx.Client, fingerprint) -> None:
    graph = "http://example.org/protocol-update-dataset-full-test/"
    refused(
        send(
            c,
            "POST",
            "/sparql/?using-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1.rdf"
            "&using-named-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf",
            INSERT_THREE + "INSERT {\n"
            f"    GRAPH <{graph}> {{\n"
            "        ?s <http://example.org/in> ?in\n"
            "    }\n"
            "}\n"
            "WHERE {\n"
            "    {\n"
            "        GRAPH ?g { ?s a foaf:Document }\n"
            "        BIND(?g AS ?in)\n"
            "    }\n"
            "    UNION\n"
            "    {\n"
            "        ?s a foaf:Document .\n"
            '        BIND("default" AS ?in)\n'
            "    }\n"
            "}",
            UPDATE,
        )
    )
    after = send(
        c,
        "POST",
        "/sparql/",
        "ASK {\n"
        f"    GRAPH <{graph}> {{\n"
        "        <http://kasei.us/2009/09/sparql/data/data1.rdf> <http://example.org/in> "
        '"default" .\n'
        "        <http://kasei.us/2009/09/sparql/data/data2.rdf> <http://example.org/in> "
        "<http://kasei.us/2009/09/sparql/data/data2.rdf> .\n"
        "    }\n"
        "    FILTER NOT EXISTS {\n"
        f"        GRAPH <{graph}> {{\n"
        "            <http://kasei.us/2009/09/sparql/data/data3.rdf> ?p ?o\n"
        "        }\n"
        "    }\n"
        "}",
        DIRECT,
    )
    assert boolean(after) is False
    unchanged(c, fingerprint)


def test_update_post_form(c: httpx.Client, fingerprint) -> None:
    refused(send(c, "POST", "/sparql/", "update=CLEAR+ALL", FORM))
    unchanged(c, fingerprint)


def test_update_post_direct(c: httpx.Client, fingerprint) -> None:
    refused(send(c, "POST", "/sparql/", "CLEAR ALL", UPDATE))
    unchanged(c, fingerprint)


def test_update_base_uri(c: httpx.Client, fingerprint) -> None:
    refused(
        send(
            c,
            "POST",
            "/sparql/",
            "CLEAR GRAPH <http://example.org/protocol-base-test/> ;\n"
            "INSERT DATA { GRAPH <http://example.org/protocol-base-test/> "
            "{ <http://example.org/s> <http://example.org/p> <test> } }",
            UPDATE,
        )
    )
    after = send(
        c,
        "POST",
        "/sparql/",
        "SELECT ?o WHERE {\n"
        "    GRAPH <http://example.org/protocol-base-test/> {\n"
        "        <http://example.org/s> <http://example.org/p> ?o\n"
        "    }\n"
        "}",
        DIRECT,
    )
    assert tabular(after) == []  # the manifest: one IRI, not <test>, after the update
    unchanged(c, fingerprint)


def test_query_post_direct(c: httpx.Client) -> None:
    assert boolean(send(c, "POST", "/sparql/", "ASK {}", DIRECT)) is True


# --- bad cases: 4xx


def test_bad_query_method(c: httpx.Client, fingerprint) -> None:
    refused(
        send(
            c,
            "PUT",
            "/sparql/?query=ASK%20%7B%7D"
            "&default-graph-uri=http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata0.rdf",
            "",  # Content-Length: 0
            FORM,
        )
    )
    unchanged(c, fingerprint)


def test_bad_multiple_queries(c: httpx.Client) -> None:
    refused(send(c, "GET", "/sparql/?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D"))


def test_bad_query_wrong_media_type(c: httpx.Client) -> None:
    refused(send(c, "POST", "/sparql/", "ASK {}", "text/plain"))


def test_bad_query_missing_form_type(c: httpx.Client) -> None:
    refused(send(c, "POST", "/sparql/", "query=ASK%20%7B%7D"))


def test_bad_query_missing_direct_type(c: httpx.Client) -> None:
    refused(send(c, "POST", "/sparql/", "ASK {}"))


def test_bad_query_non_utf8(c: httpx.Client) -> None:
    """(Content body encoded in utf-16, with a preceding BOM: 14 bytes.)"""
    r = send(c, "POST", "/sparql/", "ASK {}", f"{DIRECT}; charset=UTF-16", encoding="utf-16")
    assert r.request.headers["content-length"] == "14"
    refused(r)


def test_bad_query_syntax(c: httpx.Client) -> None:
    refused(send(c, "GET", "/sparql/?query=ASK%20%7B"))


def test_bad_update_get(c: httpx.Client, fingerprint) -> None:
    refused(send(c, "GET", "/sparql/?update=CLEAR%20ALL"))
    unchanged(c, fingerprint)


def test_bad_multiple_updates(c: httpx.Client, fingerprint) -> None:
    refused(send(c, "POST", "/sparql/", "update=CLEAR%20NAMED&update=CLEAR%20DEFAULT", FORM))
    unchanged(c, fingerprint)


def test_bad_update_wrong_media_type(c: httpx.Client, fingerprint) -> None:
    refused(send(c, "POST", "/sparql/", "CLEAR NAMED", "text/plain"))
    unchanged(c, fingerprint)


def test_bad_update_missing_form_type(c: httpx.Client, fingerprint) -> None:
    refused(send(c, "POST", "/sparql/", "update=CLEAR%20NAMED"))
    unchanged(c, fingerprint)


def test_bad_update_non_utf8(c: httpx.Client, fingerprint) -> None:
    """(Content body encoded in utf-16, with a preceding BOM: 24 bytes.)"""
    r = send(c, "POST", "/sparql/", "CLEAR NAMED", f"{UPDATE}; charset=UTF-16", encoding="utf-16")
    assert r.request.headers["content-length"] == "24"
    refused(r)
    unchanged(c, fingerprint)


def test_bad_update_syntax(c: httpx.Client, fingerprint) -> None:
    refused(send(c, "POST", "/sparql/", "update=CLEAR%20XYZ", FORM))
    unchanged(c, fingerprint)


def test_bad_update_dataset_conflict(c: httpx.Client, fingerprint) -> None:
    refused(
        send(
            c,
            "POST",
            "/sparql/?using-named-graph-uri=http%3A%2F%2Fexample%2Fpeople",
            "PREFIX foaf:  <http://xmlns.com/foaf/0.1/>\n"
            "WITH <http://example/addresses>\n"
            "DELETE { ?person foaf:givenName 'Bill' }\n"
            "INSERT { ?person foaf:givenName 'William' }\n"
            "WHERE {\n"
            "    ?person foaf:givenName 'Bill'\n"
            "}",
            UPDATE,
        )
    )
    unchanged(c, fingerprint)


# exactly one test per manifest entry, named after it (checked when the module is collected)
assert len(MANIFEST_ENTRIES) == 34
assert sorted(n.removeprefix("test_") for n in dir() if n.startswith("test_")) == sorted(
    MANIFEST_ENTRIES
), "tests/test_w3c_protocol.py: one test per manifest entry"
