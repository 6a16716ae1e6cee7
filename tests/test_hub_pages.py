"""The hub pages over real HTTP: theme, themes index, party, years, the agency roll-up, the
plan page's contents and CSV. Every count a page shows is checked against the same count
asked of the server's own SPARQL endpoint in the test (never a number written here), and
the roll-up against plangraph.network computed in the test on the same dataset.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from plangraph import network
from plangraph.paths import ProjectPaths
from plangraph.store.embedded import EmbeddedStore
from plangraph.views.agency_profile import LOAD_ROLES
from tests.hub_html import Element, parse_html
from tests.server_process import assert_error, dataset_folder

ID = "https://w3id.org/plangraph/id/"
PREFIXES = """PREFIX pg: <https://w3id.org/plangraph/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX org: <http://www.w3.org/ns/org#>
"""


@pytest.fixture(scope="module")
def client(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=60) as c:
        yield c


def sparql(client: httpx.Client, query: str) -> list[dict[str, str]]:
    """Rows of a SELECT asked of the server's /sparql endpoint, as {variable: value}."""
    r = client.post(
        "/sparql",
        data={"query": PREFIXES + query},
        headers={"accept": "application/sparql-results+json"},
    )
    assert r.status_code == 200, r.text
    return [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]


def page(client: httpx.Client, path: str) -> Element:
    r = client.get(path, headers={"accept": "text/html"})
    assert r.status_code == 200, (path, r.text[:300])
    assert r.headers["content-type"].startswith("text/html")
    return parse_html(r.text)


def local(iri: str) -> str:
    assert iri.startswith(ID), iri
    return "/id/" + iri[len(ID) :]


def slug(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def plans(client: httpx.Client) -> dict[str, str]:
    """plan slug -> label, from SPARQL."""
    rows = sparql(
        client, "SELECT ?plan ?label WHERE { ?plan a pg:PlanOfAction ; rdfs:label ?label }"
    )
    return {slug(r["plan"]): r["label"] for r in rows}


@pytest.fixture(scope="module")
def themes(client: httpx.Client) -> dict[str, str]:
    """theme slug -> label for the themes under the pillars (not the pillars)."""
    rows = sparql(
        client,
        """SELECT ?t ?label WHERE {
             ?t skos:inScheme <https://w3id.org/plangraph/id/theme> ; skos:broader ?p ;
                skos:prefLabel ?label }""",
    )
    return {slug(r["t"]): r["label"] for r in rows}


@pytest.fixture(scope="module")
def coverage(client: httpx.Client) -> dict[tuple[str, str], int]:
    """(theme slug, plan slug) -> steps of the plan carrying the theme, from SPARQL."""
    rows = sparql(
        client,
        """SELECT ?theme ?plan (COUNT(DISTINCT ?step) AS ?n)
           WHERE { ?step pg:plan ?plan ; pg:theme ?theme } GROUP BY ?theme ?plan""",
    )
    return {(slug(r["theme"]), slug(r["plan"])): int(r["n"]) for r in rows}


# -- the theme page ----------------------------------------------------------------------


def test_every_theme_page_lists_exactly_the_steps_that_carry_it(
    client: httpx.Client, themes: dict[str, str], plans: dict[str, str]
) -> None:
    rows = sparql(
        client, "SELECT ?theme ?step ?plan WHERE { ?step pg:theme ?theme ; pg:plan ?plan }"
    )
    expected: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in rows:
        expected[slug(r["theme"])][slug(r["plan"])].add(local(r["step"]))
    assert len(themes) == 28
    for theme, label in themes.items():
        doc = page(client, f"/id/theme/{theme}")
        assert doc.find("h1").text == label
        columns = {
            col.attrs["data-plan"]: {a.attrs["href"] for a in col.find_all("a", cls="step-link")}
            for col in doc.by_id("plan-columns").find_all("section", cls="plan-column")
        }
        assert columns == dict(expected[theme]), theme
        total = sum(len(v) for v in expected[theme].values())
        assert doc.by_id("step-count").text == str(total)


def test_the_gaps_are_exactly_the_plans_with_no_step_of_the_theme(
    client: httpx.Client,
    themes: dict[str, str],
    plans: dict[str, str],
    coverage: dict[tuple[str, str], int],
) -> None:
    some_gap = False
    for theme in themes:
        doc = page(client, f"/id/theme/{theme}")
        zero = {p for p in plans if not coverage.get((theme, p))}
        sentences = list(doc.by_id("gaps").find_all("p", cls="gap-sentence"))
        gaps = {p.attrs["data-plan"] for p in sentences if "data-plan" in p.attrs}
        assert gaps == zero, theme
        for p in sentences:
            if "data-plan" in p.attrs:
                some_gap = True
                assert p.text == f"No step of the {plans[p.attrs['data-plan']]} carries this theme."
        if not zero:
            assert [p.text for p in sentences] == [
                "Every plan has at least one step that carries this theme."
            ]
        # the coverage row: every plan once, with its count, in the graph's numbers
        row = {
            li.attrs["data-plan"]: int(li.attrs["data-count"])
            for li in doc.by_id("coverage-row").find_all("li")
        }
        assert row == {p: coverage.get((theme, p), 0) for p in plans}, theme
        for li in doc.by_id("coverage-row").find_all("li", cls="promised"):
            href = li.find("a", cls="count").attrs["href"]
            assert parse_qs(urlsplit(href).query) == {
                "theme": [theme],
                "plan": [li.attrs["data-plan"]],
            }
    assert some_gap  # the data has gaps (e.g. the Cambodia–Thailand plan): the test saw one


def test_theme_page_overlap_groups_are_the_groups_sharing_the_theme(
    client: httpx.Client, themes: dict[str, str]
) -> None:
    rows = sparql(client, "SELECT ?o ?t WHERE { ?o a pg:Overlap ; pg:sharedTheme ?t }")
    expected: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        expected[slug(r["t"])].add(slug(r["o"]))
    assert expected  # the overlaps graph is there
    for theme in themes:
        doc = page(client, f"/id/theme/{theme}")
        links = list(doc.find_all("a", cls="overlap-link"))
        assert {a.attrs["data-overlap"] for a in links} == expected.get(theme, set()), theme
        for a in links:
            assert a.attrs["href"] == f"/overlaps?theme={theme}#overlap-{a.attrs['data-overlap']}"
    # a link lands on the group on the filtered overlap report
    theme = next(iter(sorted(expected)))
    group = sorted(expected[theme])[0]
    r = client.get(f"/overlaps?theme={theme}")
    assert r.status_code == 200 and f'id="overlap-{group}"' in r.text


def test_theme_page_top_agencies_count_commitments_on_its_steps(client: httpx.Client) -> None:
    theme = "repatriation-reintegration"
    rows = sparql(
        client,
        f"""SELECT ?agency (COUNT(DISTINCT ?c) AS ?n) WHERE {{
              ?c a pg:Commitment ; pg:agency ?agency ; pg:activity ?step .
              ?step pg:theme <{ID}theme/{theme}> }} GROUP BY ?agency""",
    )
    counts = {local(r["agency"]): int(r["n"]) for r in rows}
    doc = page(client, f"/id/theme/{theme}")
    table = doc.by_id("theme-agencies")
    shown = []
    for tr in table.find("tbody").find_all("tr"):
        cells = list(tr.find_all("td"))
        shown.append((cells[0].find("a").attrs["href"], int(cells[2].text)))
    assert len(shown) == min(10, len(counts))
    for href, n in shown:
        assert counts[href] == n, href
    # the ten largest: nothing left out has more commitments than the last one shown
    left_out = [n for href, n in counts.items() if href not in dict(shown)]
    assert all(n <= shown[-1][1] for n in left_out)
    assert [n for _, n in shown] == sorted((n for _, n in shown), reverse=True)


def test_theme_page_shows_its_pillar_definition_and_alignments(client: httpx.Client) -> None:
    theme = f"{ID}theme/labour-migration"
    rows = sparql(
        client,
        f"""SELECT ?target ?label WHERE {{
              <{theme}> ?rel ?target . FILTER(?rel IN (skos:closeMatch, skos:broadMatch))
              OPTIONAL {{ ?target skos:prefLabel ?pl }} OPTIONAL {{ ?target rdfs:label ?rl }}
              BIND(COALESCE(?pl, ?rl) AS ?label) }}""",
    )
    assert len(rows) >= 3  # SDG 10.7, SDG 8.7, DAC 15190
    [facts] = sparql(
        client,
        f"""SELECT ?def ?pillarLabel WHERE {{ <{theme}> skos:definition ?def ;
              skos:broader ?p . ?p skos:prefLabel ?pillarLabel }}""",
    )
    doc = page(client, "/id/theme/labour-migration")
    assert doc.by_id("definition").text == facts["def"]
    assert doc.by_id("pillar").text == facts["pillarLabel"]
    alignments = doc.by_id("alignments")
    hrefs = {a.attrs["href"] for a in alignments.find_all("a")}
    for r in rows:
        assert (local(r["target"]) if r["target"].startswith(ID) else r["target"]) in hrefs
        assert r["label"] in alignments.text


def test_pillar_page_lists_its_themes(client: httpx.Client) -> None:
    rows = sparql(
        client,
        f"SELECT ?t WHERE {{ ?t skos:broader <{ID}theme/protection> }}",
    )
    doc = page(client, "/id/theme/protection")
    links = {
        tr.find("th").find("a").attrs["href"]
        for tr in doc.by_id("pillar-matrix").find("tbody").find_all("tr")
    }
    assert links == {local(r["t"]) for r in rows} and len(links) == 5


# -- the themes index and the overlap report's coverage cells -----------------------------


def _matrix_cells(table: Element) -> dict[tuple[str, str], Element]:
    out = {}
    for tr in table.find("tbody").find_all("tr"):
        for td in tr.find_all("td"):
            if "data-plan" in td.attrs:
                out[(tr.attrs["data-theme"], td.attrs["data-plan"])] = td
    return out


def test_themes_index_counts_every_theme_in_every_plan(
    client: httpx.Client,
    themes: dict[str, str],
    plans: dict[str, str],
    coverage: dict[tuple[str, str], int],
) -> None:
    doc = page(client, "/themes")
    pillars = list(doc.find_all("section", cls="pillar"))
    assert len(pillars) == 4
    cells: dict[tuple[str, str], Element] = {}
    for section in pillars:
        cells |= _matrix_cells(section.find("table"))
    assert set(cells) == {(t, p) for t in themes for p in plans}
    for (theme, plan), td in cells.items():
        n = coverage.get((theme, plan), 0)
        if n:
            a = td.find("a")
            assert a.text == str(n)
            assert parse_qs(urlsplit(a.attrs["href"]).query) == {"theme": [theme], "plan": [plan]}
            assert urlsplit(a.attrs["href"]).path == "/search"
        else:
            assert "gap" in td.classes and not td.links(), (theme, plan)
    # each theme's first sentence of its definition is shown with it
    for section in pillars:
        for tr in section.find("tbody").find_all("tr"):
            assert tr.find(cls="summary-text").text.endswith(".")
    # the theme scheme's own IRI opens the same index
    assert page(client, "/id/theme").find("h1").text == "Action themes"


def test_overlap_report_coverage_cells_link_to_the_list(
    client: httpx.Client, coverage: dict[tuple[str, str], int]
) -> None:
    doc = page(client, "/overlaps")
    table = doc.find("table", cls="coverage")
    linked = 0
    for tr in table.find("tbody").find_all("tr"):
        theme = urlsplit(tr.find("a").attrs["href"]).query.removeprefix("theme=")
        for td in tr.find_all("td", cls="num"):
            a = next(td.find_all("a"), None)
            if "gap" in td.classes:
                assert a is None
                continue
            q = parse_qs(urlsplit(a.attrs["href"]).query)
            assert q["theme"] == [theme]
            assert int(a.text) == coverage[(theme, q["plan"][0])]
            linked += 1
    assert linked == len(coverage)


# -- the party page ------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["khm", "tha", "mmr"])
def test_party_page(client: httpx.Client, code: str) -> None:
    party = f"{ID}party/{code}"
    doc = page(client, f"/id/party/{code}")
    [label] = sparql(client, f"SELECT ?l WHERE {{ <{party}> skos:prefLabel ?l }}")
    assert doc.find("h1").text == label["l"]
    # its agencies, with their commitment counts
    rows = sparql(
        client,
        f"""SELECT ?a (COUNT(DISTINCT ?c) AS ?n) WHERE {{
              ?a a pg:Agency ; pg:party <{party}> .
              OPTIONAL {{ ?c a pg:Commitment ; pg:agency ?a }} }} GROUP BY ?a""",
    )
    shown = {}
    for tr in doc.by_id("party-agencies").find("tbody").find_all("tr"):
        cells = list(tr.find_all("td"))
        if len(cells) > 1:
            shown[cells[0].find("a").attrs["href"]] = int(cells[3].text)
    assert shown == {local(r["a"]): int(r["n"]) for r in rows}
    # its plans and agreements
    plans = sparql(client, f"SELECT ?p WHERE {{ ?p a pg:PlanOfAction ; pg:party <{party}> }}")
    assert {a.attrs["href"] for a in doc.by_id("party-plans").links()} == {
        local(r["p"]) for r in plans
    }
    agreements = sparql(client, f"SELECT ?a WHERE {{ ?a a pg:Agreement ; pg:party <{party}> }}")
    assert {a.attrs["href"] for a in doc.by_id("party-agreements").links()} == {
        local(r["a"]) for r in agreements
    }
    # commitments by role: its agencies', its own where named alone, on its behalf
    rows = sparql(
        client,
        f"""SELECT ?role (COUNT(DISTINCT ?c) AS ?n) WHERE {{
              ?c a pg:Commitment ; pg:agency ?a ; pg:role ?role .
              OPTIONAL {{ ?a pg:party ?ap }} OPTIONAL {{ ?c pg:onBehalfOf ?b }}
              FILTER (?a = <{party}> || ?ap = <{party}> || ?b = <{party}>) }} GROUP BY ?role""",
    )
    by_role = {slug(r["role"]): int(r["n"]) for r in rows}
    roles_table = doc.by_id("party-roles") if by_role else None
    if roles_table is not None:
        totals = {
            td.attrs["data-role"]: int(td.text)
            for td in roles_table.find("tfoot").find_all("td")
            if "data-role" in td.attrs
        }
        assert totals == by_role
        assert doc.by_id("party-commitment-total").text == str(sum(by_role.values()))
    assert doc.by_id("network-link").attrs["href"] == f"/network?party={code}"
    assert doc.by_id("search-link").attrs["href"] == f"/search?party={code}"


# -- years ---------------------------------------------------------------------------------


def test_years_index_counts_the_steps_scheduled_per_year(client: httpx.Client) -> None:
    rows = sparql(
        client,
        """SELECT ?y (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s pg:plan ?p ; pg:year ?y }
           GROUP BY ?y""",
    )
    expected = {int(r["y"][:4]): int(r["n"]) for r in rows}
    doc = page(client, "/years")
    shown = {}
    for tr in doc.by_id("years").find("tbody").find_all("tr"):
        shown[int(tr.attrs["data-year"])] = int(list(tr.find_all("td"))[-1].text)
    assert shown == expected


def test_year_page_lists_exactly_the_steps_scheduled_then(client: httpx.Client) -> None:
    rows = sparql(client, "SELECT DISTINCT ?y WHERE { ?s pg:plan ?p ; pg:year ?y }")
    years = sorted({int(r["y"][:4]) for r in rows})
    assert years
    for year in years:
        steps = sparql(
            client,
            f"""SELECT ?s ?p WHERE {{ ?s pg:plan ?p ; pg:year ?y .
                  FILTER (STR(?y) = "{year}") }}""",
        )
        expected: dict[str, set[str]] = defaultdict(set)
        for r in steps:
            expected[slug(r["p"])].add(local(r["s"]))
        doc = page(client, f"/years/{year}")
        groups = {
            sec.attrs["data-plan"]: {a.attrs["href"] for a in sec.find_all("a", cls="step-link")}
            for sec in doc.find_all("section", cls="year-plan")
        }
        assert groups == dict(expected), year
        assert doc.by_id("year-count").text == str(len({s["s"] for s in steps}))


@pytest.mark.parametrize("year", ["1990", "2017", "2099"])
def test_year_nothing_is_scheduled_in_says_so(client: httpx.Client, year: str) -> None:
    rows = sparql(
        client, f'SELECT ?s WHERE {{ ?s pg:year ?y . FILTER (STR(?y) = "{year}") }} LIMIT 1'
    )
    assert rows == []
    doc = page(client, f"/years/{year}")
    assert doc.by_id("year-summary").text.startswith(f"No plan schedules anything in {year}.")
    assert not list(doc.find_all("section", cls="year-plan"))


@pytest.mark.parametrize("path", ["/years/abc", "/years/20123", "/years/201", "/years/２０１２"])
def test_not_a_year_is_404(client: httpx.Client, path: str) -> None:
    assert_error(client.get(path), 404, "not-found", "year")


# -- 404s and content negotiation of the hub IRIs ------------------------------------------


@pytest.mark.parametrize(
    "path", ["/id/theme/no-such-theme", "/id/party/xyz", "/id/party/KHM", "/id/theme/"]
)
def test_unknown_hub_iri_is_404(client: httpx.Client, path: str) -> None:
    assert_error(client.get(path), 404, "not-found", "path")


@pytest.mark.parametrize(
    ("path", "accept", "fmt"),
    [
        ("/id/theme/victim-identification", "text/turtle", "turtle"),
        ("/id/theme/victim-identification.jsonld", "text/html", "json-ld"),
        ("/id/party/khm", "application/n-triples", "nt"),
        ("/id/party/khm.ttl", "text/html", "turtle"),
    ],
)
def test_hub_iris_still_give_rdf(client: httpx.Client, path: str, accept: str, fmt: str) -> None:
    r = client.get(path, headers={"accept": accept})
    assert r.status_code == 200, r.text
    assert not r.headers["content-type"].startswith("text/html")
    data = r.content
    if fmt == "json-ld":
        import pyoxigraph as ox

        triples = ox.parse(data, format=ox.RdfFormat.JSON_LD)
        data, fmt = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"", "nt"
    g = Graph()
    g.parse(data=data, format=fmt)
    iri = URIRef(ID + path.removeprefix("/id/").split(".")[0])
    assert any(g.triples((iri, SKOS.prefLabel, None)))


def test_theme_and_party_pages_replace_the_generic_page(client: httpx.Client) -> None:
    theme = client.get("/id/theme/victim-identification", headers={"accept": "text/html"})
    assert 'id="coverage-row"' in theme.text and 'id="plan-columns"' in theme.text
    party = client.get("/id/party/khm", headers={"accept": "text/html"})
    assert 'id="party-agencies"' in party.text and 'id="statements"' in party.text


# -- activity pages link their themes ------------------------------------------------------


def test_activity_pages_link_every_theme_to_its_page(
    client: httpx.Client, themes: dict[str, str]
) -> None:
    rows = sparql(
        client,
        """SELECT ?s ?t WHERE { ?s pg:plan <https://w3id.org/plangraph/id/plan/vnm-khm-2020-2022> ;
                                   pg:theme ?t }""",
    )
    expected: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        expected[local(r["s"])].add(local(r["t"]))
    assert expected
    for path, theme_paths in expected.items():
        doc = page(client, path)
        links = {a.attrs["href"]: a.text for a in doc.by_id("themes").find_all("a")}
        assert set(links) == theme_paths
        for href, text in links.items():
            assert text == themes[slug(href)]


# -- the plan page --------------------------------------------------------------------------


def test_plan_csv_and_page_hold_every_step(client: httpx.Client, plans: dict[str, str]) -> None:
    for plan in plans:
        rows = sparql(
            client,
            f"SELECT ?a ?parent WHERE {{ ?a a pg:Step ; pg:plan <{ID}plan/{plan}> "
            "OPTIONAL { ?a pg:subActivityOf ?parent } }",
        )
        expected = {r["a"] for r in rows}
        doc = page(client, f"/id/plan/{plan}")
        href = doc.by_id("csv-link").attrs["href"]
        assert href == f"/api/search.csv?plan={plan}"
        r = client.get(href)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        csv_rows = list(csv.DictReader(io.StringIO(r.text)))
        assert {row["uri"] for row in csv_rows} == expected and len(csv_rows) == len(expected)
        trs = list(doc.find_all("tr", cls="step-row"))
        on_page = [tr.find("a").attrs["href"] for tr in trs]
        assert sorted(on_page) == sorted(local(a) for a in expected), plan
        # a sub-activity is listed right after its parent (or after its parent's other
        # sub-activities), indented
        parent_of = {local(r["a"]): local(r["parent"]) for r in rows if r.get("parent")}
        for i, href in enumerate(on_page):
            if href in parent_of:
                assert parent_of[href] in on_page[:i], (plan, href)
                assert "sub-step" in trs[i].attrs.get("class", ""), (plan, href)


def test_plan_contents_link_every_section(client: httpx.Client) -> None:
    plan = "khm-npa-2011-2013"
    rows = sparql(client, f"SELECT ?s WHERE {{ ?s a pg:Section ; pg:plan <{ID}plan/{plan}> }}")
    doc = page(client, f"/id/plan/{plan}")
    anchors = {e.id for e in doc.iter() if e.id}
    toc = [a.attrs["href"] for a in doc.by_id("toc").find_all("a")]
    assert len(toc) == len(rows) and all(h.startswith("#") and h[1:] in anchors for h in toc)
    sections = {s.id for s in doc.find_all("section", cls="plan-section")}
    assert {h[1:] for h in toc} <= sections
    # the filter box is there for the script to show; without it the page lists everything
    assert doc.by_id("step-filter").attrs.get("hidden") is not None
    assert doc.find("label", **{"for": "step-filter-q"})
    assert len(list(doc.find_all("tr", cls="step-row"))) == 206


# -- the agency roll-up ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def network_data(paths: ProjectPaths) -> network.NetworkData:
    store = EmbeddedStore.from_folder(dataset_folder() or paths.graph)
    return network.load(store, paths.queries / "network")


def test_load_roles_are_the_networks() -> None:
    assert tuple(LOAD_ROLES) == tuple(network.DEFAULT_ROLES)


def _network_rollup(data: network.NetworkData, iri: str) -> tuple[int, int]:
    """Load and plans of ``iri`` with every body under it, counted over the network's own
    selection of commitments (default filters: its roles, no sub-activities)."""
    under = {
        a
        for a in data.agents
        if a == iri or (_is_under(data, a, iri) and not data.agents[a].generic)
    }
    links = [k for k in network.select(data, network.Filters()) if k.agency in under]
    return len({(k.step, k.role) for k in links}), len({k.plan for k in links})


def _is_under(data: network.NetworkData, a: str, top: str) -> bool:
    seen = set()
    while (agent := data.agents.get(a)) is not None and agent.parent and a not in seen:
        seen.add(a)
        if agent.parent == top:
            return True
        a = agent.parent
    return False


def test_agency_rollup_totals_equal_the_networks(
    client: httpx.Client, network_data: network.NetworkData
) -> None:
    parents = sorted({a.parent for a in network_data.agents.values() if a.parent})
    assert len(parents) >= 10
    rolled = network.network(network_data, network.Filters(rollup=True)).graph
    top = 0
    for iri in parents:
        load, plan_count = _network_rollup(network_data, iri)
        agency_id = iri.removeprefix(ID + "agency/")
        body = client.get(f"/api/agencies/{agency_id}").json()
        total = body["rollup"]["total"]
        assert (total["load"], total["loadPlanCount"]) == (load, plan_count), agency_id
        units = {u["id"] for u in body["rollup"]["subUnits"]}
        assert units == {
            a.removeprefix(ID + "agency/")
            for a in network_data.agents
            if _is_under(network_data, a, iri)
        }
        # catch-all groups under a body are listed, not counted (the network's default view)
        assert total["commitmentCount"] == body["commitmentCount"] + sum(
            u["commitmentCount"] for u in body["rollup"]["subUnits"] if not u["catchAll"]
        )
        doc = page(client, f"/id/agency/{agency_id}")
        foot = {
            td.attrs["data-total"]: int(td.text)
            for td in doc.by_id("rollup").find("tfoot").find_all("td")
            if "data-total" in td.attrs
        }
        assert (foot["load"], foot["load-plans"]) == (load, plan_count), agency_id
        if network_data.agents[iri].parent not in network_data.agents:
            # a top-most body: exactly the network's rolled-up node
            node = rolled.nodes[iri] if iri in rolled else {"obligation_load": 0, "plans": []}
            assert (foot["load"], foot["load-plans"]) == (
                node["obligation_load"],
                len(node["plans"]),
            ), agency_id
            top += 1
    assert top >= 10
    mosvy = client.get("/api/agencies/khm/mosvy").json()
    assert mosvy["rollup"]["total"]["load"] > mosvy["rollup"]["own"]["load"]


def test_agency_page_lists_each_sub_units_commitments_apart(client: httpx.Client) -> None:
    rows = sparql(
        client,
        f"""SELECT ?a (COUNT(DISTINCT ?c) AS ?n) WHERE {{
              ?a org:subOrganizationOf <{ID}agency/khm/mosvy> .
              ?c a pg:Commitment ; pg:agency ?a }} GROUP BY ?a""",
    )
    assert rows
    doc = page(client, "/id/agency/khm/mosvy")
    for r in rows:
        heading = doc.by_id("sub-" + r["a"].removeprefix(ID + "agency/").replace("/", "-"))
        assert heading.find("a").attrs["href"] == local(r["a"])
    tables = list(doc.find_all("table", cls="sub-commitments"))
    assert [len(list(t.find("tbody").find_all("tr"))) for t in tables] == [
        int(r["n"]) for r in rows
    ]
    note = doc.by_id("load-note").text
    assert "resourcing (funding) and participant do not count" in note
    own = sparql(
        client,
        f"SELECT (COUNT(?c) AS ?n) WHERE {{ ?c pg:agency <{ID}agency/khm/mosvy> }}",
    )
    assert len(list(doc.by_id("commitments").find("tbody").find_all("tr"))) == int(own[0]["n"])


def test_section_commitments_are_listed_once(client: httpx.Client) -> None:
    """A commitment made for a whole section is one row with no step (it was repeated once per
    scheduled step of another plan, with that step's number and years)."""
    rows = sparql(
        client,
        f"SELECT ?c WHERE {{ ?c a pg:Commitment ; pg:agency <{ID}party/lao> }}",
    )
    body = client.get("/api/agencies/party/lao").json()
    assert sorted(c["uri"] for c in body["commitments"]) == sorted(r["c"] for r in rows)
    for c in body["commitments"]:
        if c["section"]:
            assert c["activity"] is None and c["plan"]["id"] == "commit-srpa-2005-2007"


def test_agency_pages_link_years_and_counts_by_role(client: httpx.Client) -> None:
    doc = page(client, "/id/agency/khm/mosvy")
    years = [a.attrs["href"] for a in doc.by_id("commitments").find_all("a")]
    assert any(re.fullmatch(r"/years/\d{4}", h) for h in years)
    roles = Counter(
        list(tr.find_all("td"))[2].text.split(" uncertain")[0]
        for tr in doc.by_id("commitments").find("tbody").find_all("tr")
    )
    rows = sparql(
        client,
        f"""SELECT ?label (COUNT(?c) AS ?n) WHERE {{ ?c pg:agency <{ID}agency/khm/mosvy> ;
              pg:role ?r . ?r skos:prefLabel ?label }} GROUP BY ?label""",
    )
    assert roles == {r["label"]: int(r["n"]) for r in rows}
