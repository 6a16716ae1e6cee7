"""The network rows read through SPARQL (the queries in ``queries/network/``, one bounded read
per kind of thing: commitments, steps, agents, plans, themes) into :class:`NetworkData`."""

from __future__ import annotations

from pathlib import Path

from plangraph.network.records import (
    KIND_BASE,
    PG,
    ROLE_BASE,
    STEP_KINDS,
    Agent,
    Link,
    NetworkData,
    PlanInfo,
    StepInfo,
)
from plangraph.store.base import Store
from plangraph.store.query_catalog import load_catalog


def _years(text: str) -> tuple[int, ...]:
    return tuple(sorted({int(y[:4]) for y in text.split() if y[:4].isdigit()}))


def load(store: Store, folder: Path) -> NetworkData:
    """Read everything the networks need from the store (``folder``: queries/network)."""
    catalog = load_catalog(folder)
    plans: dict[str, PlanInfo] = {}
    for r in store.select(catalog["plans"].text):
        plans[r["plan"]] = PlanInfo(
            iri=r["plan"],
            title=r.get("title", r["plan"]),
            agreement=r.get("agreement"),
            agreement_title=r.get("agreementTitle"),
            start=int(r["startYear"][:4]) if r.get("startYear") else None,
            end=int(r["endYear"][:4]) if r.get("endYear") else None,
            parties=tuple(sorted(r.get("parties", "").split())),
        )
    agents: dict[str, Agent] = {}
    for r in store.select(catalog["agents"].text):
        is_party = r["type"] == PG + "Party"
        kind = "party" if is_party else r.get("kind", "").removeprefix(KIND_BASE) or "unspecified"
        agents[r["agent"]] = Agent(
            iri=r["agent"],
            label=r.get("label", r["agent"].rsplit("/", 1)[-1]),
            kind=kind,
            party=r["agent"] if is_party else r.get("party"),
            parent=r.get("parent"),
            country_code=r.get("countryCode"),
        )
    steps: dict[str, StepInfo] = {}
    for r in store.select(catalog["steps"].text):
        spans = []
        for item in r.get("spans", "").split():
            slug, _, lines = item.rpartition(":")
            start, _, end = lines.partition("-")
            spans.append((slug, int(start), int(end)))
        steps[r["step"]] = StepInfo(
            r["step"], r.get("number", ""), r.get("description", ""), tuple(sorted(spans))
        )
    themes = {r["theme"]: r.get("label", r["theme"]) for r in store.select(catalog["themes"].text)}
    links = []
    for r in store.select(catalog["commitments"].text):
        plan = plans.get(r["plan"])
        years = _years(r.get("commitmentYears", "")) or _years(r.get("years", ""))
        if not years and plan is not None and plan.start is not None:
            years = tuple(range(plan.start, (plan.end or plan.start) + 1))
        links.append(
            Link(
                commitment=r["commitment"],
                agency=r["agency"],
                step=r["step"],
                step_kind=STEP_KINDS[r["kind"]],
                plan=r["plan"],
                agreement=plan.agreement if plan else None,
                role=r["role"].removeprefix(ROLE_BASE),
                uncertain=r.get("uncertain") == "true",
                on_behalf_of=r.get("onBehalfOf"),
                years=years,
                themes=tuple(sorted(r.get("themes", "").split())),
            )
        )
    return NetworkData(links, agents, plans, steps, themes, store.build_id)
