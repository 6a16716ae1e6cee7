"""The China–Cambodia draft Joint Plan of Action 2017-2019 parser, on the real text."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter

import pytest

from plangraph.errors import SourceError
from plangraph.sources.catalog import Catalog
from plangraph.sources.curation import Curations
from plangraph.sources.model import Plan
from plangraph.sources.parsers import parse_document
from tests.golden import check_golden

SLUG = "chn-khm-jpa-2017-2019"


def test_golden(plan: Plan) -> None:
    check_golden(plan, SLUG)


def test_activities_per_section(plan: Plan) -> None:
    activities = [a for a in plan.activities if a.kind == "activity"]
    assert Counter(a.section for a in activities) == {
        "section-I": 1,
        "section-II": 2,
        "section-III": 8,
        "section-IV": 6,
        "section-V": 3,
        "section-VI": 3,
    }
    assert [s.title for s in plan.sections] == [
        "Policy and Cooperation",
        "Preventive Measures",
        "Protection",
        "Prosecution",
        "Capacity Building",
        "Monitoring and Evaluation",
    ]
    assert plan.activity("III.4").printed_number == "4."


def test_year_columns_are_notes_not_years(plan: Plan) -> None:
    assert all(a.years == [] for a in plan.activities)
    notes = {a.number: [n.text for n in a.notes] for a in plan.activities if a.notes}
    assert notes["I.1"] == ["2017: In China"]
    assert notes["IV.3"] == ["2017: NP/MoFA"]
    assert notes["V.2"] == ["2017: ?", "2018: ?"]
    assert all(n.uncertain for n in plan.activity("V.2").notes)


def test_row_continued_after_page_break(plan: Plan) -> None:
    a = plan.activity("III.4")
    assert a.text == (
        "Appoint and publicize focal persons with Khmer and Chinese speaking abilities in "
        "the Cambodia Embassy and each consulate to handle cases"
    )
    assert (a.spans[0].start_line, a.spans[0].end_line) == (33, 37)
    got = [(c.mention.text, c.mention.party, c.uncertain) for c in a.commitments]
    assert got == [
        ("Ministry of Public Security of China", "chn", False),
        ("Ministry of Interior Cambodia", "khm", True),
        ("Embassies", None, True),
    ]
    assert a.uncertain


def test_sub_activities_with_their_own_agencies(plan: Plan) -> None:
    subs = [a for a in plan.activities if a.parent == "I.1"]
    assert [s.text for s in subs] == ["Draft POA", "Review draft POA", "Meet to finalize draft POA"]
    assert [[c.mention.text for c in s.commitments] for s in subs] == [
        ["Cambodia"],
        ["Cambodia", "China"],
        ["Cambodia", "China"],
    ]
    assert [s.text for s in plan.activities if s.parent == "IV.2"] == [
        "Drafted",
        "Exchange draft",
        "Finalize draft by: Joint Taskforces meeting",
    ]


def test_both_sides_expand_per_party(plan: Plan) -> None:
    got = [(c.mention.text, c.mention.party) for c in plan.activity("IV.1").commitments]
    assert got == [("The two parties", "chn"), ("The two parties", "khm")]


def test_financial_notes_kept(plan: Plan) -> None:
    assert [n.kind for n in plan.notes] == ["financial"] * 3
    assert plan.notes[0].text.startswith("All costs related to international travel")
    assert plan.notes[2].span.start_line == 81


def test_bad_row_names_file_and_line(catalog: Catalog, curations: Curations, tmp_path) -> None:
    doc = catalog.document(SLUG)
    lines = doc.path.read_text(encoding="utf-8").split("\n")
    lines[38] = "\t5. Provide witnesses"  # line 39: a row with two cells
    path = tmp_path / doc.file
    path.write_text("\n".join(lines), encoding="utf-8")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(SourceError) as err:
        parse_document(dataclasses.replace(doc, path=path, sha256=sha), curations)
    assert (err.value.file, err.value.line) == (str(path), 39)
