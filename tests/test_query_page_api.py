"""What the query page stands on, over real HTTP: /api/queries/{name}/text (a catalog query
with its values bound, as the catalog API runs it) and /api/labels; and the library under
them (plangraph.views.query_page, CatalogQuery.bound_text) on the real dataset."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from plangraph.paths import ProjectPaths
from plangraph.store.embedded import EmbeddedStore
from plangraph.store.query_catalog import load_catalog
from plangraph.views.query_page import KINDS, PREFIXES, QueryPageData, param_kind
from tests.server_process import dataset_folder

ID = "https://w3id.org/plangraph/id/"
MOSVY = ID + "agency/khm/mosvy"


@pytest.fixture(scope="module")
def client(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def store(paths: ProjectPaths) -> EmbeddedStore:
    return EmbeddedStore.from_folder(dataset_folder() or paths.graph)


def unordered_lists(rows: list[dict[str, str]]) -> list[dict[str, object]]:
    """Rows with each value's "; " or ", " separated parts sorted: SPARQL leaves the order
    of GROUP_CONCAT undefined, and it differs between two runs of the engine."""
    return [{k: sorted(re.split(r"; |, ", v)) for k, v in row.items()} for row in rows]


def sparql_rows(client: httpx.Client, text: str) -> list[dict[str, str]]:
    """Rows of a query sent to /sparql as the page sends it (a form POST), as plain values."""
    r = client.post(
        "/sparql", data={"query": text}, headers={"Accept": "application/sparql-results+json"}
    )
    assert r.status_code == 200, r.text
    return [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]


def catalog_rows(client: httpx.Client, name: str, **params: str) -> list[dict[str, str]]:
    r = client.get(f"/api/queries/{name}", params=params)
    assert r.status_code == 200, r.text
    return [{k: v for k, v in row.items() if v is not None} for row in r.json()["rows"]]


# -- /api/queries/{name}/text --------------------------------------------------------------


def test_bound_text_runs_to_the_catalog_apis_rows(client: httpx.Client) -> None:
    r = client.get("/api/queries/agency-commitments/text", params={"agency": MOSVY})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/sparql-query")
    text = r.text
    assert text.rstrip().endswith(f"VALUES (?agency) {{ (<{MOSVY}>) }}")
    rows = sparql_rows(client, text)
    expected = catalog_rows(client, "agency-commitments", agency=MOSVY)
    assert len(expected) == 71  # README: MoSVY's commitments on the full dataset
    assert rows == expected
    assert {row["agency"] for row in rows} == {MOSVY}


def test_every_catalog_query_with_its_defaults_matches(client: httpx.Client) -> None:
    """The page runs /text through /sparql; the catalog API runs the query in-process:
    the same rows, for every query of the catalog, with its default values."""
    checked = 0
    for q in client.get("/api/queries").json()["queries"]:
        if any(p["required"] and "default" not in p for p in q["params"]):
            continue
        if q["form"] != "select":
            continue
        r = client.get(f"/api/queries/{q['name']}/text")
        assert r.status_code == 200, (q["name"], r.text)
        rows, expected = sparql_rows(client, r.text), catalog_rows(client, q["name"])
        assert unordered_lists(rows) == unordered_lists(expected), q["name"]
        checked += 1
    assert checked >= 15


def test_a_year_and_an_optional_parameter_are_bound(
    client: httpx.Client, paths: ProjectPaths
) -> None:
    text = client.get("/api/queries/activities-in-year/text", params={"year": "2021"}).text
    assert 'VALUES (?year) { ("2021"^^<http://www.w3.org/2001/XMLSchema#gYear>) }' in text
    rows = sparql_rows(client, text)
    assert rows and rows == catalog_rows(client, "activities-in-year", year="2021")
    # an optional parameter left out is not bound: every year
    unbound = client.get("/api/queries/activities-in-year/text").text
    assert unbound == (paths.queries / "activities-in-year.rq").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "params", "param", "words"),
    [
        ("agency-commitments", {"agency": "not an iri"}, "agency", "not an http(s) IRI"),
        ("activities-in-year", {"year": "12345"}, "year", "not a year"),
        ("activities-in-year", {"yaer": "2021"}, "yaer", "unknown parameter"),
        ("agency-commitments", {"format": "csv"}, "format", "unknown parameter"),
    ],
)
def test_a_bad_value_is_a_400_naming_its_parameter(
    client: httpx.Client, name: str, params: dict[str, str], param: str, words: str
) -> None:
    r = client.get(f"/api/queries/{name}/text", params=params)
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "query-error" and body["param"] == param
    assert words in body["message"]
    # the very same answer as the catalog API gives for those values (one validation)
    if param != "format":
        same = client.get(f"/api/queries/{name}", params=params)
        assert same.status_code == 400 and same.json() == body


def test_an_unknown_query_is_a_404(client: httpx.Client) -> None:
    r = client.get("/api/queries/no-such-query/text")
    assert r.status_code == 404
    assert r.json()["param"] == "name"


# -- /api/labels -----------------------------------------------------------------------------


def test_labels_by_get_and_post(client: httpx.Client) -> None:
    plan = ID + "plan/vnm-khm-2020-2022"
    unknown = ID + "agency/khm/no-such-agency"
    r = client.get("/api/labels", params=[("iri", MOSVY), ("iri", plan), ("iri", unknown)])
    assert r.status_code == 200
    labels = r.json()["labels"]
    assert labels == {
        MOSVY: "Ministry of Social Affairs, Veterans and Youth Rehabilitation",
        plan: "Joint Plan of Action Viet Nam–Cambodia 2020-2022",
    }
    r = client.post("/api/labels", json={"iris": [MOSVY, plan, unknown]})
    assert r.status_code == 200 and r.json()["labels"] == labels
    # skos:prefLabel before rdfs:label: a role's, a theme's (English)
    r = client.post("/api/labels", json={"iris": [ID + "role/lead", ID + "theme/prevention"]})
    assert r.json()["labels"] == {ID + "role/lead": "lead", ID + "theme/prevention": "Prevention"}


def test_labels_of_every_agency_of_a_result(client: httpx.Client) -> None:
    rows = catalog_rows(client, "agencies-most-commitments")
    iris = sorted({row["agency"] for row in rows})
    labels = client.post("/api/labels", json={"iris": iris}).json()["labels"]
    assert set(labels) == set(iris)  # every agency (and party) has a label
    assert all(labels[i] for i in iris)


@pytest.mark.parametrize(
    ("method", "kwargs", "param"),
    [
        ("GET", {"params": {"uri": MOSVY}}, "uri"),
        ("GET", {"params": [("iri", MOSVY)] * 201}, "iri"),
        ("GET", {"params": {"iri": "https://x/" + "a" * 5000}}, "iri"),
        ("POST", {"json": {"iris": "not a list"}}, "iris"),
        ("POST", {"json": {"iris": [1, 2]}}, "iris"),
        ("POST", {"json": {"iri": [MOSVY]}}, "iris"),
        ("POST", {"json": {"iris": [MOSVY] * 10_001}}, "iris"),
        ("POST", {"json": {"iris": ["https://x/" + "a" * 5000]}}, "iris"),
        (
            "POST",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            "iris",
        ),
        ("POST", {"data": {"iris": MOSVY}}, "content-type"),
        (
            "POST",
            {
                "content": b'{"iris": ["' + b"a" * 2_000_001 + b'"]}',
                "headers": {"content-type": "application/json"},
            },
            "iris",
        ),
    ],
)
def test_bad_label_requests_are_400s_naming_the_parameter(
    client: httpx.Client, method: str, kwargs: dict, param: str
) -> None:
    r = client.request(method, "/api/labels", **kwargs)
    assert r.status_code == 400, r.text
    assert r.json()["param"] == param


def test_the_new_endpoints_are_in_the_openapi_description(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "get" in paths["/api/queries/{name}/text"]
    assert set(paths["/api/labels"]) == {"get", "post"}
    text = paths["/api/queries/{name}/text"]["get"]["responses"]
    assert "application/sparql-query" in text["200"]["content"]
    assert {"400", "404"} <= set(text)


# -- the library ---------------------------------------------------------------------------


def test_both_placements_of_the_values_give_the_catalogs_rows(
    store: EmbeddedStore, paths: ProjectPaths
) -> None:
    """A remote store binds first in the WHERE clause, the embedded store at the end; the
    text endpoint returns the one its store runs. Both give the same rows, for every query."""
    for q in load_catalog(paths.queries).values():
        values = {p.name: p.default for p in q.params if p.default is not None}
        if any(p.required and p.default is None for p in q.params):
            continue
        if q.form != "select":
            continue
        expected = unordered_lists(store.select(q.text, q.bindings(values)))
        assert expected, q.name
        for first in (False, True):
            text = q.bound_text(values, first_in_where=first)
            assert unordered_lists(store.select(text)) == expected, (q.name, first)


def test_parameter_kinds_and_their_values(store: EmbeddedStore, paths: ProjectPaths) -> None:
    catalog = load_catalog(paths.queries)
    kinds = {p.name: param_kind(p) for q in catalog.values() for p in q.params}
    assert kinds["agency"] == "agency" and kinds["agreementA"] == "agreement"
    assert kinds["plan"] == "plan" and kinds["party"] == "party" and kinds["theme"] == "theme"
    assert kinds["activity"] is None and kinds["year"] is None
    data = QueryPageData(store, paths.queries / "query-page")
    choices = data.choices()
    assert set(choices) == set(KINDS)
    assert len(choices["plan"]) == 5 and len(choices["party"]) == 6
    assert len(choices["agreement"]) == 4
    mosvy = next(c for c in choices["agency"] if c["value"] == MOSVY)
    assert mosvy == {
        "value": MOSVY,
        "label": "Ministry of Social Affairs, Veterans and Youth Rehabilitation",
        "group": "Cambodia",
    }
    pillars = [c["label"] for c in choices["theme"] if c["group"] == "Pillars"]
    assert pillars == ["Partnership and policy", "Prevention", "Prosecution", "Protection"]
    # every value a catalog default names is offered
    for q in catalog.values():
        for p in q.params:
            if param_kind(p) and p.default:
                assert p.default in {c["value"] for c in choices[param_kind(p)]}, p.name


def test_predeclared_prefixes_cover_the_graphs_vocabularies(store: EmbeddedStore) -> None:
    used = store.select(
        "SELECT DISTINCT ?p WHERE { { ?s ?p ?o } UNION { ?s a ?p } }",
    )
    namespaces = set(PREFIXES.values())
    for row in used:
        iri = row["p"]
        assert any(iri.startswith(ns) for ns in namespaces), iri
    assert PREFIXES["pg"] == "https://w3id.org/plangraph/ontology#"
    assert PREFIXES["pgid"] == ID
    for name in ("rdf", "rdfs", "xsd", "owl", "skos", "dcterms", "prov", "org", "time"):
        assert name in PREFIXES
