"""Overlap detection: kinds of work that several plans promise, with the evidence spelled out.

Computed at build time from the records (:func:`detect`), written by :mod:`plangraph.rdf` into
the named graph ``graph/overlaps`` of the committed dataset (each kind a ``pg:Overlap`` and a
``pg:KindOfWork``, a SKOS concept under its themes), and read back through SPARQL
(``queries/overlaps/*.rq``, :class:`OverlapReader`) by the API and the report page, so those
work on any store holding the dataset.

**Items.** Every step (activity, sub-activity, work item, quarterly item) of every plan, with
its text, its parent, its themes (:mod:`plangraph.themes`), its agencies (resolved registry
keys; catch-all groups left out; a step with none takes its parent's), its parties (those of
its agencies and of ``on behalf of``; else the plan's) and its years (its own; else its
quarters'; else its parent's; else the plan's period).

**Similarity** (:mod:`plangraph.similarity`): a weighted sum of signals (TF-IDF, static
embeddings, the lexicon of equivalent phrases, themes, agencies). :data:`METHODS` are the
combinations compared on the labelled set ``tests/data/overlaps/kinds.yaml``
(``bench/overlap_accuracy.py``: thresholds tuned on its development split only, figures on
its test split reported once); :data:`CHOSEN` is the one with the best development F1 at a
development precision of at least 0.85, and the one the build uses.

**Kinds** (:mod:`plangraph.kinds`): average-linkage clusters at the method's threshold, a step
never beside its own sub-step, members of at least two plans, every member with its score
and evidence.

Everything is deterministic: sorted inputs, similarities rounded to 4 places before any
threshold, no randomness, no clocks.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .agencies import Registry
from .catalog import Document
from .errors import NotFound, QueryError
from .kinds import Context, Kind, cluster, document_frequencies, make_kind, prune_descendants
from .lexicon import LEXICON_NAME, Lexicon, load_lexicon
from .model import Activity, Plan
from .similarity import Method, dense_similarity, features, prepare
from .themes import Tagging

EXCLUDED_AGENCY_KINDS = {"unspecified-group"}
STEP_KINDS = {
    "Activity": "activity",
    "SubActivity": "sub-activity",
    "WorkItem": "work item",
    "QuarterlyActivity": "quarterly activity",
}
CONFIDENCES = ("strong", "possible")

# The methods compared on the labelled set; threshold and strong level tuned on its
# development split (bench/overlap_accuracy.py prints the sweep).
_METHODS: tuple[tuple[str, dict[str, float], float, float, str], ...] = (
    # name, weights, threshold, strong level (both tuned on dev), what it is
    ("tfidf", {"tfidf": 1.0}, 0.34, 0.3, "TF-IDF of the words (scikit-learn)"),
    ("embedding", {"embedding": 1.0}, 0.48, 0.6, "WordLlama static embeddings"),
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
        0.4,
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
    position = {it.key: i for i, it in enumerate(items)}
    parents = {it.key: by_key.get((it.plan, it.parent)) if it.parent else None for it in items}
    lex = lexicon or Lexicon([])
    signals = prepare(items, parents, lex)
    z = features(method, items, signals)
    clusters = cluster(z, method.threshold)

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
    kinds: list[Kind] = []
    for rows in clusters:
        sim = dense_similarity(z, rows)
        at = {r: i for i, r in enumerate(rows)}
        kept = prune_descendants(rows, _lookup(sim, at), ancestors)
        if len({items[r].plan for r in kept}) < 2:
            continue
        keep = [at[r] for r in kept]
        kinds.append(make_kind([items[r].key for r in kept], sim[keep][:, keep], ctx))
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


# ---------------------------------------------------------------------------------------
# Reading the overlaps back through SPARQL (API and pages)

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
        self.themes = self._themes()
        self.plans = self._plans()
        self.groups = self._groups()

    def _select(self, name: str, bindings: dict | None = None) -> list[dict[str, str | None]]:
        q = self.queries[name]
        names = _variables(q.text)
        rows = self.store.select(q.text, bindings=bindings or None)
        return [{n: r.get(n) for n in names} | dict(r) for r in rows]

    def _groups(self) -> list[dict[str, Any]]:
        from .api import local_path, spans  # api imports the store (and so build, and so us)

        groups: dict[str, dict[str, Any]] = {}
        for r in self._select("kinds"):
            groups[r["overlap"]] = {
                "overlap": r["overlap"],
                "id": r["overlap"].rsplit("/", 1)[-1],
                "label": r["label"] or "",
                "definition": r["definition"] or "",
                "score": float(r["score"]),
                "confidence": r["confidence"],
                "reason": r["reason"],
                "themes": _split_values(r["broader"]) or _split_values(r["themes"]),
                "shared_themes": _split_values(r["themes"]),
                "words": _split_values(r["words"]),
                "agencies": _split_values(r["agencies"]),
                "agency_labels": _split_values(r["sharedAgencyLabels"]),
                "years": [int(y) for y in _split_values(r["years"])],
                "members": [],
            }
        for r in self._select("overlap-members"):
            g = groups.get(r["overlap"])
            if g is None:
                continue
            step_kind = (r["stepKind"] or "").rsplit("#", 1)[-1]
            g["members"].append(
                {
                    "activity": r["activity"],
                    "plan": r["plan"],
                    "plan_slug": r["plan"].rsplit("/", 1)[-1],
                    "plan_label": r["planLabel"],
                    "number": r["number"],
                    "text": r["text"],
                    "step_kind": STEP_KINDS.get(step_kind, step_kind),
                    "score": float(r["memberScore"]),
                    "confidence": r["memberConfidence"],
                    "evidence": r["evidence"],
                    "shared_words": _split_values(r["memberWords"]),
                    "equivalent_words": _split_values(r["equivalentWords"]),
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
        every_plan = {p["slug"] for p in self.plans}
        for g in out:
            g["members"].sort(key=lambda m: (m["plan_slug"], m["number"]))
            g["plans"] = sorted({m["plan_slug"] for m in g["members"]})
            g["gaps"] = sorted(set(every_plan) - set(g["plans"]))
            g["parties"] = sorted({p for m in g["members"] for p in m["parties"]})
            g["member_years"] = sorted({y for m in g["members"] for y in m["years"]})
        out.sort(key=lambda g: (-len(g["plans"]), -len(g["members"]), -g["score"], g["id"]))
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
        confidence: str | None = None,
    ) -> list[dict[str, Any]]:
        """Kinds matching every given filter; unknown identifiers raise NotFound."""
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
        if confidence is not None and confidence not in CONFIDENCES:
            raise QueryError(
                f"confidence must be 'strong' or 'possible', not {confidence!r}",
                param="confidence",
            )
        out = []
        for g in self.groups:
            themes = set(g["themes"]) | set(g["shared_themes"])
            if theme is not None and not any(t.endswith("/" + theme) for t in themes):
                continue
            if plan is not None and plan not in g["plans"]:
                continue
            if party is not None and not any(p.endswith("/" + party) for p in g["parties"]):
                continue
            if year is not None and year not in g["member_years"]:
                continue
            if min_score is not None and g["score"] < min_score:
                continue
            if confidence is not None and g["confidence"] != confidence:
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


CSV_COLUMNS = (
    "overlap",
    "score",
    "plan",
    "number",
    "activity",
    "text",
    "kind_label",
    "kind_definition",
    "kind_themes",
    "kind_confidence",
    "plans",
    "gaps",
    "step_kind",
    "member_score",
    "member_confidence",
    "evidence",
    "parties",
    "agencies",
    "years",
    "sources",
    "shared_words",
    "reason",
)


def overlaps_csv(groups: Sequence[Mapping[str, Any]]) -> str:
    """One row per member step of each kind of work (CSV)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
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
                    g["label"],
                    g["definition"],
                    " ".join(t.rsplit("/", 1)[-1] for t in g["themes"]),
                    g["confidence"],
                    " ".join(g["plans"]),
                    " ".join(g["gaps"]),
                    m["step_kind"],
                    f"{m['score']:.4f}",
                    m["confidence"],
                    m["evidence"],
                    " ".join(p.rsplit("/", 1)[-1] for p in m["parties"]),
                    "; ".join(m["agency_labels"]),
                    " ".join(map(str, m["years"])),
                    " ".join(
                        f"{s['document']}:{s['startLine']}-{s['endLine']}" for s in m["sources"]
                    ),
                    "; ".join(g["words"]),
                    g["reason"],
                ]
            )
    return buf.getvalue()
