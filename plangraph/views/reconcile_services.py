"""The services a reconciliation client uses beside matching (W3C Entity Reconciliation API
0.2): suggest (entities, types, properties: the auto-completion of OpenRefine's dialogs),
preview (what an agency is, shown in a small frame) and data extension (OpenRefine's "add
columns from reconciled values": party, kind, parent body, plans, commitments).

Everything is read from the graph through SPARQL when the service is made: the agency index
of :class:`plangraph.views.reconcile.Reconciler` and, per agency, the plans it carries
commitments in and how many (``queries/api/reconcile-extension.rq``). No web framework here:
:mod:`server.reconcile_services` maps HTTP onto :class:`ReconcileServices`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plangraph.errors import NotFound, QueryError
from plangraph.sources.registry import normalise
from plangraph.store.base import Store
from plangraph.store.query_catalog import load_catalog
from plangraph.views.reconcile import (
    AGENCY_SPACE,
    AGENCY_TYPE,
    KIND_BASE,
    Entity,
    NoCandidates,
    Reconciler,
    clean,
)

PLAN_SPACE = "https://w3id.org/plangraph/id/plan/"
SUGGEST_PAGE = 10
MAX_IDS = 500
MAX_PREFIX = 200


@dataclass(frozen=True)
class Property:
    id: str
    name: str
    description: str
    entity: bool = False  # values are agencies (same identifier space)


# the columns OpenRefine users can add from a reconciled agency, in the order offered
PROPERTIES = (
    Property("party", "Party", "the country (party) the agency belongs to; none if international"),
    Property("kind", "Kind", "the kind of agency: ministry, police, task force ..."),
    Property("parent", "Parent body", "the body the agency is part of", entity=True),
    Property("plans", "Plans", "the plans of action in which the agency carries commitments"),
    Property("commitments", "Commitments", "how many commitments the agency carries, all plans"),
)
# properties a reconciliation query may use to narrow its candidates
QUERY_PROPERTIES = (
    Property("id", "Identifier", "the agency's plangraph id (e.g. khm/mosvy) or IRI"),
)


@dataclass(frozen=True)
class PlanShare:
    plan: str  # "khm-npa-2011-2013": the IRI is PLAN_SPACE + plan
    label: str
    commitments: int


def _prefix_rank(prefix: str, names: Iterable[str]) -> int | None:
    """0: a name starts with the prefix; 1: a word of a name does; 2: a name contains it."""
    best: int | None = None
    for name in names:
        n = normalise(clean(name))
        if n.startswith(prefix):
            return 0
        if any(w.startswith(prefix) for w in n.split()):
            best = 1
        elif prefix in n and best is None:
            best = 2
    return best


def _page(items: list[Any], cursor: object) -> list[Any]:
    try:
        start = max(0, int(str(cursor or 0)))
    except ValueError:
        raise QueryError("'cursor' must be an integer", param="cursor") from None
    return items[start : start + SUGGEST_PAGE]


def _prefix(prefix: object) -> str:
    if not isinstance(prefix, str):
        raise QueryError("'prefix' is required", param="prefix")
    text = normalise(clean(prefix))
    if len(text) > MAX_PREFIX:
        raise QueryError(f"'prefix' is longer than {MAX_PREFIX} characters", param="prefix")
    return text


class ReconcileServices:
    def __init__(self, reconciler: Reconciler, plans: Mapping[str, list[PlanShare]]) -> None:
        """``plans``: agency id -> the plans it carries commitments in."""
        self.reconciler = reconciler
        self.plans = plans
        self._by_id = {e.id: e for e in reconciler.entities}

    @classmethod
    def from_store(cls, store: Store, api_queries: Path) -> ReconcileServices:
        catalog = load_catalog(api_queries)
        plans: dict[str, list[PlanShare]] = {}
        for r in store.select(catalog["reconcile-extension"].text):
            agency = r["agency"].removeprefix(AGENCY_SPACE)
            plan = r["plan"].removeprefix(PLAN_SPACE)
            share = PlanShare(plan, r.get("planLabel") or plan, int(r["commitments"]))
            plans.setdefault(agency, []).append(share)
        return cls(Reconciler.from_store(store, api_queries), plans)

    # -- suggest ---------------------------------------------------------------------

    def suggest_entities(
        self, prefix: object, cursor: object = 0, type_: object = None
    ) -> dict[str, Any]:
        """Agencies one of whose names starts with (or has a word starting with) ``prefix``."""
        text = _prefix(prefix)
        kinds = None
        if type_:
            try:
                kinds = self.reconciler.kinds_of([type_])
            except NoCandidates:  # an unknown type has no agencies
                return {"result": []}
        ranked = []
        if text:
            for e in self.reconciler.entities:
                if kinds is not None and e.kind not in kinds:
                    continue
                rank = _prefix_rank(text, e.names)
                if rank is not None:
                    ranked.append((rank, normalise(e.name), e.id))
        ranked.sort()
        return {"result": [self._entity(self._by_id[i]) for _, _, i in _page(ranked, cursor)]}

    @staticmethod
    def _entity(e: Entity) -> dict[str, Any]:
        return {
            "id": e.id,
            "name": e.name,
            "description": e.description,
            "notable": [{"id": e.kind, "name": e.kind_label}],
        }

    def types(self) -> list[dict[str, str]]:
        out = [dict(AGENCY_TYPE)]
        out += [{"id": k, "name": label} for k, label in self.reconciler.kinds]
        return out

    def suggest_types(self, prefix: object, cursor: object = 0) -> dict[str, Any]:
        text = _prefix(prefix)
        hits = [
            t
            for t in self.types()
            if text and _prefix_rank(text, (t["name"], t["id"].replace("-", " "))) is not None
        ]
        return {"result": _page(hits, cursor)}

    def suggest_properties(self, prefix: object, cursor: object = 0) -> dict[str, Any]:
        text = _prefix(prefix)
        hits = [
            {"id": p.id, "name": p.name, "description": p.description}
            for p in (*PROPERTIES, *QUERY_PROPERTIES)
            if text and _prefix_rank(text, (p.name, p.id)) is not None
        ]
        return {"result": _page(hits, cursor)}

    # -- data extension --------------------------------------------------------------

    def propose_properties(self, type_: object = None, limit: object = None) -> dict[str, Any]:
        """The properties offered for a type (every agency type has the same ones)."""
        type_id = str(type_ or AGENCY_TYPE["id"])
        known = {t["id"] for t in self.types()} | {KIND_BASE + k for k, _ in self.reconciler.kinds}
        props = [{"id": p.id, "name": p.name, "description": p.description} for p in PROPERTIES]
        if type_id not in known:
            props = []
        if limit is not None:
            try:
                props = props[: max(0, int(float(str(limit))))]
            except ValueError:
                raise QueryError("'limit' must be a number", param="limit") from None
        return {"type": type_id, "properties": props}

    def extend(self, query: object) -> dict[str, Any]:
        """``{"ids": [...], "properties": [{"id": "party"}, ...]}`` -> ``{"meta", "rows"}``;
        an unknown id, or a property the service does not know, gets no values."""
        if not isinstance(query, Mapping):
            raise QueryError("'extend' must be a JSON object", param="extend")
        ids = query.get("ids")
        props = query.get("properties")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise QueryError("'ids' must be a list of strings", param="extend")
        if len(ids) > MAX_IDS:
            raise QueryError(f"at most {MAX_IDS} ids per request", param="extend")
        if not isinstance(props, list) or not all(
            isinstance(p, Mapping) and isinstance(p.get("id"), str) for p in props
        ):
            raise QueryError("'properties' must be a list of {'id': ...}", param="extend")
        by_id = {p.id: p for p in PROPERTIES}
        # a property the service does not know has no values (its column stays empty)
        wanted = [by_id.get(p["id"]) or Property(p["id"], p["id"], "") for p in props]
        meta: list[dict[str, Any]] = []
        for p in wanted:
            entry: dict[str, Any] = {"id": p.id, "name": p.name}
            if p.entity:
                entry["type"] = dict(AGENCY_TYPE)
            meta.append(entry)
        rows = {}
        for raw in ids:
            e = self._by_id.get(clean(raw).strip().removeprefix(AGENCY_SPACE))
            rows[raw] = {p.id: self._values(e, p.id) if e else [] for p in wanted}
        return {"meta": meta, "rows": rows}

    def _values(self, e: Entity, prop: str) -> list[dict[str, Any]]:
        if prop == "party":
            return [{"str": e.party_name}] if e.party_name else []
        if prop == "kind":
            return [{"str": e.kind_label}] if e.kind_label else []
        if prop == "parent":
            parent = self._by_id.get(e.parent) if e.parent else None
            return [{"id": parent.id, "name": parent.name}] if parent else []
        shares = self.plans.get(e.id, [])
        if prop == "plans":
            return [{"str": s.label} for s in shares]
        if prop == "commitments":
            return [{"int": sum(s.commitments for s in shares)}]
        return []

    # -- preview ---------------------------------------------------------------------

    def preview(self, agency_id: object) -> dict[str, Any]:
        """What the preview shows of an agency; NotFound for an unknown id."""
        key = clean(str(agency_id or "")).strip().removeprefix(AGENCY_SPACE)
        e = self._by_id.get(key)
        if e is None:
            raise NotFound(f"no agency {agency_id!r}", param="id")
        parent = self._by_id.get(e.parent) if e.parent else None
        shares = self.plans.get(e.id, [])
        return {
            "id": e.id,
            "name": e.name,
            "party": e.party_name,
            "kind": e.kind_label,
            "parent": parent.name if parent else None,
            "aliases": [n for n in e.names if n != e.name],
            "plans": [s.label for s in shares],
            "commitments": sum(s.commitments for s in shares),
        }
