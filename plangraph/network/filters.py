"""The filters of a network request: parsed from request values against the graph's own
identifiers (:func:`parse_filters`), applied in Python to the commitments (:func:`select`),
never pasted into SPARQL text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from plangraph.errors import QueryError
from plangraph.network.records import (
    ALL_ROLES,
    DEFAULT_ROLES,
    ROLE_BASE,
    Agent,
    Link,
    NetworkData,
)


@dataclass(frozen=True)
class Filters:
    plans: tuple[str, ...] = ()
    agreements: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    themes: tuple[str, ...] = ()
    roles: tuple[str, ...] = DEFAULT_ROLES
    rollup: bool = False
    sub_activities: bool = False
    generic: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "plans": list(self.plans),
            "agreements": list(self.agreements),
            "parties": list(self.parties),
            "year_from": self.year_from,
            "year_to": self.year_to,
            "themes": list(self.themes),
            "roles": list(self.roles),
            "rollup": self.rollup,
            "sub_activities": self.sub_activities,
            "generic": self.generic,
        }


def _one_of(value: str, known: Mapping[str, str], param: str, what: str) -> str:
    """The IRI ``value`` names: the IRI itself or its last path segment (case-insensitive)."""
    value = value.strip().removeprefix("<").removesuffix(">")
    if value in known:
        return value
    low = value.lower()
    for iri, key in known.items():
        if low == key.lower():
            return iri
    names = ", ".join(sorted(known.values())) or "none in the graph"
    raise QueryError(f"unknown {what} {value!r} (one of: {names})", param=param)


def _year(value: str | int | None, param: str) -> int | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    if not (len(text) == 4 and text.isdigit()):
        raise QueryError(f"{value!r} is not a year (four digits)", param=param)
    return int(text)


def _flag(value: object, param: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise QueryError(f"{value!r} is not a boolean (true or false)", param=param)


def _list(values: str | Sequence[str] | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for v in values:
        out.extend(x for x in (p.strip() for p in v.split(",")) if x)
    return out


def parse_filters(
    data: NetworkData,
    *,
    plan: str | Sequence[str] | None = None,
    agreement: str | Sequence[str] | None = None,
    party: str | Sequence[str] | None = None,
    year: str | int | None = None,
    year_from: str | int | None = None,
    year_to: str | int | None = None,
    theme: str | Sequence[str] | None = None,
    role: str | Sequence[str] | None = None,
    rollup: object = False,
    sub_activities: object = False,
    generic: object = False,
) -> Filters:
    """Request values checked against the graph's own identifiers.

    Plans, agreements and themes may be given as IRIs or by their last path segment
    (``vnm-khm-2020-2022``), parties by IRI or ISO code (``khm``), roles by name or ``all``.
    ``generic`` (default False: real bodies only) includes catch-all groups and parties
    standing in for an agency.
    Anything unknown raises :class:`QueryError` naming the parameter.
    """
    plans = {iri: iri.rsplit("/", 1)[-1] for iri in data.plans}
    agreements = {iri: iri.rsplit("/", 1)[-1] for iri in data.agreements}
    parties = {iri: iri.rsplit("/", 1)[-1] for iri in data.parties}
    themes = {iri: iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1] for iri in data.themes}
    roles_known = {r: r for r in ALL_ROLES}
    role_values = _list(role)
    if any(r.lower() == "all" for r in role_values):
        roles: tuple[str, ...] = ALL_ROLES
    elif role_values:
        roles = tuple(
            sorted(
                {
                    _one_of(r.removeprefix(ROLE_BASE), roles_known, "role", "role")
                    for r in role_values
                }
            )
        )
    else:
        roles = DEFAULT_ROLES
    single = _year(year, "year")
    lo = _year(year_from, "from_year")
    hi = _year(year_to, "to_year")
    if single is not None:
        lo = hi = single
    if lo is not None and hi is not None and lo > hi:
        raise QueryError(f"from year {lo} is after to year {hi}", param="from_year")
    return Filters(
        plans=tuple(sorted({_one_of(p, plans, "plan", "plan") for p in _list(plan)})),
        agreements=tuple(
            sorted({_one_of(a, agreements, "agreement", "agreement") for a in _list(agreement)})
        ),
        parties=tuple(sorted({_one_of(p, parties, "party", "party") for p in _list(party)})),
        year_from=lo,
        year_to=hi,
        themes=tuple(sorted({_one_of(t, themes, "theme", "theme") for t in _list(theme)})),
        roles=roles,
        rollup=_flag(rollup, "rollup"),
        sub_activities=_flag(sub_activities, "sub_activities"),
        generic=_flag(generic, "generic"),
    )


def root_of(agents: Mapping[str, Agent], iri: str) -> str:
    """The top-most parent body of an agency (itself if it has none)."""
    seen = {iri}
    while (
        (agent := agents.get(iri)) is not None
        and (parent := agent.parent) is not None
        and parent in agents
    ):
        if parent in seen:  # a cycle in the registry: stop where it closes
            break
        iri = parent
        seen.add(iri)
    return iri


def select(data: NetworkData, f: Filters) -> list[Link]:
    """The commitments the filters keep (agencies rolled up when ``f.rollup``), sorted."""
    out = []
    for link in data.links:
        if link.step_kind == "sub-activity" and not f.sub_activities:
            continue
        if link.role not in f.roles:
            continue
        if f.plans and link.plan not in f.plans:
            continue
        if f.agreements and link.agreement not in f.agreements:
            continue
        agent = data.agents.get(link.agency)
        if not f.generic and (agent is None or agent.generic):
            continue
        if f.parties:
            party = agent.party if agent else None
            if party not in f.parties and link.on_behalf_of not in f.parties:
                continue
        if f.year_from is not None or f.year_to is not None:
            lo = f.year_from if f.year_from is not None else -9999
            hi = f.year_to if f.year_to is not None else 9999
            if not any(lo <= y <= hi for y in link.years):
                continue
        if f.themes and not set(link.themes) & set(f.themes):
            continue
        if f.rollup:
            link = replace(link, agency=root_of(data.agents, link.agency))
        out.append(link)
    out.sort(key=lambda k: (k.agency, k.step, k.role, k.commitment))
    return out
