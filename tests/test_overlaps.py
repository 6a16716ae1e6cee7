"""Overlap detection (plangraph/overlaps.py): scoring and grouping on small records, the
labelled evaluation set (tests/data/overlaps/pairs.yaml) with accuracy floors, facts of the
real data, and the overlap groups in the built dataset."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from plangraph import overlaps
from plangraph.overlaps import Item, detect_items, stem, terms

ROOT = Path(__file__).resolve().parent.parent
PAIRS = ROOT / "tests" / "data" / "overlaps" / "pairs.yaml"
sys.path.insert(0, str(ROOT / "bench"))

# Measured on the labelled set at the default threshold 0.16 (bench/overlap_accuracy.py):
# precision 0.786, recall 0.657, precision@30 0.833. Floors = measured minus a margin.
PRECISION_FLOOR = 0.72
RECALL_FLOOR = 0.60
PRECISION_AT_30_FLOOR = 0.76


def item(plan: str, number: str, text: str, themes=(), agencies=(), parties=("khm",), years=()):
    return Item(
        plan=plan,
        number=number,
        kind="activity",
        text=text,
        themes=frozenset(themes),
        agencies=frozenset(agencies),
        parties=frozenset(parties),
        years=frozenset(years),
    )


def test_stemming_joins_noun_and_verb_forms() -> None:
    assert stem("identification") == stem("identifying") == stem("identify")
    assert stem("repatriation") == stem("repatriating")
    assert "traffick" not in terms("Combat human trafficking in persons")
    assert "victim identif" in terms("victim identification")


SMALL = [
    item(
        "a",
        "1",
        "Develop a common victim identification form",
        ["victim-identification"],
        ["khm/mosvy"],
        years=[2020],
    ),
    item(
        "b",
        "1",
        "Agree a joint form for identification of victims",
        ["victim-identification"],
        ["khm/mosvy"],
        years=[2020],
    ),
    item("c", "1", "Victim identification form and screening criteria", ["victim-identification"]),
    item("a", "2", "Build shelters for victims", ["shelters-and-services"]),
    item("b", "2", "Train police on investigation", ["law-enforcement-training"]),
    item("c", "2", "Radio programmes on safe migration", ["awareness-raising"]),
]


def test_small_records_score_and_group() -> None:
    det = detect_items(SMALL, None, threshold=0.3)
    by = {(p.a, p.b): p for p in det.pairs}
    ab = by[(("a", "1"), ("b", "1"))]
    assert ab.parts["themes"] == 1.0 and ab.parts["agencies"] == 1.0 and ab.parts["years"] == 1.0
    assert ab.shared_agencies == ("khm/mosvy",)
    assert "identif" in ab.shared_words
    # never a pair inside one plan; unrelated steps are not even candidates (blocking)
    assert all(p.a[0] != p.b[0] for p in det.pairs)
    assert (("a", "2"), ("b", "2")) not in by
    assert [g.members for g in det.groups] == [[("a", "1"), ("b", "1"), ("c", "1")]]
    g = det.groups[0]
    assert g.shared_themes == ["victim-identification"]
    assert g.shared_agencies == ["khm/mosvy"]
    assert "shared themes: victim-identification" in g.reason
    assert det.candidates < det.all_pairs


def test_detection_is_deterministic() -> None:
    one = detect_items(SMALL, None, threshold=0.3)
    two = detect_items(list(reversed(SMALL)), None, threshold=0.3)
    assert [(p.a, p.b, p.score) for p in one.pairs] == [(p.a, p.b, p.score) for p in two.pairs]
    assert [g.id for g in one.groups] == [g.id for g in two.groups]


COLOURS = ("red", "green", "blue")
ANIMALS = ("horse", "tiger", "eagle", "snake")


def test_large_components_are_split() -> None:
    many = [
        item(
            chr(ord("a") + i % 5),
            str(i),
            "victim identification form common",
            ["victim-identification"],
        )
        for i in range(20)
    ]
    det = detect_items(many, None, threshold=0.2)
    # twenty equally similar steps cannot be split by score: no blob of 20 is made
    assert all(len(g.members) <= overlaps.MAX_GROUP for g in det.groups)
    varied = [
        item(
            chr(ord("a") + i % 5),
            str(i),
            f"victim identification form {COLOURS[i % 3]} {ANIMALS[i % 4]}",
            ["victim-identification"],
        )
        for i in range(20)
    ]
    det = detect_items(varied, None, threshold=0.2)
    assert det.groups and all(len(g.members) <= overlaps.MAX_GROUP for g in det.groups)


def test_agencies_related_through_the_hierarchy(registry) -> None:
    child = next(a for a in registry.agencies.values() if a.parent)
    score, related = overlaps._agency_score(
        frozenset({child.id}), frozenset({child.parent}), registry
    )
    assert score == 0.5 and set(related) == {child.id, child.parent}


# -- the labelled evaluation set -------------------------------------------------------------


def test_evaluation_set_is_well_formed(paths) -> None:
    import overlap_accuracy

    raw = yaml.safe_load(PAIRS.read_text(encoding="utf-8"))["pairs"]
    labels = [p["label"] for p in raw]
    assert set(labels) == {"overlap", "different"}
    assert labels.count("overlap") >= 40 and labels.count("different") >= 40
    seen = set()
    for p in raw:
        assert set(p) == {"a", "b", "label", "reason"}, p
        assert len(p["reason"]) > 10, p
        a, b = p["a"].split("/", 1), p["b"].split("/", 1)
        assert a[0] != b[0], p
        key = tuple(sorted((p["a"], p["b"])))
        assert key not in seen, p
        seen.add(key)
    det = overlap_accuracy.detection(paths)
    for p in overlap_accuracy.load_pairs():
        assert p["a"] in det.items and p["b"] in det.items, p


@pytest.fixture(scope="module")
def accuracy() -> dict:
    import overlap_accuracy

    return overlap_accuracy.run()


def test_accuracy_stays_above_the_floors(accuracy: dict) -> None:
    d = accuracy["default"]
    assert d["threshold"] == overlaps.DEFAULT_THRESHOLD
    assert d["precision"] >= PRECISION_FLOOR, d
    assert d["recall"] >= RECALL_FLOOR, d
    assert accuracy["precision_at_30"] >= PRECISION_AT_30_FLOOR


def test_real_data_facts(accuracy: dict) -> None:
    assert accuracy["candidates"] < accuracy["all_cross_plan_pairs"] / 3  # blocking works
    assert 20 <= accuracy["groups"] <= 80


def test_large_corpus_is_blocked_not_quadratic() -> None:
    """Past LARGE_CORPUS items, a block of items sharing a theme or word yields only near
    neighbours: candidates grow linearly with the items, not with all pairs."""
    words = ("shelter", "hotline", "training", "repatriation", "border", "database", "survey")

    def corpus(n: int) -> list[Item]:
        return [
            item(
                f"p{i % 6}",
                str(i),
                f"victim support {words[i % 7]} {words[(i * 3) % 7]} number {i % 97}",
                ["victim-protection"],
            )
            for i in range(n)
        ]

    few = corpus(600)
    small = overlaps.candidate_pairs(few, overlaps.TfIdf({it.key: it.text for it in few}))
    assert len(small) == 600 * 599 // 2 - 6 * (100 * 99 // 2)  # every cross-plan pair
    n = overlaps.LARGE_CORPUS + 1000
    items = corpus(n)
    tfidf = overlaps.TfIdf({it.key: it.text for it in items})
    blocked = overlaps.candidate_pairs(items, tfidf)
    buckets = 1 + overlaps.TOP_TERMS  # the theme and each item's top words
    assert 0 < len(blocked) <= n * buckets * overlaps.LARGE_WINDOW
    assert len(blocked) < (n * n // 2) / 20
