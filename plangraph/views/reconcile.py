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

Query properties: ``party`` (an ISO 3166-1 alpha-3 code or the party's name) keeps the
agencies of that party and the international ones. Types: ``Agency`` (every agency) or an
agency kind (``ministry``, ``police``, ... as in the agency-kind scheme).

No web framework here: :mod:`server.reconcile` maps HTTP onto :class:`Reconciler`.
"""

from __future__ import annotations

import re
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
            for key in {normalise(n) for n in e.names}:
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
        }

    def party_code(self, value: object, param: str = "party") -> str:
        """A party given as code ("KHM", "khm") or name ("Cambodia") -> "khm"."""
        if isinstance(value, Mapping):
            value = value.get("id") or value.get("name")
        text = normalise(str(value or ""))
        code = self._party_names.get(text) or self._party_names.get(text.removeprefix("party/"))
        if code is None:
            raise QueryError(f"unknown party {value!r}", param=param)
        return code

    def _filters(self, query: Mapping[str, Any]) -> tuple[set[str] | None, set[str] | None]:
        kinds: set[str] | None = None
        raw_type = query.get("type")
        types = raw_type if isinstance(raw_type, list) else [raw_type] if raw_type else []
        names = [t.get("id") if isinstance(t, Mapping) else t for t in types]
        known = {k for k, _ in self.kinds}
        wanted = {str(t).removeprefix(KIND_BASE) for t in names if t}
        if wanted and not ({"Agency", SCHEMA_SPACE + "Agency"} & wanted):
            unknown = wanted - known
            if unknown:
                raise QueryError(f"unknown type(s) {sorted(unknown)}", param="type")
            kinds = wanted
        parties: set[str] | None = None
        for prop in query.get("properties") or []:
            if not isinstance(prop, Mapping):
                raise QueryError("each property must be an object", param="properties")
            pid = prop.get("pid") or prop.get("p")
            if pid not in ("party", SCHEMA_SPACE + "party"):
                raise QueryError(f"unknown property {pid!r} (known: party)", param="properties")
            values = prop.get("v")
            values = values if isinstance(values, list) else [values]
            parties = (parties or set()) | {self.party_code(v) for v in values if v}
        return kinds, parties

    def reconcile(self, query: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Candidates for one query ({"query", "type", "limit", "properties"}), best first."""
        text = query.get("query")
        if not isinstance(text, str) or not text.strip():
            raise QueryError("each query needs a non-empty 'query' string", param="queries")
        if len(text) > MAX_NAME:
            raise QueryError(f"a query is longer than {MAX_NAME} characters", param="queries")
        limit = query.get("limit", DEFAULT_LIMIT)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise QueryError("'limit' must be a positive integer", param="queries")
        limit = min(limit, MAX_LIMIT)
        kinds, parties = self._filters(query)

        def allowed(e: Entity) -> bool:
            if kinds is not None and e.kind not in kinds:
                return False
            return parties is None or e.party is None or e.party in parties

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

    def reconcile_batch(self, queries: object) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """``{"q0": {...}, ...}`` -> ``{"q0": {"result": [...]}, ...}``."""
        if not isinstance(queries, Mapping) or not queries:
            raise QueryError("'queries' must be a non-empty JSON object", param="queries")
        if len(queries) > MAX_QUERIES:
            raise QueryError(f"at most {MAX_QUERIES} queries per request", param="queries")
        out = {}
        for key, query in queries.items():
            if not isinstance(query, Mapping):
                raise QueryError(f"query {key!r} is not an object", param="queries")
            out[str(key)] = {"result": self.reconcile(query)}
        return out
