"""Overlap detection: kinds of work that several plans promise, with the evidence spelled out.

Computed at build time from the records (:func:`detect`), written by :mod:`plangraph.graph.mapping`
into
the named graph ``graph/overlaps`` of the committed dataset (each kind a ``pg:Overlap`` and a
``pg:KindOfWork``, a SKOS concept under its themes), and read back through SPARQL
(``queries/overlaps/*.rq``, :class:`plangraph.views.overlaps.OverlapReader`) by the API and
the report page, so those work on any store holding the dataset.

**Items.** Every step (activity, sub-activity, work item, quarterly item) of every plan, with
its text, its parent, its themes (:mod:`plangraph.analysis.themes`), its agencies (resolved registry
keys; catch-all groups left out; a step with none takes its parent's), its parties (those of
its agencies and of ``on behalf of``; else the plan's) and its years (its own; else its
quarters'; else its parent's; else the plan's period).

**Similarity** (:mod:`plangraph.analysis.overlaps.similarity`): a weighted sum of signals (TF-IDF,
static
embeddings, the lexicon of equivalent phrases, themes, agencies). :data:`METHODS` are the
combinations compared on the labelled set ``tests/data/overlaps/kinds.yaml``
(``bench/overlap_accuracy.py``: chosen by cross-validation by kind within its development
split, thresholds refit on that split, figures on its test split measured once);
:data:`CHOSEN` is the one with the best cross-validated recall at a cross-validated precision
of at least 0.88, and the one the build uses.

**Kinds** (:mod:`plangraph.analysis.overlaps.kinds`): average-linkage clusters at the method's
threshold, a step
never beside its own sub-step, members of at least two plans, every member with its score
and evidence.

Everything is deterministic: sorted inputs, similarities rounded to 4 places before any
threshold, no randomness, no clocks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plangraph.analysis.overlaps.kinds import (
    Context,
    Kind,
    cluster,
    document_frequencies,
    make_kind,
    prune_descendants,
)
from plangraph.analysis.overlaps.lexicon import LEXICON_NAME, Lexicon, load_lexicon
from plangraph.analysis.overlaps.similarity import Method, dense_similarity, features, prepare
from plangraph.analysis.themes import Tagging
from plangraph.sources.catalog import Document
from plangraph.sources.model import Activity, Plan
from plangraph.sources.registry import Registry

EXCLUDED_AGENCY_KINDS = {"unspecified-group"}

# The methods compared on the labelled set; threshold and strong level tuned on its
# development split (bench/overlap_accuracy.py: best dev F1 at dev precision >= 0.88; the
# choice among them by cross-validation by kind within dev).
_METHODS: tuple[tuple[str, dict[str, float], float, float, str], ...] = (
    # name, weights, threshold, strong level (both tuned on dev), what it is
    ("tfidf", {"tfidf": 1.0}, 0.34, 0.3, "TF-IDF of the words (scikit-learn)"),
    ("embedding", {"embedding": 1.0}, 0.5, 0.6, "WordLlama static embeddings"),
    ("lexicon", {"lexicon": 1.0}, 0.54, 0.96, "the lexicon of equivalent phrases"),
    (
        "tfidf+themes+agencies",
        {"tfidf": 0.6, "themes": 0.25, "agencies": 0.15},
        0.36,
        0.3,
        "TF-IDF, themes and agencies",
    ),
    (
        "tfidf+embedding+themes+agencies",
        {"tfidf": 0.35, "embedding": 0.35, "themes": 0.2, "agencies": 0.1},
        0.4,
        0.46,
        "TF-IDF, embeddings, themes and agencies",
    ),
    ("lexicon+tfidf", {"lexicon": 0.7, "tfidf": 0.3}, 0.4, 0.68, "lexicon and TF-IDF"),
    (
        "lexicon+tfidf+embedding",
        {"lexicon": 0.6, "tfidf": 0.2, "embedding": 0.2},
        0.42,
        0.64,
        "lexicon, TF-IDF and embeddings",
    ),
    (
        "lexicon+tfidf+embedding+themes+agencies",
        {"lexicon": 0.5, "tfidf": 0.15, "embedding": 0.15, "themes": 0.1, "agencies": 0.1},
        0.36,
        0.56,
        "lexicon, TF-IDF, embeddings, themes and agencies",
    ),
)
METHODS: dict[str, Method] = {m[0]: Method(*m) for m in _METHODS}
CHOSEN = "lexicon"


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
    parent: str | None = None  # number of the step it is part of (pg:subActivityOf)

    @property
    def key(self) -> tuple[str, str]:
        return (self.plan, self.number)


@dataclass
class Detection:
    items: dict[tuple[str, str], Item]
    kinds: list[Kind]
    method: Method
    candidates: int = 0  # pairs at or above the threshold (the clustering's input)
    all_pairs: int = 0  # cross-plan pairs of steps
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
                    parent=a.parent if a.parent in by_number else None,
                )
            )
    return sorted(out, key=lambda i: i.key)


# ---------------------------------------------------------------------------------------
# Detection


def detect(
    plans: Sequence[tuple[Document, Plan]],
    tagging: Tagging,
    registry: Registry | None,
    lexicon: Lexicon,
    method: Method | None = None,
    theme_labels: Mapping[str, str] | None = None,
) -> Detection:
    items = items_from_plans(plans, tagging, registry)
    plan_labels = {p.slug: d.plan.title for d, p in plans}
    return detect_items(items, registry, lexicon, method, theme_labels, plan_labels)


def detect_items(
    items: Sequence[Item],
    registry: Registry | None,
    lexicon: Lexicon | None = None,
    method: Method | None = None,
    theme_labels: Mapping[str, str] | None = None,
    plan_labels: Mapping[str, str] | None = None,
) -> Detection:
    """Kinds of work among ``items`` (any order: they are sorted first)."""
    method = method or METHODS[CHOSEN]
    items = sorted(items, key=lambda i: i.key)
    by_key = {it.key: it for it in items}
    parents = {it.key: by_key.get((it.plan, it.parent)) if it.parent else None for it in items}
    lex = lexicon or Lexicon([])
    signals = prepare(items, parents, lex)
    z = features(method, items, signals)
    clusters = cluster(z, method.threshold)

    labels = dict(theme_labels or {})
    ctx = Context(
        method=method,
        steps=by_key,
        years={it.key: it.years for it in items},
        # evidence from each step's own text (a short step is compared with its parent's
        # text before it, but its evidence shows only its own words)
        lexicon={it.key: lex.match(it.text, it.parties) for it in items},
        agency_labels=_agency_labels(registry),
        party_labels=_party_labels(registry),
        theme_labels=labels,
        plan_labels=dict(plan_labels or {}),
        df=document_frequencies([it.text for it in items]),
        corpus=len(items),
    )
    kinds = [
        make_kind([items[r].key for r in kept], sim, ctx)
        for kept, sim in member_rows(items, z, clusters)
    ]
    kinds.sort(key=lambda k: (-len(k.plans), -len(k.members), -k.score, k.key))
    plans = Counter(it.plan for it in items)
    all_pairs = sum(plans[a] * plans[b] for a in plans for b in plans if a < b)
    return Detection(
        items=by_key,
        kinds=kinds,
        method=method,
        candidates=sum(len(c) * (len(c) - 1) // 2 for c in clusters),
        all_pairs=all_pairs,
        theme_labels=labels,
    )


def member_rows(
    items: Sequence[Item], z: Any, clusters: Sequence[Sequence[int]]
) -> list[tuple[list[int], Any]]:
    """The members of each cluster (rows of ``items``, sorted by key) once a step beside its
    own sub-step is pruned, for the clusters spanning two plans at least, each with the
    similarity matrix of its members."""
    position = {it.key: i for i, it in enumerate(items)}

    def ancestors(i: int) -> set[int]:
        out: set[int] = set()
        it = items[i]
        while it.parent and (it.plan, it.parent) in position:
            j = position[(it.plan, it.parent)]
            if j in out:
                break
            out.add(j)
            it = items[j]
        return out

    out = []
    for rows in clusters:
        sim = dense_similarity(z, rows)
        at = {r: i for i, r in enumerate(rows)}
        kept = prune_descendants(list(rows), _lookup(sim, at), ancestors)
        if len({items[r].plan for r in kept}) < 2:
            continue
        keep = [at[r] for r in kept]
        out.append((kept, sim[keep][:, keep]))
    return out


def member_groups(items: Sequence[Item], z: Any, threshold: float) -> list[list[tuple[str, str]]]:
    """The members (keys) of the kinds at ``threshold``, without their evidence: what the
    benchmark's sweeps and cross-validation need (``items`` sorted by key, ``z`` their
    features)."""
    rows = member_rows(items, z, cluster(z, threshold))
    return [[items[r].key for r in kept] for kept, _ in rows]


def _lookup(sim: Any, at: Mapping[int, int]) -> Callable[[int, int], float]:
    return lambda a, b: float(sim[at[a], at[b]])


def _agency_labels(registry: Registry | None) -> dict[str, str]:
    if registry is None:
        return {}
    return {k: a.name for k, a in registry.agencies.items()}


def _party_labels(registry: Registry | None) -> dict[str, str]:
    if registry is None:
        return {}
    return {k: p.name for k, p in registry.parties.items()}


def lexicon_for(root: Path) -> Lexicon:
    """The lexicon of the project at ``root`` (data/overlaps/lexicon.yaml)."""
    return load_lexicon(root / "data" / "overlaps" / LEXICON_NAME)
