"""Hub pages' data: one action theme across the plans, the themes x plans coverage, one
party, the years the plans schedule steps in.

Plain JSON-ready dicts built from :class:`plangraph.views.read_model.GraphApi`'s lists (steps,
plans,
agencies, the theme scheme, every agency's commitments) and two more reads through SPARQL
(``queries/api/theme-overlaps.rq``, ``queries/api/agreements.rq``), all read once per store.
A *step* is any numbered thing a plan schedules: an activity, a work item, a sub-activity or a
quarterly activity; coverage counts steps as ``/api/coverage`` does.

Links to the list of matching steps follow the search page's contract:
``/search?theme={theme}&plan={plan}`` (also ``party``, ``year``, ``agency``, ``role``).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import urlencode

from plangraph.errors import NotFound
from plangraph.views.agency_profile import role_key
from plangraph.views.links import ID_BASE, local_path, tail
from plangraph.views.read_model import GraphApi

_YEAR = re.compile(r"^[0-9]{4}$")  # ASCII digits only
_PARTY = re.compile(r"^[a-z]{3}$")
TOP_AGENCIES = 10


def search_href(**params: str | int) -> str:
    """A link to the search page's list of the steps matching ``params``."""
    return "/search?" + urlencode({k: str(v) for k, v in params.items()})


def _plan_ref(plan: dict[str, Any]) -> dict[str, Any]:
    return {k: plan[k] for k in ("id", "uri", "url", "label", "startYear", "endYear")}


def _step(step: dict[str, Any]) -> dict[str, Any]:
    """The fields of a step a hub page shows."""
    keys = ("uri", "url", "kind", "plan", "number", "description", "years", "themes", "agencies")
    return {**{k: step[k] for k in keys}, "sources": step["sources"]}


class Hubs:
    """The hub pages' data over one :class:`GraphApi` (one store)."""

    def __init__(self, api: GraphApi):
        self.api = api
        self.plans = api.plans()
        self.steps = api.steps()
        scheme = api.theme_scheme
        self.pillars = scheme["pillars"]
        self.themes = scheme["themes"]
        self.concepts = scheme["by_iri"]
        self.concepts_by_slug = scheme["by_slug"]
        # theme IRI -> plan IRI -> the steps carrying it
        self._steps_by_theme: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for s in self.steps:
            for theme in s["themes"]:
                self._steps_by_theme[theme][s["planUri"]].append(s)
        self._overlaps = self._read_overlaps()
        self._agreements: list[dict[str, Any]] = [
            {
                "uri": r["agreement"],
                "url": local_path(r["agreement"]),
                "label": r.get("label") or r["agreement"],
                "kind": r.get("kind"),
                "signed": r.get("signed"),
                "parties": sorted(v for v in (r.get("parties") or "").split("|") if v),
            }
            for r in api.store.select(api.q["agreements"].text)
        ]
        self._agreements.sort(key=lambda a: (a["signed"] or "9999", a["label"]))

    # -- themes -----------------------------------------------------------------------------

    def _read_overlaps(self) -> dict[str, list[dict[str, Any]]]:
        """Theme IRI -> its overlap groups (pg:sharedTheme), largest and best first."""
        groups: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for r in self.api.store.select(self.api.q["theme-overlaps"].text):
            g = groups[r["theme"]].get(r["overlap"])
            if g is None:
                g = groups[r["theme"]][r["overlap"]] = {
                    "uri": r["overlap"],
                    "id": r["overlap"].rstrip("/").rsplit("/", 1)[-1],
                    "label": r.get("label"),
                    "score": float(r["score"]),
                    "reason": r.get("reason"),
                    "members": [],
                }
            step = self.api.activity(r["member"])
            g["members"].append(
                {
                    "uri": r["member"],
                    "url": local_path(r["member"]),
                    "number": step["number"] if step else tail(r["member"], ""),
                    "plan": tail(r["plan"], "plan/"),
                }
            )
        out: dict[str, list[dict[str, Any]]] = {}
        order = {p["uri"]: i for i, p in enumerate(self.plans)}
        for theme, by_id in groups.items():
            items = list(by_id.values())
            for g in items:
                g["members"].sort(
                    key=lambda m: (order.get(ID_BASE + "plan/" + m["plan"], 99), m["number"])
                )
                g["plans"] = sorted({m["plan"] for m in g["members"]})
            items.sort(key=lambda g: (-len(g["members"]), -g["score"], g["id"]))
            out[theme] = items
        return out

    def coverage(self) -> dict[str, Any]:
        """Themes x plans: how many steps of each plan carry each theme (0: a gap), by pillar,
        every cell with the link to its list of steps."""
        plans = [_plan_ref(p) for p in self.plans]
        pillars = []
        for pillar in self.pillars:
            rows = []
            for theme in pillar["themes"]:
                by_plan = self._steps_by_theme.get(theme["uri"], {})
                cells = []
                for p in self.plans:
                    n = len(by_plan.get(p["uri"], ()))
                    cells.append(
                        {
                            "plan": p["id"],
                            "planLabel": p["label"],
                            "count": n,
                            "href": search_href(theme=theme["id"], plan=p["id"]) if n else None,
                        }
                    )
                rows.append(
                    {
                        **{k: theme[k] for k in ("uri", "url", "id", "label", "summary")},
                        "cells": cells,
                        "total": sum(c["count"] for c in cells),
                        "gaps": sum(1 for c in cells if not c["count"]),
                    }
                )
            pillars.append(
                {
                    **{k: pillar[k] for k in ("uri", "url", "id", "label", "summary")},
                    "themes": rows,
                }
            )
        return {"plans": plans, "pillars": pillars}

    def theme(self, slug: str) -> dict[str, Any]:
        """One theme (or pillar) across the plans; :class:`NotFound` if the scheme has none."""
        concept = self.concepts_by_slug.get(slug)
        if concept is None:
            raise NotFound(f"no theme {slug!r}", param="theme")
        iri = concept["uri"]
        base = {k: concept[k] for k in ("uri", "url", "id", "label", "definition", "alignments")}
        base["pillar"] = concept["pillar"]
        if concept["pillar"] is None:  # a pillar: its themes, each with its plans' counts
            cov = self.coverage()
            [mine] = [p for p in cov["pillars"] if p["uri"] == iri]
            return {**base, "isPillar": True, "plans": cov["plans"], "themes": mine["themes"]}

        by_plan = self._steps_by_theme.get(iri, {})
        columns, gaps, coverage = [], [], []
        for p in self.plans:
            steps = by_plan.get(p["uri"], [])
            coverage.append(
                {
                    "plan": _plan_ref(p),
                    "count": len(steps),
                    "href": search_href(theme=slug, plan=p["id"]) if steps else None,
                }
            )
            if steps:
                columns.append(
                    {
                        "plan": _plan_ref(p),
                        "count": len(steps),
                        "href": search_href(theme=slug, plan=p["id"]),
                        "steps": [_step(s) for s in steps],
                    }
                )
            else:
                gaps.append(_plan_ref(p))
        theme_steps = {s["uri"] for steps in by_plan.values() for s in steps}
        counts: Counter[str] = Counter()
        steps_of: dict[str, set[str]] = defaultdict(set)
        for agent, commitments in self.api.all_commitments().items():
            for c in commitments:
                if c["activity"] and c["activity"]["uri"] in theme_steps:
                    counts[agent] += 1
                    steps_of[agent].add(c["activity"]["uri"])
        top = []
        for agent, n in counts.items():
            a = self.api.agent(agent) or {"label": agent, "url": local_path(agent)}
            top.append(
                {
                    "uri": agent,
                    "id": self.api.agent_id(agent),
                    "url": local_path(agent),
                    "label": a["label"],
                    "type": a.get("type", "agency"),
                    "party": a.get("party"),
                    "commitmentCount": n,
                    "stepCount": len(steps_of[agent]),
                }
            )
        top.sort(key=lambda a: (-a["commitmentCount"], -a["stepCount"], a["label"]))
        return {
            **base,
            "isPillar": False,
            "stepCount": len(theme_steps),
            "coverage": coverage,
            "columns": columns,
            "gaps": gaps,
            "overlaps": [
                {**g, "href": f"/overlaps?theme={slug}#overlap-{g['id']}"}
                for g in self._overlaps.get(iri, [])
            ],
            "agencies": top[:TOP_AGENCIES],
            "agencyCount": len(top),
            "searchHref": search_href(theme=slug),
        }

    # -- parties ----------------------------------------------------------------------------

    def party(self, code: str) -> dict[str, Any]:
        """One party: its agencies, plans, agreements and commitments by role."""
        code = code.lower()
        iri = f"{ID_BASE}party/{code}"
        agent = self.api.agent(iri) if _PARTY.match(code) else None
        if agent is None or agent["type"] != "party":
            raise NotFound(f"no party {code!r}", param="party")
        agencies = [a for a in self.api.agencies() if a["party"] and a["party"]["uri"] == iri]
        agencies.sort(key=lambda a: (-a["commitmentCount"], a["label"]))
        mine = {a["uri"] for a in agencies}
        # the network's party filter: its agencies, the party named alone, or on its behalf
        by_role: Counter[str] = Counter()
        by_plan_role: dict[str, Counter[str]] = defaultdict(Counter)
        alone = 0
        role_labels: dict[str, str] = {}
        for agency, commitments in self.api.all_commitments().items():
            for c in commitments:
                behalf = c["onBehalfOf"]["uri"] if c["onBehalfOf"] else None
                if agency not in mine and agency != iri and behalf != iri:
                    continue
                role = c["roleId"] or "unspecified"
                role_labels[role] = c["role"] or role
                by_role[role] += 1
                by_plan_role[c["plan"]["id"] if c["plan"] else ""][role] += 1
                alone += agency == iri
        roles = sorted(by_role, key=role_key)
        plans = [p for p in self.plans if any(x and x["uri"] == iri for x in p["parties"])]
        return {
            **agent,
            "code": code,
            "agencies": agencies,
            "plans": plans,
            "agreements": [a for a in self._agreements if iri in a["parties"]],
            "roles": [{"role": r, "label": role_labels[r], "count": by_role[r]} for r in roles],
            "commitmentCount": sum(by_role.values()),
            "namedAlone": alone,
            "byPlan": [
                {
                    "plan": _plan_ref(p),
                    "counts": [by_plan_role[p["id"]].get(r, 0) for r in roles],
                    "total": sum(by_plan_role[p["id"]].values()),
                }
                for p in self.plans
                if by_plan_role.get(p["id"])
            ],
            "networkHref": "/network?" + urlencode({"party": code}),
            "searchHref": search_href(party=code),
        }

    # -- years ------------------------------------------------------------------------------

    def _by_year(self) -> dict[int, list[dict[str, Any]]]:
        out: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for s in self.steps:
            for y in s["years"]:
                out[y].append(s)
        return dict(sorted(out.items()))

    def years(self) -> dict[str, Any]:
        """Every year some step is scheduled in (pg:year), with its steps per plan."""
        by_year = self._by_year()
        rows = []
        for year, steps in by_year.items():
            per_plan = Counter(s["planUri"] for s in steps)
            rows.append(
                {
                    "year": year,
                    "count": len(steps),
                    "cells": [
                        {
                            "plan": p["id"],
                            "count": per_plan.get(p["uri"], 0),
                            "href": search_href(year=year, plan=p["id"])
                            if per_plan.get(p["uri"])
                            else None,
                        }
                        for p in self.plans
                    ],
                }
            )
        scheduling = {s["planUri"] for steps in by_year.values() for s in steps}
        return {
            "years": rows,
            "first": min(by_year) if by_year else None,
            "last": max(by_year) if by_year else None,
            "plans": [_plan_ref(p) for p in self.plans],
            "unscheduled": [_plan_ref(p) for p in self.plans if p["uri"] not in scheduling],
        }

    def year(self, text: str) -> dict[str, Any]:
        """The steps scheduled in one year, by plan; :class:`NotFound` unless 4 digits."""
        if not _YEAR.match(text):
            raise NotFound(f"no year {text!r} (a year is four digits)", param="year")
        year = int(text)
        index = self.years()
        steps = self._by_year().get(year, [])
        groups = []
        for p in self.plans:
            mine = [_step(s) for s in steps if s["planUri"] == p["uri"]]
            if mine:
                groups.append(
                    {
                        "plan": _plan_ref(p),
                        "count": len(mine),
                        "href": search_href(year=year, plan=p["id"]),
                        "steps": mine,
                    }
                )
        years = [r["year"] for r in index["years"]]
        return {
            "year": year,
            "count": len(steps),
            "groups": groups,
            "first": index["first"],
            "last": index["last"],
            "previous": max((y for y in years if y < year), default=None),
            "next": min((y for y in years if y > year), default=None),
            "searchHref": search_href(year=year),
        }
