"""What the networks are built from: agents, plans, steps and the commitments linking them
(:class:`NetworkData`, read once from the store by :func:`plangraph.network.loader.load`),
and the vocabulary they are read with (roles, agency kinds, step kinds)."""

from __future__ import annotations

from dataclasses import dataclass

PG = "https://w3id.org/plangraph/ontology#"
ID = "https://w3id.org/plangraph/id/"
ROLE_BASE = ID + "role/"
KIND_BASE = ID + "agency-kind/"
ALL_ROLES = ("lead", "responsible", "implementing-partner", "support", "resourcing", "participant")
DEFAULT_ROLES = ("lead", "responsible", "implementing-partner", "support")
GENERIC_KINDS = ("unspecified-group", "party")
STEP_KINDS = {
    PG + "Activity": "activity",
    PG + "WorkItem": "work-item",
    PG + "QuarterlyActivity": "quarterly-activity",
    PG + "SubActivity": "sub-activity",
}


@dataclass(frozen=True)
class Agent:
    iri: str
    label: str
    kind: str  # agency-kind notation, "party" for a party, "unspecified" if none
    party: str | None  # the party IRI it belongs to (itself for a party)
    parent: str | None
    country_code: str | None = None

    @property
    def generic(self) -> bool:
        return self.kind in GENERIC_KINDS


@dataclass(frozen=True)
class PlanInfo:
    iri: str
    title: str
    agreement: str | None
    agreement_title: str | None
    start: int | None
    end: int | None
    parties: tuple[str, ...]


@dataclass(frozen=True)
class StepInfo:
    iri: str
    number: str
    description: str
    spans: tuple[tuple[str, int, int], ...]  # (document slug, start line, end line)


@dataclass(frozen=True)
class Link:
    """One commitment of an agency for a step (the rows of queries/network/commitments.rq)."""

    commitment: str
    agency: str
    step: str
    step_kind: str
    plan: str
    agreement: str | None
    role: str
    uncertain: bool
    on_behalf_of: str | None
    years: tuple[int, ...]
    themes: tuple[str, ...]


@dataclass
class NetworkData:
    links: list[Link]
    agents: dict[str, Agent]
    plans: dict[str, PlanInfo]
    steps: dict[str, StepInfo]
    themes: dict[str, str]  # IRI -> label
    build_id: str = ""

    @property
    def agreements(self) -> dict[str, str]:
        return {
            p.agreement: p.agreement_title or p.agreement
            for p in self.plans.values()
            if p.agreement
        }

    @property
    def parties(self) -> dict[str, Agent]:
        return {a.iri: a for a in self.agents.values() if a.kind == "party"}
