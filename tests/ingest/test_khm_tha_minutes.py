"""The Cambodia–Thailand meeting minutes and draft plan parser, on the real text."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from pathlib import Path

import pytest

from plangraph.errors import SourceError
from plangraph.sources.catalog import Catalog
from plangraph.sources.curation import Curations
from plangraph.sources.model import Plan, Target
from plangraph.sources.parsers import parse_document
from plangraph.sources.registry import Registry, resolve_plan
from tests.golden import check_golden

SLUG = "khm-tha-meeting-2023-01"


def test_golden(plan: Plan) -> None:
    check_golden(plan, SLUG)


def test_objectives_as_agreed_in_the_minutes(plan: Plan) -> None:
    assert plan.general_objective == (
        "To strengthen bilateral cooperation between the Government of the Kingdom of Cambodia "
        "and the Government of the Kingdom of Thailand to implement the SOP on Law Enforcement "
        "Cooperation to Combat Trafficking in Persons, which was signed on 25 August 2022"
    )
    superseded = [n for n in plan.notes if n.kind == "superseded-general-objective"]
    assert len(superseded) == 1
    assert superseded[0].text.startswith("The Government of the Kingdom of Cambodia and")
    assert superseded[0].span.start_line == 57
    objectives = [s for s in plan.sections if s.kind == "specific-objective"]
    assert [s.title for s in objectives] == [
        "Strengthen the rule of law and law enforcement cooperation between Cambodia and Thailand",
        "Intensify efforts to prosecute trafficking in persons cases",
        "Strengthen protection of human rights and legal assistance for victims of trafficking, "
        "especially women and children",
    ]
    assert objectives[2].notes[0].kind == "superseded-specific-objective"


def test_annex3_actions(plan: Plan) -> None:
    actions = [a for a in plan.activities if a.kind == "activity"]
    assert [a.number for a in actions] == [
        "1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "2.5", "3.1", "3.2", "3.3", "3.4",
    ]  # fmt: skip
    assert Counter(a.section for a in actions) == {
        "objective-1": 4,
        "objective-2": 5,
        "objective-3": 4,
    }
    a11 = plan.activity("1.1")
    assert [(c.mention.text, c.mention.party, c.role) for c in a11.commitments] == [
        ("NCCT", "khm", "responsible"),
        ("DAT IP", "tha", "responsible"),
        ("GCNP", "khm", "implementing-partner"),
        ("MOJ", "khm", "implementing-partner"),
        ("MOSVY", "khm", "implementing-partner"),
    ]
    assert [(t.value, t.year) for t in a11.targets] == [(1.0, None), (1.0, 2023)]
    assert [n.text for n in a11.notes if n.kind == "resources"] == ["Government and partners"]
    # the end of 1.2 is printed in the cell that starts 1.3
    assert plan.activity("1.2").text.endswith(
        "find common ground in developing a joint standardized interview form"
    )
    assert plan.activity("1.3").text.startswith("Organize workshop to develop a standardized")
    assert plan.activity("1.3").cites == ["sop-lec", "khm-tha-mou-tip"]
    # a row printed one word per line over 27 lines
    assert plan.activity("2.4").text.endswith(
        "victims, witnesses and suspects during an investigation."
    )
    # the first word of 2.5's indicator is printed on the last line of 2.4
    assert [i.text for i in plan.activity("2.5").indicators] == [
        "A standardized Form to waive Immigration fees developed and validated"
    ]
    assert [i.text for i in plan.activity("2.3").indicators] == [
        "# of Training",
        "# of Law enforcement officers, prosecutors, judges, immigration officials trained",
    ]


def test_garbled_figures_flagged_not_repaired(plan: Plan) -> None:
    a13 = plan.activity("1.3")
    assert [(t.text, t.value, t.year, t.garbled) for t in a13.targets] == [
        ("4 120", None, None, True),
        ("2 6 0", None, 2024, True),
        ("2 6 0", None, 2025, True),
    ]
    assert "unreadable-cell:line-249:responsible:NGCE" in a13.flags
    assert "khm-tha-annex3-cells-249" in a13.curations
    a14 = plan.activity("1.4")
    assert "targets-do-not-add-up:line-251" in a14.flags
    assert [(t.text, t.garbled) for t in a14.targets if t.year == 2024] == [
        ("2", False),
        ("6 0", True),
    ]
    a25 = plan.activity("2.5")
    assert sorted(c.mention.text for c in a25.commitments) == [
        "Law enforcement group",
        "MoI (GDI)",
        "MoI (GDI)",
        "MoSVY",
        "MoSVY",
    ]
    assert "unreadable-cell:line-277:responsible:Mal (CDI)" in a25.flags
    assert plan.activity("3.1").commitments[0].mention.text == "MoJ"  # printed in Cyrillic
    assert "homoglyphs-read-as-latin:line-295:МоЈ" in plan.activity("3.1").flags
    assert "stray-text:line-301:information the" in plan.activity("3.4").flags


def _nonzero(target: Target) -> bool:
    """A target figure other than 0; a garbled figure counts when it prints a digit 1-9."""
    if target.value is not None:
        return target.value != 0
    return any(ch in "123456789" for ch in target.text)


def test_action_years_are_the_years_of_its_nonzero_targets(plan: Plan) -> None:
    actions = [a for a in plan.activities if a.kind == "activity"]
    assert len(actions) == 13
    for a in actions:
        from_targets = sorted({t.year for t in a.targets if t.year is not None and _nonzero(t)})
        assert a.years == from_targets, a.number
        assert "years-from-targets" in a.flags, a.number
        (note,) = [n for n in a.notes if n.kind == "years-from-targets"]
        used = [t for t in a.targets if t.year is not None and _nonzero(t)]
        assert note.span.start_line == min(t.span.start_line for t in used)
        assert note.span.end_line == max(t.span.end_line for t in used)
    # as printed in the 2023 | 2024 | 2025 columns (lines 237-299); no year where none is
    assert {a.number: a.years for a in actions} == {
        "1.1": [2023],
        "1.2": [2023, 2024],
        "1.3": [2024, 2025],  # "2 6 0" in both: garbled, but printed and not 0
        "1.4": [2024, 2025],
        "2.1": [2023],
        "2.2": [2023],
        "2.3": [2024, 2025],
        "2.4": [2024],
        "2.5": [2024],
        "3.1": [2024],
        "3.2": [2024],
        "3.3": [2023, 2024, 2025],
        "3.4": [2023, 2024, 2025],
    }
    # the quarterly items of Annex 4 keep their own years, with no such flag
    quarterly = [a for a in plan.activities if a.kind == "quarterly-item"]
    assert len(quarterly) == 8
    assert all(len(a.years) == 1 and "years-from-targets" not in a.flags for a in quarterly)


def test_annex4_quarterly_items(plan: Plan) -> None:
    items = [a for a in plan.activities if a.kind == "quarterly-item"]
    assert [(a.number, a.quarters, a.places) for a in items] == [
        ("y1-q1.1", ["2023-Q1"], []),
        ("y1-q2.1", ["2023-Q2"], ["Bangkok, Thailand"]),
        ("y2-q2.1", ["2024-Q2"], ["Bangkok, Thailand"]),
        ("y3-q2.1", ["2025-Q2"], ["Pattaya, Thailand"]),
        ("y1-q4.1", ["2023-Q4"], ["Sihanouk Ville, Cambodia"]),
        ("y2-q4.1", ["2024-Q4"], ["Phnom Penh, Cambodia"]),
        ("y3-q4.1", ["2025-Q4"], ["Cambodia"]),
        ("y3-q4.2", ["2025-Q4"], []),
    ]
    assert plan.activity("y1-q2.1").outputs[0].text == "Finalized PoA"
    assert plan.activity("y1-q2.1").section == "year-1"


def test_meeting(plan: Plan) -> None:
    (meeting,) = plan.meetings
    assert (meeting.start_date, meeting.end_date) == ("2023-01-18", "2023-01-19")
    assert meeting.venue == "Sokhalay Angkor Hotel, Siem Reap Province, Cambodia"
    chairs = [(c.name, c.party, c.organisation and c.organisation.text) for c in meeting.chairs]
    assert chairs == [
        ("H.E. Mrs. Chou Bun Eng", "khm", "Ministry of Interior"),
        (
            "Mr. Pravit Roykaew",
            "tha",
            "Department of Trafficking in Persons Litigations, Office of Attorney General",
        ),
    ]
    assert len(meeting.agenda) == 23
    assert meeting.agenda[0].text.startswith("18 January 2023 08:00 - 08:30: Registration")


def test_decisions(plan: Plan) -> None:
    decisions = {d.key: d for d in plan.meetings[0].decisions}
    assert list(decisions) == [
        "day1-4.4",
        "day1-6.2.2",
        "day1-6.2.3",
        "day1-6.2.5",
        "day1-7.1",
        "day1-7.2",
        "day2-2.2",
        "day2-2.5",
        "day2-3",
    ]
    assert decisions["day1-6.2.2"].changes == ["general-objective"]
    assert decisions["day1-6.2.3"].changes == ["objective-3"]
    assert decisions["day2-2.5"].changes == ["plan", "y1-q2.1"]
    assert decisions["day2-2.5"].date == "2023-06-12"
    assert decisions["day2-2.5"].span.start_line == 93
    assert "small technical team" in decisions["day1-7.1"].text


def test_attendance(plan: Plan) -> None:
    people = plan.meetings[0].participants
    assert len(people) == 40
    assert Counter(p.party for p in people) == {"khm": 17, "tha": 13, None: 10}
    by_name = {p.name: p for p in people}
    sim = by_name["H.E. Mrs. Pol. Maj. Gen. Sim Phanom"]
    assert sim.position == "Director"
    assert sim.organisation is not None and sim.organisation.text.startswith(
        "Department of Anti-human Trafficking and Juvenile Protection"
    )
    surachate = by_name["Pol. Gen Surachate Hakparn"]
    assert surachate.organisation is not None
    assert (surachate.organisation.text, surachate.organisation.span.start_line) == (
        "Royal Thai Police",
        45,
    )
    assert by_name["Mr. Kerati Sae-Oui"].organisation is None


def test_every_mention_resolves(catalog: Catalog, curations: Curations, registry: Registry) -> None:
    plan = parse_document(catalog.document(SLUG), curations)  # a fresh copy: this fills .resolved
    resolve_plan(plan, registry, SLUG)
    resolved = Counter(m.resolved for m in plan.mentions())
    assert resolved["khm/ncct"] > 0
    assert resolved["tha/datip"] == 3  # actions 1.1, 1.2 and attendee 31
    assert plan.activity("3.1").commitments[0].mention.resolved == "khm/moj"
    by_name = {p.name: p for p in plan.meetings[0].participants}
    org = by_name["Mr. Ratchapon Maneelek"].organisation
    assert org is not None and org.resolved == "tha/datip"


def test_missing_annex3_is_a_source_error(
    catalog: Catalog, curations: Curations, tmp_path: Path
) -> None:
    document = catalog.document(SLUG)
    lines = document.path.read_text(encoding="utf-8").split("\n")
    start = lines.index("Annex 3 – Proposed Draft Plan of Action")
    end = lines.index("Annex 4 - Final Version of Draft Plan of Action")
    del lines[start:end]
    data = "\n".join(lines).encode("utf-8")
    copy = tmp_path / document.file
    copy.write_bytes(data)
    broken = dataclasses.replace(document, path=copy, sha256=hashlib.sha256(data).hexdigest())
    with pytest.raises(SourceError) as info:
        parse_document(broken, curations)
    assert info.value.file == str(copy)
    assert info.value.line == start + 1  # where Annex 4 now is
    assert "Annex 3" in info.value.message
