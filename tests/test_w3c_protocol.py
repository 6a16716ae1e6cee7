"""The W3C SPARQL 1.1 Protocol test suite, as our own tests against plangraph's endpoint over
real HTTP (a ``plangraph serve`` subprocess).

Source: the manifest ``sparql/sparql11/protocol/manifest.ttl`` of the W3C rdf-tests
repository (https://github.com/w3c/rdf-tests, read at commit
0198f458a7ae9438a92b566d29624b985fe6360f). It lists 34 entries; :data:`CASES` has exactly one
row per entry, named after it, in the manifest's order, and one parametrised test runs each
(``test_manifest_entry[<entry>]``). Each request
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
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from plangraph.graph.build import MANIFEST, NQUADS
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


# --- the manifest's entries, one row each, in its order


@dataclass(frozen=True)
class Req:
    """One manifest request: method, ht:absolutePath (query string as written), body (in its
    cnt:characterEncoding) and Content-Type (None when the manifest sends none)."""

    method: str
    path: str
    body: str | None = None
    content_type: str | None = None
    encoding: str = "utf-8"


@dataclass(frozen=True)
class Case:
    """A manifest entry: its request and what must come back. ``expect``: True or False (an
    ASK's boolean), a list of rows (SELECT), "rdf-empty" (a graph with no triple),
    "construct" (the one triple of query_content_type_construct), or "refused" (4xx).
    ``then``/``then_expect``: the follow-up request of an update entry and its answer.
    ``length``: the request's Content-Length where the entry states its encoded size.
    ``unchanged``: the dataset must be as before (triples per graph)."""

    name: str
    request: Req
    expect: object
    then: Req | None = None
    then_expect: object = None
    length: int | None = None
    unchanged: bool = False


DATA = "http%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2F"
DATA0 = f"/sparql/?default-graph-uri={DATA}data0.rdf"
ASK_DATA1_DATA2_TYPE = f"ASK {{ <{KASEI}data1.rdf> a ?type . <{KASEI}data2.rdf> a ?type . }}"
ASK_NAMED = (
    f"ASK {{ GRAPH ?g1 {{ <{KASEI}data1.rdf> a ?type }} "
    f"GRAPH ?g2 {{ <{KASEI}data2.rdf> a ?type }} }}"
)
MULTIPLE = (
    f"ASK FROM <{KASEI}data3.rdf> {{ GRAPH ?g1 {{ <{KASEI}data1.rdf> a ?type }} "
    f"GRAPH ?g2 {{ <{KASEI}data2.rdf> a ?type }} }}"
)
UPDATE_DEFAULT_GRAPH = (
    "PREFIX dc: <http://purl.org/dc/terms/>\n"
    "PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
    "CLEAR ALL ;\n"
    "INSERT DATA {\n"
    f"    GRAPH <{KASEI}data1.rdf> {{\n"
    f"        <{KASEI}data1.rdf> a foaf:Document\n"
    "    }\n"
    "} ;\n"
    "INSERT {\n"
    "    GRAPH <http://example.org/protocol-update-dataset-test/> {\n"
    "        ?s a dc:BibliographicResource\n"
    "    }\n"
    "}\n"
    "WHERE {\n"
    "    ?s a foaf:Document\n"
    "}"
)
INSERT_THREE = (
    "PREFIX dc: <http://purl.org/dc/terms/>\n"
    "PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
    "DROP ALL ;\n"
    "INSERT DATA {\n"
    f"    GRAPH <{KASEI}data1.rdf> {{ <{KASEI}data1.rdf> a foaf:Document }}\n"
    f"    GRAPH <{KASEI}data2.rdf> {{ <{KASEI}data2.rdf> a foaf:Document }}\n"
    f"    GRAPH <{KASEI}data3.rdf> {{ <{KASEI}data3.rdf> a foaf:Document }}\n"
    "} ;\n"
)


def insert_into(graph: str, triple: str, where: str) -> str:
    insert = f"INSERT {{\n    GRAPH <{graph}> {{\n        {triple}\n    }}\n}}\n"
    return f"{INSERT_THREE}{insert}WHERE {where}"


def ask_bibliographic(graph: str) -> str:
    """The follow-up ASK of update_dataset_default_graphs and update_dataset_named_graphs."""
    bib = "<http://purl.org/dc/terms/BibliographicResource>"
    return (
        f"ASK {{\n    GRAPH <{graph}> {{\n"
        f"        <{KASEI}data1.rdf> a {bib} .\n"
        f"        <{KASEI}data2.rdf> a {bib} .\n    }}\n"
        f"    FILTER NOT EXISTS {{\n        GRAPH <{graph}> {{\n"
        f"            <{KASEI}data3.rdf> a {bib} .\n        }}\n    }}\n}}"
    )


GRAPHS_TEST = "http://example.org/protocol-update-dataset-graphs-test/"
NAMED_TEST = "http://example.org/protocol-update-dataset-named-graphs-test/"
FULL_TEST = "http://example.org/protocol-update-dataset-full-test/"
BASE_TEST = "http://example.org/protocol-base-test/"

CASES = [
    # --- query cases: 2xx, with the expected format and answer
    Case("query_post_form", Req("POST", DATA0, "query=ASK%20%7B%7D", FORM), True),
    Case(
        "query_dataset_default_graphs_get",
        Req(
            "GET",
            "/sparql/?query=ASK%20%7B%20%3Chttp%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata1"
            ".rdf%3E%20a%20%3Ftype%20.%20%3Chttp%3A%2F%2Fkasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2"
            ".rdf%3E%20a%20%3Ftype%20.%20%7D"
            f"&default-graph-uri={DATA}data1.rdf&default-graph-uri={DATA}data2.rdf",
        ),
        True,
    ),
    Case(
        "query_dataset_default_graphs_post",
        Req(
            "POST",
            f"/sparql/?default-graph-uri={DATA}data1.rdf&default-graph-uri={DATA}data2.rdf",
            ASK_DATA1_DATA2_TYPE,
            DIRECT,
        ),
        True,
    ),
    Case(
        "query_dataset_named_graphs_post",
        Req(
            "POST",
            f"/sparql/?named-graph-uri={DATA}data1.rdf&named-graph-uri={DATA}data2.rdf",
            ASK_NAMED,
            DIRECT,
        ),
        True,
    ),
    Case(
        "query_dataset_named_graphs_get",
        Req(
            "GET",
            "/sparql/?query=ASK%20%7B%20GRAPH%20%3Fg1%20%7B%20%3Chttp%3A%2F%2Fkasei.us%2F2009%2F09%2F"
            "sparql%2Fdata%2Fdata1.rdf%3E%20a%20%3Ftype%20%7D%20GRAPH%20%3Fg2%20%7B%20%3Chttp%3A%2F%2F"
            "kasei.us%2F2009%2F09%2Fsparql%2Fdata%2Fdata2.rdf%3E%20a%20%3Ftype%20%7D%20%7D"
            f"&named-graph-uri={DATA}data1.rdf&named-graph-uri={DATA}data2.rdf",
        ),
        True,
    ),
    Case(
        "query_dataset_full",
        Req(
            "POST",
            f"/sparql/?default-graph-uri={DATA}data3.rdf"
            f"&named-graph-uri={DATA}data1.rdf&named-graph-uri={DATA}data2.rdf",
            "ASK {\n"
            f"  <{KASEI}data3.rdf> a ?type\n"
            f"  GRAPH ?g1 {{ <{KASEI}data1.rdf> a ?type }}\n"
            f"  GRAPH ?g2 {{ <{KASEI}data2.rdf> a ?type }}\n"
            "}",
            DIRECT,
        ),
        True,
    ),
    # as written: one named-graph-uri whose value is "...data1.rdf&named-graph-uri=...data2.rdf"
    # (refused: no such graph); then as named: the protocol's named graphs win over FROM
    Case(
        "query_multiple_dataset",
        Req(
            "POST",
            f"/sparql/?named-graph-uri={DATA}data1.rdf%26named-graph-uri%3D{DATA}data2.rdf",
            MULTIPLE,
            DIRECT,
        ),
        "refused",
        then=Req(
            "POST",
            f"/sparql/?named-graph-uri={DATA}data1.rdf&named-graph-uri={DATA}data2.rdf",
            MULTIPLE,
            DIRECT,
        ),
        then_expect=True,
    ),
    Case(
        "query_get",
        Req("GET", f"/sparql/?query=ASK%20%7B%7D&default-graph-uri={DATA}data0.rdf"),
        True,
    ),
    Case(
        "query_content_type_select",
        Req("POST", DATA0, "SELECT (1 AS ?value) {}", DIRECT),
        [{"value": "1"}],
    ),
    Case("query_content_type_ask", Req("POST", DATA0, "ASK {}", DIRECT), True),
    Case(
        "query_content_type_describe",
        Req("POST", DATA0, "DESCRIBE <http://example.org/>", DIRECT),
        "rdf-empty",
    ),
    Case(
        "query_content_type_construct",
        Req("POST", DATA0, "CONSTRUCT { <s> <p> 1 } WHERE {}", DIRECT),
        "construct",
    ),
    # --- update cases: this endpoint is read-only, so the update is refused (4xx) and its
    # follow-up query sees nothing of it
    Case(
        "update_dataset_default_graph",
        Req("POST", f"/sparql/?using-graph-uri={DATA}data1.rdf", UPDATE_DEFAULT_GRAPH, UPDATE),
        "refused",
        then=Req(
            "POST",
            "/sparql/",
            "ASK {\n"
            "    GRAPH <http://example.org/protocol-update-dataset-test/> {\n"
            f"        <{KASEI}data1.rdf> a <http://purl.org/dc/terms/BibliographicResource>\n"
            "    }\n"
            "}",
            DIRECT,
        ),
        then_expect=False,
        unchanged=True,
    ),
    Case(
        "update_dataset_default_graphs",
        Req(
            "POST",
            f"/sparql/?using-graph-uri={DATA}data1.rdf&using-graph-uri={DATA}data2.rdf",
            insert_into(
                GRAPHS_TEST, "?s a dc:BibliographicResource", "{\n    ?s a foaf:Document\n}"
            ),
            UPDATE,
        ),
        "refused",
        then=Req("POST", "/sparql/", ask_bibliographic(GRAPHS_TEST), DIRECT),
        then_expect=False,
        unchanged=True,
    ),
    Case(
        "update_dataset_named_graphs",
        Req(
            "POST",
            f"/sparql/?using-named-graph-uri={DATA}data1.rdf&using-named-graph-uri={DATA}data2.rdf",
            insert_into(
                NAMED_TEST,
                "?s a dc:BibliographicResource",
                "{\n    GRAPH ?g {\n        ?s a foaf:Document\n    }\n}",
            ),
            UPDATE,
        ),
        "refused",
        then=Req("POST", "/sparql/", ask_bibliographic(NAMED_TEST), DIRECT),
        then_expect=False,
        unchanged=True,
    ),
    Case(
        "update_dataset_full",
        Req(
            "POST",
            f"/sparql/?using-graph-uri={DATA}data1.rdf&using-named-graph-uri={DATA}data2.rdf",
            insert_into(
                FULL_TEST,
                "?s <http://example.org/in> ?in",
                "{\n    {\n        GRAPH ?g { ?s a foaf:Document }\n        BIND(?g AS ?in)\n"
                "    }\n    UNION\n    {\n        ?s a foaf:Document .\n"
                '        BIND("default" AS ?in)\n    }\n}',
            ),
            UPDATE,
        ),
        "refused",
        then=Req(
            "POST",
            "/sparql/",
            f"ASK {{\n    GRAPH <{FULL_TEST}> {{\n"
            f'        <{KASEI}data1.rdf> <http://example.org/in> "default" .\n'
            f"        <{KASEI}data2.rdf> <http://example.org/in> <{KASEI}data2.rdf> .\n"
            f"    }}\n    FILTER NOT EXISTS {{\n        GRAPH <{FULL_TEST}> {{\n"
            f"            <{KASEI}data3.rdf> ?p ?o\n        }}\n    }}\n}}",
            DIRECT,
        ),
        then_expect=False,
        unchanged=True,
    ),
    Case(
        "update_post_form",
        Req("POST", "/sparql/", "update=CLEAR+ALL", FORM),
        "refused",
        unchanged=True,
    ),
    Case(
        "update_post_direct",
        Req("POST", "/sparql/", "CLEAR ALL", UPDATE),
        "refused",
        unchanged=True,
    ),
    Case(
        "update_base_uri",
        Req(
            "POST",
            "/sparql/",
            f"CLEAR GRAPH <{BASE_TEST}> ;\n"
            f"INSERT DATA {{ GRAPH <{BASE_TEST}> "
            "{ <http://example.org/s> <http://example.org/p> <test> } }",
            UPDATE,
        ),
        "refused",
        # the manifest: one IRI, not <test>, after the update; here: nothing
        then=Req(
            "POST",
            "/sparql/",
            f"SELECT ?o WHERE {{\n    GRAPH <{BASE_TEST}> {{\n"
            "        <http://example.org/s> <http://example.org/p> ?o\n    }\n}",
            DIRECT,
        ),
        then_expect=[],
        unchanged=True,
    ),
    Case("query_post_direct", Req("POST", "/sparql/", "ASK {}", DIRECT), True),
    # --- bad cases: 4xx
    Case(
        "bad_query_method",
        Req("PUT", f"/sparql/?query=ASK%20%7B%7D&default-graph-uri={DATA}data0.rdf", "", FORM),
        "refused",
        unchanged=True,
    ),
    Case(
        "bad_multiple_queries",
        Req("GET", "/sparql/?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D"),
        "refused",
    ),
    Case("bad_query_wrong_media_type", Req("POST", "/sparql/", "ASK {}", "text/plain"), "refused"),
    Case("bad_query_missing_form_type", Req("POST", "/sparql/", "query=ASK%20%7B%7D"), "refused"),
    Case("bad_query_missing_direct_type", Req("POST", "/sparql/", "ASK {}"), "refused"),
    Case(  # the body in utf-16 with its BOM: 14 bytes
        "bad_query_non_utf8",
        Req("POST", "/sparql/", "ASK {}", f"{DIRECT}; charset=UTF-16", "utf-16"),
        "refused",
        length=14,
    ),
    Case("bad_query_syntax", Req("GET", "/sparql/?query=ASK%20%7B"), "refused"),
    Case("bad_update_get", Req("GET", "/sparql/?update=CLEAR%20ALL"), "refused", unchanged=True),
    Case(
        "bad_multiple_updates",
        Req("POST", "/sparql/", "update=CLEAR%20NAMED&update=CLEAR%20DEFAULT", FORM),
        "refused",
        unchanged=True,
    ),
    Case(
        "bad_update_wrong_media_type",
        Req("POST", "/sparql/", "CLEAR NAMED", "text/plain"),
        "refused",
        unchanged=True,
    ),
    Case(
        "bad_update_missing_form_type",
        Req("POST", "/sparql/", "update=CLEAR%20NAMED"),
        "refused",
        unchanged=True,
    ),
    Case(  # the body in utf-16 with its BOM: 24 bytes
        "bad_update_non_utf8",
        Req("POST", "/sparql/", "CLEAR NAMED", f"{UPDATE}; charset=UTF-16", "utf-16"),
        "refused",
        length=24,
        unchanged=True,
    ),
    Case(
        "bad_update_syntax",
        Req("POST", "/sparql/", "update=CLEAR%20XYZ", FORM),
        "refused",
        unchanged=True,
    ),
    Case(
        "bad_update_dataset_conflict",
        Req(
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
        ),
        "refused",
        unchanged=True,
    ),
]


def test_one_case_per_manifest_entry_in_its_order() -> None:
    assert [case.name for case in CASES] == MANIFEST_ENTRIES
    assert len(MANIFEST_ENTRIES) == 34


def check(c: httpx.Client, req: Req, expect: object) -> httpx.Response:
    r = send(c, req.method, req.path, req.body, req.content_type, req.encoding)
    if expect == "refused":
        refused(r)
    elif isinstance(expect, bool):
        assert boolean(r) is expect
    elif isinstance(expect, list):
        assert tabular(r) == expect
    elif expect == "rdf-empty":
        assert rdf(r) == []
    elif expect == "construct":  # relative IRIs resolve against the service's base (the endpoint)
        (triple,) = rdf(r)
        assert triple.subject.value.endswith("/s") and triple.predicate.value.endswith("/p")
        assert triple.object == ox.Literal("1", datatype=ox.NamedNode(XSD_INTEGER))
    else:
        raise AssertionError(f"unknown expectation {expect!r}")
    return r


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_manifest_entry(c: httpx.Client, fingerprint, case: Case) -> None:
    r = check(c, case.request, case.expect)
    if case.length is not None:
        assert r.request.headers["content-length"] == str(case.length)
    if case.then is not None:
        check(c, case.then, case.then_expect)
    if case.unchanged:
        unchanged(c, fingerprint)
