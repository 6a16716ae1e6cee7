"""The REST API and Linked Data views of the graph, as plain Python (no HTTP here).

Everything is read through SPARQL: the queries are ``queries/api/*.rq`` (internal, not the
public catalog), loaded by :mod:`plangraph.store.query_catalog` and run with bound parameters
(``store.select(text, bindings)``), never with request values pasted into the text. Request
identifiers (plan slugs, agency ids, party codes, themes) are checked against the graph's
own identifiers first; an unknown one raises :class:`NotFound`.

The served dataset does not change while a server runs, so the lists (plans, steps,
agencies, the theme scheme) are read once when :class:`GraphApi` is created and filtered in
memory; every agency's commitments and profile rows are read once, on the first request that
needs them, and indexed by agency.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plangraph.errors import NotFound, QueryError
from plangraph.sources.catalog import Catalog
from plangraph.store.base import Store
from plangraph.store.bindings import BindingValue, bind_values
from plangraph.store.query_catalog import CatalogQuery, load_catalog
from plangraph.views import theme_scheme
from plangraph.views.agency_profile import QUERIES as PROFILE_QUERIES
from plangraph.views.agency_profile import STEP_KINDS, AgencyProfiles
from plangraph.views.cells import group_values, int_or_none
from plangraph.views.links import ID_BASE, PG, PREFIXES, XSD, curie, local_path, tail
from plangraph.views.numbering import number_key
from plangraph.views.rdf_formats import RDF_FORMATS, reserialise
from plangraph.views.source_spans import spans

if TYPE_CHECKING:
    from plangraph.views.hubs import Hubs

_YEAR = re.compile(r"^\d{4}$")

PLAN_COLUMNS = (
    "id",
    "label",
    "status",
    "startYear",
    "endYear",
    "parties",
    "agreement",
    "activityCount",
    "commitmentCount",
    "agencyCount",
    "uri",
)
ACTIVITY_COLUMNS = (
    "plan",
    "number",
    "printedNumber",
    "description",
    "years",
    "agencies",
    "themes",
    "sources",
    "uri",
)
AGENCY_COLUMNS = (
    "id",
    "label",
    "party",
    "kind",
    "parent",
    "commitmentCount",
    "planCount",
    "uri",
)


class GraphApi:
    def __init__(self, store: Store, queries: Path, catalog: Catalog | None = None):
        self.store = store
        self.catalog = catalog
        self.q: dict[str, CatalogQuery] = load_catalog(queries)
        self._profile_queries = {name: self.q[name] for name in PROFILE_QUERIES}
        self._lock = threading.Lock()  # the lazily read indexes are built once
        self._lazy: dict[str, Any] = {}
        self._agents = {r["agency"]: self._agent(r) for r in self._select("agents")}
        self._plans = [self._plan(r) for r in self._select("plans")]
        self._plans.sort(key=lambda p: (p["startYear"] or 0, p["label"]))
        self._plan_by_slug = {p["id"]: p for p in self._plans}
        self._plan_by_iri = {p["uri"]: p for p in self._plans}
        self.theme_scheme = theme_scheme.scheme_from_rows(
            self._select("themes"), self._select("theme-alignments")
        )
        order = {p["uri"]: i for i, p in enumerate(self._plans)}
        rows = [self._activity(r) for r in self._select("steps")]
        rows.sort(key=lambda a: (order.get(a["planUri"], 99), number_key(a["number"])))
        self._steps = rows
        self._step_by_iri = {a["uri"]: a for a in rows}
        self._activities = [a for a in rows if a["kind"] == "activity"]
        self._themes = {t for a in self._activities for t in a["themes"]}
        self._parties = {
            a["party"]["id"]: a["party"] for a in self._agents.values() if a["party"]
        } | {
            a["id"]: {"id": a["id"], "uri": a["uri"], "label": a["label"]}
            for a in self._agents.values()
            if a["type"] == "party"
        }

    def _select(self, name: str, **bindings: BindingValue) -> list[dict[str, str]]:
        return self.store.select(self.q[name].text, bindings or None)

    # -- conversions from rows ------------------------------------------------

    def _party_ref(self, iri: str | None, label: str | None = None) -> dict[str, Any] | None:
        if not iri:
            return None
        code = tail(iri, "party/")
        known = self._agents.get(iri) if hasattr(self, "_agents") else None
        return {
            "id": code or iri,
            "uri": iri,
            "url": local_path(iri),
            "label": label or (known["label"] if known else code),
        }

    def agent_id(self, iri: str) -> str:
        return tail(iri, "agency/") or (
            "party/" + tail(iri, "party/") if tail(iri, "party/") else iri
        )

    def _agent(self, r: dict[str, str]) -> dict[str, Any]:
        iri = r["agency"]
        is_party = r.get("type") == PG + "Party"
        return {
            "id": self.agent_id(iri),
            "type": "party" if is_party else "agency",
            "uri": iri,
            "url": local_path(iri),
            "label": r.get("label", iri),
            "altLabels": group_values(r.get("altLabels")),
            "party": self._party_ref(r.get("party"), r.get("partyLabel")),
            "kind": (
                {"uri": r["kind"], "label": r.get("kindLabel") or tail(r["kind"], "agency-kind/")}
                if r.get("kind")
                else None
            ),
            "parent": (
                {
                    "id": self.agent_id(r["parent"]),
                    "uri": r["parent"],
                    "url": local_path(r["parent"]),
                    "label": r.get("parentLabel") or r["parent"],
                }
                if r.get("parent")
                else None
            ),
            "commitmentCount": int_or_none(r.get("commitments")) or 0,
            "planCount": int_or_none(r.get("plans")) or 0,
        }

    def _agent_ref(self, iri: str) -> dict[str, Any]:
        a = self._agents.get(iri)
        return {
            "id": self.agent_id(iri),
            "uri": iri,
            "url": local_path(iri),
            "label": a["label"] if a else iri,
        }

    def _plan(self, r: dict[str, str]) -> dict[str, Any]:
        iri = r["plan"]
        pairs = [p.split(" ", 1) for p in r.get("partyPairs", "").split("|") if " " in p]
        parties = [self._party_ref(i, n) for i, n in pairs]
        source = r.get("source")
        doc = tail(source, "source/") if source else None
        return {
            "id": tail(iri, "plan/"),
            "uri": iri,
            "url": local_path(iri),
            "label": r["label"],
            "title": r.get("title"),
            "status": r.get("status"),
            "startYear": int_or_none(r.get("startYear")),
            "endYear": int_or_none(r.get("endYear")),
            "parties": sorted(parties, key=lambda p: p["label"] if p else ""),
            "agreement": (
                {
                    "uri": r["agreement"],
                    "url": local_path(r["agreement"]),
                    "label": r.get("agreementLabel"),
                }
                if r.get("agreement")
                else None
            ),
            "source": (
                {"id": doc, "uri": source, "url": local_path(source), "href": f"/sources/{doc}"}
                if source
                else None
            ),
            "activityCount": int_or_none(r.get("activities")) or 0,
            "commitmentCount": int_or_none(r.get("commitments")) or 0,
            "agencyCount": int_or_none(r.get("agencies")) or 0,
        }

    def _activity(self, r: dict[str, str]) -> dict[str, Any]:
        iri = r["activity"]
        plan_iri = r["plan"]
        agencies = [self._agent_ref(i) for i in group_values(r.get("agencies"))]
        return {
            "uri": iri,
            "url": local_path(iri),
            "kind": STEP_KINDS.get(r.get("kind", ""), "step"),
            "plan": tail(plan_iri, "plan/"),
            "planUri": plan_iri,
            "number": r.get("number"),
            "printedNumber": r.get("printedNumber"),
            "description": r.get("description"),
            "section": r.get("section"),
            "parent": r.get("parent"),
            "years": sorted(int(y) for y in group_values(r.get("years")) if y.isdigit()),
            "themes": group_values(r.get("themes")),
            "agencies": sorted(agencies, key=lambda a: a["label"]),
            "sources": [s.to_json() for s in spans(r.get("spans"))],
        }

    # -- themes -------------------------------------------------------------------

    def theme_ref(self, iri: str) -> dict[str, Any]:
        """A theme's id, label and page (its IRI's last segment if the scheme lacks it)."""
        return theme_scheme.ref(self.theme_scheme, iri)

    # -- plans ------------------------------------------------------------------

    def plans(self) -> list[dict[str, Any]]:
        return list(self._plans)

    def plan_iri(self, slug: str) -> str:
        plan = self._plan_by_slug.get(slug)
        if plan is None:
            raise NotFound(f"no plan {slug!r}", param="plan")
        return plan["uri"]

    def plan_summary(self, slug: str) -> dict[str, Any]:
        return dict(self._plan_by_iri[self.plan_iri(slug)])

    def plan(self, slug: str) -> dict[str, Any]:
        """A plan with its sections (flat, each naming its parent), its activities and its
        steps of every kind (activities, sub-activities, work items, quarterly activities)."""
        iri = self.plan_iri(slug)
        sections: list[dict[str, Any]] = []
        seen: set[str] = set()
        for r in self._select("sections", plan=iri):
            if r["section"] in seen:
                continue
            seen.add(r["section"])
            sections.append(
                {
                    "uri": r["section"],
                    "url": local_path(r["section"]),
                    "number": r.get("number"),
                    "label": r.get("label") or r.get("title") or r["section"],
                    "title": r.get("title"),
                    "kind": r.get("kindLabel") or tail(r.get("kind", ""), ""),
                    "parent": r.get("parent"),
                    "order": int_or_none(r.get("order")),
                    "sources": [s.to_json() for s in spans(r.get("spans"))],
                }
            )
        sections.sort(  # ties (no order, no number) by where the source prints them: the
            # same order whatever order the store returns rows in
            key=lambda s: (
                s["order"] if s["order"] is not None else 10**6,
                number_key(s["number"]),
                min((x["startLine"] for x in s["sources"]), default=10**9),
                s["uri"],
            )
        )
        activities = [a for a in self._activities if a["planUri"] == iri]
        steps = [a for a in self._steps if a["planUri"] == iri]
        return {
            **self._plan_by_iri[iri],
            "sections": sections,
            "activities": activities,
            "steps": steps,
        }

    # -- activities -------------------------------------------------------------

    def activities(
        self,
        *,
        plan: str | None = None,
        party: str | None = None,
        agency: str | None = None,
        theme: str | None = None,
        year: str | int | None = None,
        text: str | None = None,
    ) -> list[dict[str, Any]]:
        """Numbered activities, filtered.

        ``plan`` a plan slug; ``party`` an ISO 3166 alpha-3 code: activities of the plans
        the party is a party to; ``agency`` an agency id ("khm/mosvy", or "party/khm" for a
        party named alone): activities it has a commitment for; ``theme`` a theme IRI or its
        last path segment; ``year`` a scheduled year; ``text`` words in the number or text.
        """
        items = self._activities
        if plan:
            iri = self.plan_iri(plan)
            items = [a for a in items if a["planUri"] == iri]
        if party:
            code = party.lower()
            if code not in self._parties:
                raise NotFound(f"no party {party!r}", param="party")
            plan_iris = {
                p["uri"] for p in self._plans if any(x and x["id"] == code for x in p["parties"])
            }
            items = [a for a in items if a["planUri"] in plan_iris]
        if agency:
            iri = self.agency_iri(agency, param="agency")
            items = [a for a in items if any(x["uri"] == iri for x in a["agencies"])]
        if theme:
            wanted = {t for t in self._themes if theme in (t, t.rstrip("/").rsplit("/", 1)[-1])}
            if not wanted:
                raise NotFound(f"no activity has theme {theme!r}", param="theme")
            items = [a for a in items if wanted & set(a["themes"])]
        if year is not None and year != "":
            y = str(year).strip()
            if not _YEAR.match(y):
                raise QueryError(f"year must be four digits, not {year!r}", param="year")
            items = [a for a in items if int(y) in a["years"]]
        if text:
            words = text.lower().split()
            items = [
                a
                for a in items
                if all(
                    w
                    in f"{a['number']} {a['printedNumber'] or ''} {a['description'] or ''}".lower()
                    for w in words
                )
            ]
        return list(items)

    def activity_commitments(self, activity_iri: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for r in self._select("activity-commitments", activity=activity_iri):
            out.append(
                {
                    "uri": r["commitment"],
                    "url": local_path(r["commitment"]),
                    "agency": self._agent_ref(r["agency"]),
                    "role": r.get("roleLabel") or tail(r.get("role", ""), "role/"),
                    "onBehalfOf": self._party_ref(r.get("onBehalfOf"), r.get("onBehalfOfLabel")),
                    "mention": r.get("mention"),
                    "uncertain": r.get("uncertain") == "true",
                    "years": sorted(int(y) for y in group_values(r.get("years")) if y.isdigit()),
                    "sources": [s.to_json() for s in spans(r.get("spans"))],
                }
            )
        out.sort(key=lambda c: (c["role"], c["agency"]["label"]))
        return out

    def activity(self, iri: str) -> dict[str, Any] | None:
        """A step of any kind (activity, work item, sub-activity, quarterly activity)."""
        return self._step_by_iri.get(iri)

    def steps(self) -> list[dict[str, Any]]:
        """Every step of every plan, of every kind, in plan order then by number."""
        return list(self._steps)

    # -- agencies -----------------------------------------------------------------

    def agent(self, iri: str) -> dict[str, Any] | None:
        """An agency or party (as listed by :meth:`agencies`), or None."""
        return self._agents.get(iri)

    def agencies(self) -> list[dict[str, Any]]:
        items = [a for a in self._agents.values() if a["type"] == "agency"]
        return sorted(items, key=lambda a: (a["party"]["id"] if a["party"] else "~", a["label"]))

    def agency_iri(self, agency_id: str, *, param: str = "id") -> str:
        iri = ID_BASE + (agency_id if agency_id.startswith("party/") else f"agency/{agency_id}")
        if iri not in self._agents:
            raise NotFound(f"no agency {agency_id!r}", param=param)
        return iri

    def _commitment(self, r: dict[str, str]) -> dict[str, Any]:
        step = r.get("step")
        plan = r.get("plan")
        return {
            "uri": r["commitment"],
            "url": local_path(r["commitment"]),
            "role": r.get("roleLabel") or tail(r.get("role", ""), "role/"),
            "activity": (
                {
                    "uri": step,
                    "url": local_path(step),
                    "number": r.get("stepNumber"),
                    "description": r.get("stepDescription"),
                    "kind": STEP_KINDS.get(r.get("stepKind", ""), "step"),
                }
                if step
                else None
            ),
            "section": (
                {
                    "uri": r["section"],
                    "url": local_path(r["section"]),
                    "label": r.get("sectionLabel"),
                }
                if r.get("section")
                else None
            ),
            "plan": (
                {
                    "id": tail(plan, "plan/"),
                    "uri": plan,
                    "url": local_path(plan),
                    "label": r.get("planLabel") or plan,
                }
                if plan
                else None
            ),
            "onBehalfOf": self._party_ref(r.get("onBehalfOf")),
            "mention": r.get("mention"),
            "uncertain": r.get("uncertain") == "true",
            "years": sorted({int(y) for y in group_values(r.get("years")) if y.isdigit()}),
            "sources": [s.to_json() for s in spans(r.get("spans"))],
        }

    def once(self, name: str, build: Callable[[], Any]) -> Any:
        """``build()``, computed on first use and kept: the dataset of a store never changes
        (one lock, so concurrent first requests compute it once)."""
        with self._lock:
            if name not in self._lazy:
                self._lazy[name] = build()
            return self._lazy[name]

    def _read_commitments(self) -> dict[str, list[dict[str, Any]]]:
        by_agent: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in self._select("commitments"):  # ?agency unbound: every agency's
            c = self._commitment(r)
            c["roleId"] = tail(r.get("role", ""), "role/")
            by_agent[r["agency"]].append(c)
        plan_order = {p["uri"]: i for i, p in enumerate(self._plans)}
        for items in by_agent.values():
            items.sort(
                key=lambda c: (
                    plan_order.get(c["plan"]["uri"] if c["plan"] else "", 99),
                    number_key(c["activity"]["number"] if c["activity"] else ""),
                    c["role"],
                    c["uri"],
                )
            )
        return dict(by_agent)

    def all_commitments(self) -> dict[str, list[dict[str, Any]]]:
        """Agency or party IRI -> its commitments (each with ``roleId``, the role's slug),
        sorted by plan, step number and role; read once. Shared: do not modify."""
        return self.once("commitments", self._read_commitments)

    def commitments_of(self, iri: str) -> list[dict[str, Any]]:
        """The commitments of one agency or party (its IRI), copies from the index."""
        return [
            {k: v for k, v in c.items() if k != "roleId"}
            for c in self.all_commitments().get(iri, ())
        ]

    def hubs(self) -> Hubs:
        """The hub pages' data (themes, coverage, parties, years), built once."""
        from plangraph.views.hubs import Hubs

        return self.once("hubs", lambda: Hubs(self))

    def profiles(self) -> AgencyProfiles:
        """Every agency's profile rows, read once."""
        return self.once("profiles", lambda: AgencyProfiles(self.store, self._profile_queries))

    def agency(self, agency_id: str) -> dict[str, Any]:
        iri = self.agency_iri(agency_id)
        commitments = self.commitments_of(iri)
        agent = self._agents[iri]
        if agent.get("type") == "party":
            return {**agent, "commitments": commitments}
        profile = self.profiles().profile(agency_id)
        relations = {
            key: profile[key]
            for key in ("children", "leadership", "leads", "coordinatorOf", "history", "plans")
        }
        for item in [*relations["children"], *relations["leads"]]:
            item["url"] = local_path(item["uri"])
        rollup = profile["rollup"]
        for unit in rollup["subUnits"]:
            unit["url"] = local_path(unit["uri"])
            unit["parent"]["url"] = local_path(unit["parent"]["uri"])
            unit["commitments"] = self.commitments_of(unit["uri"])
        return {
            **agent,
            **relations,
            "rollup": rollup,
            "commitments": commitments,
            "network": self.agency_network(iri),
        }

    def agency_network(self, iri: str) -> dict[str, Any] | None:
        """The agency in the network's default view (the metrics graph: the numbers the
        network page, API and CLI give), None where it is not in that view; ``rolledUp``:
        the same with every body under it rolled into it (a top-most body only)."""
        rows = {r.get("rolledUp") == "true": r for r in self._select("agency-network", agency=iri)}
        if False not in rows:
            return None
        out = _network_numbers(rows[False])
        out["rolledUp"] = _network_numbers(rows[True]) if True in rows else None
        return out

    # -- any resource -------------------------------------------------------------

    def exists(self, iri: str) -> bool:
        return bool(self._select("exists", resource=iri))

    def statements(self, iri: str) -> list[dict[str, Any]]:
        """What the graph says about a resource, as property/value rows for a page."""
        out = []
        for r in self._select("resource", resource=iri):
            is_iri = r.get("valueIsIri") == "true"
            value = r["value"]
            datatype = r.get("datatype") or ""
            out.append(
                {
                    "property": r["property"],
                    "propertyLabel": r.get("propertyLabel") or curie(r["property"]),
                    "value": value,
                    "isIri": is_iri,
                    "valueLabel": r.get("valueLabel") or (curie(value) if is_iri else value),
                    "href": (local_path(value) or value) if is_iri else None,
                    "datatype": curie(datatype) if datatype.startswith(XSD) else datatype,
                    "lang": r.get("lang") or "",
                }
            )
        out.sort(
            key=lambda s: (
                s["property"] != PREFIXES["rdf"] + "type",
                s["propertyLabel"],
                s["valueLabel"],
            )
        )
        return out

    def describe(self, iri: str, fmt: str) -> bytes:
        """The RDF of a resource and of its parts, in ``fmt`` (turtle, jsonld, ntriples)."""
        if fmt not in RDF_FORMATS:
            raise QueryError(f"unknown RDF format {fmt!r}", param="format")
        nt = self.store.query(bind_values(self.q["describe"].text, {"resource": iri}), "ntriples")
        return reserialise(nt.body, fmt)


def dump(api: GraphApi, fmt: str) -> bytes:
    """Every triple of the graph (union of the named graphs) in ``fmt`` (turtle, jsonld)."""
    nt = api.store.query(api.q["everything"].text, "ntriples")
    return reserialise(nt.body, fmt)


def _network_numbers(r: dict[str, str]) -> dict[str, Any]:
    """One row of queries/api/agency-network.rq as numbers."""
    return {
        "steps": int(r["steps"]),
        "commitments": int(r["commitments"]),
        "weightedDegree": int(r["weightedDegree"]),
        "betweenness": float(r["betweenness"]),
        "pageRank": float(r["pageRank"]),
        "community": int_or_none(r.get("community")),
        "component": int(r["component"]),
        "componentSize": int(r["componentSize"]),
        "brokerage": int(r["brokerage"]),
        "view": r.get("view"),
    }
