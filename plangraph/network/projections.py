"""The networks over the selected commitments, one per projection.

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

Nodes and edges are added in sorted order, so every metric on them is deterministic.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from plangraph.errors import QueryError
from plangraph.network.lazy_networkx import nx
from plangraph.network.records import ALL_ROLES, Link, NetworkData

PROJECTIONS = ("bipartite", "agency", "agency-plan", "agency-agreement", "party")


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
        "step_load": len({k.step for k in links}),
        "obligation_load": len(commitments),
        "activities": len({k.step for k in links}),
        "plans": sorted({k.plan for k in links}),
        "agreements": sorted({k.agreement for k in links if k.agreement}),
        "uncertain": sum(1 for k in links if k.uncertain),
        "first_year": first,
        "last_year": last,
        "years": sorted({y for k in links for y in k.years}),
    }
    for role in ALL_ROLES:
        node[f"load_{role}"] = by_role.get(role, 0)
    return node


def _edge(links: list[Link], weight: int, years: Iterable[int] | None = None) -> dict[str, Any]:
    """An edge over ``links``; ``years``: the years it is active in, where that is not every
    year of its commitments (two agencies are linked in a year only when both are committed
    to a shared step in that year, as the year filter would link them)."""
    active = sorted(set(years) if years is not None else {y for k in links for y in k.years})
    first, last = _span(active)
    return {
        "weight": weight,
        "commitments": len({k.commitment for k in links}),
        "roles": sorted({k.role for k in links}),
        "plans": sorted({k.plan for k in links}),
        "agreements": sorted({k.agreement for k in links if k.agreement}),
        "years": active,
        "first_year": first,
        "last_year": last,
        "uncertain": any(k.uncertain for k in links),
        "steps": sorted({k.step for k in links}),
    }


# what commitments are grouped by: a node (an IRI) or an edge (a pair of IRIs)
Key = TypeVar("Key", str, tuple[str, str])


def _by(links: Iterable[Link], key: Callable[[Link], Key | None]) -> dict[Key, list[Link]]:
    out: dict[Key, list[Link]] = defaultdict(list)
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
        together: dict[tuple[str, str], set[int]] = defaultdict(set)
        for step, slinks in by_step.items():
            years = _years_by(slinks, lambda k: _party(data, k.agency))
            ps = sorted(p for p in years if p is not None)
            for a, b in itertools.combinations(ps, 2):
                pairs[a, b].extend(slinks)
                steps[a, b].add(step)
                together[a, b] |= years[a] & years[b]
        for (a, b), plinks in sorted(pairs.items()):
            G.add_edge(a, b, **_edge(plinks, len(steps[a, b]), together[a, b]))
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
                years=sorted({y for k in slinks for y in k.years}),
                themes=sorted({t for k in slinks for t in k.themes}),
            )
        for (agency, step), elinks in _by(links, lambda k: (k.agency, k.step)).items():
            G.add_edge(agency, step, **_edge(elinks, len({k.role for k in elinks})))
        return G
    if projection in ("agency-plan", "agency-agreement"):
        attr = "plan" if projection == "agency-plan" else "agreement"
        for target, tlinks in _by(links, lambda k: getattr(k, attr)).items():
            periods = [
                (pl.start, pl.end or pl.start)
                for pl in data.plans.values()
                if (pl.iri == target if attr == "plan" else pl.agreement == target)
                and pl.start is not None
            ]
            label = (
                data.plans[target].title if attr == "plan" else data.agreements.get(target, target)
            )
            covered = sorted({y for lo, hi in periods for y in range(lo, hi + 1)})
            first, last = _span(covered)
            G.add_node(
                target,
                label=label,
                type=attr,
                kind=attr,
                plans=sorted({k.plan for k in tlinks}),
                first_year=first,
                last_year=last,
                years=covered,
            )
        for (agency, target), elinks in _by(
            links, lambda k: (k.agency, getattr(k, attr)) if getattr(k, attr) else None
        ).items():
            G.add_edge(agency, target, **_edge(elinks, len({(k.step, k.role) for k in elinks})))
        return G
    # agency: co-responsibility
    pairs = defaultdict(list)
    shared: dict[tuple[str, str], set[str]] = defaultdict(set)
    together = defaultdict(set)
    for step, slinks in _by(links, lambda k: k.step).items():
        years = _years_by(slinks, lambda k: k.agency)
        for a, b in itertools.combinations(sorted(x for x in years if x is not None), 2):
            pairs[a, b].extend(k for k in slinks if k.agency in (a, b))
            shared[a, b].add(step)
            together[a, b] |= years[a] & years[b]
    for (a, b), plinks in sorted(pairs.items()):
        G.add_edge(a, b, **_edge(plinks, len(shared[a, b]), together[a, b]))
    return G


def _years_by(
    links: Iterable[Link], key: Callable[[Link], str | None]
) -> dict[str | None, set[int]]:
    """The years of the commitments in ``links``, per node (``key``)."""
    out: dict[str | None, set[int]] = defaultdict(set)
    for k in links:
        out[key(k)].update(k.years)
    return out


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
