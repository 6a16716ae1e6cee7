"""Metrics of a network's nodes: weighted degree, betweenness (normalised, on hops: weights are
strengths, not distances), PageRank (weighted), Louvain communities (seed 42), connected
components, brokerage. Every metric is deterministic: computed on a copy with sorted nodes and
edges, with a fixed seed."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import TypedDict

from plangraph.network.lazy_networkx import nx

SEED = 42
ALGORITHMS = {
    "weighted_degree": "sum of edge weights (networkx Graph.degree(weight='weight'))",
    "betweenness": "networkx.betweenness_centrality(normalized=True), unweighted (hops)",
    "pagerank": "networkx.pagerank(alpha=0.85, weight='weight')",
    "community": "networkx.community.louvain_communities(weight='weight', seed=42)",
    "component": "networkx.connected_components, numbered by size then first node",
    "component_size": "the number of nodes of the node's connected component",
    "brokerage": "pairs of neighbours of different parties that are not linked themselves",
}


class NodeMetrics(TypedDict):
    """The metrics of one node (see :data:`ALGORITHMS`)."""

    degree: int
    weighted_degree: float  # an int when the weights are
    betweenness: float
    pagerank: float
    community: int
    component: int
    component_size: int  # read betweenness and PageRank beside it: a small component's hub
    brokerage: int


def sorted_copy(G: nx.Graph) -> nx.Graph:
    """A copy with only the weights, nodes and edges added in sorted order (networkx's
    algorithms visit them in the order they were added)."""
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


def compute_metrics(G: nx.Graph, seed: int = SEED) -> dict[str, NodeMetrics]:
    """Per node: degree, weighted degree, betweenness, PageRank, community, component and
    its size, brokerage (pairs of neighbours of different parties not linked themselves; the node
    attribute ``party``). Deterministic: computed on a copy with sorted nodes and edges."""
    H = sorted_copy(G)
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
    sizes: dict[int, int] = {}
    for c in components.values():
        sizes[c] = sizes.get(c, 0) + 1
    out: dict[str, NodeMetrics] = {}
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
            "component_size": sizes[components[n]],
            "brokerage": brokerage,
        }
    return out
