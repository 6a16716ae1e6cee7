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

import csv
import io
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from plangraph import ids
from plangraph.errors import NotFound, QueryError
from plangraph.sources.catalog import Catalog
from plangraph.store.bindings import bind_values
from plangraph.store.embedded import EmbeddedStore
from plangraph.store.query_catalog import CatalogQuery, load_catalog
from plangraph.views.agency_profile import QUERIES as PROFILE_QUERIES
from plangraph.views.agency_profile import STEP_KINDS, AgencyProfiles

if TYPE_CHECKING:
    from plangraph.views.hubs import Hubs

ID_BASE = str(ids.ID)
PG = str(ids.PG)
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
XSD = "http://www.w3.org/2001/XMLSchema#"

PREFIXES = {
    "pg": PG,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": XSD,
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": str(ids.ORG),
    "p-plan": str(ids.PPLAN),
    "oa": str(ids.OA),
    "time": str(ids.TIME),
}

# Linked Data formats: name -> (pyoxigraph format, media type, file suffix).
RDF_FORMATS = {
    "turtle": (ox.RdfFormat.TURTLE, "text/turtle", ".ttl"),
    "jsonld": (ox.RdfFormat.JSON_LD, "application/ld+json", ".jsonld"),
    "ntriples": (ox.RdfFormat.N_TRIPLES, "application/n-triples", ".nt"),
}

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000

# The pillars of the theme scheme in the order of the "4 Ps" (the scheme lists them unordered).
PILLAR_ORDER = ("prevention", "protection", "prosecution", "partnership")
MATCH_LABELS = {
    "http://www.w3.org/2004/02/skos/core#exactMatch": "exact match",
    "http://www.w3.org/2004/02/skos/core#closeMatch": "close match",
    "http://www.w3.org/2004/02/skos/core#broadMatch": "broader match",
    "http://www.w3.org/2004/02/skos/core#narrowMatch": "narrower match",
    "http://www.w3.org/2004/02/skos/core#relatedMatch": "related match",
}

_SPAN = re.compile(r"^source/([A-Za-z0-9][A-Za-z0-9.\-]*)/lines/(\d+)-(\d+)$")
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_YEAR = re.compile(r"^\d{4}$")
_LINES = re.compile(r"^(\d{1,7})(?:-(\d{1,7}))?$")


# ---------------------------------------------------------------------------
# Small helpers


def local_path(iri: str | None) -> str | None:
    """The server path of a data IRI (``https://w3id.org/plangraph/id/x`` -> ``/id/x``)."""
    if iri and iri.startswith(ID_BASE):
        return "/id/" + iri[len(ID_BASE) :]
    return None


def tail(iri: str, prefix: str) -> str:
    """What follows ``ID_BASE + prefix`` in a data IRI ("" if it does not start so)."""
    head = ID_BASE + prefix
    return iri[len(head) :] if iri.startswith(head) else ""


def _split(value: str | None) -> list[str]:
    return sorted(v for v in (value or "").split("|") if v)


_SENTENCE = re.compile(r"^(.+?[.!?])(?=\s+[A-Z(]|$)", re.S)


def first_sentence(text: str | None) -> str | None:
    """The first sentence of ``text`` (all of it if it has one sentence)."""
    if not text:
        return text
    m = _SENTENCE.match(text.strip())
    return m.group(1) if m else text.strip()


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _roman(part: str) -> int | None:
    if not part or any(c not in _ROMAN for c in part):
        return None
    total = 0
    for i, c in enumerate(part):
        v = _ROMAN[c]
        total += -v if i + 1 < len(part) and _ROMAN[part[i + 1]] > v else v
    return total


def number_key(number: str | None) -> tuple[tuple[int, int, str], ...]:
    """Sort key for printed numbers: "1.2.10" after "1.2.9", "IV.1" after "III.8"."""
    key = []
    for part in re.split(r"[.\s]+", number or ""):
        if part.isdigit():
            key.append((0, int(part), ""))
        elif (r := _roman(part)) is not None:
            key.append((0, r, ""))
        else:
            key.append((1, 0, part))
    return tuple(key)


@dataclass(frozen=True)
class Span:
    iri: str
    document: str
    start: int
    end: int

    @property
    def href(self) -> str:
        return f"/sources/{self.document}?lines={self.start}-{self.end}#L{self.start}"

    @property
    def label(self) -> str:
        lines = f"line {self.start}" if self.start == self.end else f"lines {self.start}–{self.end}"
        return f"{self.document}, {lines}"

    def to_json(self) -> dict[str, Any]:
        return {
            "uri": self.iri,
            "document": self.document,
            "startLine": self.start,
            "endLine": self.end,
            "href": self.href,
        }


def parse_span(iri: str) -> Span | None:
    m = _SPAN.match(tail(iri, ""))
    if not m:
        return None
    return Span(iri, m.group(1), int(m.group(2)), int(m.group(3)))


def spans(value: str | Iterable[str] | None) -> list[Span]:
    items = _split(value) if isinstance(value, str | None) else list(value)
    found = [s for s in (parse_span(i) for i in items) if s is not None]
    return sorted(found, key=lambda s: (s.document, s.start, s.end))


def parse_line_range(text: str | None, line_count: int) -> tuple[int, int] | None:
    """``"12-16"`` or ``"12"`` -> (12, 16) / (12, 12), checked against the document."""
    if text is None or text == "":
        return None
    m = _LINES.match(text.strip())
    if not m:
        raise QueryError(f"lines must look like '12' or '12-16', not {text!r}", param="lines")
    start = int(m.group(1))
    end = int(m.group(2) or start)
    if not 1 <= start <= end <= line_count:
        raise QueryError(
            f"lines {start}-{end} are outside the document (1-{line_count})", param="lines"
        )
    return start, end


# ---------------------------------------------------------------------------
# Paging and CSV


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int

    @property
    def next_offset(self) -> int | None:
        nxt = self.offset + self.limit
        return nxt if nxt < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None


def paginate(items: Sequence[dict[str, Any]], limit: int | None, offset: int | None) -> Page:
    limit = DEFAULT_LIMIT if limit is None else limit
    offset = 0 if offset is None else offset
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}", param="limit")
    if offset < 0:
        raise QueryError("offset must not be negative", param="offset")
    return Page(list(items[offset : offset + limit]), len(items), limit, offset)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return str(value.get("id") or value.get("label") or value.get("uri") or "")
    if isinstance(value, list):
        return "; ".join(_cell(v) for v in value)
    return str(value)


def to_csv(items: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV (RFC 4180, CRLF); lists joined with '; ', objects by their id or label."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for item in items:
        writer.writerow([_cell(item.get(c)) for c in columns])
    return out.getvalue()


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


# ---------------------------------------------------------------------------
# The API over one store


class GraphApi:
    def __init__(self, store: EmbeddedStore, queries: Path, catalog: Catalog | None = None):
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
        self.theme_scheme = self._theme_scheme()
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

    def _select(self, name: str, **bindings: str | int) -> list[dict[str, str]]:
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
            "altLabels": _split(r.get("altLabels")),
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
            "commitmentCount": _int(r.get("commitments")) or 0,
            "planCount": _int(r.get("plans")) or 0,
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
            "startYear": _int(r.get("startYear")),
            "endYear": _int(r.get("endYear")),
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
            "activityCount": _int(r.get("activities")) or 0,
            "commitmentCount": _int(r.get("commitments")) or 0,
            "agencyCount": _int(r.get("agencies")) or 0,
        }

    def _activity(self, r: dict[str, str]) -> dict[str, Any]:
        iri = r["activity"]
        plan_iri = r["plan"]
        agencies = [self._agent_ref(i) for i in _split(r.get("agencies"))]
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
            "years": sorted(int(y) for y in _split(r.get("years")) if y.isdigit()),
            "themes": _split(r.get("themes")),
            "agencies": sorted(agencies, key=lambda a: a["label"]),
            "sources": [s.to_json() for s in spans(r.get("spans"))],
        }

    # -- the theme scheme -------------------------------------------------------

    def _theme_scheme(self) -> dict[str, Any]:
        """The action themes (ontology/themes.ttl): pillars in PILLAR_ORDER, each with its
        themes by label; every concept by IRI and by slug, with its alignments."""
        concepts: dict[str, dict[str, Any]] = {}
        for r in self._select("themes"):
            iri = r["theme"]
            concepts[iri] = {
                "uri": iri,
                "url": local_path(iri),
                "id": r["slug"],
                "label": r["label"],
                "definition": r.get("definition"),
                "summary": first_sentence(r.get("definition")),
                "pillar": r.get("pillar"),
                "alignments": [],
                "themes": [],
            }
        for r in self._select("theme-alignments"):
            concept = concepts.get(r["theme"])
            if concept is None:
                continue
            target = r["target"]
            concept["alignments"].append(
                {
                    "relation": curie(r["relation"]),
                    "relationLabel": MATCH_LABELS.get(r["relation"], curie(r["relation"])),
                    "uri": target,
                    "href": local_path(target) or target,
                    "label": r.get("targetLabel") or target,
                    "notation": r.get("notation"),
                    "scheme": "SDG target" if "/sdg/" in target else "OECD DAC purpose code",
                }
            )
        for c in concepts.values():
            c["alignments"].sort(key=lambda a: (a["scheme"] != "SDG target", a["notation"] or ""))
            if c["pillar"] in concepts:
                parent = concepts[c["pillar"]]
                c["pillar"] = {k: parent[k] for k in ("uri", "url", "id", "label")}
                parent["themes"].append(c)
            else:
                c["pillar"] = None
        pillars = [c for c in concepts.values() if c["pillar"] is None]
        pillars.sort(
            key=lambda c: (
                PILLAR_ORDER.index(c["id"]) if c["id"] in PILLAR_ORDER else 99,
                c["label"],
            )
        )
        for c in pillars:
            c["themes"].sort(key=lambda x: x["label"])
        return {
            "pillars": pillars,
            "themes": [t for c in pillars for t in c["themes"]],
            "by_iri": concepts,
            "by_slug": {c["id"]: c for c in concepts.values()},
        }

    def theme_ref(self, iri: str) -> dict[str, Any]:
        """A theme's id, label and page (its IRI's last segment if the scheme lacks it)."""
        c = self.theme_scheme["by_iri"].get(iri)
        if c is None:
            slug = iri.rstrip("/").rsplit("/", 1)[-1]
            return {"uri": iri, "url": local_path(iri), "id": slug, "label": slug}
        return {k: c[k] for k in ("uri", "url", "id", "label")}

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
        sections = []
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
                    "order": _int(r.get("order")),
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
        out = []
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
                    "years": sorted(int(y) for y in _split(r.get("years")) if y.isdigit()),
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
            "years": sorted({int(y) for y in _split(r.get("years")) if y.isdigit()}),
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
        return {**agent, **relations, "rollup": rollup, "commitments": commitments}

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


def reserialise(ntriples: bytes, fmt: str) -> bytes:
    """N-Triples -> Turtle (with the project's prefixes), JSON-LD or N-Triples."""
    rdf_format = RDF_FORMATS[fmt][0]
    if rdf_format == ox.RdfFormat.N_TRIPLES:
        return ntriples
    triples = list(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES))
    prefixes = PREFIXES if rdf_format == ox.RdfFormat.TURTLE else None
    return ox.serialize(triples, format=rdf_format, prefixes=prefixes) or b""


def curie(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


def dump(api: GraphApi, fmt: str) -> bytes:
    """Every triple of the graph (union of the named graphs) in ``fmt`` (turtle, jsonld)."""
    nt = api.store.query(api.q["everything"].text, "ntriples")
    return reserialise(nt.body, fmt)
