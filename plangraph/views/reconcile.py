"""Agency reconciliation: the W3C Entity Reconciliation API (the protocol OpenRefine speaks).

A researcher with a spreadsheet of agency names ("MoSVY", "Mol", "Ministry of Interior
Cambodia") sends them in batches; each name gets the registry's agencies that could be meant,
scored 0-100, best first, with their party and kind. The index is read from the graph through
SPARQL (``queries/api/reconcile-agencies.rq``): canonical names (skos:prefLabel) and every
alias the sources use (skos:altLabel).

Scoring, on names normalised as the registry compares them (case, spacing, quotes, end
punctuation; :func:`plangraph.sources.registry.normalise`):

* 100: the name equals a name or alias of exactly one agency (after narrowing by party and
  type); the only case with ``match: true``, so OpenRefine may accept it without asking;
* 95: it equals a name or alias of several agencies (e.g. "COMMIT Task Force" without a party);
* at most 90 otherwise: the better of a word-overlap score (words compared with a tolerance for
  OCR and spelling variants, "Commiserate" / "Commissariat") and a character-sequence ratio,
  over the name, the part outside brackets and the part inside them; an abbreviation that
  spells the initials of a name ("MPS") scores 85.

Query text is read as the user means it: NFKC-normalised (fullwidth "ＭｏＳＶＹ" is "MoSVY")
and without invisible format characters (zero-width spaces and joiners, bidi marks, soft
hyphens: Unicode category Cf).

Query properties: ``party`` (an ISO 3166-1 alpha-3 code or the party's name) keeps the
agencies of that party and the international ones; ``kind`` (an agency kind) narrows like a
type; ``id`` (an agency id or IRI) names the agency. Properties the service does not know are
ignored. A query may have only properties (no ``query`` string): the agencies they allow come
back, scored 50 (100 for an ``id``); none if it has only properties the service does not
know. Types: ``Agency`` (every agency) or an agency kind (``ministry``, ``police``, ... as in
the agency-kind scheme).

As the specification wants, a batch is answered query by query: a query the service cannot
answer (an empty one, one over 500 characters, a bad ``limit``) gets an empty result and an
``error`` object beside it, never a refusal of the whole batch; an unknown type or party has no
agencies, so an empty result. ``limit`` is a JSON number (``3.0`` is 3).

No web framework here: :mod:`server.reconcile` maps HTTP onto :class:`Reconciler`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from plangraph.errors import QueryError
from plangraph.sources.registry import Registry, normalise
from plangraph.store.base import Store
from plangraph.store.query_catalog import load_catalog

ID_BASE = "https://w3id.org/plangraph/id/"
AGENCY_SPACE = ID_BASE + "agency/"
KIND_BASE = ID_BASE + "agency-kind/"
SCHEMA_SPACE = "https://w3id.org/plangraph/ontology#"
AGENCY_TYPE = {"id": "Agency", "name": "Agency"}
DEFAULT_LIMIT = 5
MAX_LIMIT = 50
MAX_QUERIES = 200
MAX_NAME = 500
SEPARATOR = "\u001f"

EXACT_UNIQUE = 100.0
EXACT_SHARED = 95.0
FUZZY_MAX = 90.0
ACRONYM = 85.0
MIN_SCORE = 30.0

_STOPWORDS = frozenset({"of", "the", "and", "for", "in", "on", "to", "a", "an", "at", "s"})
_WORD = re.compile(r"[a-z0-9]+")
_BRACKETS = re.compile(r"\(([^()]*)\)")


PROPERTY_ONLY = 50.0


def clean(text: str) -> str:
    """Text as the user means it: NFKC-normalised, without format characters (category Cf:
    zero-width spaces and joiners, bidi marks and isolates, soft hyphens, byte-order marks)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


class NoCandidates(Exception):
    """A query no agency can answer (an unknown type or party): its result is empty."""


@dataclass(frozen=True)
class Entity:
    """One agency as the service knows it."""

    id: str  # "khm/mosvy": the URI is AGENCY_SPACE + id
    name: str
    names: tuple[str, ...]  # the name and every alias
    party: str | None  # lower-case ISO3
    party_name: str | None
    kind: str  # "ministry"
    kind_label: str
    parent_name: str | None = None
    parent: str | None = None  # the parent body's id

    @property
    def description(self) -> str:
        parts = [self.party_name or "international", self.kind_label]
        if self.parent_name:
            parts.append(f"part of {self.parent_name}")
        return " · ".join(parts)


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(normalise(text)) if w not in _STOPWORDS]


def variants(text: str) -> list[tuple[str, float]]:
    """The name, the part outside brackets and each part inside them, with the weight a match
    on each counts for ("A (B)" -> A (B) 1.0, A 0.95, B 0.85: "(Immigration Department)" alone
    is a weaker hint than the whole name)."""
    out = [(text, 1.0)]
    outside = _BRACKETS.sub(" ", text).strip()
    if outside and outside != text:
        out.append((outside, 0.95))
    out.extend((m.strip(), 0.85) for m in _BRACKETS.findall(text) if m.strip())
    return out


def _word_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if min(len(a), len(b)) < 4:
        return 0.0
    ratio = SequenceMatcher(None, a, b).ratio()
    return ratio if ratio >= 0.75 else 0.0


def _word_score(query: list[str], label: list[str]) -> float:
    """Dice overlap of two word lists, each query word matched to its most similar label word."""
    if not query or not label:
        return 0.0
    matched = 0.0
    free = list(label)
    for w in query:
        best, where = 0.0, -1
        for i, x in enumerate(free):
            s = _word_similarity(w, x)
            if s > best:
                best, where = s, i
        if where >= 0:
            matched += best
            free.pop(where)
    return 2 * matched / (len(query) + len(label))


def _acronym(label: str) -> str:
    return "".join(w[0] for w in words(label))


def similarity(query: str, label: str) -> float:
    """0-90: how alike a query and one name are (exact equality is scored by the caller)."""
    best = 0.0
    label_norm = normalise(label)
    label_words = words(label)
    for q, weight in variants(query):
        qn = normalise(q)
        if not qn:
            continue
        if qn == label_norm:
            best = max(best, weight)
            continue
        score = max(
            _word_score(words(q), label_words),
            SequenceMatcher(None, qn, label_norm).ratio(),
        )
        compact = qn.replace(" ", "")
        short = 2 <= len(compact) <= 8 and " " not in qn and len(label_words) >= 2
        if short and compact == _acronym(label):
            score = max(score, ACRONYM / FUZZY_MAX)
        best = max(best, score * weight)
    return round(best * FUZZY_MAX, 1)


class Reconciler:
    def __init__(self, entities: Iterable[Entity], party_names: Mapping[str, str] | None = None):
        """``party_names``: names and aliases of the parties -> lower-case ISO3 code."""
        self.entities = sorted(entities, key=lambda e: e.id)
        self._by_id = {e.id: e for e in self.entities}
        self._index: dict[str, list[Entity]] = {}
        for e in self.entities:
            for key in {normalise(clean(n)) for n in e.names}:
                self._index.setdefault(key, []).append(e)
        self._party_names: dict[str, str] = {}
        for e in self.entities:
            if e.party:
                self._party_names[e.party] = e.party
                if e.party_name:
                    self._party_names[normalise(e.party_name)] = e.party
        for name, code in (party_names or {}).items():
            self._party_names[normalise(name)] = code.lower()
        self.kinds = sorted({(e.kind, e.kind_label) for e in self.entities})

    # -- construction ---------------------------------------------------------------

    @classmethod
    def from_store(cls, store: Store, api_queries: Path) -> Reconciler:
        """The index from the graph (``api_queries``: the folder of queries/api/*.rq)."""
        catalog = load_catalog(api_queries)
        parties = {
            name: r["code"].lower()
            for r in store.select(catalog["reconcile-parties"].text)
            for name in (r["code"], r["name"])
        }
        entities = []
        for r in store.select(catalog["reconcile-agencies"].text):
            agency_id = r["agency"].removeprefix(AGENCY_SPACE)
            aliases = [a for a in r.get("altLabels", "").split(SEPARATOR) if a]
            kind = r.get("kind", "").removeprefix(KIND_BASE)
            entities.append(
                Entity(
                    id=agency_id,
                    name=r["label"],
                    names=(r["label"], *sorted(aliases)),
                    party=(r.get("partyCode") or "").lower() or None,
                    party_name=r.get("partyLabel"),
                    kind=kind,
                    kind_label=r.get("kindLabel") or kind,
                    parent_name=r.get("parentLabel"),
                    parent=(r.get("parent") or "").removeprefix(AGENCY_SPACE) or None,
                )
            )
        return cls(entities, parties)

    @classmethod
    def from_registry(cls, registry: Registry) -> Reconciler:
        """The same index straight from data/agencies.yaml (no graph needed)."""
        entities = []
        for a in registry.agencies.values():
            party = registry.parties.get(a.party) if a.party else None
            parent = registry.agencies.get(a.parent) if a.parent else None
            entities.append(
                Entity(
                    id=a.id,
                    name=a.name,
                    names=(a.name, *a.aliases),
                    party=a.party,
                    party_name=party.name if party else None,
                    kind=a.kind,
                    kind_label=a.kind.replace("-", " "),
                    parent_name=parent.name if parent else None,
                    parent=parent.id if parent else None,
                )
            )
        parties = {
            name: p.id
            for p in registry.parties.values()
            for name in (p.id, p.country_code, p.name, *p.aliases)
        }
        return cls(entities, parties)

    # -- the service ------------------------------------------------------------------

    def manifest(self, base_url: str) -> dict[str, Any]:
        """The service manifest (GET /reconcile without queries)."""
        base = base_url.rstrip("/")
        return {
            "versions": ["0.2"],
            "name": "plangraph agencies",
            "identifierSpace": AGENCY_SPACE,
            "schemaSpace": SCHEMA_SPACE,
            "documentation": base + "/docs",
            "defaultTypes": [AGENCY_TYPE],
            "view": {"url": base + "/id/agency/{{id}}"},
            "batchSize": 20,
            # plangraph.views.reconcile_services; server.reconcile_services serves them
            "suggest": {
                kind: {"service_url": base, "service_path": f"/reconcile/suggest/{kind}"}
                for kind in ("entity", "type", "property")
            },
            "preview": {"url": base + "/reconcile/preview?id={{id}}", "width": 400, "height": 180},
            "extend": {
                "propose_properties": {
                    "service_url": base,
                    "service_path": "/reconcile/extend/propose",
                },
                "property_settings": [],
            },
        }

    def party_code(self, value: object, param: str = "party") -> str:
        """A party given as code ("KHM", "khm") or name ("Cambodia") -> "khm"."""
        if isinstance(value, Mapping):
            value = value.get("id") or value.get("name")
        text = normalise(clean(str(value or "")))
        code = self._party_names.get(text) or self._party_names.get(text.removeprefix("party/"))
        if code is None:
            raise QueryError(f"unknown party {value!r}", param=param)
        return code

    def kinds_of(self, names: Iterable[object]) -> set[str] | None:
        """The agency kinds a list of types allows (None: every kind); NoCandidates if none."""
        wanted = {
            clean(str(t.get("id") if isinstance(t, Mapping) else t)).removeprefix(KIND_BASE)
            for t in names
            if t
        }
        if not wanted or {"Agency", SCHEMA_SPACE + "Agency"} & wanted:
            return None
        kinds = wanted & {k for k, _ in self.kinds}
        if not kinds:
            raise NoCandidates
        return kinds

    def _filters(
        self, query: Mapping[str, Any]
    ) -> tuple[set[str] | None, set[str] | None, set[str] | None]:
        """(kinds, parties, ids) the query allows (None: any); NoCandidates if none."""
        raw_type = query.get("type")
        types = raw_type if isinstance(raw_type, list) else [raw_type] if raw_type else []
        kinds = self.kinds_of(types)
        parties: set[str] | None = None
        ids: set[str] | None = None
        props = query.get("properties") or []
        if not isinstance(props, list):
            raise QueryError("'properties' must be a list", param="properties")
        for prop in props:
            if not isinstance(prop, Mapping):
                raise QueryError("each property must be an object", param="properties")
            pid = str(prop.get("pid") or prop.get("p") or "").removeprefix(SCHEMA_SPACE)
            raw = prop.get("v")
            values = [v for v in (raw if isinstance(raw, list) else [raw]) if v not in (None, "")]
            if pid == "party":
                codes = set()
                for v in values:
                    try:
                        codes.add(self.party_code(v))
                    except QueryError:
                        continue  # an unknown party has no agencies
                if not codes:
                    raise NoCandidates
                parties = codes if parties is None else parties & codes
            elif pid == "kind":
                allowed = self.kinds_of(values)
                if allowed is not None:
                    kinds = allowed if kinds is None else kinds & allowed
            elif pid == "id":
                named = set()
                for v in values:
                    text = clean(str(v.get("id") if isinstance(v, Mapping) else v))
                    named.add(text.strip().removeprefix(AGENCY_SPACE))
                ids = named if ids is None else ids & named
            # other properties: not known to the service, ignored
        if kinds is not None and not kinds:
            raise NoCandidates
        return kinds, parties, ids

    @staticmethod
    def _limit(query: Mapping[str, Any]) -> int:
        limit = query.get("limit", DEFAULT_LIMIT)
        if isinstance(limit, str):
            try:
                limit = float(limit)
            except ValueError:
                raise QueryError("'limit' must be a number", param="limit") from None
        if isinstance(limit, bool) or not isinstance(limit, (int, float)):
            raise QueryError("'limit' must be a number", param="limit")
        if not math.isfinite(limit) or limit < 1:
            raise QueryError("'limit' must be at least 1", param="limit")
        return min(int(limit), MAX_LIMIT)

    def reconcile(self, query: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Candidates for one query ({"query", "type", "limit", "properties"}), best first;
        QueryError for a query the service cannot read (the batch answers it with no
        candidates and the error)."""
        raw = query.get("query")
        if raw is not None and not isinstance(raw, str):
            raise QueryError("'query' must be a string", param="query")
        text = clean(raw or "")
        if len(text) > MAX_NAME:
            raise QueryError(f"a query is longer than {MAX_NAME} characters", param="query")
        if not text.strip() and not query.get("properties"):
            raise QueryError("a query needs a non-empty 'query' or 'properties'", param="query")
        limit = self._limit(query)
        try:
            kinds, parties, ids = self._filters(query)
        except NoCandidates:
            return []

        def allowed(e: Entity) -> bool:
            if ids is not None and e.id not in ids:
                return False
            if kinds is not None and e.kind not in kinds:
                return False
            return parties is None or e.party is None or e.party in parties

        if not text.strip():
            if kinds is None and parties is None and ids is None:
                return []  # only properties the service does not know: nothing to go by
            base = EXACT_UNIQUE if ids is not None else PROPERTY_ONLY
            chosen = [e for e in self.entities if allowed(e)]
            if parties:  # the party's own first, then the international bodies
                chosen.sort(key=lambda e: (e.party not in parties, e.id))
            score = base if len(chosen) == 1 or ids is None else EXACT_SHARED
            return [self._candidate(e, score) for e in chosen[:limit]]
        exact = [e for e in self._index.get(normalise(text), []) if allowed(e)]
        if parties and len(exact) > 1:  # prefer the party's own over an international body
            own = [e for e in exact if e.party in parties]
            exact = own or exact
        scores: dict[str, float] = {}
        for e in exact:
            scores[e.id] = EXACT_UNIQUE if len(exact) == 1 else EXACT_SHARED
        for e in self.entities:
            if e.id in scores or not allowed(e):
                continue
            score = max(similarity(text, n) for n in e.names)
            if score >= MIN_SCORE:
                scores[e.id] = score
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [self._candidate(self._by_id[i], s) for i, s in ranked]

    def _candidate(self, e: Entity, score: float) -> dict[str, Any]:
        return {
            "id": e.id,
            "name": e.name,
            "score": score,
            "match": score == EXACT_UNIQUE,
            "type": [{"id": e.kind, "name": e.kind_label}],
            "description": e.description,
        }

    def reconcile_batch(self, queries: object) -> dict[str, dict[str, Any]]:
        """``{"q0": {...}, ...}`` -> ``{"q0": {"result": [...]}, ...}``, query by query: a
        query the service cannot read gets ``{"result": [], "error": {...}}``."""
        if not isinstance(queries, Mapping) or not queries:
            raise QueryError("'queries' must be a non-empty JSON object", param="queries")
        if len(queries) > MAX_QUERIES:
            raise QueryError(f"at most {MAX_QUERIES} queries per request", param="queries")
        out: dict[str, dict[str, Any]] = {}
        for key, query in queries.items():
            try:
                if not isinstance(query, Mapping):
                    raise QueryError(f"query {key!r} is not an object", param="queries")
                out[str(key)] = {"result": self.reconcile(query)}
            except QueryError as exc:
                out[str(key)] = {"result": [], "error": exc.to_json()}
        return out
