"""Linked Data over real HTTP: /id/ content negotiation, /sources line anchors, downloads.

Real-data checks are facts of the two joint plans, which hold whatever else the graph holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS

from plangraph.paths import ProjectPaths
from tests.server_process import assert_error, dataset_folder

ID = "https://w3id.org/plangraph/id/"
PG = "https://w3id.org/plangraph/ontology#"
MOSVY = URIRef(ID + "agency/khm/mosvy")
MOSVY_NAME = Literal("Ministry of Social Affairs, Veterans and Youth Rehabilitation")
ACTIVITY = "plan/vnm-khm-2020-2022/activity/1.1.1"
DOC = "vnm-khm-jpa-2020-2022"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.fixture(scope="module")
def graph_folder(paths: ProjectPaths) -> Path:
    return dataset_folder() or paths.graph


@pytest.fixture(scope="module")
def client(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=60) as c:
        yield c


def parse(r: httpx.Response, fmt: str) -> Graph:
    """The response's RDF as an rdflib graph (JSON-LD read by pyoxigraph, never fetching a
    remote context: rdflib's JSON-LD reader warns about its own deprecated internals)."""
    data = r.content
    if fmt == "json-ld":
        triples = ox.parse(data, format=ox.RdfFormat.JSON_LD)
        data, fmt = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"", "nt"
    g = Graph()
    g.parse(data=data, format=fmt)
    return g


# -- content negotiation -----------------------------------------------------------------


def test_browser_gets_the_html_page_with_security_headers(client: httpx.Client) -> None:
    r = client.get("/id/agency/khm/mosvy", headers={"accept": BROWSER})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert str(MOSVY_NAME) in r.text and "MoSVY" in r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp and "frame-ancestors 'none'" in csp
    assert "accept" in r.headers["vary"].lower()
    assert 'href="/id/party/khm"' in r.text  # pages link to local /id/ paths


@pytest.mark.parametrize(
    ("accept", "media", "fmt"),
    [
        ("text/turtle", "text/turtle", "turtle"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("text/turtle;q=0.5, application/ld+json", "application/ld+json", "json-ld"),
        ("text/html;q=0.1, text/turtle", "text/turtle", "turtle"),
    ],
)
def test_clients_get_rdf(client: httpx.Client, accept: str, media: str, fmt: str) -> None:
    r = client.get("/id/agency/khm/mosvy", headers={"accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media
    g = parse(r, fmt)
    assert (MOSVY, SKOS.prefLabel, MOSVY_NAME) in g
    assert (MOSVY, URIRef(PG + "party"), URIRef(ID + "party/khm")) in g


@pytest.mark.parametrize(
    ("suffix", "media", "fmt"),
    [
        (".ttl", "text/turtle", "turtle"),
        (".jsonld", "application/ld+json", "json-ld"),
        (".nt", "application/n-triples", "nt"),
    ],
)
def test_suffixes_choose_the_format(
    client: httpx.Client, suffix: str, media: str, fmt: str
) -> None:
    r = client.get("/id/agency/khm/mosvy" + suffix, headers={"accept": BROWSER})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media
    assert (MOSVY, SKOS.prefLabel, MOSVY_NAME) in parse(r, fmt)


def test_jsonld_is_self_contained(client: httpx.Client) -> None:
    r = client.get("/id/agency/khm/mosvy.jsonld")
    assert "@context" not in r.text or "http" not in json.dumps(r.json().get("@context", ""))


def test_unserved_media_type_is_406(client: httpx.Client) -> None:
    r = client.get("/id/agency/khm/mosvy", headers={"accept": "application/pdf"})
    assert_error(r, 406, "not-acceptable", "Accept")


def test_activity_rdf_includes_its_commitments_and_spans(client: httpx.Client) -> None:
    r = client.get(f"/id/{ACTIVITY}", headers={"accept": "text/turtle"})
    g = parse(r, "turtle")
    activity = URIRef(ID + ACTIVITY)
    assert (activity, URIRef(PG + "number"), Literal("1.1.1")) in g
    commitments = set(g.subjects(URIRef(PG + "activity"), activity))
    assert URIRef(f"{ID}{ACTIVITY}/commitment/responsible-khm-commit-task-force") in commitments
    spans = set(g.subjects(URIRef(PG + "document"), URIRef(f"{ID}source/{DOC}")))
    assert spans and all(g.value(s, URIRef(PG + "startLine")) is not None for s in spans)
    # only this resource and its parts, not the whole plan
    assert (URIRef(ID + "plan/vnm-khm-2020-2022/activity/1.1.2"), None, None) not in g


def test_unknown_uri_is_404(client: httpx.Client) -> None:
    assert_error(client.get("/id/agency/khm/no-such-agency"), 404, "not-found", "path")
    assert_error(client.get("/id/nothing/at/all.ttl"), 404, "not-found", "path")


# -- pages behind /id/ ---------------------------------------------------------------------


def test_plan_page_has_sections_and_activities_with_sources(client: httpx.Client) -> None:
    r = client.get("/id/plan/vnm-khm-2020-2022")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Joint Plan of Action Viet Nam–Cambodia 2020-2022" in r.text
    assert "Objective 1.1: Strengthen the effectiveness" in r.text
    assert f'href="/id/{ACTIVITY}"' in r.text
    assert 'href="/id/agency/khm/commit-task-force"' in r.text
    assert f"/sources/{DOC}?lines=" in r.text


def test_activity_page_links_every_commitment_to_its_lines(client: httpx.Client) -> None:
    r = client.get(f"/id/{ACTIVITY}")
    assert r.status_code == 200
    assert "Identify or reaffirm the points of contact of each country." in r.text
    table = r.text.split('id="commitments"', 1)[1].split("</table>", 1)[0]
    rows = table.split("<tbody>", 1)[1].split("<tr>")[1:]
    assert len(rows) >= 2
    for row in rows:
        assert re.search(rf'class="src" href="/sources/{DOC}\?lines=\d+-\d+#L\d+"', row), row


def test_agency_page_lists_commitments_with_sources(client: httpx.Client) -> None:
    r = client.get("/id/agency/khm/commit-task-force")
    assert r.status_code == 200
    table = r.text.split('id="commitments"', 1)[1].split("</table>", 1)[0]
    rows = table.split("<tbody>", 1)[1].split("<tr>")[1:]
    assert len(rows) >= 10
    assert all('class="src" href="/sources/' in row for row in rows)


def test_other_resources_get_a_generic_page(client: httpx.Client) -> None:
    r = client.get("/id/party/khm")
    assert r.status_code == 200 and "Cambodia" in r.text and 'id="statements"' in r.text
    r = client.get("/id/agreement/vnm-khm-tip-agreement")
    assert r.status_code == 200 and "anti-human trafficking" in r.text


def test_span_and_document_uris_redirect_to_the_source_text(client: httpx.Client) -> None:
    r = client.get(f"/id/source/{DOC}/lines/11-11", headers={"accept": BROWSER})
    assert r.status_code == 303
    assert r.headers["location"] == f"/sources/{DOC}?lines=11-11#L11"
    r = client.get(f"/id/source/{DOC}", headers={"accept": BROWSER})
    assert r.status_code == 303 and r.headers["location"] == f"/sources/{DOC}"
    r = client.get(f"/id/source/{DOC}/lines/11-11", headers={"accept": "text/turtle"})
    span = URIRef(f"{ID}source/{DOC}/lines/11-11")
    assert (span, URIRef(PG + "startLine"), None) in parse(r, "turtle")


# -- /sources ------------------------------------------------------------------------------


def test_source_page_has_line_anchors_and_highlights_the_span(
    client: httpx.Client, paths: ProjectPaths
) -> None:
    text = (paths.sources / "vnm-khm-joint-plan-2020-2022.txt").read_text(encoding="utf-8")
    count = len(text.split("\n")) - (1 if text.endswith("\n") else 0)
    r = client.get(f"/sources/{DOC}", params={"lines": "12-16"})
    assert r.status_code == 200
    anchors = re.findall(r'<span id="L(\d+)" class="line( hl)?">', r.text)
    assert [int(n) for n, _ in anchors] == list(range(1, count + 1))
    assert [int(n) for n, hl in anchors if hl] == [12, 13, 14, 15, 16]
    assert 'href="#L12"' in r.text
    # the source text is shown as text, never as markup
    assert "<p>Agreement." not in r.text and "&lt;p&gt;Agreement." in r.text
    plain = client.get(f"/sources/{DOC}")
    assert plain.status_code == 200 and " hl" not in plain.text.split("<pre", 1)[1]


@pytest.mark.parametrize("lines", ["abc", "0-3", "16-12", "1-100000"])
def test_bad_line_range_is_400(client: httpx.Client, lines: str) -> None:
    assert_error(
        client.get(f"/sources/{DOC}", params={"lines": lines}), 400, "query-error", "lines"
    )


def test_unknown_source_is_404(client: httpx.Client) -> None:
    assert_error(client.get("/sources/no-such-document"), 404, "not-found", "slug")


# -- downloads -----------------------------------------------------------------------------


def test_downloads_of_the_built_files(client: httpx.Client, graph_folder: Path) -> None:
    for name, media in (
        ("plangraph.trig", "application/trig"),
        ("plangraph.nq", "application/n-quads"),
    ):
        r = client.get(f"/downloads/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(media)
        assert r.content == (graph_folder / name).read_bytes()


def ground(triples: set[ox.Triple]) -> set[ox.Triple]:
    return {
        t
        for t in triples
        if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)
    }


def test_turtle_and_jsonld_downloads_hold_every_triple(
    client: httpx.Client, graph_folder: Path
) -> None:
    quads = ox.parse((graph_folder / "plangraph.nq").read_bytes(), format=ox.RdfFormat.N_QUADS)
    expected = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
    for name, fmt, media in (
        ("plangraph.ttl", ox.RdfFormat.TURTLE, "text/turtle"),
        ("plangraph.jsonld", ox.RdfFormat.JSON_LD, "application/ld+json"),
    ):
        r = client.get(f"/downloads/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(media)
        got = {ox.Triple(t.subject, t.predicate, t.object) for t in ox.parse(r.content, format=fmt)}
        assert len(got) == len(expected), name
        assert ground(got) == ground(expected), name  # blank nodes are renamed on parsing


def test_unknown_download_is_404(client: httpx.Client) -> None:
    assert_error(client.get("/downloads/plangraph.zip"), 404, "not-found", "name")
