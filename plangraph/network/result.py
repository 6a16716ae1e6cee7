"""The result of a network request: the projection under the filters with metrics on its
nodes (:func:`network`), and the agency metrics table with its top lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plangraph.network.filters import Filters, select
from plangraph.network.lazy_networkx import nx
from plangraph.network.metrics import compute_metrics
from plangraph.network.projections import build_graph
from plangraph.network.records import ALL_ROLES, Link, NetworkData


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
    """One row per agency of the co-responsibility network: its load (distinct steps and
    (step, role) commitments) and metrics, whether it bridges agreements (committed under two
    or more) and whether its rank means anything (``ranked``: a real body, not a catch-all
    group or a party; ``in_largest_component``: its centralities are comparable with the
    largest component's). Sorted by distinct steps, then commitments."""
    net = network(data, filters, "agency")
    rows = []
    for n, d in net.graph.nodes(data=True):
        row = {"agency": n, **{k: d.get(k) for k in _METRIC_COLUMNS}}
        row["bridges_agreements"] = len(d["agreements"]) >= 2
        row["roles"] = {r: d[f"load_{r}"] for r in ALL_ROLES}
        row["ranked"] = not d["generic"]
        row["in_largest_component"] = d["component"] == 1
        rows.append(row)
    rows.sort(key=by_load)
    return rows


def by_load(row: dict[str, Any]) -> tuple[int, int, str]:
    """The headline ranking: distinct steps, then (step, role) commitments, then IRI."""
    return (-row["step_load"], -row["obligation_load"], row["agency"])


_METRIC_COLUMNS = (
    "label",
    "kind",
    "party_code",
    "generic",
    "step_load",
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
    "component_size",
    "brokerage",
)


def summary(rows: list[dict[str, Any]], top: int = 10) -> dict[str, list[dict[str, Any]]]:
    """The closing-note lists, real bodies only (catch-all groups and parties are never
    ranked): top by distinct steps, top by commitments, top by betweenness and by PageRank
    (on the largest component: a small component's hub is not comparable), the bridging
    agencies."""

    def brief(r: dict[str, Any]) -> dict[str, Any]:
        keys = ("agency", "label", "party_code", "kind", "step_load", "obligation_load")
        more = ("betweenness", "pagerank", "component_size", "agreements", "brokerage")
        return {k: r[k] for k in (*keys, *more)}

    ranked = [r for r in rows if r["ranked"]]
    central = [r for r in ranked if r["in_largest_component"]]
    by_steps = sorted(ranked, key=by_load)[:top]
    by_commitments = sorted(
        ranked, key=lambda r: (-r["obligation_load"], -r["step_load"], r["agency"])
    )[:top]
    by_between = sorted(central, key=lambda r: (-r["betweenness"], r["agency"]))[:top]
    by_pagerank = sorted(central, key=lambda r: (-r["pagerank"], r["agency"]))[:top]
    bridging = sorted(
        (r for r in ranked if r["bridges_agreements"]),
        key=lambda r: (-len(r["agreements"]), -r["brokerage"], r["agency"]),
    )
    return {
        "step_load": [brief(r) for r in by_steps],
        "obligation_load": [brief(r) for r in by_commitments],
        "betweenness": [brief(r) for r in by_between],
        "pagerank": [brief(r) for r in by_pagerank],
        "bridging": [brief(r) for r in bridging],
    }
