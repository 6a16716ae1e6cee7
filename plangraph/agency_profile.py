"""One agency's profile: who it is, where it sits, who leads it, its history, and every
commitment it carries in every plan, grouped by plan and role.

Read through the store with the queries ``queries/api/agency-profile*.rq`` (the agency bound as
a parameter, never pasted), so it works on the embedded store and on any SPARQL server. Plain
JSON-ready dicts; pages and the REST API render them.

``agency_profile(store, queries, "khm/mosvy")`` where ``queries`` is the folder of
``queries/api/*.rq`` (``settings.paths.queries / "api"``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .errors import NotFound
from .queries import CatalogQuery, load_catalog
from .store import EmbeddedStore

ID_BASE = "https://w3id.org/plangraph/id/"
AGENCY_BASE = ID_BASE + "agency/"
ROLE_ORDER = ("lead", "responsible", "implementing-partner", "support", "resourcing", "participant")
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
    if not iri:
        return None
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


def load_profile_queries(api_queries: Path) -> dict[str, CatalogQuery]:
    """The four profile queries from ``queries/api`` (load once, pass to :func:`agency_profile`)."""
    catalog = load_catalog(api_queries)
    return {name: catalog[name] for name in QUERIES}


def agency_profile(
    store: EmbeddedStore, queries: Path | dict[str, CatalogQuery], agency_id: str
) -> dict[str, Any]:
    """The profile of agency ``agency_id`` ("khm/mosvy"); :class:`NotFound` if there is none."""
    if not _AGENCY_ID.match(agency_id):
        raise NotFound(f"no agency {agency_id!r}", param="id")
    q = load_profile_queries(queries) if isinstance(queries, Path) else queries
    iri = AGENCY_BASE + agency_id

    def rows(name: str) -> list[dict[str, str]]:
        query = q[name]
        return store.select(query.text, query.bindings({"agency": iri}))

    head = rows("agency-profile")
    if not head:
        raise NotFound(f"no agency {agency_id!r}", param="id")
    h = head[0]
    leadership = None
    if h.get("leader"):
        leadership = {
            "leader": _ref(h["leader"], h.get("leaderLabel")),
            "note": h.get("leadershipNote"),
            "sources": _spans(h.get("leadershipSpans")),
        }

    children, leads, coordinates = [], [], []
    for r in rows("agency-profile-relations"):
        if r["relation"] == "coordinates":
            plan_id = _tail(r["related"], "plan/")
            coordinates.append({"id": plan_id, "uri": r["related"], "label": r.get("relatedLabel")})
            continue
        item = {
            **_ref(r["related"], r.get("relatedLabel")),
            "kind": _tail(r.get("kind"), "agency-kind/"),
        }
        (children if r["relation"] == "child" else leads).append(item)

    history = []
    for r in rows("agency-profile-history"):
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

    plans: dict[str, dict[str, Any]] = {}
    for r in rows("agency-profile-commitments"):
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

    return {
        "id": agency_id,
        "uri": iri,
        "label": h["label"],
        "altLabels": sorted(a for a in h.get("altLabels", "").split(SEPARATOR) if a),
        "party": _ref(h.get("party"), h.get("partyLabel")),
        "kind": (
            {"id": _tail(h["kind"], "agency-kind/"), "uri": h["kind"], "label": h.get("kindLabel")}
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
    }
