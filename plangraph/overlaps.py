"""Overlap detection: activities that several plans promise, with the reasons spelled out.

Computed at build time from the records (:func:`detect`), written by :mod:`plangraph.rdf` into
the named graph ``graph/overlaps`` of the committed dataset, and read back through SPARQL
(``queries/overlaps/*.rq``, :func:`read_overlaps`, :func:`read_coverage`) by the API and the
report page, so those work on any store holding the dataset.

**Items.** Every step (activity, sub-activity, work item, quarterly item) of every plan, with
its text, its themes (:mod:`plangraph.themes`), its agencies (resolved registry keys; catch-all
groups left out; a step with none takes its parent's), its parties (those of its agencies and
of ``on behalf of``; else the plan's) and its years (its own; else its quarters'; else its
parent's; else the plan's period).

**Candidates (blocking).** Only pairs of steps from *different plans* that share a theme or
share one of their :data:`TOP_TERMS` highest-weighted words are scored, through inverted
indexes (theme -> steps, word -> steps), never all pairs.

**Score** (0..1), a weighted sum (:data:`WEIGHTS`):

* ``lexical`` — cosine of TF-IDF vectors of the texts (lower-cased, light suffix stripping,
  unigrams and bigrams, sublinear term frequency, domain stop words such as *trafficking*,
  *human*, *develop*, *organize* and country names that every plan repeats);
* ``themes`` — Jaccard similarity of the two theme sets;
* ``agencies`` — 1 if they share an agency, 0.5 if an agency of one is a parent, child or
  sibling of an agency of the other (``org:subOrganizationOf``), else 0;
* ``parties`` — Jaccard similarity of the party sets;
* ``years`` — Jaccard similarity of the year sets (the five plans' periods do not overlap, so
  this is 0 on the real data unless steps are rescheduled; it is kept for new plans).

**Groups.** Pairs at or above the threshold (:data:`DEFAULT_THRESHOLD`, chosen on the
labelled set ``tests/data/overlaps/pairs.yaml``, see ``bench/overlap_accuracy.py``) are
linked; each connected component is a group. A component larger than
:data:`MAX_GROUP` is split by raising the threshold inside it step by step, so chains of
loosely similar steps do not merge into one blob. Each group carries its reasons: the themes,
words, agencies and years that members from at least two plans have in common.

Everything is deterministic: sorted inputs, no randomness, no clocks.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .agencies import Registry
from .catalog import Document
from .errors import NotFound, QueryError
from .model import Activity, Plan
from .themes import Tagging

WEIGHTS = {"lexical": 0.55, "themes": 0.2, "agencies": 0.15, "parties": 0.05, "years": 0.05}
DEFAULT_THRESHOLD = 0.16
MAX_GROUP = 8
TOP_TERMS = 8
# Blocks (items sharing a theme or a top word) larger than MAX_BLOCK (never on the real
# plans: 279 activities in all) pair each item with its WINDOW neighbours in TF-IDF order
# only: linear, not quadratic. Past LARGE_CORPUS items every block above LARGE_MAX_BLOCK is
# read that way (LARGE_WINDOW neighbours): all pairs of blocks of a few hundred items took
# minutes to score on a 100k-triple synthetic corpus (2,925 activities).
MAX_BLOCK = 2000
WINDOW = 20
LARGE_CORPUS = 2000
LARGE_MAX_BLOCK = 50
LARGE_WINDOW = 5
STEM_LENGTH = 7
BIGRAMS = True
SPLIT_STEP = 0.02
EXCLUDED_AGENCY_KINDS = {"unspecified-group"}

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "according",
        "across",
        "after",
        "against",
        "all",
        "also",
        "among",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "based",
        "be",
        "been",
        "being",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "each",
        "either",
        "etc",
        "for",
        "from",
        "further",
        "given",
        "has",
        "have",
        "having",
        "how",
        "if",
        "in",
        "including",
        "into",
        "is",
        "it",
        "its",
        "may",
        "more",
        "most",
        "must",
        "need",
        "needs",
        "no",
        "not",
        "of",
        "on",
        "one",
        "or",
        "other",
        "others",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "two",
        "under",
        "up",
        "upon",
        "use",
        "used",
        "using",
        "via",
        "was",
        "well",
        "were",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "will",
        "with",
        "within",
        "would",
        "eg",
        "e",
        "g",
        "i",
        "ii",
        "iii",
        "iv",
        "v",
        "vi",
        "human",
        "trafficking",
        "traffick",
        "trafficked",
        "persons",
        "person",
        "tip",
        "anti",
        "counter",
        "combat",
        "combating",
        "combatting",
        "sexual",
        "exploitation",
        "develop",
        "development",
        "organize",
        "organise",
        "conduct",
        "implement",
        "implementation",
        "continue",
        "ensure",
        "relevant",
        "concerned",
        "country",
        "countries",
        "party",
        "parties",
        "cambodia",
        "cambodian",
        "china",
        "chinese",
        "thailand",
        "thai",
        "viet",
        "vietnam",
        "nam",
        "lao",
        "pdr",
        "myanmar",
        "khmer",
        "kingdom",
        "royal",
        "government",
        "governments",
        "ministry",
        "ministries",
        "national",
        "sub",
        "regional",
        "region",
        "level",
        "levels",
        "activity",
        "activities",
        "issue",
        "issues",
        "provide",
        "support",
        "strengthen",
        "improve",
        "increase",
        "promote",
        "facilitate",
        "establish",
        "create",
        "make",
        "based",
        "basis",
        "annual",
        "annually",
        "existing",
        "new",
        "relevant",
        "appropriate",
        "effective",
        "effectively",
        "key",
        "especially",
        "particular",
        "particularly",
    ]
)
_TOKEN = re.compile(r"[a-z][a-z\-]*[a-z]|[a-z]")


def stem(word: str) -> str:
    """A light suffix stripper, then the first :data:`STEM_LENGTH` letters: enough to match
    the noun and verb forms of one word (identify, identifying, identification -> identif)."""
    for suffix, repl in (
        ("ications", "ic"),
        ("ication", "ic"),
        ("ations", "at"),
        ("ation", "at"),
        ("ies", "y"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)] + repl
            break
    return word[:STEM_LENGTH]


def tokens(text: str) -> list[str]:
    out = []
    for raw in _TOKEN.findall(text.lower()):
        for w in raw.split("-"):
            if w and w not in STOP_WORDS and len(w) > 1:
                s = stem(w)
                if s not in STOP_WORDS:
                    out.append(s)
    return out


def terms(text: str) -> list[str]:
    """Unigrams and bigrams (as "a b") of the text's tokens."""
    toks = tokens(text)
    if not BIGRAMS:
        return toks
    return toks + [f"{a} {b}" for a, b in itertools.pairwise(toks)]


@dataclass(frozen=True)
class Item:
    plan: str
    number: str
    kind: str
    text: str
    themes: frozenset[str]
    agencies: frozenset[str]
    parties: frozenset[str]
    years: frozenset[int]

    @property
    def key(self) -> tuple[str, str]:
        return (self.plan, self.number)


@dataclass(frozen=True)
class Pair:
    a: tuple[str, str]
    b: tuple[str, str]
    score: float
    parts: dict[str, float]
    shared_themes: tuple[str, ...]
    shared_words: tuple[str, ...]
    shared_agencies: tuple[str, ...]
    shared_years: tuple[int, ...]


@dataclass
class Group:
    id: str
    members: list[tuple[str, str]]
    score: float  # mean score of the linking pairs
    pairs: int
    shared_themes: list[str]
    shared_words: list[str]
    shared_agencies: list[str]
    shared_years: list[int]
    reason: str


@dataclass
class Detection:
    items: dict[tuple[str, str], Item]
    pairs: list[Pair]  # every scored candidate pair, best first
    groups: list[Group]
    threshold: float
    candidates: int = 0
    all_pairs: int = 0
    theme_labels: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# Items from records


def _years(a: Activity, by_number: Mapping[str, Activity], period: range) -> frozenset[int]:
    seen: set[str] = set()
    while True:
        if a.years:
            return frozenset(a.years)
        q = {int(x[:4]) for x in a.quarters if x[:4].isdigit()}
        if q:
            return frozenset(q)
        if a.parent is None or a.parent in seen or a.parent not in by_number:
            return frozenset(period)
        seen.add(a.parent)
        a = by_number[a.parent]


def items_from_plans(
    plans: Sequence[tuple[Document, Plan]], tagging: Tagging, registry: Registry | None
) -> list[Item]:
    out = []
    for document, plan in plans:
        meta = document.plan
        by_number = {a.number: a for a in plan.activities}
        period = range(meta.start_year, meta.end_year + 1)
        for a in plan.activities:
            agencies: set[str] = set()
            parties: set[str] = set()
            step: Activity | None = a
            while step is not None and not agencies:
                for c in step.commitments:
                    key = c.mention.resolved
                    if key is None:
                        continue
                    if c.on_behalf_of:
                        parties.add(c.on_behalf_of)
                    if key.startswith("party/"):
                        parties.add(key.split("/", 1)[1])
                        continue
                    entry = registry.agencies.get(key) if registry else None
                    if entry is not None and entry.kind in EXCLUDED_AGENCY_KINDS:
                        continue
                    agencies.add(key)
                    if entry is not None and entry.party:
                        parties.add(entry.party)
                step = by_number.get(step.parent) if step.parent else None
            out.append(
                Item(
                    plan=plan.slug,
                    number=a.number,
                    kind=a.kind,
                    text=a.text,
                    themes=frozenset(tagging.themes(plan.slug, a.number)),
                    agencies=frozenset(agencies),
                    parties=frozenset(parties or meta.parties),
                    years=_years(a, by_number, period),
                )
            )
    return sorted(out, key=lambda i: i.key)


# ---------------------------------------------------------------------------------------
# Scoring


class TfIdf:
    def __init__(self, docs: Mapping[tuple[str, str], str]) -> None:
        self.counts = {k: Counter(terms(t)) for k, t in docs.items()}
        df: Counter[str] = Counter()
        for c in self.counts.values():
            df.update(c.keys())
        n = len(self.counts)
        self.idf = {t: math.log((1 + n) / (1 + d)) + 1 for t, d in df.items()}
        self.vectors: dict[tuple[str, str], dict[str, float]] = {}
        for k, c in self.counts.items():
            v = {t: (1 + math.log(f)) * self.idf[t] for t, f in c.items()}
            norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
            self.vectors[k] = {t: x / norm for t, x in v.items()}

    def cosine(self, a: tuple[str, str], b: tuple[str, str]) -> float:
        va, vb = self.vectors[a], self.vectors[b]
        if len(va) > len(vb):
            va, vb = vb, va
        return sum(x * vb.get(t, 0.0) for t, x in va.items())

    def shared(self, a: tuple[str, str], b: tuple[str, str], n: int = 5) -> tuple[str, ...]:
        va, vb = self.vectors[a], self.vectors[b]
        common = [(va[t] * vb[t], t) for t in va.keys() & vb.keys() if " " not in t]
        return tuple(t for _, t in sorted(common, key=lambda x: (-x[0], x[1]))[:n])

    def top(self, key: tuple[str, str], n: int) -> list[str]:
        v = self.vectors[key]
        return [t for t, _ in sorted(v.items(), key=lambda x: (-x[1], x[0]))[:n]]


def _jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _agency_score(
    a: frozenset[str], b: frozenset[str], registry: Registry | None
) -> tuple[float, tuple[str, ...]]:
    shared = a & b
    if shared:
        return 1.0, tuple(sorted(shared))
    if registry is None:
        return 0.0, ()
    related: set[str] = set()
    for x in a:
        ax = set(registry.ancestors(x)) if x in registry.agencies else set()
        px = registry.agencies[x].parent if x in registry.agencies else None
        for y in b:
            ay = set(registry.ancestors(y)) if y in registry.agencies else set()
            py = registry.agencies[y].parent if y in registry.agencies else None
            if y in ax or x in ay or (px is not None and px == py):
                related.update((x, y))
    return (0.5, tuple(sorted(related))) if related else (0.0, ())


def _weighted_jaccard(a: frozenset[str], b: frozenset[str], weight: Mapping[str, float]) -> float:
    union = sum(weight.get(t, 1.0) for t in a | b)
    return sum(weight.get(t, 1.0) for t in a & b) / union if union else 0.0


def theme_weights(items: Sequence[Item]) -> dict[str, float]:
    """IDF of each theme over the steps: a shared rare theme (hotlines) says more than a
    shared common one (training and capacity building)."""
    df = Counter(t for it in items for t in it.themes)
    n = len(items)
    return {t: math.log((1 + n) / (1 + d)) + 1 for t, d in df.items()}


def score_pair(
    a: Item,
    b: Item,
    tfidf: TfIdf,
    registry: Registry | None,
    weights: Mapping[str, float] | None = None,
) -> Pair:
    lexical = tfidf.cosine(a.key, b.key)
    agency, agencies = _agency_score(a.agencies, b.agencies, registry)
    parts = {
        "lexical": round(lexical, 4),
        "themes": round(_weighted_jaccard(a.themes, b.themes, weights or {}), 4),
        "agencies": agency,
        "parties": round(_jaccard(a.parties, b.parties), 4),
        "years": round(_jaccard(a.years, b.years), 4),
    }
    score = sum(WEIGHTS[k] * v for k, v in parts.items())
    first, second = sorted((a.key, b.key))
    return Pair(
        a=first,
        b=second,
        score=round(score, 4),
        parts=parts,
        shared_themes=tuple(sorted(a.themes & b.themes)),
        shared_words=tfidf.shared(a.key, b.key),
        shared_agencies=agencies,
        shared_years=tuple(sorted(a.years & b.years)),
    )


def candidate_pairs(items: Sequence[Item], tfidf: TfIdf) -> list[tuple[Item, Item]]:
    """Pairs from different plans sharing a theme or one of their top TF-IDF words (in a
    large block, only near neighbours in TF-IDF order)."""
    large = len(items) > LARGE_CORPUS
    max_block, window = (LARGE_MAX_BLOCK, LARGE_WINDOW) if large else (MAX_BLOCK, WINDOW)
    index: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        for t in it.themes:
            index["theme:" + t].append(it)
        for w in tfidf.top(it.key, TOP_TERMS):
            index["word:" + w].append(it)
    seen: set[tuple[tuple[str, str], tuple[str, str]]] = set()
    for bucket in index.values():
        huge = len(bucket) > max_block
        if huge:  # sorted neighbourhood, not all pairs
            bucket = sorted(bucket, key=lambda it: (tfidf.top(it.key, TOP_TERMS), it.key))
        for i, x in enumerate(bucket):
            for y in bucket[i + 1 : i + 1 + window] if huge else bucket[i + 1 :]:
                if x.plan != y.plan:
                    seen.add((min(x.key, y.key), max(x.key, y.key)))
    by_key = {it.key: it for it in items}
    return [(by_key[a], by_key[b]) for a, b in sorted(seen)]


# ---------------------------------------------------------------------------------------
# Groups


def _components(nodes: Iterable[tuple[str, str]], edges: Iterable[Pair]) -> list[list]:
    parent = {n: n for n in nodes}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for e in edges:
        ra, rb = find(e.a), find(e.b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict = defaultdict(list)
    for n in parent:
        groups[find(n)].append(n)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def _split(members: list, edges: list[Pair], threshold: float) -> list[list]:
    """Connected groups of ``members`` over the edges at or above ``threshold``; a group
    larger than MAX_GROUP is split again at a higher threshold (each with its own edges,
    handed out in one pass: linear in the edges per level)."""
    inside = [e for e in edges if e.score >= threshold]
    out = []
    large: dict[tuple[str, str], tuple[list, list[Pair]]] = {}
    group_of: dict[tuple[str, str], tuple[str, str]] = {}
    for comp in _components(members, inside):
        if len(comp) < 2:
            continue
        plans = {m[0] for m in comp}
        if len(plans) < 2:
            continue
        if len(comp) > MAX_GROUP:
            large[comp[0]] = (comp, [])
            group_of.update((m, comp[0]) for m in comp)
        else:
            out.append(comp)
    for e in inside:
        g = group_of.get(e.a)
        if g is not None and group_of.get(e.b) == g:
            large[g][1].append(e)
    for comp, sub in large.values():
        out.extend(_split(comp, sub, round(threshold + SPLIT_STEP, 4)))
    return out


def _shared_by_plans(values: dict[tuple[str, str], Iterable]) -> list:
    """Values that members of at least two different plans have."""
    plans_of: dict = defaultdict(set)
    for (plan, _), vs in values.items():
        for v in vs:
            plans_of[v].add(plan)
    return sorted(v for v, ps in plans_of.items() if len(ps) >= 2)


def make_group(
    members: list[tuple[str, str]],
    edges: list[Pair],
    items: Mapping[tuple[str, str], Item],
    tfidf: TfIdf,
    registry: Registry | None,
    theme_labels: Mapping[str, str],
) -> Group:
    mset = set(members)
    links = [e for e in edges if e.a in mset and e.b in mset]
    themes = _shared_by_plans({m: items[m].themes for m in members})
    agencies = _shared_by_plans({m: items[m].agencies for m in members})
    related = sorted({a for e in links for a in e.shared_agencies} - set(agencies))
    years = _shared_by_plans({m: items[m].years for m in members})
    words: Counter[str] = Counter()
    for e in links:
        for rank, w in enumerate(e.shared_words):
            words[w] += len(e.shared_words) - rank
    top_words = [w for w, _ in sorted(words.items(), key=lambda x: (-x[1], x[0]))[:6]]
    score = round(sum(e.score for e in links) / len(links), 4) if links else 0.0
    plans = sorted({m[0] for m in members})
    parts = [
        f"{len(members)} activities of {len(plans)} plans ({', '.join(plans)})",
        "shared themes: " + (", ".join(theme_labels.get(t, t) for t in themes) or "none"),
        "similar wording: " + (", ".join(top_words) or "none"),
        "same agencies: " + (", ".join(agencies) or "none"),
    ]
    if related:
        parts.append("related agencies: " + ", ".join(related))
    parts.append("overlapping years: " + (", ".join(map(str, years)) or "none"))
    digest = hashlib.sha256("|".join(f"{p}/{n}" for p, n in members).encode()).hexdigest()
    return Group(
        id=digest[:12],
        members=members,
        score=score,
        pairs=len(links),
        shared_themes=themes,
        shared_words=top_words,
        shared_agencies=agencies + related,
        shared_years=years,
        reason="; ".join(parts) + ".",
    )


def detect(
    plans: Sequence[tuple[Document, Plan]],
    tagging: Tagging,
    registry: Registry | None,
    threshold: float = DEFAULT_THRESHOLD,
    theme_labels: Mapping[str, str] | None = None,
) -> Detection:
    items = items_from_plans(plans, tagging, registry)
    return detect_items(items, registry, threshold, theme_labels)


def detect_items(
    items: Sequence[Item],
    registry: Registry | None,
    threshold: float = DEFAULT_THRESHOLD,
    theme_labels: Mapping[str, str] | None = None,
) -> Detection:
    by_key = {it.key: it for it in items}
    tfidf = TfIdf({it.key: it.text for it in items})
    cands = candidate_pairs(items, tfidf)
    tw = theme_weights(items)
    pairs = [score_pair(a, b, tfidf, registry, tw) for a, b in cands]
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    edges = [p for p in pairs if p.score >= threshold]
    nodes = sorted({k for e in edges for k in (e.a, e.b)})
    labels = dict(theme_labels or {})
    components = _split(nodes, edges, threshold)
    group_of = {m: i for i, comp in enumerate(components) for m in comp}
    links: list[list[Pair]] = [[] for _ in components]  # each group's edges, found in one pass
    for e in edges:
        i = group_of.get(e.a)
        if i is not None and group_of.get(e.b) == i:
            links[i].append(e)
    groups = [
        make_group(m, links[i], by_key, tfidf, registry, labels) for i, m in enumerate(components)
    ]
    groups.sort(key=lambda g: (-len(g.members), -g.score, g.id))
    plans = Counter(it.plan for it in items)
    all_pairs = sum(plans[a] * plans[b] for a in plans for b in plans if a < b)
    return Detection(
        items=by_key,
        pairs=pairs,
        groups=groups,
        threshold=threshold,
        candidates=len(cands),
        all_pairs=all_pairs,
        theme_labels=labels,
    )


# ---------------------------------------------------------------------------------------
# Reading the overlaps back through SPARQL (API and pages)

OVERLAP_COLUMNS = (
    "overlap",
    "score",
    "members",
    "plans",
    "themes",
    "words",
    "agencies",
    "years",
    "reason",
)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9\-]*$")


def _variables(sparql: str) -> list[str]:
    """Variables named before WHERE (projected ones, and some inside aggregates: harmless)."""
    return sorted(set(re.findall(r"\?(\w+)", sparql.split("WHERE", 1)[0])))


def _split_values(value: str | None) -> list[str]:
    return sorted(v for v in (value or "").split("|") if v)


def _value(row: Mapping[str, Any], name: str) -> str | None:
    v = row.get(name)
    return None if v is None else str(v)


class OverlapReader:
    """The overlap groups and the theme coverage of a store, read once through SPARQL."""

    def __init__(self, store: Any, queries_folder: Path) -> None:
        from .queries import (
            load_catalog,
        )  # queries imports the store, which imports build, which imports us

        self.queries = load_catalog(queries_folder)
        self.store = store
        self.groups = self._groups()
        self.themes = self._themes()
        self.plans = self._plans()

    def _select(self, name: str, bindings: dict | None = None) -> list[dict[str, str | None]]:
        q = self.queries[name]
        names = _variables(q.text)
        rows = self.store.select(q.text, bindings=bindings or None)
        return [{n: r.get(n) for n in names} | dict(r) for r in rows]

    def _groups(self) -> list[dict[str, Any]]:
        from .api import local_path, spans  # api imports the store (and so build, and so us)

        groups: dict[str, dict[str, Any]] = {}
        for r in self._select("overlap-members"):
            g = groups.get(r["overlap"])
            if g is None:
                g = groups[r["overlap"]] = {
                    "overlap": r["overlap"],
                    "id": r["overlap"].rsplit("/", 1)[-1],
                    "score": float(r["score"]),
                    "reason": r["reason"],
                    "themes": _split_values(r["themes"]),
                    "words": _split_values(r["words"]),
                    "agencies": _split_values(r["agencies"]),
                    "years": [int(y) for y in _split_values(r["years"])],
                    "members": [],
                }
            g["members"].append(
                {
                    "activity": r["activity"],
                    "plan": r["plan"],
                    "plan_slug": r["plan"].rsplit("/", 1)[-1],
                    "plan_label": r["planLabel"],
                    "number": r["number"],
                    "text": r["text"],
                    "parties": _split_values(r["parties"]),
                    "agencies": _split_values(r["memberAgencies"]),
                    "agency_labels": _split_values(r["agencyLabels"]),
                    "themes": _split_values(r["memberThemes"]),
                    "years": [int(y) for y in _split_values(r["memberYears"])]
                    or list(range(int(r["start"]), int(r["end"]) + 1)),
                    "spans": _split_values(r["spans"]),
                    "sources": [sp.to_json() for sp in spans(_split_values(r["spans"]))],
                    "href": local_path(r["activity"]),
                }
            )
        out = list(groups.values())
        for g in out:
            g["members"].sort(key=lambda m: (m["plan_slug"], m["number"]))
            g["plans"] = sorted({m["plan_slug"] for m in g["members"]})
            g["parties"] = sorted({p for m in g["members"] for p in m["parties"]})
            g["member_years"] = sorted({y for m in g["members"] for y in m["years"]})
        out.sort(key=lambda g: (-len(g["members"]), -g["score"], g["id"]))
        return out

    def _themes(self) -> list[dict[str, str | None]]:
        return self._select("themes")

    def _plans(self) -> list[dict[str, str | None]]:
        rows = self._select("coverage")
        seen: dict[str, str | None] = {}
        for r in rows:
            seen.setdefault(r["plan"], r["planLabel"])
        return [{"plan": p, "slug": p.rsplit("/", 1)[-1], "label": seen[p]} for p in sorted(seen)]

    def filter(
        self,
        theme: str | None = None,
        party: str | None = None,
        plan: str | None = None,
        year: int | None = None,
        min_score: float | None = None,
    ) -> list[dict[str, Any]]:
        """Groups matching every given filter; unknown identifiers raise NotFound."""
        if theme is not None and theme not in {t["slug"] for t in self.themes}:
            raise NotFound(f"unknown theme {theme!r}", param="theme")
        if plan is not None and plan not in {p["slug"] for p in self.plans}:
            raise NotFound(f"unknown plan {plan!r}", param="plan")
        if party is not None:
            if not _SLUG.match(party):
                raise QueryError(f"{party!r} is not a party code", param="party")
            party = party.lower()
        if min_score is not None and not 0 <= min_score <= 1:
            raise QueryError("min_score must be between 0 and 1", param="min_score")
        out = []
        for g in self.groups:
            if theme is not None and not any(t.endswith("/" + theme) for t in g["themes"]):
                continue
            if plan is not None and plan not in g["plans"]:
                continue
            if party is not None and not any(p.endswith("/" + party) for p in g["parties"]):
                continue
            if year is not None and year not in g["member_years"]:
                continue
            if min_score is not None and g["score"] < min_score:
                continue
            out.append(g)
        return out

    def coverage(self) -> dict[str, Any]:
        """Themes x plans: how many steps of each plan carry each theme (0 = a gap)."""
        counts: dict[tuple[str, str], int] = {}
        for r in self._select("coverage"):
            if r["theme"]:
                counts[(r["theme"], r["plan"])] = int(r["steps"] or 0)
        plans = self.plans
        rows = []
        for t in self.themes:
            cells = [counts.get((t["theme"], p["plan"]), 0) for p in plans]
            rows.append(
                {
                    "theme": t["theme"],
                    "slug": t["slug"],
                    "label": t["label"],
                    "pillar": t["pillar"],
                    "counts": dict(zip([p["slug"] for p in plans], cells, strict=True)),
                    "gaps": [p["slug"] for p, c in zip(plans, cells, strict=True) if c == 0],
                }
            )
        return {"plans": plans, "themes": rows}


def overlaps_csv(groups: Sequence[Mapping[str, Any]]) -> str:
    """One row per member activity of each group (CSV)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "overlap",
            "score",
            "plan",
            "number",
            "activity",
            "text",
            "parties",
            "agencies",
            "years",
            "shared_themes",
            "shared_words",
            "shared_agencies",
            "reason",
        ]
    )
    for g in groups:
        for m in g["members"]:
            w.writerow(
                [
                    g["overlap"],
                    f"{g['score']:.4f}",
                    m["plan_slug"],
                    m["number"],
                    m["activity"],
                    m["text"],
                    " ".join(p.rsplit("/", 1)[-1] for p in m["parties"]),
                    "; ".join(m["agency_labels"]),
                    " ".join(map(str, m["years"])),
                    " ".join(t.rsplit("/", 1)[-1] for t in g["themes"]),
                    " ".join(g["words"]),
                    " ".join(a.split("/id/", 1)[-1] for a in g["agencies"]),
                    g["reason"],
                ]
            )
    return buf.getvalue()
