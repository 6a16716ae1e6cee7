"""plangraph.network: metrics on small hand-built graphs with known answers, the projections
on the real data cross-checked by SPARQL counts through the store, every export read back."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest
from rdflib import Graph, Literal, Namespace

from plangraph import network as nw
from plangraph.errors import QueryError
from plangraph.paths import ProjectPaths
from plangraph.store.embedded import EmbeddedStore
from plangraph.store.query_catalog import load_catalog
from tests.server_process import dataset_folder

PG = Namespace("https://w3id.org/plangraph/ontology#")
ID = "https://w3id.org/plangraph/id/"
PREFIXES = "PREFIX pg: <https://w3id.org/plangraph/ontology#>\n"
RESPONSIBILITY = (
    "VALUES ?role { "
    + " ".join(
        f"<{ID}role/{r}>" for r in ("lead", "responsible", "implementing-partner", "support")
    )
    + " }"
)


# -- metrics on hand-built graphs ------------------------------------------------------------


def graph(edges, parties=None) -> nx.Graph:
    G = nx.Graph()
    for u, v, w in edges:
        G.add_edge(u, v, weight=w)
    for n, p in (parties or {}).items():
        G.nodes[n]["party"] = p
    return G


def test_star_metrics() -> None:
    G = graph([("hub", leaf, 2) for leaf in ("a", "b", "c", "d")])
    m = nw.compute_metrics(G)
    assert m["hub"]["degree"] == 4 and m["hub"]["weighted_degree"] == 8
    assert m["hub"]["betweenness"] == 1.0
    assert m["a"]["betweenness"] == 0.0
    assert m["a"]["weighted_degree"] == 2
    # PageRank: the hub ranks highest, the leaves equally, and the ranks sum to 1
    assert m["hub"]["pagerank"] > m["a"]["pagerank"] == m["d"]["pagerank"]
    assert abs(sum(x["pagerank"] for x in m.values()) - 1.0) < 1e-5
    assert {x["component"] for x in m.values()} == {1}


def test_path_betweenness_and_components() -> None:
    G = graph([("a", "b", 1), ("b", "c", 1), ("x", "y", 5)])
    G.add_node("z")
    m = nw.compute_metrics(G)
    # b lies on the only a-c path: 1 pair, normalised by (n-1)(n-2)/2 = 10 pairs
    assert m["b"]["betweenness"] == round(1 / 10, 6)
    assert m["a"]["betweenness"] == m["x"]["betweenness"] == 0.0
    assert m["a"]["component"] == m["b"]["component"] == m["c"]["component"] == 1
    assert m["x"]["component"] == m["y"]["component"] == 2
    assert m["z"]["component"] == 3 and m["z"]["degree"] == 0


def test_louvain_finds_two_cliques_and_is_reproducible() -> None:
    left = [(a, b, 3) for a, b in [("a1", "a2"), ("a1", "a3"), ("a2", "a3")]]
    right = [(a, b, 3) for a, b in [("b1", "b2"), ("b1", "b3"), ("b2", "b3")]]
    G = graph([*left, *right, ("a1", "b1", 1)])
    m = nw.compute_metrics(G)
    assert m["a1"]["community"] == m["a2"]["community"] == m["a3"]["community"]
    assert m["b1"]["community"] == m["b2"]["community"] == m["b3"]["community"]
    assert m["a1"]["community"] != m["b1"]["community"]
    # the bridge ends carry the 2 x 3 shortest paths from the other two nodes of their clique
    # to the other clique; normalised by (n-1)(n-2)/2 = 10 pairs
    assert m["a1"]["betweenness"] == m["b1"]["betweenness"] == round(6 / 10, 6)
    # same input in another insertion order: the same numbers
    H = graph(list(reversed([*left, *right, ("a1", "b1", 1)])))
    assert nw.compute_metrics(H) == m


def test_brokerage_counts_unlinked_partner_pairs_of_different_parties() -> None:
    # broker b links k1 (KHM), k2 (KHM), v1 (VNM), t1 (THA); k1-v1 are linked themselves
    G = graph(
        [("b", "k1", 1), ("b", "k2", 1), ("b", "v1", 1), ("b", "t1", 1), ("k1", "v1", 1)],
        {"b": "khm", "k1": "khm", "k2": "khm", "v1": "vnm", "t1": "tha"},
    )
    m = nw.compute_metrics(G)
    # pairs of neighbours: k1-k2 same party; k1-v1 linked; k1-t1, k2-v1, k2-t1, v1-t1 count
    assert m["b"]["brokerage"] == 4
    assert m["k2"]["brokerage"] == 0


# -- the real data ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(paths: ProjectPaths) -> EmbeddedStore:
    return EmbeddedStore.from_folder(dataset_folder() or paths.graph)


@pytest.fixture(scope="module")
def data(store: EmbeddedStore, paths: ProjectPaths) -> nw.NetworkData:
    return nw.load(store, paths.queries / "network")


def count(store: EmbeddedStore, body: str, **bindings) -> int:
    """COUNT(DISTINCT ?x) over ``body`` for the bound variables (grouped by them, so that the
    store's trailing VALUES clause selects the group)."""
    keys = " ".join(f"?{k}" for k in bindings)
    group = f"GROUP BY {keys}" if keys else ""
    text = f"SELECT {keys} (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {body} }} {group}"
    rows = store.select(PREFIXES + text, bindings)
    return int(rows[0]["n"]) if rows else 0


def test_load_reads_every_step_commitment(data: nw.NetworkData, store: EmbeddedStore) -> None:
    n = count(store, "?x a pg:Commitment ; pg:activity ?s . ?s a pg:Step .")
    assert len(data.links) == n > 800
    assert len(data.plans) == 5
    assert {k.step_kind for k in data.links} >= {"activity", "work-item", "sub-activity"}


def test_co_responsibility_weight_equals_a_sparql_count(
    data: nw.NetworkData, store: EmbeddedStore
) -> None:
    G = nw.network(data).graph
    a, b = ID + "agency/khm/mosvy", ID + "agency/khm/moj"
    body = f"""
      ?c1 pg:agency ?a ; pg:activity ?x ; pg:role ?r1 .
      ?c2 pg:agency ?b ; pg:activity ?x ; pg:role ?r2 .
      ?x a ?kind . VALUES ?kind {{ pg:Activity pg:WorkItem pg:QuarterlyActivity }}
      {RESPONSIBILITY.replace("?role", "?r1")} {RESPONSIBILITY.replace("?role", "?r2")}
    """
    expected = count(store, body, a=a, b=b)
    assert expected > 5
    assert G.edges[a, b]["weight"] == expected
    # and the heaviest edges all agree with SPARQL too
    heaviest = sorted(G.edges(data="weight"), key=lambda e: (-e[2], e[0], e[1]))[:5]
    for u, v, w in heaviest:
        assert count(store, body, a=u, b=v) == w


def test_obligation_load_equals_a_sparql_count(data: nw.NetworkData, store: EmbeddedStore) -> None:
    G = nw.network(data).graph
    agency = ID + "agency/khm/mosvy"
    rows = store.select(
        PREFIXES
        + """SELECT ?agency (COUNT(DISTINCT CONCAT(STR(?x), " ", STR(?role))) AS ?n) WHERE {
          ?c pg:agency ?agency ; pg:activity ?x ; pg:role ?role .
          ?x a ?kind . VALUES ?kind { pg:Activity pg:WorkItem pg:QuarterlyActivity } """
        + RESPONSIBILITY
        + " } GROUP BY ?agency",
        {"agency": agency},
    )
    assert G.nodes[agency]["obligation_load"] == int(rows[0]["n"]) > 20


def test_sub_activities_are_not_counted_by_default(data: nw.NetworkData) -> None:
    # the China-Cambodia plan names the parties: counted only with generic=True
    chn = nw.parse_filters(data, plan="chn-khm-2017-2019", generic=True)
    with_subs = nw.parse_filters(data, plan="chn-khm-2017-2019", sub_activities=True, generic=True)
    assert all(k.step_kind != "sub-activity" for k in nw.select(data, chn))
    assert len(nw.select(data, with_subs)) > len(nw.select(data, chn))


def test_roles_default_to_responsibility(data: nw.NetworkData) -> None:
    default = nw.select(data, nw.Filters())
    assert {k.role for k in default} <= set(nw.DEFAULT_ROLES)
    everything = nw.select(data, nw.parse_filters(data, role="all"))
    assert "resourcing" in {k.role for k in everything}
    only = nw.select(data, nw.parse_filters(data, role="resourcing"))
    assert only and {k.role for k in only} == {"resourcing"}


def test_agency_plan_and_party_projections(data: nw.NetworkData, store: EmbeddedStore) -> None:
    everyone = nw.Filters(generic=True)  # the SPARQL count below includes parties
    ap = nw.network(data, everyone, projection="agency-plan").graph
    plan = ID + "plan/vnm-khm-2020-2022"
    agencies_in_plan = count(
        store,
        f"?c pg:agency ?x ; pg:activity ?s ; pg:role ?role . ?s pg:plan ?plan ; a pg:Activity . "
        f"{RESPONSIBILITY}",
        plan=plan,
    )
    assert ap.degree(plan) == agencies_in_plan
    ag = nw.network(data, projection="agency-agreement").graph
    assert sum(1 for _, d in ag.nodes(data=True) if d["type"] == "agreement") == 4
    party = nw.network(data, projection="party").graph
    assert set(party.nodes) <= {
        ID + f"party/{c}" for c in ("khm", "vnm", "tha", "chn", "lao", "mmr")
    }
    assert party.has_edge(ID + "party/khm", ID + "party/vnm")
    bip = nw.network(data, projection="bipartite").graph
    assert nx.is_bipartite(bip)


def test_filters(data: nw.NetworkData) -> None:
    all_nodes = nw.network(data, nw.Filters(generic=True)).graph.number_of_nodes()
    y2021 = nw.network(data, nw.parse_filters(data, year="2021")).graph
    assert 0 < y2021.number_of_nodes() < all_nodes
    assert all(d["first_year"] <= 2021 <= d["last_year"] for _, d in y2021.nodes(data=True))
    tha = nw.network(data, nw.parse_filters(data, party="THA")).graph
    assert {d["party_code"] for _, d in tha.nodes(data=True)} <= {"THA", None, "KHM"}
    assert "THA" in {d["party_code"] for _, d in tha.nodes(data=True)}
    no_generic = nw.network(data, nw.parse_filters(data, generic="false")).graph
    assert not any(d["generic"] for _, d in no_generic.nodes(data=True))
    assert no_generic.number_of_nodes() < all_nodes
    # the default view is real bodies only
    assert sorted(nw.network(data).graph.nodes) == sorted(no_generic.nodes)
    rolled = nw.network(data, nw.parse_filters(data, rollup=True, generic=True)).graph
    parents = {data.agents[n].parent for n in data.agents if data.agents[n].parent}
    assert rolled.number_of_nodes() <= all_nodes
    assert not any(data.agents.get(n) and data.agents[n].parent in data.agents for n in rolled)
    assert parents  # the registry has a hierarchy to roll up
    commit = nw.parse_filters(data, agreement="commit-mou-2004")
    assert {k.plan for k in nw.select(data, commit)} == {ID + "plan/commit-srpa-2005-2007"}


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"plan": "nope"}, "plan"),
        ({"party": "xyz"}, "party"),
        ({"agreement": "nope"}, "agreement"),
        ({"theme": "nope"}, "theme"),
        ({"role": "boss"}, "role"),
        ({"year": "20x1"}, "year"),
        ({"year_from": "2020", "year_to": "2019"}, "from_year"),
        ({"rollup": "maybe"}, "rollup"),
    ],
)
def test_bad_filters_name_the_parameter(data: nw.NetworkData, kwargs, param: str) -> None:
    with pytest.raises(QueryError) as info:
        nw.parse_filters(data, **kwargs)
    assert info.value.param == param


def test_metrics_are_deterministic(data: nw.NetworkData) -> None:
    assert nw.agency_metrics(data) == nw.agency_metrics(data)
    assert nw.layout(nw.network(data).graph) == nw.layout(nw.network(data).graph)


# -- exports ---------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["agency", "bipartite", "party", "agency-plan"])
def net(request, data: nw.NetworkData) -> nw.Network:
    return nw.network(data, projection=request.param)


def test_graphml_round_trips(net: nw.Network, tmp_path: Path) -> None:
    body, _ = nw.export(net, "graphml")
    ET.fromstring(body)  # strict XML
    path = tmp_path / "n.graphml"
    path.write_bytes(body)
    read = nx.read_graphml(path)
    # node ids are xs:NMTOKEN (n0, n1...), the IRI a data attribute
    back = nx.relabel_nodes(read, {n: d["iri"] for n, d in read.nodes(data=True)})
    assert all(n.startswith("n") and n[1:].isdigit() for n in read.nodes)
    assert set(back.nodes) == set(net.graph.nodes)
    assert back.number_of_edges() == net.graph.number_of_edges()
    u, v, w = next(iter(net.graph.edges(data="weight")))
    assert back.edges[u, v]["weight"] == w
    n = next(iter(net.graph.nodes))
    assert back.nodes[n]["label"] == net.graph.nodes[n]["label"]
    assert back.nodes[n]["plans"] == ";".join(net.graph.nodes[n]["plans"])


def test_gexf_round_trips_with_timeline(net: nw.Network, tmp_path: Path) -> None:
    body, _ = nw.export(net, "gexf")
    root = ET.fromstring(body)
    g = root.find("{http://www.gexf.net/1.2draft}graph")
    assert g is not None and g.get("mode") == "dynamic" and g.get("timeformat") == "date"
    path = tmp_path / "n.gexf"
    path.write_bytes(body)
    back = nx.read_gexf(path)
    assert back.number_of_nodes() == net.graph.number_of_nodes()
    assert back.number_of_edges() == net.graph.number_of_edges()
    n = sorted(net.graph.nodes)[0]
    assert back.nodes[n]["label"] == net.graph.nodes[n]["label"]
    # spells: one per run of consecutive years with commitments
    first, last = net.graph.nodes[n]["first_year"], net.graph.nodes[n]["last_year"]
    spells = back.nodes[n]["spells"]
    assert spells[0][0] == f"{first}-01-01" and spells[-1][1] == f"{last}-12-31"
    years = set(net.graph.nodes[n]["years"])
    for start, end in spells:
        assert set(range(int(start[:4]), int(end[:4]) + 1)) <= years


def test_cytoscape_round_trips(net: nw.Network) -> None:
    body, _ = nw.export(net, "cytoscape")
    doc = json.loads(body)
    back = nx.cytoscape_graph(doc)
    assert set(back.nodes) == set(net.graph.nodes)
    assert back.number_of_edges() == net.graph.number_of_edges()
    for node in doc["elements"]["nodes"]:
        assert all(not isinstance(v, list | dict) for v in node["data"].values())


def test_csv_round_trips(net: nw.Network) -> None:
    nodes = list(csv.DictReader(io.StringIO(nw.export(net, "csv-nodes")[0].decode())))
    edges = list(csv.DictReader(io.StringIO(nw.export(net, "csv-edges")[0].decode())))
    assert {r["id"] for r in nodes} == set(net.graph.nodes)
    back = nx.from_edgelist((r["source"], r["target"]) for r in edges)
    assert back.number_of_edges() == net.graph.number_of_edges()
    r = edges[0]
    assert int(r["weight"]) == net.graph.edges[r["source"], r["target"]]["weight"]


def test_json_carries_positions_steps_and_metrics(data: nw.NetworkData) -> None:
    doc = json.loads(nw.export(nw.network(data), "json")[0])
    node = doc["elements"]["nodes"][0]
    assert {"x", "y"} <= set(node["position"])
    assert {"obligation_load", "betweenness", "pagerank", "community"} <= set(node["data"])
    edge = doc["elements"]["edges"][0]
    assert len(edge["data"]["steps"]) == edge["data"]["weight"]
    for step in edge["data"]["steps"]:
        assert doc["steps"][step]["spans"]


# -- metrics as RDF --------------------------------------------------------------------------


def test_metrics_graph_loads_into_the_store(data: nw.NetworkData, paths: ProjectPaths) -> None:
    g = nw.metrics_rdf(data, computed_at="2025-01-01T00:00:00+00:00")
    assert isinstance(g, Graph)
    runs = list(g.subjects(None, PG.MetricsComputation))
    assert len(runs) == 1
    assert g.value(runs[0], PG.seed) == Literal(42)
    store = EmbeddedStore.from_folder(dataset_folder() or paths.graph)
    assert nw.add_metrics_graph(store, paths.queries / "network", data)
    assert not nw.add_metrics_graph(store, paths.queries / "network", data)  # only once
    assert nw.METRICS_GRAPH in store.graphs()
    q = load_catalog(paths.queries / "network")["most-loaded-agencies"]
    rows = store.select(q.text)
    top = nw.agency_metrics(data)[0]
    assert rows[0]["agency"] == top["agency"]
    assert int(rows[0]["steps"]) == top["step_load"]
    assert int(rows[0]["commitments"]) == top["obligation_load"]
    assert {r["kind"] for r in rows} and "unspecified-group" not in {r["kind"] for r in rows}
    assert all(r["view"].startswith("real bodies only") for r in rows)
