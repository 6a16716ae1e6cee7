"""The SPARQL 1.1 Protocol over real HTTP (a `plangraph serve` subprocess on the real dataset):
every protocol form, every result format, with SPARQLWrapper and httpx; the service
description; CORS; the catalog API and the /.well-known documents."""

from __future__ import annotations

import csv
import http.client
import io
import json
import urllib.parse
import xml.etree.ElementTree as ET

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

PG = "https://w3id.org/plangraph/ontology#"
ID = "https://w3id.org/plangraph/id/"
COUNT = f"""PREFIX pg: <{PG}>
SELECT ?plan (COUNT(?a) AS ?n)
WHERE {{ ?a a pg:Activity ; pg:plan ?plan }} GROUP BY ?plan ORDER BY ?plan"""
CONSTRUCT = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ BIND(<{ID}agency/khm/mosvy> AS ?s) ?s ?p ?o }}"
SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"


def pref_labels(body: bytes | str, media: str) -> set[str]:
    """skos:prefLabel values in an RDF body (parsed by pyoxigraph: rdflib warns on some)."""
    data = body.encode() if isinstance(body, str) else body
    fmt = ox.RdfFormat.from_media_type(media)
    assert fmt is not None, media
    return {q.object.value for q in ox.parse(data, fmt) if q.predicate.value == SKOS_PREF}


MOSVY_NAME = "Ministry of Social Affairs, Veterans and Youth Rehabilitation"


def counts(rows: list[dict[str, str]]) -> dict[str, int]:
    return {r["plan"].rsplit("/", 1)[-1]: int(r["n"]) for r in rows}


def check_counts(c: dict[str, int]) -> None:
    assert c["vnm-khm-2020-2022"] == 19 and c["chn-khm-2017-2019"] == 23


# --- SPARQLWrapper, every result format, GET and POST


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select_json(server_url: str, method: str) -> None:
    sw = SPARQLWrapper(server_url + "/sparql")
    sw.setMethod(method)
    sw.setQuery(COUNT)
    sw.setReturnFormat(JSON)
    rows = sw.query().convert()["results"]["bindings"]
    check_counts(counts([{k: v["value"] for k, v in r.items()} for r in rows]))


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select_xml(server_url: str, method: str) -> None:
    sw = SPARQLWrapper(server_url + "/sparql")
    sw.setMethod(method)
    sw.setQuery(COUNT)
    sw.setReturnFormat(XML)
    doc = sw.query().convert()  # a DOM document
    results = doc.getElementsByTagName("result")
    rows = []
    for res in results:
        row = {}
        for b in res.getElementsByTagName("binding"):
            row[b.getAttribute("name")] = b.firstChild.firstChild.nodeValue
        rows.append(row)
    check_counts(counts(rows))


@pytest.mark.parametrize(("fmt", "sep"), [(CSV, ","), (TSV, "\t")])
def test_sparqlwrapper_select_csv_tsv(server_url: str, fmt: str, sep: str) -> None:
    sw = SPARQLWrapper(server_url + "/sparql")
    sw.setMethod(POST)
    sw.setQuery(COUNT)
    sw.setReturnFormat(fmt)
    text = sw.query().convert().decode("utf-8")
    lines = text.strip().splitlines()
    assert lines[0].strip() in ("plan,n", "?plan\t?n")
    assert len(lines) >= 3 and all(sep in line for line in lines)


def test_sparqlwrapper_ask(server_url: str) -> None:
    sw = SPARQLWrapper(server_url + "/sparql")
    sw.setQuery(f"ASK {{ ?s a <{PG}Commitment> }}")
    sw.setReturnFormat(JSON)
    assert sw.query().convert()["boolean"] is True


@pytest.mark.parametrize("fmt", [TURTLE, N3, RDFXML, XML, JSONLD])
def test_sparqlwrapper_construct(server_url: str, fmt: str) -> None:
    sw = SPARQLWrapper(server_url + "/sparql")
    sw.setQuery(CONSTRUCT)
    sw.setReturnFormat(fmt)
    # the raw body: SPARQLWrapper's own RDF conversion uses rdflib's deprecated
    # ConjunctiveGraph (a warning, an error under -W error)
    response = sw.query().response
    media = response.headers["content-type"].split(";")[0]
    assert MOSVY_NAME in pref_labels(response.read(), media)


# --- httpx: protocol forms and every format by Accept and by format=

SELECT_MEDIA = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_MEDIA = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}


def parse_select(media: str, body: str) -> dict[str, int]:
    if media.endswith("json"):
        rows = json.loads(body)["results"]["bindings"]
        return counts([{k: v["value"] for k, v in r.items()} for r in rows])
    if media.endswith("xml"):
        ns = {"r": "http://www.w3.org/2005/sparql-results#"}
        rows = []
        for res in ET.fromstring(body).iterfind(".//r:result", ns):
            rows.append({b.get("name"): b[0].text for b in res.iterfind("r:binding", ns)})
        return counts(rows)
    if media == "text/csv":
        return counts(list(csv.DictReader(io.StringIO(body))))
    lines = body.strip().splitlines()
    rows = []
    for line in lines[1:]:
        plan, n = line.split("\t")
        rows.append({"plan": plan.strip("<>"), "n": n.split("^^")[0].strip('"')})
    return counts(rows)


@pytest.mark.parametrize("media", sorted(SELECT_MEDIA))
@pytest.mark.parametrize("form", ["get", "post-form", "post-query"])
def test_select_every_format_every_form(server_url: str, media: str, form: str) -> None:
    headers = {"accept": media}
    if form == "get":
        r = httpx.get(server_url + "/sparql", params={"query": COUNT}, headers=headers)
    elif form == "post-form":
        r = httpx.post(server_url + "/sparql", data={"query": COUNT}, headers=headers)
    else:
        r = httpx.post(
            server_url + "/sparql",
            content=COUNT,
            headers={**headers, "content-type": "application/sparql-query"},
        )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(media)
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["x-plangraph-truncated"] == "false"
    check_counts(parse_select(media, r.text))


@pytest.mark.parametrize(("name", "media"), [(v, k) for k, v in SELECT_MEDIA.items()])
def test_select_format_parameter(server_url: str, name: str, media: str) -> None:
    r = httpx.get(server_url + "/sparql", params={"query": COUNT, "format": name})
    assert r.status_code == 200 and r.headers["content-type"].startswith(media)
    check_counts(parse_select(media, r.text))


@pytest.mark.parametrize("media", sorted(GRAPH_MEDIA))
def test_construct_every_graph_format(server_url: str, media: str) -> None:
    r = httpx.get(server_url + "/sparql", params={"query": CONSTRUCT}, headers={"accept": media})
    assert r.status_code == 200 and r.headers["content-type"].startswith(media)
    assert MOSVY_NAME in pref_labels(r.content, media)


def test_describe_by_format_parameter(server_url: str) -> None:
    q = f"DESCRIBE <{ID}agency/khm/mosvy>"
    r = httpx.post(server_url + "/sparql", data={"query": q, "format": "ntriples"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/n-triples")
    assert MOSVY_NAME in r.text


def test_ask_xml_and_json(server_url: str) -> None:
    q = f"ASK {{ ?s a <{PG}Commitment> }}"
    r = httpx.get(server_url + "/sparql", params={"query": q, "format": "xml"})
    assert "<boolean>true</boolean>" in r.text
    r = httpx.post(
        server_url + "/sparql",
        content=q,
        headers={"content-type": "application/sparql-query", "accept": "application/json"},
    )
    assert r.json() == {"head": {}, "boolean": True}


def test_default_and_named_graph_uri(server_url: str) -> None:
    q = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?p a <{PG}PlanOfAction> }}"
    vnm = "https://w3id.org/plangraph/graph/vnm-khm-jpa-2020-2022"
    r = httpx.get(server_url + "/sparql", params={"query": q, "default-graph-uri": vnm})
    assert r.json()["results"]["bindings"][0]["n"]["value"] == "1"
    q2 = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    r = httpx.post(server_url + "/sparql", data={"query": q2, "named-graph-uri": vnm})
    assert [b["g"]["value"] for b in r.json()["results"]["bindings"]] == [vnm]
    q3 = f"SELECT (COUNT(*) AS ?n) FROM <{vnm}> WHERE {{ ?p a <{PG}PlanOfAction> }}"
    r = httpx.get(server_url + "/sparql", params={"query": q3})
    assert r.json()["results"]["bindings"][0]["n"]["value"] == "1"


def test_service_description(server_url: str) -> None:
    r = httpx.get(server_url + "/sparql")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = next(g.subjects(rdflib.RDF.type, sd.Service))
    assert (service, sd.supportedLanguage, sd.SPARQL11Query) in g
    assert len(set(g.objects(service, sd.resultFormat))) == 10
    names = {str(o) for o in g.objects(None, sd.name)}
    assert "https://w3id.org/plangraph/graph/vnm-khm-jpa-2020-2022" in names
    r = httpx.get(server_url + "/sparql", headers={"accept": "application/ld+json"})
    assert r.headers["content-type"].startswith("application/ld+json")


def test_cors_preflight(server_url: str) -> None:
    r = httpx.options(
        server_url + "/sparql",
        headers={"origin": "https://yasgui.org", "access-control-request-method": "POST"},
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in r.headers


# --- the catalog API and /.well-known


def test_catalog_list(server_url: str) -> None:
    r = httpx.get(server_url + "/api/queries")
    assert r.status_code == 200
    queries = {q["name"]: q for q in r.json()["queries"]}
    assert len(queries) >= 15 and "plans" in queries
    agency = queries["agency-commitments"]
    assert agency["params"][0]["name"] == "agency" and agency["params"][0]["type"] == "iri"
    assert agency["links"]["self"].endswith("/api/queries/agency-commitments")


def test_catalog_query_json_and_csv(server_url: str) -> None:
    mosvy = ID + "agency/khm/mosvy"
    r = httpx.get(server_url + "/api/queries/agency-commitments", params={"agency": mosvy})
    assert r.status_code == 200
    body = r.json()
    assert body["params"] == {"agency": mosvy} and body["truncated"] is False
    assert any(row["number"] == "III.3" for row in body["rows"])
    r = httpx.get(server_url + "/api/queries/plans", params={"format": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    header = r.text.splitlines()[0]
    assert header == "plan,label,status,startYear,endYear,parties,activities"
    r = httpx.get(server_url + "/api/queries/activities-per-year", headers={"accept": "text/csv"})
    assert r.text.startswith("plan,year,activities")


def test_catalog_query_errors(server_url: str) -> None:
    r = httpx.get(server_url + "/api/queries/no-such-query")
    assert r.status_code == 404 and r.json()["param"] == "name"
    r = httpx.get(server_url + "/api/queries/activities-in-year", params={"year": "next"})
    assert r.status_code == 400
    assert r.json()["param"] == "year" and "not a year" in r.json()["message"]
    r = httpx.get(server_url + "/api/queries/plans", params={"bogus": "1"})
    assert r.status_code == 400 and r.json()["param"] == "bogus"


def test_sparql_examples(server_url: str) -> None:
    r = httpx.get(server_url + "/.well-known/sparql-examples")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    schema = rdflib.Namespace("https://schema.org/")
    examples = set(g.subjects(rdflib.RDF.type, sh.SPARQLExecutable))
    assert len(examples) >= 15
    for ex in examples:
        assert g.value(ex, rdflib.RDFS.comment) is not None
        assert g.value(ex, sh.select) is not None
        assert str(g.value(ex, schema.target)).endswith("/sparql")
    assert set(g.objects(None, schema.keywords))


def test_void(server_url: str) -> None:
    r = httpx.get(server_url + "/.well-known/void", headers={"accept": "text/turtle"})
    assert r.status_code == 200
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    ds = rdflib.URIRef("https://w3id.org/plangraph/dataset")
    assert int(g.value(ds, void.triples)) > 2000
    classes = {
        g.value(p, void["class"]): int(g.value(p, void.entities))
        for p in g.objects(ds, void.classPartition)
    }
    assert classes[rdflib.URIRef(PG + "Activity")] >= 42
    props = {g.value(p, void.property) for p in g.objects(ds, void.propertyPartition)}
    assert rdflib.URIRef(PG + "agency") in props
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    graphs = {
        str(g.value(s, sd.name)): int(g.value(s, void.triples)) for s in g.objects(ds, void.subset)
    }
    assert graphs["https://w3id.org/plangraph/graph/vnm-khm-jpa-2020-2022"] > 500


@pytest.mark.parametrize("chars", [20_000, 20_001])
def test_longest_get_query_reaches_the_endpoint(server_url: str, chars: int) -> None:
    """A GET query at the length limit, every character 4 bytes of UTF-8 (a 240 KB URL once
    percent-encoded), is read by the HTTP server and judged by the endpoint: run at the
    limit, refused with a 400 naming the limit past it. (uvicorn's default 16 KiB request
    head made the server close the connection: the client saw a reset, not an answer.)"""
    prefix = "SELECT * WHERE { ?s ?p ?o } LIMIT 1 #"
    query = prefix + "\U0002a765" * (chars - len(prefix))
    assert len(query) == chars
    # http.client, not httpx: httpx refuses to build a URL component over 64 KiB
    parts = urllib.parse.urlsplit(server_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", "/sparql?query=" + urllib.parse.quote(query, safe=""))
        r = conn.getresponse()
        status, body = r.status, json.loads(r.read())
    finally:
        conn.close()
    if chars <= 20_000:
        assert status == 200, body
        assert sorted(body["head"]["vars"]) == ["o", "p", "s"]
    else:
        assert status == 400, body
        assert body["param"] == "query" and "limit is 20000" in body["message"]
