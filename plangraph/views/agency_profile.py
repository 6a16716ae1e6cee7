"""One agency's profile: who it is, where it sits, who leads it, its history, every
commitment it carries in every plan grouped by plan and role, and its roll-up with the
bodies under it (org:subOrganizationOf).

Read through the store with the queries ``queries/api/agency-profile*.rq``, so it works on
the embedded store and on any SPARQL server. The served dataset does not change while a
server runs, so :class:`AgencyProfiles` reads the rows of *every* agency once (the queries
with their ``agency`` parameter left unbound) and indexes them in memory; a profile is then
built from the index without touching the store. Plain JSON-ready dicts; pages and the REST
API render them.

``AgencyProfiles(store, queries).profile("khm/mosvy")`` where ``queries`` is the folder of
``queries/api/*.rq`` (``settings.paths.queries / "api"``) or the loaded queries.

**Roll-up.** The network (:mod:`plangraph.network`, ``rollup=True``) replaces every agency
by its top-most parent body and counts its *obligation load*: the distinct (step, role)
pairs in the roles lead, responsible, implementing partner and support, over commitments for
steps other than sub-activities (which repeat their parent activity's agencies); commitments
for a whole section and the roles resourcing and participant do not count. The profile's
``rollup`` counts the same way over the agency and every body under it (catch-all groups
under it are listed but not counted, as the network's default view leaves them out), so for
a top-most body its total load equals the network's roll-up node.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from plangraph.errors import NotFound
from plangraph.store.base import Store
from plangraph.store.query_catalog import CatalogQuery, load_catalog

ID_BASE = "https://w3id.org/plangraph/id/"
AGENCY_BASE = ID_BASE + "agency/"
PG = "https://w3id.org/plangraph/ontology#"
ROLE_ORDER = ("lead", "responsible", "implementing-partner", "support", "resourcing", "participant")
# The roles that count toward obligation load, as plangraph.network.DEFAULT_ROLES (a test
# checks they agree; the network module is not imported here: it pulls in networkx).
LOAD_ROLES = ("lead", "responsible", "implementing-partner", "support")
STEP_KINDS = {
    PG + "Activity": "activity",
    PG + "WorkItem": "work-item",
    PG + "QuarterlyActivity": "quarterly-activity",
    PG + "SubActivity": "sub-activity",
}
# catch-all groups ("the related working group"): not real bodies, left out of the
# network's default view and of roll-up totals (plangraph.network.records.GENERIC_KINDS)
CATCH_ALL_KIND = ID_BASE + "agency-kind/unspecified-group"
SEPARATOR = "\u001f"
_SPAN = re.compile(r"/source/([^/]+)/lines/(\d+)-(\d+)$")
_AGENCY_ID = re.compile(r"^[a-z]{3}/[a-z0-9][a-z0-9-]*$")
QUERIES = (
    "agency-profile",
    "agency-profile-relations",
    "agency-profile-history",
    "agency-profile-commitments",
)


def _tail(iri: str | None, prefix: str) -> str | None:
    if iri and iri.startswith(ID_BASE + prefix):
        return iri[len(ID_BASE + prefix) :]
    return None


def _ref(iri: str | None, label: str | None) -> dict[str, Any] | None:
    return _node(iri, label) if iri else None


def _node(iri: str, label: str | None) -> dict[str, Any]:
    """A body that is there: its id, IRI and label (the IRI where it has no label)."""
    return {
        "id": _tail(iri, "agency/") or _tail(iri, "party/") or iri,
        "uri": iri,
        "label": label or iri,
    }


def _spans(value: str | None) -> list[dict[str, Any]]:
    out = []
    for iri in sorted((value or "").split()):
        m = _SPAN.search(iri)
        if m:
            start, end = int(m.group(2)), int(m.group(3))
            out.append({"uri": iri, "document": m.group(1), "startLine": start, "endLine": end})
    out.sort(key=lambda s: (s["document"], s["startLine"], s["endLine"]))
    return out


def _number_key(number: str | None) -> tuple:
    parts = re.split(r"[.\-]", number or "")
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def role_key(role: str) -> tuple[int, str]:
    """Roles in ROLE_ORDER, unknown ones after, by name."""
    return (ROLE_ORDER.index(role) if role in ROLE_ORDER else 99, role)


def _by_agency(rows: Iterable[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        out[r["agency"]].append(r)
    return dict(out)


def load_profile_queries(api_queries: Path) -> dict[str, CatalogQuery]:
    """The four profile queries from ``queries/api`` (load once, pass them on)."""
    catalog = load_catalog(api_queries)
    return {name: catalog[name] for name in QUERIES}


class AgencyProfiles:
    """Every agency's profile rows, read once from ``store`` and indexed by agency."""

    def __init__(self, store: Store, queries: Path | dict[str, CatalogQuery]):
        q = load_profile_queries(queries) if isinstance(queries, Path) else queries

        def rows(name: str) -> list[dict[str, str]]:
            return store.select(q[name].text)  # ?agency unbound: every agency's rows

        self._head = {r["agency"]: r for r in rows("agency-profile")}
        self._relations = _by_agency(rows("agency-profile-relations"))
        self._history = _by_agency(rows("agency-profile-history"))
        self._commitments = _by_agency(rows("agency-profile-commitments"))
        self._children: dict[str, list[str]] = defaultdict(list)
        for agency, related in self._relations.items():
            for r in related:
                if r["relation"] == "child":
                    self._children[agency].append(r["related"])

    def descendants(self, iri: str) -> list[tuple[str, str]]:
        """Every body under ``iri`` (org:subOrganizationOf, transitively), depth first, as
        (body, its parent) pairs; a cycle in the registry stops where it closes."""
        out: list[tuple[str, str]] = []
        seen = {iri}

        def walk(parent: str) -> None:
            kids = sorted(self._children.get(parent, ()), key=lambda c: self._label(c))
            for child in kids:
                if child in seen:
                    continue
                seen.add(child)
                out.append((child, parent))
                walk(child)

        walk(iri)
        return out

    def _label(self, iri: str) -> str:
        head = self._head.get(iri)
        return head["label"] if head else iri

    def profile(self, agency_id: str) -> dict[str, Any]:
        """The profile of agency ``agency_id`` ("khm/mosvy"); :class:`NotFound` if none."""
        if not _AGENCY_ID.match(agency_id):
            raise NotFound(f"no agency {agency_id!r}", param="id")
        iri = AGENCY_BASE + agency_id
        h = self._head.get(iri)
        if h is None:
            raise NotFound(f"no agency {agency_id!r}", param="id")
        leadership = None
        if h.get("leader"):
            leadership = {
                "leader": _ref(h["leader"], h.get("leaderLabel")),
                "note": h.get("leadershipNote"),
                "sources": _spans(h.get("leadershipSpans")),
            }

        children: list[dict[str, Any]] = []
        leads: list[dict[str, Any]] = []
        coordinates: list[dict[str, Any]] = []
        for r in self._relations.get(iri, ()):
            if r["relation"] == "coordinates":
                plan_id = _tail(r["related"], "plan/")
                coordinates.append(
                    {"id": plan_id, "uri": r["related"], "label": r.get("relatedLabel")}
                )
                continue
            item = {
                **_node(r["related"], r.get("relatedLabel")),
                "kind": _tail(r.get("kind"), "agency-kind/"),
            }
            (children if r["relation"] == "child" else leads).append(item)
        for items in (children, leads, coordinates):
            items.sort(key=lambda x: (x["label"] or "", x["uri"]))

        history = []
        for r in self._history.get(iri, ()):
            history.append(
                {
                    "uri": r["event"],
                    "label": r.get("eventLabel"),
                    "relation": r["changeKind"],
                    "original": _ref(r.get("original"), r.get("originalLabel")),
                    "resulting": _ref(r.get("resulting"), r.get("resultingLabel")),
                    "date": r.get("date"),
                    "statedBySource": r.get("stated") != "false",
                    "note": r.get("note"),
                    "reason": r.get("reason"),
                    "sources": _spans(r.get("spans")),
                }
            )
        history.sort(key=lambda e: (e["date"] or "9999", e["uri"]))

        by_plan = self._by_plan(iri)
        return {
            "id": agency_id,
            "uri": iri,
            "label": h["label"],
            "altLabels": sorted(a for a in h.get("altLabels", "").split(SEPARATOR) if a),
            "party": _ref(h.get("party"), h.get("partyLabel")),
            "kind": (
                {
                    "id": _tail(h["kind"], "agency-kind/"),
                    "uri": h["kind"],
                    "label": h.get("kindLabel"),
                }
                if h.get("kind")
                else None
            ),
            "note": h.get("note"),
            "parent": _ref(h.get("parent"), h.get("parentLabel")),
            "children": children,
            "leadership": leadership,
            "leads": leads,
            "coordinatorOf": coordinates,
            "history": history,
            "plans": by_plan,
            "commitmentCount": sum(p["count"] for p in by_plan),
            "planCount": sum(1 for p in by_plan if p["uri"]),
            "rollup": self.rollup(iri),
        }

    def _by_plan(self, iri: str) -> list[dict[str, Any]]:
        plans: dict[str, dict[str, Any]] = {}
        for r in self._commitments.get(iri, ()):
            plan_iri = r.get("plan", "")
            plan = plans.setdefault(
                plan_iri,
                {
                    "id": _tail(plan_iri, "plan/"),
                    "uri": plan_iri or None,
                    "label": r.get("planLabel"),
                    "startYear": int(r["startYear"]) if r.get("startYear", "").isdigit() else None,
                    "roles": {},
                },
            )
            role = _tail(r.get("role"), "role/") or "unspecified"
            group = plan["roles"].setdefault(
                role, {"role": role, "label": r.get("roleLabel") or role, "commitments": []}
            )
            group["commitments"].append(
                {
                    "uri": r["commitment"],
                    "activity": (
                        {
                            "uri": r["step"],
                            "number": r.get("number"),
                            "description": r.get("description"),
                            "kind": STEP_KINDS.get(r.get("stepKind", "")),
                        }
                        if r.get("step")
                        else None
                    ),
                    "section": _ref(r.get("section"), r.get("sectionLabel"))
                    if r.get("section")
                    else None,
                    "mention": r.get("mention"),
                    "uncertain": r.get("uncertain") == "true",
                    "onBehalfOf": _tail(r.get("onBehalfOf"), "party/"),
                    "sources": _spans(r.get("spans")),
                }
            )
        by_plan = []
        for plan in sorted(plans.values(), key=lambda p: (p["startYear"] or 0, p["id"] or "")):
            roles = sorted(
                plan.pop("roles").values(),
                key=lambda g: ROLE_ORDER.index(g["role"]) if g["role"] in ROLE_ORDER else 99,
            )
            for g in roles:
                g["commitments"].sort(
                    key=lambda c: (_number_key((c["activity"] or {}).get("number")), c["uri"])
                )
                g["count"] = len(g["commitments"])
            plan["roles"] = roles
            plan["count"] = sum(g["count"] for g in roles)
            by_plan.append(plan)
        return by_plan

    def _counts(self, rows: list[dict[str, str]]) -> dict[str, Any]:
        """Commitments (every role) and obligation load (as the network counts it)."""
        load: set[tuple[str, str]] = set()
        load_plans: set[str] = set()
        by_role: dict[str, int] = defaultdict(int)
        for r in rows:
            role = _tail(r.get("role"), "role/") or "unspecified"
            by_role[role] += 1
            step = r.get("step")
            kind = STEP_KINDS.get(r.get("stepKind", ""))
            if step and role in LOAD_ROLES and kind is not None and kind != "sub-activity":
                load.add((step, role))
                load_plans.add(r["plan"])
        return {
            "commitmentCount": len({r["commitment"] for r in rows}),
            "planCount": len({r["plan"] for r in rows if r.get("plan")}),
            "byRole": {role: by_role[role] for role in sorted(by_role, key=role_key)},
            "load": len(load),
            "loadPlanCount": len(load_plans),
            "loadStepCount": len({step for step, _ in load}),
        }

    def rollup(self, iri: str) -> dict[str, Any]:
        """The agency's own counts, each body's under it, and the totals over all of them."""
        own = self._commitments.get(iri, [])
        units = []
        every = list(own)
        for body, parent in self.descendants(iri):
            rows = self._commitments.get(body, [])
            head = self._head.get(body, {})
            # a catch-all group under a body is listed but not counted, as in the
            # network's default view (real bodies only)
            catch_all = head.get("kind") == CATCH_ALL_KIND
            if not catch_all:
                every.extend(rows)
            units.append(
                {
                    **_node(body, head.get("label")),
                    "parent": _ref(parent, self._label(parent)),
                    "catchAll": catch_all,
                    **self._counts(rows),
                }
            )
        return {
            "loadRoles": list(LOAD_ROLES),
            "own": self._counts(own),
            "subUnits": units,
            "total": self._counts(every),
        }


def agency_profile(
    store: Store, queries: Path | dict[str, CatalogQuery], agency_id: str
) -> dict[str, Any]:
    """The profile of agency ``agency_id`` ("khm/mosvy"); :class:`NotFound` if there is none.

    Reads every agency's rows: to answer many, build one :class:`AgencyProfiles` and ask it."""
    if not _AGENCY_ID.match(agency_id):
        raise NotFound(f"no agency {agency_id!r}", param="id")
    return AgencyProfiles(store, queries).profile(agency_id)
