"""Accuracy of overlap detection on the labelled set tests/data/overlaps/pairs.yaml.

Parses the five plans (the real parsers), tags their themes, scores every candidate pair
(plangraph.overlaps) and compares with the labels:

* precision and recall of "score >= threshold" at the default threshold;
* precision of the 30 highest-scoring labelled pairs (precision@30);
* a threshold sweep (precision, recall, F1 at each threshold).

A labelled pair that blocking never made a candidate counts as score 0 (predicted
"different"). Writes bench/results/overlap-accuracy.json. Run:

    .venv/bin/python bench/overlap_accuracy.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plangraph import overlaps  # noqa: E402
from plangraph.agencies import load_registry  # noqa: E402
from plangraph.build import analyse, parse_all  # noqa: E402
from plangraph.catalog import load_catalog  # noqa: E402
from plangraph.curation import load_curations  # noqa: E402
from plangraph.paths import ProjectPaths  # noqa: E402

PAIRS = ROOT / "tests" / "data" / "overlaps" / "pairs.yaml"
RESULTS = ROOT / "bench" / "results" / "overlap-accuracy.json"


def load_pairs(path: Path = PAIRS) -> list[dict]:
    out = []
    for p in yaml.safe_load(path.read_text(encoding="utf-8"))["pairs"]:
        a, b = (tuple(str(p[k]).split("/", 1)) for k in ("a", "b"))
        out.append({"a": a, "b": b, "label": p["label"], "reason": p["reason"]})
    return out


def detection(paths: ProjectPaths | None = None) -> overlaps.Detection:
    paths = paths or ProjectPaths(ROOT)
    registry = load_registry(paths.agencies)
    plans = parse_all(load_catalog(paths.catalog), registry, load_curations(paths.curation))
    return analyse(paths, plans, registry)[1]  # exactly what the build computes


def scores(det: overlaps.Detection, pairs: list[dict]) -> list[float]:
    by_pair = {(p.a, p.b): p.score for p in det.pairs}
    return [by_pair.get(tuple(sorted((p["a"], p["b"]))), 0.0) for p in pairs]


def evaluate(labels: list[bool], values: list[float], threshold: float) -> dict[str, float]:
    tp = sum(1 for y, s in zip(labels, values, strict=True) if y and s >= threshold)
    fp = sum(1 for y, s in zip(labels, values, strict=True) if not y and s >= threshold)
    fn = sum(1 for y, s in zip(labels, values, strict=True) if y and s < threshold)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": round(threshold, 2),
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def precision_at(labels: list[bool], values: list[float], k: int) -> float:
    ranked = sorted(zip(values, labels, strict=True), key=lambda x: -x[0])[:k]
    return round(sum(1 for _, y in ranked if y) / len(ranked), 3)


def run() -> dict:
    pairs = load_pairs()
    det = detection()
    for p in pairs:
        for key in (p["a"], p["b"]):
            if key not in det.items:
                raise SystemExit(f"{PAIRS}: unknown activity {'/'.join(key)}")
    values = scores(det, pairs)
    labels = [p["label"] == "overlap" for p in pairs]
    sweep = [evaluate(labels, values, t / 100) for t in range(10, 61, 2)]
    result = {
        "pairs": len(pairs),
        "overlap_pairs": sum(labels),
        "different_pairs": len(labels) - sum(labels),
        "weights": overlaps.WEIGHTS,
        "default": evaluate(labels, values, overlaps.DEFAULT_THRESHOLD),
        "precision_at_30": precision_at(labels, values, 30),
        "sweep": sweep,
        "groups": len(det.groups),
        "candidates": det.candidates,
        "all_cross_plan_pairs": det.all_pairs,
        "errors": [
            {"a": "/".join(p["a"]), "b": "/".join(p["b"]), "label": p["label"], "score": s}
            for p, s, y in zip(pairs, values, labels, strict=True)
            if (s >= overlaps.DEFAULT_THRESHOLD) != y
        ],
    }
    return result


def main() -> None:
    r = run()
    d = r["default"]
    counts = f"{r['overlap_pairs']} overlap, {r['different_pairs']} different"
    print(f"labelled pairs: {r['pairs']} ({counts})")
    print(f"candidates scored: {r['candidates']} of {r['all_cross_plan_pairs']} cross-plan pairs")
    print(
        f"default threshold {d['threshold']}: precision {d['precision']:.3f}, "
        f"recall {d['recall']:.3f}, F1 {d['f1']:.3f} (tp {d['tp']}, fp {d['fp']}, fn {d['fn']})"
    )
    print(f"precision@30: {r['precision_at_30']:.3f}")
    print(f"overlap groups: {r['groups']}")
    print("threshold  precision  recall  f1")
    for s in r["sweep"]:
        print(
            f"  {s['threshold']:.2f}     {s['precision']:.3f}     {s['recall']:.3f}   {s['f1']:.3f}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(r, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"written {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
