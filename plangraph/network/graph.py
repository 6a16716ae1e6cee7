"""Networks of agencies and their obligations: built from SPARQL results, measured, exported.

Everything is read through the store with the queries in ``queries/network/`` (one bounded
read per kind of thing: commitments, steps, agents, plans, themes); filters are applied in
Python on those rows, never pasted into SPARQL text.

The bipartite network links agencies to the steps they are committed to (one edge per agency
and step; its attributes are the commitments' roles, plan, agreement, years, uncertainty).
Projections:

``agency``
    co-responsibility: two agencies are linked when they are committed to the same step;
    ``weight`` is the number of such shared steps, ``plans`` the plans they share them in.
``agency-plan`` / ``agency-agreement``
    agency to plan (or agreement), ``weight`` the agency's commitments there. The Cambodian
    national plan implements no agreement, so its commitments have no edge in
    ``agency-agreement``.
``party``
    party to party: ``weight`` the steps on which agencies of both parties are committed.
    International bodies belong to no party and are not in this projection.

Decisions (the defaults):

- **Steps.** Commitments for numbered activities (pg:Activity), work items, and quarterly
  activities are counted. Sub-activities (pg:SubActivity) are left out unless
  ``sub_activities`` is set: in the China–Cambodia plan they repeat their parent activity's
  agencies, so counting them would count one obligation twice. Commitments made for a whole
  section (the parties participating in a COMMIT project proposal concept) are not steps and
  are not in the network.
- **Roles.** The default roles are lead, responsible, implementing-partner and support:
  responsibility for carrying a step out. Resourcing (funding) is a different relation (in
  the national plan "development partners" fund most activities) and participant is used
  only for section-level participation; ``roles=ALL_ROLES`` (``--role all``) includes them.
- **Catch-alls and parties.** Agencies of kind ``unspecified-group`` ("competent
  authorities concerned") and parties standing in for an agency (pg:agency pointing to a
  pg:Party, node kind ``party``) are nodes by default, marked by their kind so a client can
  hide them; ``generic=False`` drops them.
- **Obligation load** of an agency is the number of distinct (step, role) commitments it
  carries under the filters (after roll-up, so a ministry and its department committed to
  the same step in the same role count once); ``load_<role>`` breaks it down by role.
- **Years.** A commitment is in the years of its own pg:year, else its step's, else its
  plan's period; a year filter keeps commitments with a year in the range.
- **Party filter** keeps commitments whose agency belongs to the party (or is the party, or
  acts on its behalf).
- **Roll-up** replaces every agency by its top-most parent body (org:subOrganizationOf).

Metrics are computed on the projection asked for (for agencies: on the co-responsibility
network): weighted degree, betweenness (normalised, on hops: weights are strengths, not
distances), PageRank (weighted), Louvain communities (seed 42), connected components. Every
metric is deterministic: nodes and edges are added in sorted order and the seed is fixed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plangraph.errors import QueryError
from plangraph.network.filters import Filters as Filters
from plangraph.network.filters import parse_filters as parse_filters
from plangraph.network.filters import root_of as root_of
from plangraph.network.filters import select
from plangraph.network.lazy_networkx import nx
from plangraph.network.loader import load
from plangraph.network.records import ALL_ROLES as ALL_ROLES
from plangraph.network.records import DEFAULT_ROLES as DEFAULT_ROLES
from plangraph.network.records import GENERIC_KINDS as GENERIC_KINDS
from plangraph.network.records import Link as Link
from plangraph.network.records import NetworkData as NetworkData
from plangraph.store.query_catalog import load_catalog as load_catalog
from plangraph.store.stores import EmbeddedStore

PROJECTIONS = ("bipartite", "agency", "agency-plan", "agency-agreement", "party")
FORMATS = ("json", "cytoscape", "graphml", "gexf", "csv-nodes", "csv-edges", "metrics")
SEED = 42
ALGORITHMS = {
    "weighted_degree": "sum of edge weights (networkx Graph.degree(weight='weight'))",
    "betweenness": "networkx.betweenness_centrality(normalized=True), unweighted (hops)",
    "pagerank": "networkx.pagerank(alpha=0.85, weight='weight')",
    "community": "networkx.community.louvain_communities(weight='weight', seed=42)",
    "component": "networkx.connected_components, numbered by size then first node",
    "brokerage": "pairs of neighbours of different parties that are not linked themselves",
}


# -- building the networks ---------------------------------------------------------------


def _span(years: Iterable[int]) -> tuple[int | None, int | None]:
    ys = sorted(years)
    return (ys[0], ys[-1]) if ys else (None, None)


def _agency_node(data: NetworkData, iri: str, links: list[Link]) -> dict[str, Any]:
    agent = data.agents.get(iri)
    commitments = {(k.step, k.role) for k in links}
    by_role: dict[str, int] = defaultdict(int)
    for _, role in commitments:
        by_role[role] += 1
    first, last = _span(y for k in links for y in k.years)
    party = agent.party if agent else None
    node: dict[str, Any] = {
        "label": agent.label if agent else iri.rsplit("/", 1)[-1],
        "type": "agency",
        "kind": agent.kind if agent else "unspecified",
        "generic": bool(agent and agent.generic),
        "party": party,
        "party_code": party.rsplit("/", 1)[-1].upper() if party else None,
        "part_of": agent.parent if agent else None,
        "obligation_load": len(commitments),
        "activities": len({k.step for k in links}),
        "plans": sorted({k.plan for k in links}),
        "agreements": sorted({k.agreement for k in links if k.agreement}),
        "uncertain": sum(1 for k in links if k.uncertain),
        "first_year": first,
        "last_year": last,
    }
    for role in ALL_ROLES:
        node[f"load_{role}"] = by_role.get(role, 0)
    return node


def _edge(links: list[Link], weight: int) -> dict[str, Any]:
    first, last = _span(y for k in links for y in k.years)
    return {
        "weight": weight,
        "commitments": len({k.commitment for k in links}),
        "roles": sorted({k.role for k in links}),
        "plans": sorted({k.plan for k in links}),
        "agreements": sorted({k.agreement for k in links if k.agreement}),
        "years": sorted({y for k in links for y in k.years}),
        "first_year": first,
        "last_year": last,
        "uncertain": any(k.uncertain for k in links),
        "steps": sorted({k.step for k in links}),
    }


def _by(links: Iterable[Link], key) -> dict[str, list[Link]]:
    out: dict[str, list[Link]] = defaultdict(list)
    for k in links:
        value = key(k)
        if value is not None:
            out[value].append(k)
    return dict(sorted(out.items()))


def build_graph(data: NetworkData, links: list[Link], projection: str = "agency") -> nx.Graph:
    """The network of one projection over the selected commitments (see the module doc)."""
    if projection not in PROJECTIONS:
        raise QueryError(
            f"unknown projection {projection!r} (one of: {', '.join(PROJECTIONS)})",
            param="projection",
        )
    G = nx.Graph(projection=projection)
    by_agency = _by(links, lambda k: k.agency)
    if projection == "party":
        by_party = _by(links, lambda k: _party(data, k.agency))
        for party, plinks in by_party.items():
            agent = data.agents.get(party)
            node = _agency_node(data, party, plinks)
            node.update(
                type="party",
                kind="party",
                label=agent.label if agent else party,
                generic=False,
                agencies=len({k.agency for k in plinks}),
            )
            G.add_node(party, **node)
        by_step = _by(links, lambda k: k.step)
        pairs: dict[tuple[str, str], list[Link]] = defaultdict(list)
        steps: dict[tuple[str, str], set[str]] = defaultdict(set)
        for step, slinks in by_step.items():
            ps = sorted({p for k in slinks if (p := _party(data, k.agency)) is not None})
            for a, b in itertools.combinations(ps, 2):
                pairs[a, b].extend(slinks)
                steps[a, b].add(step)
        for (a, b), plinks in sorted(pairs.items()):
            G.add_edge(a, b, **_edge(plinks, len(steps[a, b])))
        return G
    for agency, alinks in by_agency.items():
        G.add_node(agency, **_agency_node(data, agency, alinks))
    if projection == "bipartite":
        for step, slinks in _by(links, lambda k: k.step).items():
            info = data.steps.get(step)
            first, last = _span(y for k in slinks for y in k.years)
            G.add_node(
                step,
                label=_step_label(data, step),
                type="step",
                kind=slinks[0].step_kind,
                plans=[slinks[0].plan],
                agreements=sorted({k.agreement for k in slinks if k.agreement}),
                number=info.number if info else "",
                first_year=first,
                last_year=last,
                themes=sorted({t for k in slinks for t in k.themes}),
            )
        for (agency, step), elinks in _by(links, lambda k: (k.agency, k.step)).items():
            G.add_edge(agency, step, **_edge(elinks, len({k.role for k in elinks})))
        return G
    if projection in ("agency-plan", "agency-agreement"):
        attr = "plan" if projection == "agency-plan" else "agreement"
        for target, tlinks in _by(links, lambda k: getattr(k, attr)).items():
            if attr == "plan":
                plan = data.plans[target]
                label, years = plan.title, [plan.start, plan.end]
            else:
                label = data.agreements.get(target, target)
                years = [
                    p
                    for pl in data.plans.values()
                    if pl.agreement == target
                    for p in (pl.start, pl.end)
                ]
            first, last = _span(y for y in years if y is not None)
            G.add_node(
                target,
                label=label,
                type=attr,
                kind=attr,
                plans=sorted({k.plan for k in tlinks}),
                first_year=first,
                last_year=last,
            )
        for (agency, target), elinks in _by(
            links, lambda k: (k.agency, getattr(k, attr)) if getattr(k, attr) else None
        ).items():
            G.add_edge(agency, target, **_edge(elinks, len({(k.step, k.role) for k in elinks})))
        return G
    # agency: co-responsibility
    pairs = defaultdict(list)
    shared: dict[tuple[str, str], set[str]] = defaultdict(set)
    for step, slinks in _by(links, lambda k: k.step).items():
        for a, b in itertools.combinations(sorted({k.agency for k in slinks}), 2):
            pairs[a, b].extend(k for k in slinks if k.agency in (a, b))
            shared[a, b].add(step)
    for (a, b), plinks in sorted(pairs.items()):
        G.add_edge(a, b, **_edge(plinks, len(shared[a, b])))
    return G


def _party(data: NetworkData, iri: str) -> str | None:
    agent = data.agents.get(iri)
    return agent.party if agent else None


def _step_label(data: NetworkData, step: str) -> str:
    info = data.steps.get(step)
    plan = step.split("/plan/", 1)[-1].split("/", 1)[0]
    if info is None:
        return step.rsplit("/", 1)[-1]
    text = info.description if len(info.description) <= 80 else info.description[:77] + "..."
    return f"{plan} {info.number}: {text}".strip()


# -- metrics ---------------------------------------------------------------------------------


def _sorted_copy(G: nx.Graph) -> nx.Graph:
    H = nx.Graph()
    H.add_nodes_from(sorted(G.nodes))
    H.add_edges_from(
        sorted(
            (min(u, v), max(u, v), {"weight": d.get("weight", 1)}) for u, v, d in G.edges(data=True)
        )
    )
    return H


def _numbered(groups: Iterable[Iterable[str]]) -> dict[str, int]:
    """Groups numbered 1.. by size (largest first), then by their first member."""
    ordered = sorted((sorted(g) for g in groups), key=lambda g: (-len(g), g[0]))
    return {n: i for i, g in enumerate(ordered, 1) for n in g}


EXACT_BETWEENNESS = 1000
BETWEENNESS_PIVOTS = 256


def compute_metrics(G: nx.Graph, seed: int = SEED) -> dict[str, dict[str, Any]]:
    """Per node: degree, weighted degree, betweenness, PageRank, community, component,
    brokerage (pairs of neighbours of different parties not linked themselves; the node
    attribute ``party``). Deterministic: computed on a copy with sorted nodes and edges."""
    H = _sorted_copy(G)
    if H.number_of_nodes() == 0:
        return {}
    # exact (O(nodes x edges)) up to EXACT_BETWEENNESS nodes, else estimated from a seeded
    # sample of source nodes (Brandes' pivots), so a 1M-triple corpus stays in seconds
    n = H.number_of_nodes()
    k = None if n <= EXACT_BETWEENNESS else BETWEENNESS_PIVOTS
    betweenness = nx.betweenness_centrality(H, k=k, normalized=True, seed=seed if k else None)
    pagerank = (
        nx.pagerank(H, alpha=0.85, weight="weight")
        if H.number_of_edges()
        else {n: 1 / H.number_of_nodes() for n in H}
    )
    communities = _numbered(nx.community.louvain_communities(H, weight="weight", seed=seed))
    components = _numbered(nx.connected_components(H))
    out = {}
    for n in H.nodes:
        brokerage = 0
        for u, w in itertools.combinations(sorted(H.neighbors(n)), 2):
            pu, pw = G.nodes[u].get("party"), G.nodes[w].get("party")
            if pu and pw and pu != pw and not H.has_edge(u, w):
                brokerage += 1
        out[n] = {
            "degree": H.degree(n),
            "weighted_degree": H.degree(n, weight="weight"),
            "betweenness": round(betweenness[n], 6),
            "pagerank": round(pagerank[n], 6),
            "community": communities[n],
            "component": components[n],
            "brokerage": brokerage,
        }
    return out


# -- the result ------------------------------------------------------------------------------


@dataclass
class Network:
    graph: nx.Graph
    projection: str
    filters: Filters
    links: list[Link]
    data: NetworkData = field(repr=False)

    def step_info(self) -> dict[str, dict[str, Any]]:
        """The steps on the network's edges (or its step nodes): number, text, source lines."""
        out = {}
        for step in sorted({k.step for k in self.links}):
            info = self.data.steps.get(step)
            out[step] = {
                "plan": step.split("/activity/")[0].split("/work-item/")[0],
                "number": info.number if info else "",
                "description": info.description if info else "",
                "spans": [
                    {"document": d, "start": s, "end": e}
                    for d, s, e in (info.spans if info else ())
                ],
            }
        return out


def network(
    data: NetworkData, filters: Filters | None = None, projection: str = "agency"
) -> Network:
    """The network of ``projection`` under ``filters``, with metrics on its nodes."""
    filters = filters or Filters()
    links = select(data, filters)
    G = build_graph(data, links, projection)
    for n, m in compute_metrics(G).items():
        G.nodes[n].update(m)
    if projection != "agency":  # agency metrics always from the co-responsibility network
        agency = (
            compute_metrics(build_graph(data, links, "agency")) if projection != "party" else {}
        )
        for n, m in agency.items():
            if n in G:
                G.nodes[n].update({f"agency_{k}": v for k, v in m.items()})
    return Network(G, projection, filters, links, data)


def agency_metrics(data: NetworkData, filters: Filters | None = None) -> list[dict[str, Any]]:
    """One row per agency of the co-responsibility network: its load and metrics, and
    whether it bridges agreements (committed under two or more), sorted by load."""
    net = network(data, filters, "agency")
    rows = []
    for n, d in net.graph.nodes(data=True):
        row = {"agency": n, **{k: d.get(k) for k in _METRIC_COLUMNS}}
        row["bridges_agreements"] = len(d["agreements"]) >= 2
        row["roles"] = {r: d[f"load_{r}"] for r in ALL_ROLES}
        rows.append(row)
    rows.sort(key=lambda r: (-r["obligation_load"], r["agency"]))
    return rows


_METRIC_COLUMNS = (
    "label",
    "kind",
    "party_code",
    "generic",
    "obligation_load",
    *(f"load_{r}" for r in ALL_ROLES),
    "activities",
    "plans",
    "agreements",
    "degree",
    "weighted_degree",
    "betweenness",
    "pagerank",
    "community",
    "component",
    "brokerage",
)


def summary(rows: list[dict[str, Any]], top: int = 10) -> dict[str, list[dict[str, Any]]]:
    """The closing-note lists: top by load, top by betweenness, the bridging agencies."""

    def brief(r: dict[str, Any]) -> dict[str, Any]:
        keys = ("agency", "label", "party_code", "kind", "obligation_load", "betweenness")
        return {k: r[k] for k in (*keys, "agreements", "brokerage")}

    by_load = rows[:top]
    by_between = sorted(rows, key=lambda r: (-r["betweenness"], r["agency"]))[:top]
    bridging = sorted(
        (r for r in rows if r["bridges_agreements"]),
        key=lambda r: (-len(r["agreements"]), -r["brokerage"], r["agency"]),
    )
    return {
        "obligation_load": [brief(r) for r in by_load],
        "betweenness": [brief(r) for r in by_between],
        "bridging": [brief(r) for r in bridging],
    }


# -- exports ---------------------------------------------------------------------------------

_SKIP = {"steps"}  # long lists kept out of file exports (the JSON format keeps them)


def _scalar_types(items: Iterable[dict[str, Any]]) -> dict[str, type]:
    kinds: dict[str, set[type]] = defaultdict(set)
    for d in items:
        for k, v in d.items():
            if v is not None:
                kinds[k].add(type(v))
    out: dict[str, type] = {}
    for k, ts in kinds.items():
        if ts <= {bool}:
            out[k] = bool
        elif ts <= {int}:
            out[k] = int
        elif ts <= {int, float}:
            out[k] = float
        else:
            out[k] = str
    return out


def _flat_value(value: Any, kind: type) -> Any:
    if kind is str:
        if value is None:
            return ""
        if isinstance(value, list | tuple | set):
            return ";".join(str(v) for v in value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)
    return kind(value)


def flatten(G: nx.Graph, *, skip: Iterable[str] = _SKIP, dates: bool = False) -> nx.Graph:
    """A copy whose attributes are all scalars of one type per attribute name (lists joined
    with ';', missing strings ''; missing numbers left out), as Gephi and Cytoscape want.
    ``dates``: add GEXF ``start`` / ``end`` (first and last year as ISO dates)."""
    skip = set(skip)
    ntypes = _scalar_types(d for _, d in G.nodes(data=True))
    etypes = _scalar_types(d for _, _, d in G.edges(data=True))
    H = nx.Graph()

    def clean(d: dict[str, Any], types: dict[str, type]) -> dict[str, Any]:
        out = {}
        for k, kind in sorted(types.items()):
            if k in skip:
                continue
            v = d.get(k)
            if v is None and kind is not str:
                continue
            out[k] = _flat_value(v, kind)
        if dates:
            if d.get("first_year") is not None:
                out["start"] = f"{d['first_year']:04d}-01-01"
            if d.get("last_year") is not None:
                out["end"] = f"{d['last_year']:04d}-12-31"
        return out

    for n in sorted(G.nodes):
        H.add_node(n, **clean(G.nodes[n], ntypes))
    for u, v in sorted((min(a, b), max(a, b)) for a, b in G.edges):
        H.add_edge(u, v, **clean(G.edges[u, v], etypes))
    return H


def to_graphml(G: nx.Graph) -> bytes:
    return "\n".join(nx.generate_graphml(flatten(G))).encode("utf-8") + b"\n"


def to_gexf(G: nx.Graph) -> bytes:
    """GEXF 1.2 with start/end dates on nodes and edges (Gephi's timeline)."""
    return (
        "\n".join(nx.generate_gexf(flatten(G, dates=True), version="1.2draft")).encode("utf-8")
        + b"\n"
    )


def to_cytoscape(G: nx.Graph) -> dict[str, Any]:
    """Cytoscape.js / Cytoscape desktop JSON (``elements``: nodes and edges)."""
    return nx.cytoscape_data(flatten(G))


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue().encode("utf-8")


def to_csv_nodes(G: nx.Graph) -> bytes:
    H = flatten(G)
    keys = sorted({k for _, d in H.nodes(data=True) for k in d})
    return _csv([{"id": n, **d} for n, d in H.nodes(data=True)], ["id", *keys])


def to_csv_edges(G: nx.Graph) -> bytes:
    H = flatten(G)
    keys = sorted({k for _, _, d in H.edges(data=True) for k in d})
    rows = [{"source": u, "target": v, **d} for u, v, d in H.edges(data=True)]
    return _csv(rows, ["source", "target", *keys])


def layout(G: nx.Graph, size: float = 1000.0) -> dict[str, tuple[float, float]]:
    """Deterministic positions in pixels: each connected component laid out on its own
    (Kamada-Kawai on hops, no randomness), scaled by the square root of its size, and the
    components packed in rows, largest first, so small groups do not crowd the big one."""
    H = _sorted_copy(G)
    if H.number_of_nodes() == 0:
        return {}
    comps = sorted((sorted(c) for c in nx.connected_components(H)), key=lambda c: (-len(c), c[0]))
    unit = size / max(1.0, len(comps[0]) ** 0.5)
    out: dict[str, tuple[float, float]] = {}
    x = y = row_height = 0.0
    width = max(size * 1.6, unit * 3)
    for comp in comps:
        sub = H.subgraph(comp)
        extent = unit * len(comp) ** 0.5
        if len(comp) == 1:
            pos = {comp[0]: (0.0, 0.0)}
        elif len(comp) == 2:
            pos = {comp[0]: (-0.5, 0.0), comp[1]: (0.5, 0.0)}
        else:
            pos = nx.kamada_kawai_layout(sub, weight=None)
        xs = [p[0] for p in pos.values()]
        ys = [p[1] for p in pos.values()]
        span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
        box = extent if len(comp) > 2 else unit * 0.6
        if x > 0 and x + box > width:
            x, y, row_height = 0.0, y + row_height + unit * 0.4, 0.0
        for n, (px, py) in pos.items():
            nx_ = x + (px - min(xs)) / span * box if len(comp) > 1 else x
            ny_ = y + (py - min(ys)) / span * box if len(comp) > 1 else y
            out[n] = (round(float(nx_), 1), round(float(ny_), 1))
        x += box + unit * 0.4
        row_height = max(row_height, box if len(comp) > 1 else 0.0)
    return out


def to_json(net: Network) -> dict[str, Any]:
    """The page's and the API's default: Cytoscape elements with positions, the steps the
    edges stand for (with their source lines), the filters and the agency metrics summary."""
    cy = nx.cytoscape_data(flatten(net.graph, skip=()))
    pos = layout(net.graph)
    for node in cy["elements"]["nodes"]:
        x, y = pos.get(node["data"]["id"], (0.0, 0.0))
        node["position"] = {"x": x, "y": y}
    for edge in cy["elements"]["edges"]:
        edge["data"]["id"] = f"{edge['data']['source']}|{edge['data']['target']}"
        edge["data"]["steps"] = list(
            net.graph.edges[edge["data"]["source"], edge["data"]["target"]]["steps"]
        )
    commitments: dict[str, list[list[str]]] = defaultdict(list)
    for k in net.links:
        pair = [k.step, k.role]
        if pair not in commitments[k.agency]:
            commitments[k.agency].append(pair)
    return {
        "projection": net.projection,
        "filters": net.filters.to_json(),
        "build": net.data.build_id,
        "counts": {
            "nodes": net.graph.number_of_nodes(),
            "edges": net.graph.number_of_edges(),
            "commitments": len(net.links),
        },
        "elements": cy["elements"],
        "steps": net.step_info(),
        "commitments": commitments,
        "algorithms": ALGORITHMS,
    }


def export(net: Network, fmt: str) -> tuple[bytes, str]:
    """The network in one of :data:`FORMATS`, with its media type."""
    if fmt == "json":
        return json.dumps(to_json(net), ensure_ascii=False).encode("utf-8"), "application/json"
    if fmt == "cytoscape":
        body = json.dumps(to_cytoscape(net.graph), ensure_ascii=False)
        return body.encode("utf-8"), "application/json"
    if fmt == "graphml":
        return to_graphml(net.graph), "application/graphml+xml"
    if fmt == "gexf":
        return to_gexf(net.graph), "application/gexf+xml"
    if fmt == "csv-nodes":
        return to_csv_nodes(net.graph), "text/csv; charset=utf-8"
    if fmt == "csv-edges":
        return to_csv_edges(net.graph), "text/csv; charset=utf-8"
    if fmt == "metrics":
        rows = agency_metrics(net.data, net.filters)
        doc = {"filters": net.filters.to_json(), "agencies": rows, "summary": summary(rows)}
        return json.dumps(doc, ensure_ascii=False).encode("utf-8"), "application/json"
    raise QueryError(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})", param="format")


# -- metrics as RDF --------------------------------------------------------------------------


def metrics_rdf(data: NetworkData, filters: Filters | None = None, computed_at: str | None = None):
    """The agency metrics under ``filters`` as an rdflib Graph
    (plangraph.graph.mapping.metrics_graph)."""
    from datetime import UTC, datetime

    from plangraph.graph.mapping import metrics_graph

    filters = filters or Filters()
    rows = agency_metrics(data, filters)
    when = computed_at or datetime.now(UTC).replace(microsecond=0).isoformat()
    params = {
        "filters": filters.to_json(),
        "algorithms": ALGORITHMS,
        "networkx": nx.__version__,
        "seed": SEED,
        "build_id": data.build_id,
        "projection": "agency",
    }
    return metrics_graph(rows, when, params)


METRICS_GRAPH = "https://w3id.org/plangraph/graph/metrics"
METRICS_CACHE_VERSION = "1"  # bump when the metrics or their RDF change
_CACHE_KEPT = 4  # metrics files of this many builds are kept in the cache folder


def metrics_cache_file(cache: Path, build_id: str, queries: Path) -> Path:
    """Where the metrics graph of build ``build_id`` is cached: the name carries the build
    id and a digest of what else the metrics depend on (the network queries, this code's
    version), so a new build or new queries never read a stale file."""
    h = hashlib.sha256(METRICS_CACHE_VERSION.encode())
    for f in sorted(queries.glob("*.rq")):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return cache / f"metrics-{build_id}-{h.hexdigest()[:12]}.nt"


def _write_cache(path: Path, data: bytes) -> None:
    """Write atomically (a reader sees the whole file or none); prune old builds' files.
    A read-only folder is no error: the metrics are computed again next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        old = sorted(
            (f for f in path.parent.glob("metrics-*.nt") if f != path),
            key=lambda f: f.stat().st_mtime,
            reverse=True,
        )
        for f in old[_CACHE_KEPT - 1 :]:
            f.unlink(missing_ok=True)
    except OSError:
        pass


def metrics_ntriples(
    store: EmbeddedStore,
    folder: Path,
    data: NetworkData | None = None,
    cache: Path | None = None,
) -> bytes:
    """The default agency metrics of the store's build as N-Triples: read from ``cache``
    (a folder) when computed before for this build, else computed (and cached there)."""
    path = metrics_cache_file(cache, store.build_id, folder) if cache is not None else None
    if path is not None:
        try:
            body = path.read_bytes()
        except OSError:
            pass
        else:
            if f'"{store.build_id}"'.encode() in body:  # the file names its build
                return body
    body = metrics_rdf(data or load(store, folder)).serialize(format="nt", encoding="utf-8")
    if path is not None:
        _write_cache(path, body)
    return body


def add_metrics_graph(
    store: EmbeddedStore,
    folder: Path,
    data: NetworkData | None = None,
    cache: Path | None = None,
) -> bool:
    """Compute the default agency metrics and load them into the store's metrics named graph
    (:data:`METRICS_GRAPH`) unless it is there already; True if added. ``cache``: a folder
    where they are kept per build (see :func:`metrics_ntriples`)."""
    if METRICS_GRAPH in store.graphs():
        return False
    return store.add_graph(METRICS_GRAPH, metrics_ntriples(store, folder, data, cache))


def options(data: NetworkData) -> dict[str, Any]:
    """What the filters accept (for a page's controls): plans, agreements, parties, themes,
    roles, kinds and the range of years."""
    years = sorted({y for k in data.links for y in k.years})
    return {
        "projections": list(PROJECTIONS),
        "formats": list(FORMATS),
        "plans": [
            {
                "id": p.iri.rsplit("/", 1)[-1],
                "iri": p.iri,
                "label": p.title,
                "agreement": p.agreement,
                "start": p.start,
                "end": p.end,
            }
            for p in sorted(data.plans.values(), key=lambda p: (p.start or 0, p.iri))
        ],
        "agreements": [
            {"id": iri.rsplit("/", 1)[-1], "iri": iri, "label": label}
            for iri, label in sorted(data.agreements.items())
        ],
        "parties": [
            {"id": a.iri.rsplit("/", 1)[-1], "iri": a.iri, "label": a.label}
            for a in sorted(data.parties.values(), key=lambda a: a.iri)
        ],
        "themes": [
            {"id": iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1], "iri": iri, "label": label}
            for iri, label in sorted(data.themes.items())
        ],
        "roles": list(ALL_ROLES),
        "default_roles": list(DEFAULT_ROLES),
        "kinds": sorted({a.kind for a in data.agents.values()}),
        "generic_kinds": list(GENERIC_KINDS),
        "years": {"min": years[0] if years else None, "max": years[-1] if years else None},
    }
