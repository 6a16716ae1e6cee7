"""Overlap detection (plangraph/analysis/overlaps/detect.py, kinds.py, similarity.py, lexicon.py):
the
clustering on small records (no chaining, never a step beside its own sub-step, two plans at
least), determinism down to the triples, evidence a reader can check against the texts
(phrases as printed, agencies by name), and accuracy floors on the labelled test split."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from rdflib import Graph
from scipy import sparse

from plangraph.analysis.overlaps import detect as overlaps
from plangraph.analysis.overlaps.detect import Item, detect_items
from plangraph.analysis.overlaps.kinds import cluster, cluster_similarity
from plangraph.analysis.overlaps.lexicon import Entry, Lexicon, load_lexicon
from plangraph.analysis.overlaps.similarity import Method
from plangraph.errors import CurationError
from plangraph.graph.mapping import overlaps_graph

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

# Measured with the committed method on the test split, once (bench/overlap_accuracy.py --test,
# chosen by cross-validation by kind within dev, never tuned on test): precision 0.896, recall
# 0.298, hard negatives flagged 0.125, purity 0.916; dev precision 0.966, recall 0.624.
# Floors = measured minus a margin, so a regression fails. (Issue 17's target, recall >= 0.70
# at precision >= 0.85, is not reached: the lexicon finds the kinds it has entries for.)
TEST_FLOORS = {"precision": 0.87, "recall": 0.27, "purity": 0.89}
TEST_HARD_CEILING = 0.16
DEV_FLOORS = {"precision": 0.93, "recall": 0.59}

LEXICON_ONLY = Method("lexicon-test", {"lexicon": 1.0}, threshold=0.5, strong=0.9)


def item(plan: str, number: str, text: str, parent: str | None = None, **kw) -> Item:
    return Item(
        plan=plan,
        number=number,
        kind="sub-activity" if parent else "activity",
        text=text,
        themes=frozenset(kw.get("themes", ("victim-identification",))),
        agencies=frozenset(kw.get("agencies", ())),
        parties=frozenset(kw.get("parties", ("khm",))),
        years=frozenset(kw.get("years", (2020,))),
        parent=parent,
    )


def lexicon(**entries: str) -> Lexicon:
    return Lexicon(
        [
            Entry(eid, ((re.compile(pattern),),), False, "test entry")
            for eid, pattern in sorted(entries.items())
        ]
    )


# -- clustering ------------------------------------------------------------------------------


def test_average_linkage_does_not_chain_through_a_bridge() -> None:
    """A is like B, B like C, A and C share nothing: single linkage (or connected components
    of the pairs above the threshold) would make one group of three."""
    z = sparse.csr_matrix([[1.0, 0.0], [0.7071, 0.7071], [0.0, 1.0]])
    assert cluster(z, 0.5) in ([[0, 1]], [[1, 2]])
    # with a fourth step like A, the kind is A's, and C stays out
    z = sparse.csr_matrix([[1.0, 0.0], [1.0, 0.0], [0.7071, 0.7071], [0.0, 1.0]])
    assert cluster(z, 0.5) == [[0, 1, 2]]


def test_dense_clustering_is_the_same_as_the_sparse_one() -> None:
    """cluster_similarity (any dense similarity, for the benchmark's learned scores) cuts the
    same average-linkage hierarchy as cluster does from the features."""
    z = sparse.csr_matrix(
        [[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.0, 1.0, 0.0], [0.0, 0.6, 0.8], [0.0, 0.0, 1.0]]
    )
    sim = (z @ z.T).toarray()
    for t in (0.3, 0.5, 0.7, 0.9):
        assert cluster_similarity(sim, t) == cluster(z, t), t


def test_a_bridge_step_does_not_join_two_kinds_of_work() -> None:
    lex = lexicon(forms="identification form", hotline="hotline")
    items = [
        item("a", "1", "Agree a common identification form"),
        item("b", "1", "Print the identification form and open a hotline"),
        item("c", "1", "Run a hotline for victims"),
    ]
    det = detect_items(items, None, lex, LEXICON_ONLY)
    assert len(det.kinds) == 1
    members = [m.key for m in det.kinds[0].members]
    assert ("a", "1") not in members or ("c", "1") not in members


def test_a_step_and_its_own_sub_step_are_never_both_members() -> None:
    lex = lexicon(forms="identification forms?")
    items = [
        item("a", "1", "Develop a common identification form"),
        item("a", "1.1", "Draft the identification form", parent="1"),
        item("a", "1.1.1", "Review the identification form", parent="1.1"),
        item("b", "7", "Agree a joint identification form"),
    ]
    det = detect_items(items, None, lex, LEXICON_ONLY)
    assert len(det.kinds) == 1
    members = {m.key for m in det.kinds[0].members}
    assert len(members & {("a", "1"), ("a", "1.1"), ("a", "1.1.1")}) == 1
    assert ("a", "1") in members  # all equally alike: the parent stays
    assert ("b", "7") in members


def test_a_kind_spans_two_plans_at_least() -> None:
    lex = lexicon(hotline="hotline")
    one_plan = [item("a", "1", "Open a hotline"), item("a", "2", "Staff the hotline")]
    assert detect_items(one_plan, None, lex, LEXICON_ONLY).kinds == []
    two = [*one_plan, item("b", "1", "A hotline for victims")]
    (kind,) = detect_items(two, None, lex, LEXICON_ONLY).kinds
    assert kind.plans == ["a", "b"] and len(kind.members) == 3


def test_members_have_scores_confidence_and_evidence() -> None:
    lex = lexicon(forms="(identification|interview|screening) forms?")
    items = [
        item("a", "1", "Develop a common identification form", agencies=("khm/mosvy",)),
        item("b", "1", "Develop a standardized interview form", agencies=("khm/mosvy",)),
        item("c", "1", "Use the screening form at the border", years=(2012,)),
    ]
    (kind,) = detect_items(items, None, lex, LEXICON_ONLY).kinds
    assert kind.score == 1.0 and kind.confidence == "strong"
    for m in kind.members:
        assert m.score == 1.0 and m.confidence == "strong"
        assert m.evidence.startswith("mean similarity 1.00 to the other members")
    a = next(m for m in kind.members if m.key == ("a", "1"))
    assert a.agencies == ("khm/mosvy",) and a.years == (2020,)
    assert a.equivalents == (("forms", ("identification form",)),)
    assert "equivalent wording: “identification form”" in a.evidence
    assert kind.label == "Identification form / interview form / screening form"


def test_detection_is_deterministic_down_to_the_triples() -> None:
    lex = lexicon(forms="identification forms?", hotline="hotline")
    items = [
        item("a", "1", "Develop a common identification form"),
        item("b", "1", "Agree a joint identification form"),
        item("c", "1", "Open a hotline"),
        item("a", "2", "Staff the hotline"),
    ]
    one = detect_items(items, None, lex, LEXICON_ONLY)
    two = detect_items(list(reversed(items)), None, lex, LEXICON_ONLY)
    g1, g2 = Graph(), Graph()
    overlaps_graph(g1, one)
    overlaps_graph(g2, two)
    assert len(g1) > 20
    assert sorted(g1) == sorted(g2)


def test_lexicon_errors_name_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "lexicon.yaml"
    bad.write_text(
        "entries:\n  - id: forms\n    phrases: ['(unclosed']\n    reason: test\n",
        encoding="utf-8",
    )
    with pytest.raises(CurationError) as err:
        load_lexicon(bad)
    assert str(err.value).startswith(f"{bad}:2: entry forms: bad expression")
    bad.write_text("entries:\n  - id: forms\n    phrases: [x]\n", encoding="utf-8")
    with pytest.raises(CurationError, match="needs phrases and a reason"):
        load_lexicon(bad)


def test_partner_specific_entries_match_only_the_same_parties() -> None:
    lex = load_lexicon(ROOT / "data" / "overlaps" / "lexicon.yaml")
    china = lex.match("Organize annual workshops to review the MoU", frozenset({"chn", "khm"}))
    vietnam = lex.match("Review the implementation of the Agreement", frozenset({"vnm", "khm"}))
    npa = lex.match("Revise the agreement between Cambodia and Vietnam", frozenset({"khm"}))
    keys = {m.entry for m in china}, {m.entry for m in vietnam}, {m.entry for m in npa}
    assert "agreement-review@chn+khm" in keys[0]
    assert "agreement-review@khm+vnm" in keys[1] and "agreement-review@khm+vnm" in keys[2]


# -- the real plans ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> dict:
    import overlap_accuracy

    data = overlap_accuracy.corpus()
    det, _ = overlap_accuracy.run_method(data, overlaps.METHODS[overlaps.CHOSEN])
    return {"data": data, "det": det}


def test_real_kinds_keep_the_rules(real: dict) -> None:
    det = real["det"]
    items = det.items
    assert 20 <= len(det.kinds) <= 80
    for kind in det.kinds:
        keys = [m.key for m in kind.members]
        assert len({k[0] for k in keys}) >= 2, kind.key
        for plan, number in keys:
            parent = items[(plan, number)].parent
            while parent:
                assert (plan, parent) not in keys, (kind.key, plan, number, parent)
                parent = items[(plan, parent)].parent
        assert kind.themes and kind.label and kind.definition
        assert kind.confidence in ("strong", "possible")
        assert all(0 <= m.score <= 1 for m in kind.members)


def test_no_reason_is_a_stem_or_a_slug(real: dict) -> None:
    """Every shared phrase is printed in the texts of at least two members (of two plans), as
    shown; every equivalent phrase is printed in its own member's text; agencies are named by
    their prefLabel, never by a registry key."""
    det, registry = real["det"], real["data"]["registry"]
    keys = set(registry.agencies)
    slug = re.compile(r"\b[a-z]{3}/[a-z0-9][a-z0-9\-]*\b")
    checked = 0
    for kind in det.kinds:
        texts = {m.key: " ".join(det.items[m.key].text.split()) for m in kind.members}
        for phrase in kind.shared_phrases:
            holders = {k for k, t in texts.items() if phrase.lower() in t.lower()}
            assert len({k[0] for k in holders}) >= 2, (kind.key, phrase)
            assert any(phrase in t for t in texts.values()), (kind.key, phrase)
            checked += 1
        for m in kind.members:
            for phrase in m.phrases:
                assert phrase.lower() in texts[m.key].lower(), (kind.key, phrase)
            for _, words in m.equivalents:
                for w in words:
                    assert w in texts[m.key], (kind.key, m.key, w)
            for a in m.agencies:
                assert registry.agencies[a].name in m.evidence, (kind.key, a)
            found = {s for s in slug.findall(m.evidence + kind.reason) if s in keys}
            assert not found, (kind.key, found)
    assert checked > 30


@pytest.fixture(scope="module")
def accuracy() -> dict:
    import overlap_accuracy

    # the committed method only (the others need the overlaps-bench extra), no CV
    return overlap_accuracy.run(
        tune_methods=False, only=[overlaps.CHOSEN], measure_test=True, cv=False
    )


def test_accuracy_on_the_test_split_stays_above_the_floors(accuracy: dict) -> None:
    chosen = next(r for r in accuracy["methods"] if r["method"] == overlaps.CHOSEN)
    test, dev = chosen["test"], chosen["dev"]
    for name, floor in TEST_FLOORS.items():
        assert test[name] >= floor, (name, test)
    assert test["hard_flagged"] <= TEST_HARD_CEILING, test
    for name, floor in DEV_FLOORS.items():
        assert dev[name] >= floor, (name, dev)


def test_member_groups_are_the_detected_kinds(real: dict) -> None:
    """The benchmark sweeps thresholds with member_groups: the same members as detect_items."""
    import overlap_accuracy

    det, data = real["det"], real["data"]
    method = overlaps.METHODS[overlaps.CHOSEN]
    groups = overlap_accuracy.sweeper(data, method, data["lexicon"])(method.threshold)
    assert sorted(groups) == sorted(sorted(m.key for m in k.members) for k in det.kinds)


def test_cross_validation_reads_the_development_split_only() -> None:
    """Choosing a method never sees a test kind: load_dev keeps the dev kinds and negatives,
    the folds deal every dev kind to exactly one held-out fold."""
    import overlap_cv
    import yaml

    raw = yaml.safe_load(overlap_cv.KINDS.read_text(encoding="utf-8"))
    dev = overlap_cv.load_dev()
    assert set(dev["kinds"]) == {k["id"] for k in raw["kinds"] if k["split"] == "dev"}
    assert len(dev["negatives"]) == sum(1 for n in raw["negatives"] if n["split"] == "dev")
    split = overlap_cv.DevSplit(dev)
    held = [k for _, h in split.folds for k in h]
    assert sorted(held) == sorted(dev["kinds"]) and len(split.folds) == overlap_cv.N_FOLDS
    for train, h in split.folds:
        assert not set(train) & set(h)


def test_the_leave_out_regime_drops_the_entries_of_held_out_kinds_only() -> None:
    import overlap_cv

    a, b, c = ("p", "1"), ("q", "1"), ("r", "1")
    kinds = {"forms": [a, b], "hotlines": [b, c]}
    matches = {a: ["forms", "training"], b: ["forms", "training", "hotline"], c: ["hotline"]}
    joins = overlap_cv.entry_kinds(matches, kinds)
    assert joins == {"forms": {"forms"}, "training": {"forms"}, "hotline": {"hotlines"}}
    assert overlap_cv.left_out(joins, ["hotlines"]) == {"hotline"}
    both = overlap_cv.entry_kinds({**matches, c: ["hotline", "training"]}, kinds)
    assert overlap_cv.left_out(both, ["hotlines"]) == {"hotline"}  # training joins both
