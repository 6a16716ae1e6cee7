"""Action themes: the classifier's phrases, its explanations, the curation file, and the
real plans (every step has a theme or is listed as unthemed with a reason)."""

from __future__ import annotations

from pathlib import Path

import pytest

from plangraph.analysis.themes import (
    Tagging,
    ThemeCurations,
    load_curations,
    load_scheme,
    match_text,
    tag_plan,
    tag_plans,
    untagged,
)
from plangraph.errors import CurationError
from plangraph.graph.build import parse_all
from plangraph.paths import ProjectPaths
from plangraph.sources.model import Activity, Plan, Section, SourceSpan

SPAN = SourceSpan("doc", 1, 1)


@pytest.fixture(scope="module")
def scheme(paths: ProjectPaths):
    return load_scheme(paths.ontology / "themes.ttl")


@pytest.fixture(scope="module")
def tagging(paths: ProjectPaths, catalog, registry, curations, scheme) -> Tagging:
    plans = parse_all(catalog, registry, curations)
    return tag_plans([p for _, p in plans], scheme, load_curations(paths.curation / "themes.yaml"))


@pytest.mark.parametrize(
    ("text", "theme", "words"),
    [
        (
            "Develop and agree on a common victim identification form",
            "victim-identification",
            ("identification form", "victim identification"),
        ),
        ("Set up/improve shelters for victims", "shelters-and-services", ("shelters",)),
        ("Increase the number of three-digit hotlines", "hotlines-and-reporting", ("hotlines",)),
        (
            "Conduct joint training for law enforcement officials",
            "law-enforcement-training",
            ("law enforcement", "training"),
        ),
        (
            "Sign extradition treaties with other countries",
            "mutual-legal-assistance",
            ("extradition",),
        ),
        (
            "Train employers in the tourism industry on child safe tourism",
            "child-safe-tourism",
            ("tourism",),
        ),
    ],
)
def test_match_text_returns_the_words_that_matched(text: str, theme: str, words) -> None:
    found = match_text(text)
    assert found[theme] == tuple(sorted(words))


def test_masked_phrases_do_not_count() -> None:
    assert "legal-framework" not in match_text("Train law enforcement officers")
    assert "research" not in match_text("Organize study tours to select countries")
    assert "awareness-raising" not in match_text("Carry out peak-time campaigns at the border")
    assert "law-enforcement-training" not in match_text("Train teachers in schools")


def plan_with(*activities: Activity, sections: tuple[Section, ...] = ()) -> Plan:
    return Plan("p", "P", "doc", [SPAN], sections=list(sections), activities=list(activities))


def test_short_items_inherit_from_parent_then_serves_then_section() -> None:
    plan = plan_with(
        Activity("1", "Develop SOPs for repatriation of victims", None, [SPAN]),
        Activity("1.a", "Drafted", None, [SPAN], kind="sub-activity", parent="1"),
        Activity("w.1", "Summarize progress", None, [SPAN], kind="work-item", serves=["1"]),
        Activity("2", "Meet to finalize", "s", [SPAN]),
        sections=(Section("s", "section", "Victim shelters", [SPAN]),),
    )
    tags = tag_plan(plan)
    assert [(t.theme, t.source) for t in tags["1.a"]] == [("repatriation-reintegration", "parent")]
    assert tags["1.a"][0].evidence == ("parent 1: repatriation",)
    assert [(t.theme, t.source) for t in tags["w.1"]] == [("repatriation-reintegration", "serves")]
    assert [(t.theme, t.source) for t in tags["2"]] == [("shelters-and-services", "section")]


def test_curations_add_remove_and_unthemed(scheme) -> None:
    plan = plan_with(
        Activity("1", "Develop SOPs for repatriation of victims", None, [SPAN]),
        Activity("2", "Meet", None, [SPAN]),
        Activity("3", "Meet again", None, [SPAN]),
    )
    cur = ThemeCurations(
        add=(("p", "2", "focal-points-and-coordination", "a coordination meeting"),),
        remove=(("p", "1", "repatriation-reintegration", "not really"),),
        unthemed=(("p", "3", "says nothing"),),
    )
    t = tag_plans([plan], scheme, cur)
    assert t.tags[("p", "1")] == []
    assert [(x.theme, x.source, x.evidence) for x in t.tags[("p", "2")]] == [
        ("focal-points-and-coordination", "curation", ("a coordination meeting",))
    ]
    assert t.unthemed == {("p", "3"): "says nothing"}
    assert untagged(t) == [("p", "1")]


@pytest.mark.parametrize(
    "cur",
    [
        ThemeCurations(add=(("p", "9", "research", "r"),)),
        ThemeCurations(add=(("p", "1", "no-such-theme", "r"),)),
        ThemeCurations(remove=(("p", "1", "research", "r"),)),
        ThemeCurations(unthemed=(("p", "1", "r"),)),
    ],
)
def test_curations_that_no_longer_apply_fail(scheme, cur: ThemeCurations) -> None:
    plan = plan_with(Activity("1", "Develop SOPs for repatriation of victims", None, [SPAN]))
    with pytest.raises(CurationError):
        tag_plans([plan], scheme, cur)


def test_curation_file_is_well_formed(paths: ProjectPaths, tmp_path: Path) -> None:
    cur = load_curations(paths.curation / "themes.yaml")
    assert all(reason for *_, reason in cur.add + cur.remove + cur.unthemed)
    bad = tmp_path / "themes.yaml"
    bad.write_text("add:\n  - activity: p/1\n    theme: research\n", encoding="utf-8")
    with pytest.raises(CurationError, match="reason"):
        load_curations(bad)


def test_every_step_of_the_real_plans_has_a_theme_or_a_reason(tagging: Tagging) -> None:
    assert len(tagging.tags) >= 450
    assert untagged(tagging) == []
    for key, reason in tagging.unthemed.items():
        assert reason.strip(), key
    assert all(t.evidence for tags in tagging.tags.values() for t in tags)


def test_real_plans_known_tags(tagging: Tagging) -> None:
    assert "victim-identification" in tagging.themes("chn-khm-2017-2019", "III.1")
    assert "shelters-and-services" in tagging.themes("chn-khm-2017-2019", "III.3")
    assert "hotlines-and-reporting" in tagging.themes("khm-npa-2011-2013", "3.6.13")
    assert "child-safe-tourism" in tagging.themes("khm-npa-2011-2013", "2.6.5")
    assert "mutual-legal-assistance" in tagging.themes("commit-srpa-2005-2007", "9")
    assert "awareness-raising" in tagging.themes("vnm-khm-2020-2022", "2.1.1")
    assert tagging.themes("khm-tha-2023-2025", "y1-q1.1") == ["focal-points-and-coordination"]
