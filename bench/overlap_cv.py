"""Cross-validation by kind of work within the development split of the labelled set.

The labelled kinds (tests/data/overlaps/kinds.yaml) are read through :func:`load_dev`, which
keeps the development split only before anything looks at them: choosing a method never
sees a test kind, member or negative (``overlap_accuracy.load_labels``, the final
once-per-candidate measurement, is the only reader of the test split).

**Folds.** The 23 dev kinds are dealt into 5 folds by scikit-learn's ``GroupKFold`` over
their cross-plan pairs (grouped by kind, so a kind is never split and the folds have about
as many pairs each); a method's settings are tuned on 4 folds' kinds and measured on the
5th's, for each fold in turn.

**Measuring a fold** the way the test split is measured: its positives are the cross-plan
pairs of its kinds; its negatives the dev negatives (cross-plan pairs of dev members sharing
no dev kind) with a member among its kinds' steps, a pair with one member outside them
counted half (so the 5 folds' false positives add up to the whole split's, and the precision
is that of a split as dense as dev and test, not of 5 small ones); its hard negatives those
drawn near its kinds. Precision, recall and F1 are pooled over the folds.

**The lexicon, left out.** The lexicon of equivalent phrases was written from the dev kinds,
so a held-out kind would still be found by the entry written for it. In the *leave-out*
regime, an entry that joins (is matched by members of two plans of) held-out kinds only is
dropped for that fold, tuning included: the figure of a kind no entry was written for. The
*full* regime keeps the whole lexicon: the figure of a kind the lexicon covers. The test
split lies between the two.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
KINDS = ROOT / "tests" / "data" / "overlaps" / "kinds.yaml"
N_FOLDS = 5

Step = tuple[str, str]
Pair = tuple[Step, Step]
Groups = list[list[Step]]


def _step(ref: str) -> Step:
    plan, number = str(ref).split("/", 1)
    return (plan, number)


def _pair(a: Step, b: Step) -> Pair:
    return (a, b) if a <= b else (b, a)


def load_dev(path: Path = KINDS) -> dict[str, Any]:
    """``kinds``: dev kind id -> sorted members; ``negatives``: the dev hard negatives
    ({pair, near}). The test split is dropped before anything is returned."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    kinds = {
        k["id"]: sorted({_step(m["id"]) for m in k["members"]})
        for k in raw["kinds"]
        if k.get("split") == "dev"
    }
    negatives = [
        {"pair": _pair(_step(n["a"]), _step(n["b"])), "near": n.get("near")}
        for n in raw["negatives"]
        if n.get("split") == "dev"
    ]
    return {"kinds": kinds, "negatives": negatives}


def cross_plan_pairs(members: Iterable[Step]) -> set[Pair]:
    return {_pair(a, b) for a, b in itertools.combinations(sorted(members), 2) if a[0] != b[0]}


def predicted(groups: Iterable[Sequence[Step]]) -> set[Pair]:
    return {p for g in groups for p in cross_plan_pairs(set(g))}


class DevSplit:
    """The dev kinds, their folds and the sets a fold is measured on."""

    def __init__(self, dev: dict[str, Any] | None = None, n_folds: int = N_FOLDS) -> None:
        from sklearn.model_selection import GroupKFold

        dev = dev or load_dev()
        self.kinds: dict[str, list[Step]] = dev["kinds"]
        self.hard = dev["negatives"]
        self.together: set[Pair] = set()
        for members in self.kinds.values():
            self.together |= cross_plan_pairs(members)
        pairs, groups = [], []
        for kid in sorted(self.kinds):
            for p in sorted(cross_plan_pairs(self.kinds[kid])):
                pairs.append(p)
                groups.append(kid)
        self.folds: list[tuple[list[str], list[str]]] = []
        splitter = GroupKFold(n_splits=n_folds)
        for _, held in splitter.split(np.zeros(len(pairs)), groups=groups):
            held_ids = sorted({groups[i] for i in held})
            self.folds.append(([k for k in sorted(self.kinds) if k not in held_ids], held_ids))
        self.all = self.sets(sorted(self.kinds))

    def sets(self, kind_ids: Sequence[str]) -> dict[str, Any]:
        """Universe, positives, negatives (within the universe) and hard negatives of
        ``kind_ids``, as ``overlap_accuracy.split_sets`` makes them for a split."""
        universe: set[Step] = set()
        positives: set[Pair] = set()
        for kid in kind_ids:
            universe |= set(self.kinds[kid])
            positives |= cross_plan_pairs(self.kinds[kid])
        whole = len(kind_ids) == len(self.kinds)  # the split, or a fold (negatives near it)
        hard = {n["pair"] for n in self.hard if n["near"] in kind_ids or (whole and not n["near"])}
        negatives = {
            _pair(a, b)
            for a, b in itertools.combinations(sorted(universe), 2)
            if a[0] != b[0] and _pair(a, b) not in self.together
        } | hard
        return {"universe": universe, "positives": positives, "negatives": negatives, "hard": hard}

    def held_out(self, groups: Groups, held: Sequence[str]) -> dict[str, float]:
        """True and false positives of ``groups`` on the held-out kinds (see the module
        docstring: a negative with one member outside them counts half)."""
        s = self.sets(held)
        pred = predicted(groups)
        fp = 0.0
        for a, b in pred & self.all["negatives"]:
            inside = (a in s["universe"]) + (b in s["universe"])
            fp += {2: 1.0, 1: 0.5}.get(inside, 0.0)
        return {
            "tp": len(pred & s["positives"]),
            "fp": fp,
            "positives": len(s["positives"]),
            "hard": len(pred & s["hard"]),
            "hard_total": len(s["hard"]),
        }


def score(groups: Groups, sets: dict[str, Any]) -> dict[str, float]:
    pred = predicted(groups)
    tp = len(pred & sets["positives"])
    fp = len(pred & sets["negatives"])
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / len(sets["positives"]) if sets["positives"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def pick(scores: dict[float, dict[str, float]], min_precision: float) -> float:
    """The setting with the best F1 among those with precision >= ``min_precision`` (ties:
    the higher precision, then the lower setting); if none, the most precise."""
    ok = {t: s for t, s in scores.items() if s["precision"] >= min_precision}
    if not ok:
        return max(scores, key=lambda t: (scores[t]["precision"], -t))
    return max(ok, key=lambda t: (ok[t]["f1"], ok[t]["precision"], -t))


def entry_kinds(matches: dict[Step, Iterable[str]], kinds: dict[str, list[Step]]) -> dict:
    """Lexicon entry id -> the dev kinds it joins (members of two plans at least match it).
    ``matches``: step -> the entry ids it matches (as the detector reads the step)."""
    out: dict[str, set[str]] = defaultdict(set)
    for kid, members in kinds.items():
        plans_of: dict[str, set[str]] = defaultdict(set)
        for m in members:
            for e in matches.get(m, ()):
                plans_of[e.split("@", 1)[0]].add(m[0])
        for e, plans in plans_of.items():
            if len(plans) >= 2:
                out[e].add(kid)
    return dict(out)


def left_out(joins: dict[str, set[str]], held: Sequence[str]) -> frozenset[str]:
    """The entries that join held-out kinds only (dropped in the leave-out regime)."""
    return frozenset(e for e, ks in joins.items() if ks and ks <= set(held))


# A candidate for cross-validation: (training kind ids, entries to drop) -> a function from a
# setting (e.g. the clustering threshold) to the kinds' members.
Candidate = Callable[[Sequence[str], frozenset[str]], Callable[[float], Groups]]


def cross_validate(
    split: DevSplit,
    candidate: Candidate,
    settings: Sequence[float],
    joins: dict[str, set[str]],
    leave_out: bool,
    min_precision: float,
) -> dict[str, Any]:
    """Tune ``candidate``'s setting on each fold's training kinds, measure it on the held-out
    kinds; pooled precision, recall, F1, hard negatives flagged, and each fold's setting."""
    tp = fp = positives = hard = hard_total = 0.0
    chosen = []
    for train, held in split.folds:
        drop = left_out(joins, held) if leave_out else frozenset()
        groups_at = candidate(train, drop)
        train_sets = split.sets(train)
        runs = {t: groups_at(t) for t in settings}
        t = pick({t: score(g, train_sets) for t, g in runs.items()}, min_precision)
        h = split.held_out(runs[t], held)
        tp += h["tp"]
        fp += h["fp"]
        positives += h["positives"]
        hard += h["hard"]
        hard_total += h["hard_total"]
        chosen.append(t)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / positives
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "tp": int(tp),
        "fp": fp,
        "positives": int(positives),
        "hard_flagged": round(hard / hard_total, 3) if hard_total else 0.0,
        "settings": chosen,
    }
