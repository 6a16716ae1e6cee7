"""The COMMIT Sub-Regional Plan of Action 2005-2007 parser, on the real text."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from pathlib import Path

import pytest

from plangraph.errors import SourceError
from plangraph.sources.catalog import Catalog
from plangraph.sources.curation import Curations
from plangraph.sources.model import Plan
from plangraph.sources.parsers import parse_document
from plangraph.sources.registry import Registry, resolve_plan
from tests.golden import check_golden

SLUG = "commit-srpa-2005-2007"


def test_golden(plan: Plan) -> None:
    check_golden(plan, SLUG)


def test_seven_areas_and_their_sub_points(plan: Plan) -> None:
    areas = [s for s in plan.sections if s.kind == "area"]
    assert [s.key for s in areas] == [f"area-{i}" for i in range(1, 8)]
    assert plan.section("area-1").title == "Policy and Cooperation"
    points = [s for s in plan.sections if s.kind == "area-objective"]
    assert [(s.key, s.parent) for s in points] == [
        ("area-5.1", "area-5"),
        ("area-5.2", "area-5"),
        ("area-5.3", "area-5"),
    ]
    # printed three times (PPC 6, 7, 9), once as "programs.", twice as "programmes:"
    assert len(plan.section("area-5").spans) == 3
    assert [n.text for n in plan.section("area-5").notes] == [
        "Enhance and strengthen repatriation and reintegration programmes"
    ]


def test_eighteen_framework_activities_with_their_area(plan: Plan) -> None:
    framework = [a for a in plan.activities if a.kind == "activity"]
    assert [a.number for a in framework] == [str(i) for i in range(1, 19)]
    assert {a.number: a.section for a in framework} == {
        "1": "area-1",
        "2": "area-1",
        "3": "area-2",
        "4": "area-2",
        "5": "area-2",
        "6": "area-3",
        "7": "area-3",
        "8": "area-3",
        "9": "area-3",
        "10": "area-3",
        "11": "area-4",
        "12": "area-4",
        "13": "area-5",
        "14": "area-5",
        "15": "area-5",
        "16": "area-6",
        "17": "area-7",
        "18": "ppc-12",  # printed under "PP 12 - Cross-Cutting Issues" with no area
    }
    a3 = plan.activity("3")
    assert a3.text == "Undertake an assessment on training needs at the regional level."
    assert a3.printed_number == "Activity 3"
    assert (a3.spans[0].start_line, a3.spans[0].end_line) == (25, 25)
    a18 = plan.activity("18")
    assert a18.flags == ["no-area-printed"]


def test_activity_18_holds_the_three_items_that_complete_its_sentence(plan: Plan) -> None:
    a18 = plan.activity("18")
    assert a18.text.endswith("to develop the following for finalization at SOM 3:")
    assert a18.outputs == []
    subs = [a for a in plan.activities if a.parent == "18"]
    assert [(a.number, a.kind, a.position, a.section, a.text) for a in subs] == [
        ("18.1", "sub-activity", 1, "ppc-12", "Terms of reference for Senior Officials Meeting"),
        ("18.2", "sub-activity", 2, "ppc-12", "Schedule for implementation of the Plan of Action"),
        (
            "18.3",
            "sub-activity",
            3,
            "ppc-12",
            "Activities for monitoring and evaluating implementation of this Plan of Action, "
            "including UNIAP COMMIT Secretariat staffing and reporting roles",
        ),
    ]
    assert [(sp.start_line, sp.end_line) for a in subs for sp in a.spans] == [
        (608, 608),
        (609, 609),
        (610, 610),
    ]
    # Activity 18 keeps its number and its span covers the lines of its items
    lines = {n for sp in a18.spans for n in range(sp.start_line, sp.end_line + 1)}
    assert {606, 608, 609, 610} <= lines
    # the sub-steps follow their activity, before the work items of the PPCs
    numbers = [a.number for a in plan.activities]
    assert numbers[17:21] == ["18", "18.1", "18.2", "18.3"]


def test_twelve_ppcs_with_objectives_and_results(plan: Plan) -> None:
    ppcs = [s for s in plan.sections if s.kind == "ppc"]
    assert [s.key for s in ppcs] == [f"ppc-{i}" for i in range(1, 13)]
    assert plan.section("ppc-12").flags == ["printed-as:PP 12"]
    ppc1 = plan.section("ppc-1")
    assert ppc1.description is not None
    assert ppc1.description.startswith("Assessments of specific training needs")
    assert len(ppc1.expected_results) == 4
    assert ppc1.expected_results[1].text == (
        "The establishment of a regional training mechanism on human trafficking."
    )
    # a single-sentence expected result, and a result printed after a page break
    assert plan.section("ppc-7").expected_results[0].text.startswith("The expected result is")
    assert len(plan.section("ppc-4").expected_results) == 6
    # the footnote on the heading of PPC 2
    assert plan.section("ppc-2").notes[0].kind == "footnote"
    assert plan.section("ppc-2").notes[0].span.start_line == 106


def test_participating_countries_where_listed(plan: Plan) -> None:
    listed = {
        s.key: [(c.mention.text, c.mention.party, c.role) for c in s.commitments]
        for s in plan.sections
        if s.commitments
    }
    assert sorted(listed) == ["ppc-1", "ppc-11", "ppc-6", "ppc-8", "ppc-9"]
    assert listed["ppc-8"] == [
        ("Cambodia", "khm", "participant"),
        ("China", "chn", "participant"),
        ("Lao PDR", "lao", "participant"),
        ("Myanmar", "mmr", "participant"),
        ("Thailand", "tha", "participant"),
        ("Vietnam", "vnm", "participant"),
    ]


def test_work_items_by_phase_serving_the_ppc_activities(plan: Plan) -> None:
    kinds = Counter(a.kind for a in plan.activities)
    assert kinds == {"activity": 18, "work-item": 95, "sub-activity": 63}
    ppc1 = [a.number for a in plan.activities if a.section == "ppc-1" and a.kind == "work-item"]
    assert ppc1 == [
        "ppc-1.pre.1",
        "ppc-1.pre.2",
        "ppc-1.pre.3",
        "ppc-1.pre.4",
        "ppc-1.core.1",
        "ppc-1.core.2",
        "ppc-1.core.3",
        "ppc-1.core.4",
        "ppc-1.follow.1",
        "ppc-1.follow.2",
    ]
    assert plan.activity("ppc-2.core.1").serves == ["6", "7", "11", "12"]
    # "Activity 1 includes ..." serves only Activity 1
    assert plan.activity("ppc-4.pre.5").serves == ["1"]
    sub = plan.activity("ppc-1.core.4.8")
    assert (sub.kind, sub.parent, sub.printed_number, sub.text) == (
        "sub-activity",
        "ppc-1.core.4",
        "8.",
        "Justice and legal issues.",
    )
    # the bullets after "Examples include:" belong to the paragraph above it
    assert plan.activity("ppc-10.follow.1").text.endswith("Examples include:")
    assert plan.activity("ppc-10.follow.1.8").spans[0].start_line == 542
    # items after the country footer inside a work list stay in that list
    assert plan.activity("ppc-11.core.3").spans[0].start_line == 581
    # every number is URL-safe
    for a in plan.activities:
        assert a.number.replace(".", "").replace("-", "").isalnum()


def test_bilateral_options_kept_as_data(plan: Plan) -> None:
    item = plan.activity("ppc-2.follow.2")
    assert [n.text for n in item.notes if n.kind == "bilateral-option"] == [
        "Lao-Thai",
        "Cambodia-Thai",
        "Myanmar-Thai",
        "Myanmar-China",
        "China-Vietnam",
        "Vietnam-Cambodia",
        "Lao-China",
    ]


def test_commitments_where_the_text_assigns_the_work(plan: Plan) -> None:
    def who(number: str) -> list[tuple[str, str | None, str]]:
        return [
            (c.mention.text, c.mention.party, c.role) for c in plan.activity(number).commitments
        ]

    assert who("ppc-1.follow.1") == [("COMMIT Secretariat (UNIAP)", None, "responsible")]
    assert who("ppc-12.core.2") == [("UNIAP", None, "responsible"), ("donor", None, "resourcing")]
    assert [p for _, p, _ in who("ppc-2.pre.1")] == ["khm", "chn", "lao", "mmr", "tha", "vnm"]
    assert who("ppc-10.pre.4")[-1] == ("other relevant Ministries", None, "responsible")
    assert who("ppc-10.pre.1") == [("Donor", None, "resourcing")]
    assert ("UNIAP", None, "support") in who("18")


def test_legal_instruments(plan: Plan) -> None:
    mou = plan.legal_instruments[0]
    assert (mou.key, mou.date, mou.same_as_agreement) == (
        "commit-mou",
        "2004-10-29",
        "commit-mou-2004",
    )
    assert plan.activity("ppc-5.pre.1").cites == ["palermo-protocol", "untoc"]


def test_every_mention_resolves(catalog: Catalog, curations: Curations, registry: Registry) -> None:
    plan = parse_document(catalog.document(SLUG), curations)  # a fresh copy: this fills .resolved
    resolve_plan(plan, registry, SLUG)
    resolved = {m.resolved for m in plan.mentions()}
    assert {"int/commit-secretariat", "int/uniap", "lao/commit-task-force", "party/vnm"} <= resolved
    assert "int/donors" in resolved


def test_missing_ppc_is_a_source_error(
    catalog: Catalog, curations: Curations, tmp_path: Path
) -> None:
    document = catalog.document(SLUG)
    lines = document.path.read_text(encoding="utf-8").split("\n")
    at = lines.index("PPC 5 – SOM 2 Framework Document Activity 8")
    del lines[at]
    data = "\n".join(lines).encode("utf-8")
    copy = tmp_path / document.file
    copy.write_bytes(data)
    broken = dataclasses.replace(document, path=copy, sha256=hashlib.sha256(data).hexdigest())
    with pytest.raises(SourceError) as info:
        parse_document(broken, curations)
    assert info.value.file == str(copy)
    assert info.value.line == lines.index("PPC 6 – SOM 2 Framework Document Activities 13") + 1
    assert "PPC 5" in info.value.message


# -- who the text assigns the work of the 18 framework activities to -----------------------
#
# An annotation written by reading each "Activity N:" line and every work item (and sub-item)
# that serves it: every body the text assigns work to (doing, leading or guiding, taking part,
# partnering, supporting, funding), with the step and line that say so and the role. Bodies
# named only as the subject of a step (what a seminar discusses, whose laws are reviewed, who
# is trained) are not in it; nor is the text of the PPCs' objectives and expected results.
# Activities 1, 2 and 10 share PPC 4, 6, 7, 11 and 12 share PPC 2, 3 and 5 share PPC 1.

SIX = ("khm", "chn", "lao", "mmr", "tha", "vnm")
GOVERNMENTS = tuple(f"party/{p}" for p in SIX)
TASK_FORCES = tuple(f"{p}/commit-task-force" for p in SIX)
LABOUR = ("khm/molvt", *(f"{p}/ministry-of-labour" for p in SIX if p != "khm"))

Evidence = tuple[str, int, str]  # (step number, line, role)
Body = tuple[str, tuple[str, ...], list[Evidence]]  # (as the text names it, registry keys, where)

PPC1: list[Body] = [
    ("partner organizations and agencies", ("int/partner-organisations",), [
        ("ppc-1.pre.1", 44, "implementing-partner")]),
    ("the Governments", GOVERNMENTS, [
        ("ppc-1.pre.1", 44, "lead"), ("ppc-1.core.1", 56, "participant")]),
    ("international agencies", ("int/international-agencies",), [
        ("ppc-1.core.1", 56, "participant")]),
    ("a Regional (Training) Centre", ("int/regional-training-centre",), [
        ("ppc-1.core.2", 57, "implementing-partner"),
        ("ppc-1.core.3", 58, "implementing-partner")]),
    ("implementing partners", ("int/implementing-partners",), [
        ("ppc-1.core.2", 57, "implementing-partner")]),
    ("COMMIT Secretariat (UNIAP)", ("int/commit-secretariat",), [
        ("ppc-1.follow.1", 71, "responsible")]),
    ("international organizations", ("int/international-organisations",), [
        ("ppc-1.follow.2", 72, "responsible")]),
    ("UN agencies", ("int/un-agencies",), [("ppc-1.follow.2", 72, "responsible")]),
    ("international NGOs", ("int/international-ngos",), [("ppc-1.follow.2", 72, "responsible")]),
]  # fmt: skip
PPC2: list[Body] = [
    ("each COMMIT Task Force", TASK_FORCES, [("ppc-2.pre.1", 114, "lead")]),
    ("Heads of Specialist Units", ("int/specialist-police-units",), [
        ("ppc-2.pre.4", 117, "participant")]),
    ("key police and law enforcement personnel", ("int/police-law-enforcement",), [
        ("ppc-2.core.2", 123, "participant")]),
    ("other relevant agencies from each country", ("int/other-relevant-agencies",), [
        ("ppc-2.core.2", 123, "participant")]),
    ("key international partners", ("int/partner-organisations",), [
        ("ppc-2.core.2", 123, "participant")]),
    ("Lao PDR", ("party/lao",), [("ppc-2.core.4", 132, "participant")]),
    ("Thailand", ("party/tha",), [("ppc-2.core.4", 132, "participant")]),
    ("Government and NGO partners in the receiving country", ("int/receiving-country-partners",), [
        ("ppc-2.core.4", 132, "participant")]),
]  # fmt: skip
PPC4: list[Body] = [
    ("a regional research organization or institute", ("int/regional-research-institute",), [
        ("ppc-4.pre.3", 230, "implementing-partner")]),
]  # fmt: skip
ANNOTATION: dict[str, list[Body]] = {
    "1": PPC4,
    "2": PPC4,
    "3": PPC1,
    "4": [
        ("the Government", GOVERNMENTS, [("ppc-3.pre.3", 166, "responsible")]),
        ("partner organizations", ("int/partner-organisations",), [
            ("ppc-3.pre.3", 166, "support")]),
    ],
    "5": PPC1,
    "6": PPC2,
    "7": PPC2,
    "8": [],  # PPC 5 names no body that does its work
    "9": [
        ("key judicial (and other relevant) personnel", ("int/judicial-personnel",), [
            ("ppc-8.core.1", 421, "participant"), ("ppc-8.core.2", 429, "participant")]),
        ("key partners", ("int/partner-organisations",), [("ppc-8.core.3", 430, "support")]),
        ("embassies of countries from which sex tourists originate",
         ("int/sex-tourism-origin-embassies",), [("ppc-8.core.3", 430, "support")]),
    ],
    "10": PPC4,
    "11": PPC2,
    "12": PPC2,
    "13": [("the Governments", GOVERNMENTS, [("ppc-6.pre.3", 329, "participant")])],
    "14": [
        ("a technical working group", ("int/technical-working-group",), [
            ("ppc-7.pre.2", 367, "responsible"), ("ppc-7.pre.3", 368, "responsible")]),
        ("government representatives", GOVERNMENTS, [("ppc-7.pre.2", 367, "participant")]),
        ("experts", ("int/experts",), [("ppc-7.pre.2", 367, "participant")]),
        ("international agencies", ("int/international-agencies",), [
            ("ppc-7.pre.2", 367, "participant")]),
        ("potential donor support", ("int/donors",), [("ppc-7.core.1", 383, "resourcing")]),
    ],
    "15": [
        ("international organizations", ("int/international-organisations",), [
            ("15", 450, "participant"), ("ppc-9.core.1", 469, "implementing-partner")]),
        ("donors", ("int/donors",), [
            ("15", 450, "participant"), ("ppc-9.core.1", 469, "implementing-partner"),
            ("ppc-9.follow.1", 473, "participant")]),
        ("a technical working group", ("int/technical-working-group",), [
            ("ppc-9.pre.1", 462, "responsible")]),
        ("the Governments", GOVERNMENTS, [("ppc-9.pre.1", 462, "support")]),
        ("partners", ("int/partner-organisations",), [("ppc-9.follow.1", 473, "participant")]),
    ],
    "16": [
        ("Donor / international donors", ("int/donors",), [
            ("ppc-10.pre.1", 498, "resourcing"), ("ppc-10.follow.1", 526, "resourcing")]),
        ("Ministries of Labour", LABOUR, [
            ("ppc-10.pre.4", 507, "responsible"), ("ppc-10.core.2", 520, "responsible")]),
        ("other relevant (line) Ministries", ("int/other-relevant-ministries",), [
            ("ppc-10.pre.4", 507, "responsible"), ("ppc-10.core.2", 520, "responsible")]),
        ("Governments", GOVERNMENTS, [("ppc-10.pre.5", 513, "responsible")]),
        ("functional agencies of relevant COMMIT countries", ("int/functional-agencies",), [
            ("ppc-10.pre.7", 515, "participant")]),
        ("partners", ("int/partner-organisations",), [("ppc-10.follow.1", 526, "resourcing")]),
    ],
    "17": [
        ("the tourism sector", ("int/tourism-sector",), [("17", 552, "participant")]),
        ("Donor / donor", ("int/donors",), [
            ("ppc-11.pre.2", 567, "resourcing"), ("ppc-11.follow.3", 598, "resourcing")]),
        ("Government tourist authorities", ("int/government-tourist-authorities",), [
            ("ppc-11.follow.2", 597, "responsible")]),
        ("Government", GOVERNMENTS, [("ppc-11.follow.3", 598, "resourcing")]),
    ],
    "18": [
        ("existing COMMIT Task Forces in each country", TASK_FORCES, [
            ("18", 606, "responsible")]),
        ("UNIAP", ("int/uniap",), [
            ("18", 606, "support"), ("ppc-12.core.1", 635, "responsible"),
            ("ppc-12.core.2", 639, "responsible"), ("ppc-12.core.3", 640, "responsible")]),
        ("COMMIT Secretariat", ("int/commit-secretariat",), [
            ("ppc-12.core.1.1", 636, "responsible"), ("ppc-12.core.1.3", 638, "responsible")]),
        ("donor support", ("int/donors",), [("ppc-12.core.2", 639, "resourcing")]),
        ("Governments", GOVERNMENTS, [("ppc-12.core.3", 640, "participant")]),
        ("external evaluator", ("int/external-evaluator",), [
            ("ppc-12.core.3", 640, "implementing-partner")]),
    ],
}  # fmt: skip


def serving(plan: Plan, number: str) -> list[str]:
    """Framework activity ``number``, its own sub-steps and every step that serves it."""
    out = [number]
    for a in plan.activities:
        if number in a.serves or (a.parent is not None and a.parent in out):
            out.append(a.number)
    return out


@pytest.fixture(scope="module")
def resolved(catalog: Catalog, curations: Curations, registry: Registry) -> Plan:
    plan = parse_document(catalog.document(SLUG), curations)
    resolve_plan(plan, registry, SLUG)
    return plan


def test_annotation_covers_the_18_activities() -> None:
    assert sorted(ANNOTATION, key=int) == [str(i) for i in range(1, 19)]
    # 85 (activity, body) pairs: PPC 1 counts for two activities, PPC 2 for four, PPC 4 three
    assert sum(len(bodies) for bodies in ANNOTATION.values()) == 85


@pytest.mark.parametrize("number", [str(i) for i in range(1, 19)])
def test_every_body_the_text_assigns_is_a_commitment_with_its_span(
    resolved: Plan, number: str
) -> None:
    steps = set(serving(resolved, number))
    for name, keys, evidence in ANNOTATION[number]:
        for step, line, role in evidence:
            assert step in steps, (number, step)
            found = {
                c.mention.resolved
                for c in resolved.activity(step).commitments
                if c.role == role
                and [(s.start_line, s.end_line) for s in c.spans] == [(line, line)]
            }
            assert set(keys) <= found, (number, name, step, role, found)


def test_judgements_are_curated_on_their_steps(resolved: Plan, curations: Curations) -> None:
    curated = {
        a.number: a.curations
        for a in resolved.activities
        if any(c.startswith("commit-srpa-actors-") for c in a.curations)
    }
    assert curated == {
        "ppc-1.core.3": ["commit-srpa-actors-58"],
        "ppc-2.pre.4": ["commit-srpa-actors-117"],
        "ppc-2.core.4": ["commit-srpa-actors-132"],
        "ppc-7.pre.2": ["commit-srpa-actors-367"],
        "ppc-7.core.1": ["commit-srpa-actors-383"],
        "ppc-11.pre.2": ["commit-srpa-actors-567"],
        "ppc-12.core.1.1": ["commit-srpa-actors-636"],
        "ppc-12.core.1.3": ["commit-srpa-actors-636"],
        "ppc-12.core.3": ["commit-srpa-actors-640"],
    }
    for ids in curated.values():
        for cid in ids:
            entry = curations.get(cid)
            assert entry.reason and entry.decision and entry.document == SLUG
    # a qualifier the text prints stays with the commitment
    notes = {
        (c.mention.text, c.note)
        for a in resolved.activities
        for c in a.commitments
        if c.note is not None
    }
    assert ("donor", "potential donor support") in notes
    assert ("Government", "ideally by the Government") in notes
    assert ("regional research organization or institute", "could be conducted by") in notes


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ([{"step": "ppc-2.pre.4", "mention": "Border Guards", "role": "participant"}], "Border"),
        ([{"step": "ppc-2.pre.5", "mention": "Specialist Units", "role": "participant"}], "line"),
        ([{"step": "ppc-2.pre.4", "mention": "Specialist Units", "role": "owner"}], "role"),
        ({"step": "ppc-2.pre.4"}, "lists no commitments"),
    ],
)
def test_a_curated_commitment_that_the_text_does_not_bear_is_a_source_error(
    catalog: Catalog, curations: Curations, value: object, says: str
) -> None:
    entries = {c.id: c for c in curations}
    entries["commit-srpa-actors-117"] = dataclasses.replace(
        entries["commit-srpa-actors-117"], value=value
    )
    with pytest.raises(SourceError) as info:
        parse_document(catalog.document(SLUG), Curations(entries))
    assert info.value.line == 117
    assert "commit-srpa-actors-117" in info.value.message and says in info.value.message


def test_kinds_of_body_resolve_to_catch_all_groups(resolved: Plan, registry: Registry) -> None:
    """A kind of body ("experts", "embassies of countries from which sex tourists originate")
    is a catch-all group, never a real agency; the named bodies are the only real ones."""
    keys = {c.mention.resolved for a in resolved.activities for c in a.commitments}
    real = {
        k
        for k in keys
        if k is not None
        and not k.startswith("party/")
        and registry.agencies[k].kind != "unspecified-group"
    }
    assert real == {
        "int/uniap",
        "int/commit-secretariat",
        *TASK_FORCES,
        *LABOUR,
    }
