"""A network in the formats of :data:`FORMATS`: the page's JSON (Cytoscape elements with
positions, steps and metrics), Cytoscape, GraphML, GEXF (with a timeline), CSV of nodes and of
edges, and the agency metrics as JSON."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from plangraph.errors import QueryError
from plangraph.network.lazy_networkx import nx
from plangraph.network.metrics import ALGORITHMS
from plangraph.network.positions import layout
from plangraph.network.result import Network, agency_metrics, summary

FORMATS = ("json", "cytoscape", "graphml", "gexf", "csv-nodes", "csv-edges", "metrics")

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
    ``dates``: add GEXF ``spells``, one per run of consecutive years with commitments (a
    node or edge is active only in years it has work), else ``start`` / ``end``."""
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
            if d.get("years"):
                out["spells"] = spells(d["years"])
            else:
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


def spells(years: Iterable[int]) -> list[tuple[str, str]]:
    """GEXF spells over ``years``: one (start, end) per run of consecutive years, as ISO
    dates from the first day of its first year to the last day of its last."""
    runs: list[list[int]] = []
    for y in sorted(set(years)):
        if runs and y == runs[-1][1] + 1:
            runs[-1][1] = y
        else:
            runs.append([y, y])
    return [(f"{a:04d}-01-01", f"{b:04d}-12-31") for a, b in runs]


def to_graphml(G: nx.Graph) -> bytes:
    """GraphML 1.0 valid against its XSD: node ids are ``n0``, ``n1``… (xs:NMTOKEN, in the
    sorted order of the IRIs), each node's IRI in its ``iri`` data attribute."""
    H = flatten(G)
    ids = {n: f"n{i}" for i, n in enumerate(sorted(H.nodes))}
    for n in H.nodes:
        H.nodes[n]["iri"] = n
    return "\n".join(nx.generate_graphml(nx.relabel_nodes(H, ids))).encode("utf-8") + b"\n"


def to_gexf(G: nx.Graph) -> bytes:
    """GEXF 1.2draft, valid against its XSD, with spells on nodes and edges (Gephi's
    timeline shows a node or an edge only in the years it has commitments)."""
    from networkx.readwrite.gexf import GEXFWriter

    writer = GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    writer.add_graph(flatten(G, dates=True))
    writer.graph_element.attrib.pop("name", None)  # 1.2draft has no graph name
    return str(writer).encode("utf-8")


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
