"""Accuracy of the overlap detector's kinds of work on the labelled set
tests/data/overlaps/kinds.yaml (protocol in its header), method by method.

For a split S (dev or test):

* universe U_S: the steps that are members of S's kinds; positives P_S: cross-plan pairs of
  steps that share a kind of S; negatives N_S: cross-plan pairs of U_S x U_S that share no
  kind of either split, plus S's hard negatives (pairs sharing only a kind of the other split
  are left out);
* a method predicts a pair when both steps sit in one of its kinds;
* pair recall = |pred & P_S| / |P_S|; precision = |pred & P_S| / |pred & (P_S | N_S)|; F1;
  hard negatives flagged: the share of S's hard negatives predicted; purity: for each kind
  with at least two labelled members, the share of them in its majority labelled kind,
  averaged weighted by labelled members; labelled steps grouped: how many of U_S sit in a kind.

**Choosing** uses the development split only, read through ``overlap_cv.load_dev`` (the test
split is dropped before anything looks at it). Each candidate (:data:`CANDIDATES`: the methods
of plangraph.analysis.overlaps.detect.METHODS, and lexicon+catalogue) is cross-validated by kind
within dev
(``overlap_cv``: 5 folds of dev kinds, its threshold tuned on 4 folds' kinds as the best F1
at precision >= 0.88, measured on the 5th), in two regimes: *full* (the whole lexicon) and
*leave-out* (the lexicon less the entries that join the held-out kinds only: a kind no entry
was written for). The chosen method is the best full-regime CV recall at CV precision
>= 0.88. Each candidate's threshold is then refit on all of dev by the same rule, its
``strong`` level the lowest at which the pairs inside strong kinds have dev precision >= 0.98.

**Measuring**: with ``--test``, once, at the end, the dev and test splits at those settings
(dev then as above, its negatives also excluding pairs that share a test kind), written to
bench/results/overlap-accuracy.json with the table of docs/donors.md. Without it, nothing
reads the test split and nothing is written. The old 116 pairs (tests/data/overlaps/pairs.yaml)
are a regression set: reported, never tuned on.

    .venv/bin/python bench/overlap_accuracy.py            # cross-validate and tune on dev only
    .venv/bin/python bench/overlap_accuracy.py --test     # ... then measure test once, write
    .venv/bin/python bench/overlap_accuracy.py --check    # the committed settings, dev and test
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import overlap_cv  # noqa: E402

from plangraph.analysis.overlaps import detect as overlaps  # noqa: E402
from plangraph.analysis.overlaps.lexicon import Lexicon, load_lexicon  # noqa: E402
from plangraph.analysis.overlaps.similarity import Method, features, prepare  # noqa: E402
from plangraph.graph.build import parse_all, tag  # noqa: E402
from plangraph.paths import ProjectPaths  # noqa: E402
from plangraph.sources.catalog import load_source_catalog  # noqa: E402
from plangraph.sources.curation import load_curations  # noqa: E402
from plangraph.sources.registry import load_registry  # noqa: E402

KINDS = ROOT / "tests" / "data" / "overlaps" / "kinds.yaml"
PAIRS = ROOT / "tests" / "data" / "overlaps" / "pairs.yaml"
CATALOGUE = ROOT / "bench" / "overlaps" / "catalogue.yaml"
RESULTS = ROOT / "bench" / "results" / "overlap-accuracy.json"
SPLITS = ("dev", "test")
MIN_PRECISION = 0.88  # CV and dev: so that a test precision >= 0.85 is likely
STRONG_PRECISION = 0.98
THRESHOLDS = [round(t / 100, 2) for t in range(10, 82, 2)]
STRONG_LEVELS = [round(t / 100, 2) for t in range(30, 101, 2)]

# The detector before issue 17 (hand-written TF-IDF, connected components of pairs >= 0.16),
# measured with this file's evaluation at commit 2ecb857: kept as the baseline row.
BASELINE = {
    "method": "before (2ecb857): hand-written TF-IDF + themes + agencies, connected components",
    "dev": {"precision": 0.679, "recall": 0.083, "f1": 0.148, "hard_flagged": 0.231,
            "purity": 0.875, "groups": 38, "grouped": 36, "universe": 125},
    "test": {"precision": 0.681, "recall": 0.079, "f1": 0.142, "hard_flagged": 0.062,
             "purity": 0.864, "groups": 38, "grouped": 71, "universe": 154},
    "regression_pairs": {"precision": 0.722, "recall": 0.194},
    "build_seconds": 0.296,
}  # fmt: skip

# The first method of issue 17 (commit 618c183): the lexicon before its entries that could
# have come from test kinds were removed or rewritten, t=0.54. dev and test as measured then
# (bench/results/overlap-accuracy.json of 618c183); CV by this file's cross-validation run on
# that lexicon (git show 618c183:data/overlaps/lexicon.yaml, --lexicon).
PREVIOUS = {
    "method": "lexicon (618c183, before decontamination), t=0.54",
    "cv": {"precision": 0.928, "recall": 0.616, "f1": 0.74},
    "cv_leave_out": {"precision": 0.0, "recall": 0.0, "f1": 0.0},
    "dev": {"precision": 0.953, "recall": 0.616, "f1": 0.748, "hard_flagged": 0.0,
            "purity": 0.971, "groups": 36, "grouped": 109, "universe": 125},
    "test": {"precision": 0.901, "recall": 0.318, "f1": 0.47, "hard_flagged": 0.125,
             "purity": 0.92, "groups": 36, "grouped": 94, "universe": 154},
    "regression_pairs": {"precision": 0.951, "recall": 0.582},
    "build_seconds": 0.162,
}  # fmt: skip

Step = tuple[str, str]
Pair = tuple[Step, Step]


@dataclass(frozen=True)
class Candidate:
    """A method, and the lexicon entries it adds to data/overlaps/lexicon.yaml (if any)."""

    method: Method
    extra_lexicon: Path | None = None

    @property
    def name(self) -> str:
        return self.method.name


CANDIDATES: list[Candidate] = [Candidate(m) for m in overlaps.METHODS.values()] + [
    Candidate(
        replace(
            overlaps.METHODS["lexicon"],
            name="lexicon+catalogue",
            description="the lexicon with a general catalogue of programme components "
            "(bench/overlaps/catalogue.yaml)",
        ),
        CATALOGUE,
    )
]


def _step(ref: str) -> Step:
    plan, number = str(ref).split("/", 1)
    return (plan, number)


def _pair(a: Step, b: Step) -> Pair:
    return (a, b) if a <= b else (b, a)


def load_labels(path: Path = KINDS) -> tuple[dict[str, dict], list[dict]]:
    """Both splits: only for the final measurement (``--test``, ``--check``)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    kinds = {
        k["id"]: {"split": k["split"], "members": sorted({_step(m["id"]) for m in k["members"]})}
        for k in raw["kinds"]
    }
    negatives = [
        {"pair": _pair(_step(n["a"]), _step(n["b"])), "split": n["split"]} for n in raw["negatives"]
    ]
    return kinds, negatives


def split_sets(kinds: dict[str, dict], negatives: list[dict], split: str) -> dict[str, Any]:
    universe: set[Step] = set()
    positives: set[Pair] = set()
    together: set[Pair] = set()
    kind_of: dict[Step, set[str]] = defaultdict(set)
    for kid, k in kinds.items():
        pairs = {_pair(a, b) for a, b in itertools.combinations(k["members"], 2) if a[0] != b[0]}
        together |= pairs
        if k["split"] == split:
            universe |= set(k["members"])
            positives |= pairs
            for m in k["members"]:
                kind_of[m].add(kid)
    hard = {n["pair"] for n in negatives if n["split"] == split}
    negative = {
        _pair(a, b)
        for a, b in itertools.combinations(sorted(universe), 2)
        if a[0] != b[0] and _pair(a, b) not in together
    } | hard
    return {
        "universe": universe,
        "positives": positives,
        "negatives": negative,
        "hard": hard,
        "kind_of": kind_of,
    }


def dev_only_sets(split: overlap_cv.DevSplit) -> dict[str, Any]:
    """The dev split's sets from the dev kinds alone (for tuning: no test kind read)."""
    s = dict(split.all)
    kind_of: dict[Step, set[str]] = defaultdict(set)
    for kid, members in split.kinds.items():
        for m in members:
            kind_of[m].add(kid)
    s["kind_of"] = kind_of
    return s


def predicted(groups: Iterable[Sequence[Step]]) -> set[Pair]:
    return {
        _pair(a, b)
        for g in groups
        for a, b in itertools.combinations(sorted(set(g)), 2)
        if a[0] != b[0]
    }


def evaluate(groups: Sequence[Sequence[Step]], sets: dict[str, Any]) -> dict[str, Any]:
    pred = predicted(groups)
    tp = len(pred & sets["positives"])
    fp = len(pred & sets["negatives"])
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / len(sets["positives"])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    agree = labelled = 0
    for g in groups:
        members = [m for m in set(g) if m in sets["universe"]]
        if len(members) < 2:
            continue
        counts = Counter(k for m in members for k in sets["kind_of"][m])
        agree += counts.most_common(1)[0][1]
        labelled += len(members)
    grouped = {m for g in groups for m in g} & sets["universe"]
    return {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "tp": tp,
        "fp": fp,
        "positives": len(sets["positives"]),
        "hard_flagged": round(len(pred & sets["hard"]) / len(sets["hard"]), 3),
        "purity": round(agree / labelled, 3) if labelled else None,
        "groups": len(groups),
        "grouped": len(grouped),
        "universe": len(sets["universe"]),
    }


def regression(groups: Sequence[Sequence[Step]], path: Path = PAIRS) -> dict[str, Any]:
    """Co-grouping on the old 116 labelled pairs (a regression set, never tuned on)."""
    pred = predicted(groups)
    tp = fp = fn = 0
    for p in yaml.safe_load(path.read_text(encoding="utf-8"))["pairs"]:
        together = _pair(_step(p["a"]), _step(p["b"])) in pred
        overlap = p["label"] == "overlap"
        tp += together and overlap
        fp += together and not overlap
        fn += overlap and not together
    return {
        "precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0,
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def corpus(paths: ProjectPaths | None = None, lexicon: Path | None = None) -> dict[str, Any]:
    """The items, registry and lexicon exactly as the build computes them (``lexicon``:
    another lexicon file instead of data/overlaps/lexicon.yaml)."""
    paths = paths or ProjectPaths(ROOT)
    registry = load_registry(paths.agencies)
    plans = parse_all(load_source_catalog(paths.catalog), registry, load_curations(paths.curation))
    tagging, labels = tag(paths, plans)
    return {
        "items": sorted(overlaps.items_from_plans(plans, tagging, registry), key=lambda i: i.key),
        "registry": registry,
        "lexicon": load_lexicon(lexicon) if lexicon else overlaps.lexicon_for(paths.root),
        "theme_labels": labels,
        "plan_labels": {p.slug: d.plan.title for d, p in plans},
    }


def lexicon_of(data: dict[str, Any], candidate: Candidate) -> Lexicon:
    lex = data["lexicon"]
    if candidate.extra_lexicon is None:
        return lex
    return Lexicon([*lex.entries, *load_lexicon(candidate.extra_lexicon).entries])


def run_method(
    data: dict[str, Any], method: Method, lexicon: Lexicon | None = None
) -> tuple[overlaps.Detection, float]:
    t = time.perf_counter()
    det = overlaps.detect_items(
        data["items"],
        data["registry"],
        lexicon if lexicon is not None else data["lexicon"],
        method,
        data["theme_labels"],
        data["plan_labels"],
    )
    return det, round(time.perf_counter() - t, 3)


def groups_of(det: overlaps.Detection) -> list[list[Step]]:
    return [[m.key for m in k.members] for k in det.kinds]


def sweeper(
    data: dict[str, Any], method: Method, lexicon: Lexicon
) -> Callable[[float], list[list[Step]]]:
    """threshold -> the kinds' members of ``method`` (signals computed once)."""
    items = data["items"]
    by_key = {it.key: it for it in items}
    parents = {it.key: by_key.get((it.plan, it.parent)) if it.parent else None for it in items}
    z = features(method, items, prepare(items, parents, lexicon))
    return lambda t: overlaps.member_groups(items, z, t)


def entry_joins(data: dict[str, Any], lexicon: Lexicon, split: overlap_cv.DevSplit) -> dict:
    """Lexicon entry -> the dev kinds it joins, with each step read as the detector reads it."""
    items = data["items"]
    by_key = {it.key: it for it in items}
    parents = {it.key: by_key.get((it.plan, it.parent)) if it.parent else None for it in items}
    signals = prepare(items, parents, lexicon)
    matches = {it.key: [m.entry for m in ms] for it, ms in zip(items, signals.lexicon, strict=True)}
    return overlap_cv.entry_kinds(matches, split.kinds)


def cross_validate(
    data: dict[str, Any], candidate: Candidate, split: overlap_cv.DevSplit
) -> dict[str, Any]:
    """The candidate's CV figures in both regimes (see overlap_cv)."""
    lexicon = lexicon_of(data, candidate)
    joins = entry_joins(data, lexicon, split)
    cache: dict[frozenset[str], Callable[[float], list[list[Step]]]] = {}

    def make(train: Sequence[str], drop: frozenset[str]) -> Callable[[float], list]:
        if drop not in cache:
            sweep = sweeper(data, candidate.method, lexicon.without(drop))
            memo: dict[float, list] = {}
            cache[drop] = lambda t: memo.setdefault(t, sweep(t))
        return cache[drop]

    return {
        regime: overlap_cv.cross_validate(
            split, make, THRESHOLDS, joins, leave_out=regime == "cv_leave_out",
            min_precision=MIN_PRECISION,
        )
        for regime in ("cv", "cv_leave_out")
    }  # fmt: skip


def tune(data: dict[str, Any], candidate: Candidate, dev: dict[str, Any]) -> tuple[Method, list]:
    """The candidate's threshold refit on all of dev (best F1 at precision >= MIN_PRECISION,
    the rule the CV folds use) and its strong level; dev only, and the sweep."""
    method = candidate.method
    lexicon = lexicon_of(data, candidate)
    sweep_at = sweeper(data, method, lexicon)
    sweep = [{"threshold": t, **evaluate(sweep_at(t), dev)} for t in THRESHOLDS]
    best = overlap_cv.pick({s["threshold"]: s for s in sweep}, MIN_PRECISION)
    det, _ = run_method(data, replace(method, threshold=best, strong=1.0), lexicon)
    strong = 1.0
    for level in STRONG_LEVELS:
        kinds = [k for k in det.kinds if k.score >= level]
        pairs = predicted([[m.key for m in k.members] for k in kinds])
        tp = len(pairs & dev["positives"])
        fp = len(pairs & dev["negatives"])
        if tp and tp / (tp + fp) >= STRONG_PRECISION:
            strong = level
            break
    return replace(method, threshold=best, strong=strong), sweep


def measure(
    data: dict[str, Any], candidate: Candidate, method: Method, sets: dict[str, dict]
) -> dict[str, Any]:
    det, seconds = run_method(data, method, lexicon_of(data, candidate))
    groups = groups_of(det)
    out: dict[str, Any] = {
        "method": method.name,
        "description": method.description,
        "weights": dict(method.weights),
        "threshold": method.threshold,
        "strong": method.strong,
        "build_seconds": seconds,
        "kinds": len(det.kinds),
        "strong_kinds": sum(1 for k in det.kinds if k.confidence == "strong"),
        "regression_pairs": regression(groups),
    }
    for split, split_set in sets.items():
        out[split] = evaluate(groups, split_set)
        strong = [[m.key for m in k.members] for k in det.kinds if k.confidence == "strong"]
        out[split]["strong_only"] = evaluate(strong, split_set)
    return out


def choose(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The best full-regime CV recall at CV precision >= MIN_PRECISION (ties: CV F1, then
    fewer signals, then the committed order)."""
    eligible = [r for r in rows if r["cv"]["precision"] >= MIN_PRECISION] or list(rows)
    return max(
        eligible, key=lambda r: (r["cv"]["recall"], r["cv"]["f1"], -len(r["weights"]))
    )  # fmt: skip


def run(
    tune_methods: bool = True,
    only: Sequence[str] | None = None,
    measure_test: bool = False,
    cv: bool = True,
    lexicon: Path | None = None,
) -> dict[str, Any]:
    """Every candidate (or ``only`` those named): cross-validated and tuned on dev unless
    ``cv`` / ``tune_methods`` are off; test measured only with ``measure_test``."""
    data = corpus(lexicon=lexicon)
    split = overlap_cv.DevSplit()
    dev = dev_only_sets(split)
    if measure_test:
        kinds, negatives = load_labels()
        sets = {s: split_sets(kinds, negatives, s) for s in SPLITS}
    else:
        sets = {"dev": dev}
    rows = []
    sweeps = {}
    for candidate in CANDIDATES:
        if only is not None and candidate.name not in only:
            continue
        tuned = candidate.method
        figures: dict[str, Any] = {}
        if cv:
            figures = cross_validate(data, candidate, split)
        if tune_methods:
            tuned, sweeps[candidate.name] = tune(data, candidate, dev)
        rows.append({**measure(data, candidate, tuned, sets), **figures})
    result: dict[str, Any] = {
        "protocol": "choose by cross-validation by kind within dev (5 folds; recall at CV "
        f"precision >= {MIN_PRECISION}); refit the threshold on all of dev; test measured "
        "once per candidate at that setting",
        "labelled_set": str(KINDS.relative_to(ROOT)),
        "min_precision": MIN_PRECISION,
        "strong_precision": STRONG_PRECISION,
        "folds": [{"train": tr, "held_out": held} for tr, held in split.folds],
        "baseline": BASELINE,
        "previous": PREVIOUS,
        "methods": rows,
        "committed_choice": overlaps.CHOSEN,
        "sweeps": sweeps,
    }
    if cv:
        chosen = choose(rows)
        result["chosen"] = chosen["method"]
        note = (
            f"chosen by full-regime CV recall at CV precision >= {MIN_PRECISION}: "
            f"{chosen['method']}."
        )
        if measure_test:
            by_test = max(rows, key=lambda r: r["test"]["f1"])
            note += (
                " Test F1 would have chosen the same."
                if by_test["method"] == chosen["method"]
                else f" Test F1 would have chosen {by_test['method']} (test F1 "
                f"{by_test['test']['f1']} against {chosen['test']['f1']}); not switched."
            )
        result["note"] = note
    return result


def _prf(r: dict[str, Any] | None) -> str:
    if not r:
        return "—"
    return f"{r['precision']:.3f} / {r['recall']:.3f} / {r['f1']:.3f}"


def table(result: dict[str, Any]) -> str:
    test = any("test" in r for r in result["methods"])
    head = (
        "| method | CV P / R / F1 | CV, lexicon left out: P / R / F1 | dev P / R / F1 "
        + ("| test P / R / F1 " if test else "")
        + "| hard negatives flagged (dev"
        + (" / test) " if test else ") ")
        + "| purity (dev"
        + (" / test) " if test else ") ")
        + "| kinds | labelled steps grouped (dev"
        + (" / test) " if test else ") ")
        + "| seconds |"
    )
    columns = 10 if test else 9
    lines = [head, "|" + "---|" * columns]

    def row(name: str, r: dict[str, Any], kinds: Any, seconds: Any) -> str:
        d, t = r["dev"], r.get("test")
        cells = [name, _prf(r.get("cv")), _prf(r.get("cv_leave_out")), _prf(d)]
        if test:
            cells.append(_prf(t))
        both = (lambda a, b: f"{a} / {b}") if test else (lambda a, b: f"{a}")
        cells.append(both(f"{d['hard_flagged']:.3f}", f"{t['hard_flagged']:.3f}" if t else ""))
        cells.append(both(d["purity"], t["purity"] if t else ""))
        cells.append(str(kinds))
        cells.append(
            both(f"{d['grouped']}/{d['universe']}", f"{t['grouped']}/{t['universe']}" if t else "")
        )
        cells.append(str(seconds))
        return "| " + " | ".join(cells) + " |"

    b = result["baseline"]
    lines.append(row("before (issue 17)", b, b["dev"]["groups"], b["build_seconds"]))
    p = result["previous"]
    lines.append(row(p["method"], p, p["dev"]["groups"], p["build_seconds"]))
    for r in result["methods"]:
        mark = " **(chosen)**" if r["method"] == result.get("chosen") else ""
        name = f"{r['method']}{mark} (t={r['threshold']}, strong≥{r['strong']})"
        lines.append(row(name, r, r["kinds"], r["build_seconds"]))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="committed settings, no CV")
    parser.add_argument("--test", action="store_true", help="measure test once; write results")
    parser.add_argument("--only", nargs="*", help="these candidates only")
    parser.add_argument("--lexicon", type=Path, help="another lexicon file (no test, no write)")
    args = parser.parse_args()
    if args.lexicon and (args.test or args.check):
        parser.error("--lexicon is for cross-validation on dev only")
    measure_test = args.test or args.check
    result = run(
        tune_methods=not args.check,
        only=args.only,
        measure_test=measure_test,
        cv=not args.check,
        lexicon=args.lexicon,
    )
    print(table(result))
    if "note" in result:
        print(result["note"])
    for r in result["methods"]:
        committed = overlaps.METHODS.get(r["method"])
        if committed and (r["threshold"] != committed.threshold or r["strong"] != committed.strong):
            print(f"tuned {r['method']}: threshold {r['threshold']}, strong {r['strong']}")
    if result.get("chosen") and result["chosen"] != overlaps.CHOSEN:
        print(f"the committed CHOSEN is {overlaps.CHOSEN}, the measured choice {result['chosen']}")
    if args.test and not args.only:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"written {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
