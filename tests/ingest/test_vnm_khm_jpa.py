"""The Viet Nam–Cambodia Joint Plan of Action 2020-2022 parser, on the real text."""

from __future__ import annotations

from collections import Counter

import pytest

from plangraph.errors import SourceError
from plangraph.sources.catalog import Catalog
from plangraph.sources.curation import Curations
from plangraph.sources.model import Plan
from plangraph.sources.parsers import parse_document
from tests.golden import check_golden

SLUG = "vnm-khm-jpa-2020-2022"


def test_golden(plan: Plan) -> None:
    check_golden(plan, SLUG)


def test_all_19_activities_by_objective(plan: Plan) -> None:
    numbers = [a.number for a in plan.activities]
    assert len(numbers) == 19 == len(set(numbers))
    per_objective = Counter(a.section for a in plan.activities)
    assert per_objective == {
        "objective-1.1": 2,
        "objective-1.2": 2,
        "objective-1.3": 2,
        "objective-2.1": 3,
        "objective-3.1": 6,
        "objective-4.1": 2,
        "objective-4.2": 2,
    }
    areas = {s.key: s.parent for s in plan.sections if s.kind == "objective"}
    assert areas["objective-3.1"] == "area-3"
    assert [s.number for s in plan.sections if s.kind == "area"] == ["1", "2", "3", "4"]


def test_row_split_across_page_break_is_joined(plan: Plan) -> None:
    a = plan.activity("1.1.2")
    assert (
        a.text
        == "Have consensus of communicating mechanism and inform each other about any changes."
    )
    assert (a.spans[0].start_line, a.spans[0].end_line) == (12, 16)
    assert [o.text for o in a.outputs] == [
        "The communicating mechanism is established.",
        "Any information changes are updated frequently (via email of the focal points).",
    ]


def test_html_rows_realigned_and_years_from_x_marks(plan: Plan) -> None:
    assert plan.activity("1.1.1").years == []  # no mark: stays empty
    assert plan.activity("1.2.2").years == [2022]
    assert plan.activity("1.3.2").years == [2021, 2022]
    assert plan.activity("3.1.4").years == [2020]  # a 6-cell HTML row
    assert plan.activity("3.1.5").years == [2020, 2021, 2022]
    assert plan.activity("3.1.6").text.endswith(
        "to exchange, share information in annual bilateral meetings."
    )
    assert "<p>" not in plan.activity("1.2.2").text


def test_agencies_per_country(plan: Plan) -> None:
    got = {(c.mention.party, c.mention.text, c.role) for c in plan.activity("4.1.1").commitments}
    assert got == {
        (
            "vnm",
            "Ministry of Public Security "
            "(Central and local levels of Criminal Investigation Police force)",
            "responsible",
        ),
        ("vnm", "Border Guard", "support"),
        (
            "khm",
            "Anti-human trafficking and juvenile protection, Department of General Commissariat "
            "of National Police of Cambodia, Ministry of Interior",
            "responsible",
        ),
        ("khm", "General Department of Immigration (Department of Border Gate)", "responsible"),
    }


def test_agency_cell_broken_by_page_is_joined(plan: Plan) -> None:
    texts = [c.mention.text for c in plan.activity("3.1.1").commitments]
    assert (
        "Ministry of Social Affairs, Veteran and Youth Rehabilitation "
        "(Department of Anti-human trafficking and Victim Reintegration)"
    ) in texts
    assert plan.activity("3.1.1").commitments[0].spans[0].end_line == 35


def test_merged_agency_cells_are_flagged(plan: Plan) -> None:
    flagged = sorted(a.number for a in plan.activities if "agencies-from-merged-cell" in a.flags)
    assert flagged == [
        "1.1.2",
        "1.3.2",
        "2.1.2",
        "2.1.3",
        "3.1.2",
        "3.1.3",
        "3.1.4",
        "3.1.5",
        "3.1.6",
        "4.1.2",
    ]
    for number in ("4.2.1", "4.2.2"):
        a = plan.activity(number)
        assert a.curations == ["vnm-khm-4.2-agencies"]
        assert {c.mention.party for c in a.commitments} == {"vnm", "khm"}


def test_catch_all_is_one_mention_per_country(plan: Plan) -> None:
    got = [(c.mention.text, c.mention.party) for c in plan.activity("1.2.1").commitments]
    assert got == [
        ("competent authorities concerned", "vnm"),
        ("competent authorities concerned", "khm"),
    ]


def test_missing_table_header_names_file_and_line(
    catalog: Catalog, curations: Curations, tmp_path
) -> None:
    import dataclasses
    import hashlib

    doc = catalog.document(SLUG)
    broken = doc.path.read_text(encoding="utf-8").replace("Agencies in charge", "Agencies")
    path = tmp_path / doc.file
    path.write_text(broken, encoding="utf-8")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(SourceError) as err:
        parse_document(dataclasses.replace(doc, path=path, sha256=sha), curations)
    assert err.value.file == str(path) and err.value.line == 1
    assert "table header" in str(err.value)
