"""Issue 22, item 6: the default view's agency metrics recomputed from the raw commitments
with a second, simple implementation written here (its own SPARQL, its own Brandes
betweenness, PageRank power iteration, components and brokerage; no networkx, nothing from
plangraph.network) and compared with plangraph.network for every agency.

Louvain communities are not reimplemented (a heuristic with its own random order); the test
checks what any partition of this network must satisfy: it covers every agency, no
community spans two components, and they are numbered by size."""

from __future__ import annotations

import itertools
from collections import defaultdict, deque

import pytest

from plangraph import network as nw
from plangraph.paths import ProjectPaths
from plangraph.store.embedded import EmbeddedStore
from tests.server_process import dataset_folder

# Real bodies only: pg:Agency (not pg:Party) of any kind but the catch-all group; the roles
# that count; steps that are not sub-activities.
RAW = """
PREFIX pg: <https://w3id.org/plangraph/ontology#>
SELECT DISTINCT ?agency ?step ?role ?party WHERE {
  ?c a pg:Commitment ; pg:agency ?agency ; pg:activity ?step ; pg:role ?role .
  ?step pg:plan ?plan .
  VALUES ?kind { pg:Activity pg:WorkItem pg:QuarterlyActivity }
  ?step a ?kind .
  FILTER NOT EXISTS { ?step a pg:SubActivity }
  VALUES ?role {
    <https://w3id.org/plangraph/id/role/lead> <https://w3id.org/plangraph/id/role/responsible>
    <https://w3id.org/plangraph/id/role/implementing-partner>
    <https://w3id.org/plangraph/id/role/support>
  }
  ?agency a pg:Agency .
  FILTER NOT EXISTS {
    ?agency pg:agencyKind <https://w3id.org/plangraph/id/agency-kind/unspecified-group>
  }
  OPTIONAL { ?agency pg:party ?party }
}
"""


def brandes(adj: dict[str, set[str]]) -> dict[str, float]:
    """Unweighted betweenness, normalised as for an undirected graph of n nodes:
    the sum over ordered pairs (s, t) of the share of shortest s-t paths through v,
    divided by (n - 1)(n - 2)."""
    bc = dict.fromkeys(adj, 0.0)
    for s in adj:
        stack, preds = [], defaultdict(list)
        sigma = defaultdict(float, {s: 1.0})
        dist = {s: 0}
        queue = deque([s])
        while queue:
            v = queue.popleft()
            stack.append(v)
            for w in adj[v]:
                if w not in dist:
                    dist[w] = dist[v] + 1
                    queue.append(w)
                if dist[w] == dist[v] + 1:
                    sigma[w] += sigma[v]
                    preds[w].append(v)
        delta = defaultdict(float)
        while stack:
            w = stack.pop()
            for v in preds[w]:
                delta[v] += sigma[v] / sigma[w] * (1 + delta[w])
            if w != s:
                bc[w] += delta[w]
    n = len(adj)
    scale = 1 / ((n - 1) * (n - 2)) if n > 2 else 1.0
    return {v: b * scale for v, b in bc.items()}


def pagerank(weights: dict[str, dict[str, int]], alpha: float = 0.85) -> dict[str, float]:
    """Weighted PageRank by power iteration; a node without links spreads its rank evenly."""
    nodes = sorted(weights)
    n = len(nodes)
    rank = dict.fromkeys(nodes, 1 / n)
    out = {v: sum(weights[v].values()) for v in nodes}
    for _ in range(1000):
        dangling = sum(rank[v] for v in nodes if not out[v])
        new = dict.fromkeys(nodes, (1 - alpha) / n + alpha * dangling / n)
        for v in nodes:
            for w, wt in weights[v].items():
                new[w] += alpha * rank[v] * wt / out[v]
        if sum(abs(new[v] - rank[v]) for v in nodes) < 1e-12:
            return new
        rank = new
    raise AssertionError("PageRank did not converge")


def components(adj: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for start in sorted(adj):
        if start in out:
            continue
        seen, todo = {start}, [start]
        while todo:
            for w in adj[todo.pop()]:
                if w not in seen:
                    seen.add(w)
                    todo.append(w)
        for v in seen:
            out[v] = frozenset(seen)
    return out


@pytest.fixture(scope="module")
def both(paths: ProjectPaths) -> tuple[dict[str, dict], dict[str, dict]]:
    store = EmbeddedStore.from_folder(dataset_folder() or paths.graph)
    rows = store.select(RAW)
    steps: dict[str, set[str]] = defaultdict(set)
    pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    on_step: dict[str, set[str]] = defaultdict(set)
    party: dict[str, str | None] = {}
    for r in rows:
        steps[r["agency"]].add(r["step"])
        pairs[r["agency"]].add((r["step"], r["role"]))
        on_step[r["step"]].add(r["agency"])
        party[r["agency"]] = r.get("party")
    weights: dict[str, dict[str, int]] = {a: defaultdict(int) for a in steps}
    for agencies in on_step.values():
        for a, b in itertools.combinations(sorted(agencies), 2):
            weights[a][b] += 1
            weights[b][a] += 1
    adj = {a: set(ws) for a, ws in weights.items()}
    between = brandes(adj)
    ranks = pagerank(weights)
    comps = components(adj)
    mine = {}
    for a in steps:
        brokerage = sum(
            1
            for u, w in itertools.combinations(sorted(adj[a]), 2)
            if party[u] and party[w] and party[u] != party[w] and w not in adj[u]
        )
        mine[a] = {
            "step_load": len(steps[a]),
            "obligation_load": len(pairs[a]),
            "degree": len(adj[a]),
            "weighted_degree": sum(weights[a].values()),
            "betweenness": between[a],
            "pagerank": ranks[a],
            "component_size": len(comps[a]),
            "component_members": comps[a],
            "brokerage": brokerage,
        }
    data = nw.load(store, paths.queries / "network")
    theirs = {r["agency"]: r for r in nw.agency_metrics(data)}
    return mine, theirs


def test_the_same_agencies(both: tuple[dict[str, dict], dict[str, dict]]) -> None:
    mine, theirs = both
    assert len(mine) > 50
    assert set(mine) == set(theirs)


def test_every_agencys_numbers_match(both: tuple[dict[str, dict], dict[str, dict]]) -> None:
    mine, theirs = both
    exact = ("step_load", "obligation_load", "degree", "weighted_degree", "component_size")
    for agency, m in mine.items():
        t = theirs[agency]
        assert {k: m[k] for k in exact} == {k: t[k] for k in exact}, agency
        assert m["brokerage"] == t["brokerage"], agency
        # plangraph rounds to 6 decimals; networkx's PageRank stops at a tolerance of 1e-6
        assert t["betweenness"] == pytest.approx(m["betweenness"], abs=1e-6), agency
        assert t["pagerank"] == pytest.approx(m["pagerank"], abs=5e-5), agency


def test_load_said_two_ways(both: tuple[dict[str, dict], dict[str, dict]]) -> None:
    """A body listed in two roles for one step counts once in steps, twice in commitments
    (the Cambodia-Thailand plan lists the same agencies as responsible and implementing
    partner, issue 22)."""
    mine, _ = both
    twice = {a for a, m in mine.items() if m["obligation_load"] > m["step_load"]}
    assert "https://w3id.org/plangraph/id/agency/khm/gcnp" in twice


def test_communities_respect_the_components(
    both: tuple[dict[str, dict], dict[str, dict]],
) -> None:
    mine, theirs = both
    by_community: dict[int, set[str]] = defaultdict(set)
    for agency, t in theirs.items():
        by_community[t["community"]].add(agency)
    for members in by_community.values():
        assert len({mine[a]["component_members"] for a in members}) == 1
    sizes = [len(by_community[c]) for c in sorted(by_community)]
    assert sizes == sorted(sizes, reverse=True)
