"""Kinds of work: steps of several plans that promise the same fundable work, found by
average-linkage clustering, each with its members' scores and the evidence a donor reads.

**Clustering.** :func:`cluster` cuts an average-linkage hierarchy (``scipy.cluster.hierarchy``)
at the method's threshold: a kind's members are, *on average*, at least that alike, so one
bridge step cannot chain two unrelated groups (connected components of a thresholded graph
would). The hierarchy is built per connected component of the pairs at or above the
threshold: average linkage never merges groups none of whose pairs reaches it, so this is
exact and keeps the matrices small. A component larger than :data:`MAX_COMPONENT` (never on
the real plans) is split at a threshold raised by :data:`SPLIT_STEP` until it fits.

**Members.** A step and its own sub-step (``pg:subActivityOf``, transitively) are never both
members: the one more alike to the rest of the kind stays (on a tie, the parent, which is the
promise the sub-step is part of). A kind needs members of at least two plans.

**Scores.** A member's score is its mean similarity to the other members; a kind's score the
mean similarity of its pairs of members of different plans; each rounded to 4 places.
``strong`` at or above the method's ``strong`` level (tuned on the development split of the
labelled set), else ``possible``.

**Evidence**, as a reader reads it: *shared phrases* (word sequences printed in the texts of
members of at least two plans, shown as printed), *equivalent phrases* (lexicon entries
several plans match, with each member's own words), the agencies (their names) and years
that members of at least two plans have, and the parties. The label is the kind's best
shared phrase as printed (else the equivalent phrases), the definition says what the
members promise and how the kind was found.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from plangraph.analysis.overlaps.lexicon import Match
from plangraph.analysis.overlaps.similarity import (
    STOP_WORDS,
    Method,
    Step,
    dense_similarity,
    similar_pairs,
    word_form,
)

MAX_COMPONENT = 3000
SPLIT_STEP = 0.05
MAX_PHRASES = 5
MIN_UNIGRAM = 4  # a shared single word must have at least this many letters
MIN_WEIGHT = 1.5  # mean inverse document frequency of a shared phrase's words, at least
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]|[A-Za-z]")


# ---------------------------------------------------------------------------------------
# Clustering


def _components(n: int, pairs: Sequence[tuple[int, int]]) -> list[list[int]]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[find(i)].append(i)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: g[0])


def _average_linkage(sim: np.ndarray, threshold: float) -> list[list[int]]:
    """Clusters (positions in ``sim``) whose average pairwise similarity is >= threshold."""
    n = sim.shape[0]
    if n == 2:
        return [[0, 1]] if sim[0, 1] >= threshold else []
    dist = np.clip(1.0 - sim, 0.0, None)
    np.fill_diagonal(dist, 0.0)
    tree = linkage(squareform(dist, checks=False), method="average")
    labels = fcluster(tree, t=1.0 - threshold + 1e-9, criterion="distance")
    groups: dict[int, list[int]] = defaultdict(list)
    for pos, label in enumerate(labels.tolist()):
        groups[label].append(pos)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: g[0])


def cluster(z: sparse.csr_matrix, threshold: float) -> list[list[int]]:
    """Average-linkage clusters (row indices of Z) at ``threshold``, per component."""
    out: list[list[int]] = []
    todo = [(list(range(z.shape[0])), threshold)]
    while todo:
        rows, t = todo.pop()
        sub = z[rows] if len(rows) != z.shape[0] else z
        for comp in _components(len(rows), similar_pairs(sub, t)):
            members = [rows[i] for i in comp]
            if len(members) > MAX_COMPONENT:
                todo.append((members, round(t + SPLIT_STEP, 4)))
                continue
            sim = dense_similarity(z, members)
            for c in _average_linkage(sim, threshold):
                out.append(sorted(members[i] for i in c))
    return sorted(out)


def cluster_similarity(sim: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage clusters at ``threshold`` of a dense, symmetric similarity matrix (any
    similarity, e.g. a learned pair score; the benchmark's experiments), per component."""
    upper = np.argwhere(np.triu(np.round(sim, 4) >= threshold, 1))
    out: list[list[int]] = []
    for comp in _components(sim.shape[0], [(int(a), int(b)) for a, b in upper]):
        for c in _average_linkage(sim[np.ix_(comp, comp)], threshold):
            out.append(sorted(comp[i] for i in c))
    return sorted(out)


def prune_descendants(
    members: list[int],
    sim: Callable[[int, int], float],
    ancestors: Callable[[int], set[int]],
) -> list[int]:
    """Never a step and its own sub-step: keep the one more alike to the others (tie: the
    parent)."""
    kept = sorted(members)
    while True:
        clash = next(
            ((a, d) for d in kept for a in sorted(ancestors(d)) if a in kept),
            None,
        )
        if clash is None:
            return kept
        a, d = clash
        others = [m for m in kept if m not in (a, d)]
        sa = sum(sim(a, m) for m in others) / len(others) if others else 0.0
        sd = sum(sim(d, m) for m in others) / len(others) if others else 0.0
        kept.remove(a if sd > sa else d)


# ---------------------------------------------------------------------------------------
# Kinds and their evidence


@dataclass
class Member:
    key: tuple[str, str]
    score: float
    confidence: str
    phrases: tuple[str, ...]  # the kind's shared phrases this member prints
    equivalents: tuple[tuple[str, tuple[str, ...]], ...]  # (lexicon entry, its own words)
    agencies: tuple[str, ...]  # registry keys shared with a member of another plan
    years: tuple[int, ...]  # years shared with a member of another plan
    parties: tuple[str, ...]
    evidence: str


@dataclass
class Kind:
    key: str
    members: list[Member]
    score: float
    confidence: str
    label: str
    definition: str
    themes: list[str]  # skos:broader: the themes held by members of two plans, else the commonest
    shared_themes: list[str]
    shared_phrases: list[str]
    equivalents: list[str]  # lexicon entries matched by members of two plans
    shared_agencies: list[str]
    shared_years: list[int]
    reason: str

    @property
    def plans(self) -> list[str]:
        return sorted({m.key[0] for m in self.members})


def _shared_by_plans(values: Mapping[tuple[str, str], Sequence]) -> list:
    plans_of: dict = defaultdict(set)
    for (plan, _), vs in values.items():
        for v in vs:
            plans_of[v].add(plan)
    return sorted(v for v, ps in plans_of.items() if len(ps) >= 2)


def _ngrams(text: str, longest: int = 5) -> dict[tuple[str, ...], str]:
    """Word sequences of ``text`` (lower-cased words) -> the sequence as printed; none
    starting or ending with a stop word, single words of at least MIN_UNIGRAM letters."""
    tokens = list(_TOKEN.finditer(text))
    lows = [t.group(0).lower() for t in tokens]
    out: dict[tuple[str, ...], str] = {}
    for i in range(len(tokens)):
        for n in range(1, longest + 1):
            j = i + n
            if j > len(tokens):
                break
            seq = tuple(lows[i:j])
            if seq[0] in STOP_WORDS or seq[-1] in STOP_WORDS:
                continue
            if n == 1 and len(seq[0]) < MIN_UNIGRAM:
                continue
            printed = text[tokens[i].start() : tokens[j - 1].end()]
            out.setdefault(seq, " ".join(printed.split()))
    return out


def shared_phrases(texts: Mapping[tuple[str, str], str], df: Mapping[str, int], n: int) -> list:
    """The word sequences printed in members of at least two plans, longest and rarest first,
    none contained in a longer one chosen before; as printed in the first member having it."""
    grams = {k: _ngrams(t) for k, t in sorted(texts.items())}
    plans_of: dict[tuple[str, ...], set[str]] = defaultdict(set)
    printed: dict[tuple[str, ...], str] = {}
    for (plan, _), gs in grams.items():
        for seq, p in gs.items():
            plans_of[seq].add(plan)
            printed.setdefault(seq, p)
    candidates = [s for s, ps in plans_of.items() if len(ps) >= 2]

    def weight(seq: tuple[str, ...]) -> float:
        return sum(math.log((1 + n) / (1 + df.get(w, 0))) for w in seq if w not in STOP_WORDS)

    candidates.sort(key=lambda s: (len(s) < 2, -len(plans_of[s]), -weight(s), s))
    chosen: list[tuple[str, ...]] = []
    for seq in candidates:
        if weight(seq) < MIN_WEIGHT * len(seq):
            continue
        if any(_contains(c, seq) for c in chosen):
            continue
        chosen = [c for c in chosen if not _contains(seq, c)]
        chosen.append(seq)
        if len(chosen) >= MAX_PHRASES:
            break
    return [printed[s] for s in chosen]


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    k = len(shorter)
    return any(longer[i : i + k] == shorter for i in range(len(longer) - k + 1))


def document_frequencies(texts: Sequence[str]) -> dict[str, int]:
    df: Counter[str] = Counter()
    for t in texts:
        df.update({m.group(0).lower() for m in _TOKEN.finditer(t)})
    return dict(df)


@dataclass
class Context:
    """What the evidence is written from."""

    method: Method
    steps: Mapping[tuple[str, str], Step]
    years: Mapping[tuple[str, str], frozenset[int]]
    lexicon: Mapping[tuple[str, str], Sequence[Match]]
    agency_labels: Mapping[str, str]
    party_labels: Mapping[str, str]
    theme_labels: Mapping[str, str]
    plan_labels: Mapping[str, str]
    df: Mapping[str, int]
    corpus: int


def make_kind(keys: list[tuple[str, str]], sim: np.ndarray, ctx: Context) -> Kind:
    """A kind from its members (sorted) and their similarity matrix (same order)."""
    m = len(keys)
    member_scores = [
        round(float(sum(sim[i, j] for j in range(m) if j != i) / (m - 1)), 4) for i in range(m)
    ]
    cross = [sim[i, j] for i in range(m) for j in range(i + 1, m) if keys[i][0] != keys[j][0]]
    score = round(float(sum(cross) / len(cross)), 4) if cross else 0.0
    strong = ctx.method.strong

    steps = {k: ctx.steps[k] for k in keys}
    phrases = shared_phrases({k: s.text for k, s in steps.items()}, ctx.df, ctx.corpus)
    themes = _shared_by_plans({k: sorted(s.themes) for k, s in steps.items()})
    agencies = _shared_by_plans({k: sorted(s.agencies) for k, s in steps.items()})
    years = _shared_by_plans({k: sorted(ctx.years[k]) for k, s in steps.items()})
    entries = _shared_by_plans({k: [x.entry for x in ctx.lexicon[k]] for k in keys})
    if themes:
        broader = themes
    else:
        counts = Counter(t for s in steps.values() for t in s.themes)
        top = max(counts.values(), default=0)
        broader = sorted(t for t, c in counts.items() if c == top)[:1]

    members = []
    for i, k in enumerate(keys):
        s = steps[k]
        lower = " ".join(s.text.split()).lower()
        own_phrases = tuple(p for p in phrases if p.lower() in lower)
        eq = tuple((x.entry, x.words) for x in ctx.lexicon[k] if x.entry in entries)
        own_agencies = tuple(a for a in sorted(s.agencies) if a in agencies)
        own_years = tuple(y for y in sorted(ctx.years[k]) if y in years)
        conf = "strong" if member_scores[i] >= strong else "possible"
        members.append(
            Member(
                key=k,
                score=member_scores[i],
                confidence=conf,
                phrases=own_phrases,
                equivalents=eq,
                agencies=own_agencies,
                years=own_years,
                parties=tuple(sorted(s.parties)),
                evidence=_member_evidence(
                    member_scores[i], own_phrases, eq, own_agencies, own_years, s.parties, ctx
                ),
            )
        )
    label = _label(phrases, [members[i].equivalents for i in range(m)], broader, ctx)
    plans = sorted({k[0] for k in keys})
    definition = _definition(keys, plans, phrases, label, ctx)
    reason = _reason(keys, plans, phrases, members, themes, agencies, years, ctx)
    digest = hashlib.sha256("|".join(f"{p}/{n}" for p, n in keys).encode()).hexdigest()
    return Kind(
        key=digest[:12],
        members=members,
        score=score,
        confidence="strong" if score >= strong else "possible",
        label=label,
        definition=definition,
        themes=broader,
        shared_themes=themes,
        shared_phrases=phrases,
        equivalents=entries,
        shared_agencies=agencies,
        shared_years=years,
        reason=reason,
    )


def _quoted(values: Sequence[str]) -> str:
    return ", ".join(f"“{v}”" for v in values)


def _member_evidence(
    score: float,
    phrases: Sequence[str],
    equivalents: Sequence[tuple[str, tuple[str, ...]]],
    agencies: Sequence[str],
    years: Sequence[int],
    parties: frozenset[str],
    ctx: Context,
) -> str:
    parts = [f"mean similarity {score:.2f} to the other members"]
    if phrases:
        parts.append("shared wording: " + _quoted(phrases))
    words = sorted({w for _, ws in equivalents for w in ws} - {p for p in phrases})
    if words:
        parts.append("equivalent wording: " + _quoted(words))
    if agencies:
        parts.append("same agencies: " + "; ".join(ctx.agency_labels.get(a, a) for a in agencies))
    if years:
        parts.append("same years: " + ", ".join(map(str, years)))
    if parties:
        parts.append("parties: " + ", ".join(ctx.party_labels.get(p, p) for p in sorted(parties)))
    return "; ".join(parts) + "."


def _label(
    phrases: Sequence[str],
    equivalents: Sequence[Sequence[tuple[str, tuple[str, ...]]]],
    broader: Sequence[str],
    ctx: Context,
) -> str:
    if phrases and " " in phrases[0]:
        return phrases[0][:1].upper() + phrases[0][1:]
    # the words of the lexicon entry most members match, one printed form per word
    entries: Counter[str] = Counter(e for eq in equivalents for e, _ in eq)
    if entries:
        entry = sorted(entries, key=lambda e: (-entries[e], e))[0]
        forms: dict[str, Counter[str]] = defaultdict(Counter)
        for eq in equivalents:
            for e, ws in eq:
                if e == entry:
                    for w in ws:
                        forms[word_form(w.lower())][w.lower()] += 1
        ranked = sorted(forms.values(), key=lambda c: (-sum(c.values()), -len(max(c)), max(c)))
        top = [sorted(c, key=lambda w: (-c[w], w))[0] for c in ranked[:3]]
        text = " / ".join(top)
        return text[:1].upper() + text[1:]
    if phrases:
        return phrases[0][:1].upper() + phrases[0][1:]
    theme = ctx.theme_labels.get(broader[0], broader[0]) if broader else "steps"
    return f"{theme}: similar steps"


def _definition(
    keys: Sequence[tuple[str, str]],
    plans: Sequence[str],
    phrases: Sequence[str],
    label: str,
    ctx: Context,
) -> str:
    what = _quoted(phrases[:3]) if phrases else f"equivalent wording ({label.lower()})"
    first = ctx.steps[keys[0]].text
    sample = first if len(first) <= 160 else first[:157].rsplit(" ", 1)[0] + "…"
    return (
        f"What {len(plans)} plans promise: {len(keys)} steps sharing {what}, e.g. "
        f"“{sample}” ({keys[0][0]} {keys[0][1]}). Found by plangraph's overlap detector "
        f"(method {ctx.method.name}: average-linkage clustering of step similarity), not "
        "stated by the plans."
    )


def _reason(
    keys: Sequence[tuple[str, str]],
    plans: Sequence[str],
    phrases: Sequence[str],
    members: Sequence[Member],
    themes: Sequence[str],
    agencies: Sequence[str],
    years: Sequence[int],
    ctx: Context,
) -> str:
    words = sorted({w for m in members for _, ws in m.equivalents for w in ws} - set(phrases))
    parties = sorted({p for m in members for p in m.parties})
    parts = [
        f"{len(keys)} steps of {len(plans)} plans ({', '.join(plans)})",
        "shared wording: " + (_quoted(phrases) or "none"),
        "equivalent wording: " + (_quoted(words) or "none"),
        "shared themes: " + (", ".join(ctx.theme_labels.get(t, t) for t in themes) or "none"),
        "same agencies: " + ("; ".join(ctx.agency_labels.get(a, a) for a in agencies) or "none"),
        "parties: " + ", ".join(ctx.party_labels.get(p, p) for p in parties),
        "same years: " + (", ".join(map(str, years)) or "none"),
    ]
    return "; ".join(parts) + "."
