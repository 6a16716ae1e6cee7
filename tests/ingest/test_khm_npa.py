"""The Cambodian National Plan of Action 2011-2013 parser, on the real text."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest

from plangraph.errors import SourceError
from plangraph.sources.catalog import Catalog
from plangraph.sources.curation import Curations
from plangraph.sources.model import ROLE_RESOURCING, ROLE_RESPONSIBLE, Activity, Plan
from plangraph.sources.parsers import parse_document
from plangraph.sources.parsers.base import has_khmer
from plangraph.sources.registry import Registry, resolve_plan
from tests.golden import check_golden

SLUG = "khm-npa-2011-2013"

# Activities per group: in the table (as parsed) and as the narrative (section 3.1.E) states.
TABLE_COUNTS = {
    "1.1": 8, "1.2": 5, "1.3": 4, "1.4": 14,
    "2.1": 13, "2.2": 16, "2.3": 12, "2.4": 3, "2.5": 5, "2.6": 9, "2.7": 10,
    "3.1": 13, "3.2": 9, "3.3": 3, "3.4": 8, "3.5": 4, "3.6": 16,
    "4.1": 5, "4.2": 3, "4.3": 8, "4.4": 6, "4.5": 12, "4.6": 6,
    "5.1": 8, "5.2": 6,
}  # fmt: skip
STATED_COUNTS = {
    "1.1": 8, "1.2": 4, "1.3": 4, "1.4": 14,
    "2.1": 14, "2.2": 16, "2.3": 13, "2.4": 3, "2.5": 5, "2.6": 9, "2.7": 10,
    "3.1": 13, "3.2": 9, "3.3": 3, "3.4": 8, "3.5": 4, "3.6": None,
    "4.1": 5, "4.2": 3, "4.3": 8, "4.4": 7, "4.5": 12, "4.6": 6,
    "5.1": 8, "5.2": 6,
}  # fmt: skip


def _resp(a: Activity) -> list[str]:
    return [c.mention.text for c in a.commitments if c.role == ROLE_RESPONSIBLE]


def _res(a: Activity) -> list[str]:
    return [c.mention.text for c in a.commitments if c.role == ROLE_RESOURCING]


def test_golden(plan: Plan) -> None:
    check_golden(plan, SLUG)


def test_plan_and_structure(plan: Plan) -> None:
    assert plan.slug == "khm-npa-2011-2013" and plan.source == SLUG
    assert plan.title == (
        "NATIONAL PLAN OF ACTION on the Suppression of Human Trafficking, Smuggling, Labour, "
        "and Sexual Exploitation (S.T.S.L.S.) 2011-2013"
    )
    strategies = [s for s in plan.sections if s.kind == "strategy"]
    groups = [s for s in plan.sections if s.kind == "activity-group"]
    assert [s.key for s in strategies] == [f"strategy-{n}" for n in range(1, 6)]
    assert [s.stated_activity_count for s in strategies] == [31, 69, 53, 41, 14]
    assert len(groups) == 25
    assert all(g.parent == f"strategy-{g.number[0]}" for g in groups)
    assert all(g.description for g in groups)
    g33 = plan.section("group-3.3")
    assert g33.title == "Responsive judiciary system"
    assert g33.description.startswith("To continue to support reforms to the judiciary system")
    g11 = plan.section("group-1.1")
    assert g11.title == "Coordination and Implementation of the National Plan of Action (NPA)"
    assert g11.description.startswith("To ensure that the National Plan of Action (NPA)")
    assert [(m.text, m.span.start_line) for m in plan.coordinators] == [
        (
            "National Committee to Lead the Suppression of Human Trafficking, Smuggling, Labour "
            "Exploitation and Sexual Exploitation of Women and Children (S.T.S.L.S.)",
            163,
        ),
        ("Secretariat of the National Committee S.T.S.L.S.", 871),
    ]
    assert {n.kind: n.text for n in plan.notes}["period"] == "from December 2011 to December 2013"


def test_every_printed_activity_once(plan: Plan, catalog: Catalog) -> None:
    """Every number printed at the start of a table row (or of a packed <p>) is one record."""
    lines = catalog.document(SLUG).read_lines()
    printed = []
    for raw in lines[450:826]:
        printed += re.findall(r"(?:^|<p>)(\d\.\d+\.\d+\.?)\s", raw.split("\t")[0])
    assert len(printed) == 204
    records = [a.printed_number for a in plan.activities if a.printed_number is not None]
    assert sorted(records) == sorted(printed)
    numbers = [a.number for a in plan.activities]
    assert len(numbers) == len(set(numbers)) == 206
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]*", n) for n in numbers)


def test_sequence_in_each_group_is_unbroken_or_curated(plan: Plan) -> None:
    for group in (s for s in plan.sections if s.kind == "activity-group"):
        got = sorted(
            int(a.number.rsplit(".", 1)[1]) for a in plan.activities if a.section == group.key
        )
        missing = [n for n in range(1, got[-1] + 1) if n not in got]
        flagged = [f for f in group.flags if f.startswith("missing-number:")]
        assert [f"missing-number:{group.number}.{n}" for n in missing] == flagged
        if missing:
            assert any(f.startswith("curation:") for f in group.flags)
    assert plan.section("group-2.3").flags[:2] == [
        "missing-number:2.3.2",
        "curation:npa-2.3.2-missing",
    ]


def test_counts_table_vs_narrative(plan: Plan) -> None:
    table = Counter(a.section for a in plan.activities)
    assert {k.removeprefix("group-"): v for k, v in table.items()} == TABLE_COUNTS
    stated = {
        s.number: s.stated_activity_count for s in plan.sections if s.kind == "activity-group"
    }
    assert stated == STATED_COUNTS
    differ = {
        s.number: s.flags[-1]
        for s in plan.sections
        if s.kind == "activity-group" and any(f.startswith("count-differs") for f in s.flags)
    }
    assert differ == {
        "1.2": "count-differs:stated-4-table-5",
        "2.1": "count-differs:stated-14-table-13",
        "2.3": "count-differs:stated-13-table-12",
        "4.4": "count-differs:stated-7-table-6",
    }
    assert plan.flags == ["count-differs:stated-208-table-206"]


def test_well_formed_row(plan: Plan) -> None:
    a = plan.activity("1.1.7")
    assert a.printed_number == "1.1.7."
    assert a.text == (
        "Review the Sub-decree No. 183 on Marriages between Khmer Nationals and Foreigners."
    )
    assert a.section == "group-1.1" and a.years == [2011]
    assert _resp(a) == ["Secretariat S.T.S.L.S", "MoFAIC", "MoJ", "MoWA"]
    assert _res(a) == ["The Royal Government", "development partners"]
    assert [(n.kind, n.text) for n in a.notes] == [
        ("resources", "The Royal Government and development partners")
    ]
    assert a.cites == ["sub-decree-183-2008"]
    assert (a.spans[0].start_line, a.spans[0].end_line) == (466, 466)
    assert [c.mention.party for c in a.commitments] == ["khm"] * 5 + [None]


def test_row_split_across_page(plan: Plan) -> None:
    a = plan.activity("1.1.5")
    assert "row-split-across-page" in a.flags
    assert (a.spans[0].start_line, a.spans[0].end_line) == (462, 464)
    assert _resp(a) == ["Municipal/ Provincial Secretariat S.T.S.L.S"]
    assert a.notes[-1].text == "The Royal Government and development partners"
    assert [i.span.start_line for i in a.indicators] == [462, 464]
    b = plan.activity("1.2.3")
    assert b.text == (
        "Update/develop study and training programs based on the results of the training "
        "needs assessment."
    )
    assert b.indicators[0].text == "Training manual developed and jointly implemented."
    # a fragment continuing the outcome of the row above, and a duplicate resources cell
    c = plan.activity("3.1.3")
    assert c.outputs[0].text.endswith(
        "Mutual Legal Assistance for Criminal Cases is approved and applied."
    )
    assert "duplicate-fragment-dropped" in c.flags
    # the heading of group 2.6 carries the end of the last indicator of 2.5.5
    assert (
        plan.activity("2.5.5")
        .indicators[-1]
        .text.endswith("reports produced at the community level.")
    )


def test_cells_spilling_into_other_columns(plan: Plan) -> None:
    a = plan.activity("2.1.6")  # timeframe printed at the end of the responsible cell
    assert _resp(a) == ["Secretariat S.T.S.L.S."] and a.years == [2011, 2012]
    assert "timeframe-split-from-cell" in a.flags
    b = plan.activity("3.1.4")  # timeframe printed at the start of the outcome cell
    assert b.years == [2011, 2012, 2013]
    assert b.outputs[0].text.startswith("Cambodia laws and procedures")
    c = plan.activity("2.3.9")  # responsible institutions printed in the indicator cell
    assert _resp(c) == ["Secretariat S.T.S.L.S.", "Prevention Working Group", "MoLVT"]
    assert c.indicators[0].text.startswith("Areas for improvement")
    assert "responsible-recovered-from-indicators" in c.flags
    d = plan.activity("4.1.4")  # an indicator cell ends at the top of the next row
    assert d.indicators[-1].text.endswith("working conditions to identify levels of vulnerability.")
    assert plan.activity("4.1.5").outputs == []


def test_empty_timeframe_stays_empty(plan: Plan) -> None:
    for number in ("2.7.3", "2.7.4", "3.2.3", "5.1.5", "5.1.8", "5.2.2", "5.2.4", "5.2.5"):
        assert plan.activity(number).years == [], number
    assert plan.activity("3.6.6").years == [2011]  # printed "2011-2011"
    assert plan.activity("5.2.6").years == [2013, 2014]


def test_number_printed_wrongly_is_corrected(plan: Plan) -> None:
    a = plan.activity("4.3.6")
    assert a.printed_number == "4.4.6." and a.section == "group-4.3"
    assert a.flags == ["number-corrected"]
    assert [x.number for x in plan.activities if x.section == "group-4.3"] == [
        f"4.3.{n}" for n in range(1, 9)
    ]


def test_packed_row(plan: Plan) -> None:
    packed = [a for a in plan.activities if "packed-row" in a.flags]
    assert [a.number for a in packed] == ["3.4.4", "3.4.5", "3.4.6", "3.4.7", "3.4.8"]
    assert [a.years for a in packed] == [
        [2011, 2012],
        [2011, 2012, 2013],
        [2011, 2012, 2013],
        [2011, 2012],
        [2013],
    ]
    assert _resp(packed[4]) == ["Secretariat S.T.S.L.S.", "Moj", "Mol", "Justice Working Group"]
    assert [i.text for i in packed[1].indicators] == ["Number of suspects extradited."]
    assert all(a.curations == ["npa-3.4-packed-row"] for a in packed)
    prev = plan.activity("3.4.3")
    assert prev.outputs[0].text.endswith("is well coordinated, cooperative and effective.")
    assert prev.indicators[1].text == (
        "Number of ASEAN Senior Official Meeting(s) on Transnational Crimes (ASEAN SOM-TC) in "
        "which Cambodian officials participate."
    )


def test_indicators_out_of_step_are_realigned(plan: Plan) -> None:
    a = plan.activity("2.2.9")
    assert a.indicators[0].text == "80% of literacy program teachers are trained and qualified."
    assert a.indicators[0].span.start_line == 552  # printed on the row of 2.2.10
    assert "indicator-realigned" in a.flags
    assert a.curations == ["npa-2.2-indicators-out-of-step"]
    assert plan.activity("3.1.5").indicators[0].text.startswith("Number of copies of Law on")
    assert plan.activity("3.1.8").indicators == []
    assert [i.text for i in plan.activity("3.5.2").indicators] == [
        "Victim protection framework is established within the trial process."
    ]


def test_orphan_and_unnumbered_rows_are_curated(plan: Plan) -> None:
    for number in ("1.3.2", "1.3.3", "1.3.4"):
        a = plan.activity(number)
        assert _res(a) == ["The Royal Government", "UNICEF", "WVC", "ILO", "ECPAT"]
        assert a.curations == ["npa-1.3-resources"]
        unicef = next(c for c in a.commitments if c.mention.text == "UNICEF")
        assert unicef.mention.party is None and unicef.mention.span.start_line == 486
    assert plan.activity("1.2.2").years == [2012]
    assert plan.activity("1.2.2").notes[0].text == "2011-2013"
    a = plan.activity("4.4.4")  # number and text on one line, cells on the next
    assert "row-split-across-lines" in a.flags and a.years == [2011, 2012]
    b = plan.activity("4.4.5")
    assert b.printed_number is None and b.curations == ["npa-4.4.5-unnumbered-row"]
    assert b.text.startswith("improving the quality of care in existing centres")
    assert [(s.start_line, s.end_line) for s in b.spans] == [(412, 412), (765, 765)]
    assert _resp(b) == ["MoSVY", "MoJ"]


def test_cites_laws_and_agreements(plan: Plan) -> None:
    keys = {li.key: li for li in plan.legal_instruments}
    assert keys["commit-mou-2004"].same_as_agreement == "commit-mou-2004"
    assert keys["commit-mou-2004"].date == "2004-10-29"
    # the 2005 agreement is not shown by any text to be the one the 2020-2022 plan implements
    assert keys["khm-vnm-agreement-2005"].same_as_agreement is None
    assert [k for k, li in keys.items() if li.same_as_agreement] == ["commit-mou-2004"]
    assert keys["law-stsls-2008"].title == (
        "Law on Suppression of Human Trafficking and Sexual Exploitation"
    )
    assert plan.activity("1.1.8").cites == ["sub-decree-190"]
    assert plan.activity("2.3.11").cites == ["sub-decree-190"]
    assert plan.activity("2.3.11").curations == ["npa-2.3.11-sub-decree"]
    assert plan.activity("1.4.8").cites == ["khm-tha-mou-2003"]
    assert plan.activity("1.4.10").cites == ["khm-vnm-agreement-2005"]
    assert "law-stsls-2008" in plan.activity("3.1.1").cites
    cited = {k for a in plan.activities for k in a.cites}
    assert cited <= set(keys)


def test_every_curation_entry_is_applied(plan: Plan, curations: Curations) -> None:
    entries = {c.id for c in curations.for_document(SLUG)}
    used = {c for a in plan.activities for c in a.curations}
    used |= {
        f.split(":", 1)[1] for s in plan.sections for f in s.flags if f.startswith("curation:")
    }
    assert used == entries
    assert all(c.reason and c.decision for c in curations.for_document(SLUG))


def test_text_is_clean(plan: Plan) -> None:
    texts = [a.text for a in plan.activities]
    texts += [x.text for a in plan.activities for x in [*a.outputs, *a.indicators, *a.notes]]
    texts += [c.mention.text for a in plan.activities for c in a.commitments]
    for t in texts:
        assert t and t == t.strip() and "  " not in t
        assert "<" not in t and "[Signature]" not in t and not has_khmer(t), t


def test_every_mention_resolves(plan: Plan, catalog: Catalog, registry: Registry) -> None:
    resolve_plan(plan, registry, catalog.document(SLUG).path)
    assert all(m.resolved for m in plan.mentions())
    assert [m.resolved for m in plan.coordinators] == ["khm/nc-stsls", "khm/nc-stsls-secretariat"]
    load = Counter(
        c.mention.resolved
        for a in plan.activities
        for c in a.commitments
        if c.role == ROLE_RESPONSIBLE
    )
    assert sorted(load.items(), key=lambda kv: (-kv[1], kv[0]))[:10] == [
        ("khm/nc-stsls-secretariat", 72),
        ("khm/mosvy", 52),
        ("khm/moj", 49),
        ("khm/moi", 45),
        ("khm/molvt", 22),
        ("khm/mowa", 21),
        ("khm/moeys", 15),
        ("khm/relevant-ministries", 15),
        ("khm/mofaic", 10),
        ("khm/mot", 9),
    ]
    resourcing = Counter(
        c.mention.resolved
        for a in plan.activities
        for c in a.commitments
        if c.role == ROLE_RESOURCING
    )
    assert resourcing["party/khm"] == 146 and resourcing["int/unicef"] == 3
    wgs = ["prevention", "protection", "law-enforcement", "justice", "international-cooperation"]
    for wg in [*wgs, "child-affairs"]:
        assert registry.agencies[f"khm/stsls-{wg}-wg"].parent == "khm/nc-stsls"
    assert registry.ancestors("khm/stsls-provincial-secretariats") == [
        "khm/stsls-provincial-committees",
        "khm/nc-stsls",
    ]


def test_table_removed_is_a_source_error(
    catalog: Catalog, curations: Curations, tmp_path: Path
) -> None:
    doc = catalog.document(SLUG)
    lines = doc.path.read_text(encoding="utf-8").split("\n")
    start = next(i for i, raw in enumerate(lines) if raw.startswith("3.2 Implementation Table"))
    end = next(i for i, raw in enumerate(lines) if raw.startswith("4.0 Timetable"))
    path = tmp_path / doc.file
    path.write_text("\n".join(lines[:start] + lines[end:]), encoding="utf-8")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(SourceError) as err:
        parse_document(dataclasses.replace(doc, path=path, sha256=sha), curations)
    assert err.value.file == str(path)
    assert err.value.line == start + 1  # where "4.0 Timetable" now stands
    assert "implementation table (section 3.2) is missing" in str(err.value)


def test_curated_timeframe_not_a_year_is_a_source_error(
    curations: Curations, catalog: Catalog
) -> None:
    # was an AttributeError: the curated timeframe is read without the year-cell check
    changed = {
        c.id: (
            dataclasses.replace(c, value={**c.value, "timeframe": "2012/13"})
            if c.id == "npa-1.2.2-timeframe"
            else c
        )
        for c in curations
    }
    with pytest.raises(SourceError) as err:
        parse_document(catalog.document(SLUG), Curations(changed))
    assert err.value.line == 472  # the line the curation entry is applied on
    assert "activity 1.2.2: timeframe '2012/13' is not a year or a range of years" in str(err.value)
