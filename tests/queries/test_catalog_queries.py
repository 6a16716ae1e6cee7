"""Competency tests of the query catalog, in two layers: exact rows on a small fixture
graph (tests/queries/fixture.trig), and a known row or a minimum count on the real dataset."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from plangraph.errors import QueryError
from plangraph.paths import ProjectPaths
from plangraph.store.embedded import EmbeddedStore
from plangraph.store.query_catalog import CatalogQuery, load_catalog

HERE = Path(__file__).parent
ID = "https://w3id.org/plangraph/id/"
PLAN_VNM = ID + "plan/vnm-khm-2020-2022"
PLAN_CHN = ID + "plan/chn-khm-2017-2019"
MOSVY = ID + "agency/khm/mosvy"
CONCATENATED = {"parties": ", ", "names": "; "}

Row = dict[str, str]


def short(row: Row) -> Row:
    """IRIs without the id namespace; GROUP_CONCAT lists sorted (their order is not defined)."""
    out = {}
    for k, v in row.items():
        v = v.removeprefix(ID)
        if k in CONCATENATED:
            v = CONCATENATED[k].join(sorted(v.split(CONCATENATED[k])))
        out[k] = v
    return out


@pytest.fixture(scope="module")
def catalog(paths: ProjectPaths) -> dict[str, CatalogQuery]:
    return load_catalog(paths.queries)


@pytest.fixture(scope="module")
def fixture_store() -> EmbeddedStore:
    return EmbeddedStore.from_rdf((HERE / "fixture.trig").read_bytes())


@pytest.fixture(scope="module")
def real_store(paths: ProjectPaths) -> EmbeddedStore:
    return EmbeddedStore.from_folder(paths.graph)


def run(store: EmbeddedStore, q: CatalogQuery, params: dict[str, str]) -> list[Row]:
    return store.select(q.text, q.bindings(params))


A1 = "plan/a/activity/1"
B1 = "plan/b/activity/1"
IDENTIFY = "Identify victims at the border."
SCREEN = "Screen migrants for signs of trafficking."
REVIEW = "Hold a yearly review meeting."

# name -> (parameters, exact rows)
FIXTURE: dict[str, tuple[dict[str, str], list[Row]]] = {
    "plans": (
        {},
        [
            {
                "plan": "plan/a",
                "label": "Plan A",
                "status": "final",
                "startYear": "2020",
                "endYear": "2021",
                "parties": "Xland, Yland",
                "activities": "2",
            },
            {
                "plan": "plan/b",
                "label": "Plan B",
                "status": "draft",
                "startYear": "2021",
                "endYear": "2021",
                "parties": "Xland",
                "activities": "1",
            },
        ],
    ),
    "agencies-most-commitments": (
        {},
        [
            {
                "agency": "agency/xxx/police",
                "label": "X Police",
                "commitments": "2",
                "activities": "2",
                "plans": "2",
            },
            {
                "agency": "agency/int/ngo",
                "label": "NGO",
                "commitments": "1",
                "activities": "1",
                "plans": "1",
            },
            {
                "agency": "agency/xxx/social",
                "label": "X Social Affairs",
                "commitments": "1",
                "activities": "1",
                "plans": "1",
            },
            {
                "agency": "agency/yyy/police",
                "label": "Y Police",
                "commitments": "1",
                "activities": "1",
                "plans": "1",
            },
        ],
    ),
    "agency-commitments": (
        {"agency": ID + "agency/xxx/police"},
        [
            {
                "agency": "agency/xxx/police",
                "plan": "plan/a",
                "activity": A1,
                "number": "1",
                "role": "lead",
                "uncertain": "false",
                "mention": "Police of X",
                "description": IDENTIFY,
            },
            {
                "agency": "agency/xxx/police",
                "plan": "plan/b",
                "activity": B1,
                "number": "1",
                "role": "lead",
                "uncertain": "false",
                "mention": "X Police",
                "description": SCREEN,
            },
        ],
    ),
    "kinds-of-work": (
        {"theme": ID + "theme/identification"},
        [
            {
                "theme": "theme/identification",
                "kind": "overlap/k1",
                "label": "Identifying victims",
                "confidence": "strong",
                "score": "0.9",
                "plan": plan,
                "step": step,
                "number": "1",
                "memberScore": "0.9",
            }
            for plan, step in (("plan/a", A1), ("plan/b", B1))
        ],
    ),
    "theme-activities": (
        {"theme": ID + "theme/identification"},
        [
            {
                "theme": "theme/identification",
                "themeLabel": "victim identification",
                "plan": "plan/a",
                "activity": A1,
                "number": "1",
                "description": IDENTIFY,
            },
            {
                "theme": "theme/identification",
                "themeLabel": "victim identification",
                "plan": "plan/b",
                "activity": B1,
                "number": "1",
                "description": SCREEN,
            },
        ],
    ),
    "activities-per-year": (
        {},
        [
            {"plan": "plan/a", "year": "2020", "activities": "1"},
            {"plan": "plan/a", "year": "2021", "activities": "2"},
            {"plan": "plan/b", "year": "2021", "activities": "1"},
        ],
    ),
    "activities-in-year": (
        {"year": "2020"},
        [
            {
                "year": "2020",
                "plan": "plan/a",
                "activity": A1,
                "number": "1",
                "description": IDENTIFY,
            }
        ],
    ),
    "uncertain-commitments": (
        {},
        [
            {
                "plan": "plan/a",
                "activity": A1,
                "number": "1",
                "agency": "agency/yyy/police",
                "label": "Y Police",
                "mention": "Y Police??",
            }
        ],
    ),
    "activities-without-agency": (
        {},
        [{"plan": "plan/a", "activity": "plan/a/activity/2", "number": "2", "description": REVIEW}],
    ),
    "shared-agencies": (
        {"agreementA": ID + "agreement/ag1", "agreementB": ID + "agreement/ag2"},
        [
            {
                "agreementA": "agreement/ag1",
                "agreementB": "agreement/ag2",
                "agency": "agency/xxx/police",
                "label": "X Police",
                "commitmentsA": "1",
                "commitmentsB": "1",
            }
        ],
    ),
    "plan-results-framework": (
        {"plan": ID + "plan/a"},
        [
            {
                "plan": "plan/a",
                "activity": A1,
                "number": "1",
                "kind": "indicator",
                "item": A1 + "/indicator/1",
                "text": "Number of victims identified",
            },
            {
                "plan": "plan/a",
                "activity": A1,
                "number": "1",
                "kind": "output",
                "item": A1 + "/output/1",
                "text": "Victims identified",
            },
            {
                "plan": "plan/a",
                "activity": A1,
                "number": "1",
                "kind": "target",
                "item": A1 + "/target/1",
                "text": "100 victims in 2021",
                "value": "100",
                "unit": "victims",
                "targetYear": "2021",
            },
        ],
    ),
    "activity-sources": (
        {"activity": ID + A1},
        [
            {
                "activity": A1,
                "part": "activity",
                "about": A1,
                "document": "source/doc-a",
                "fileName": "doc-a.txt",
                "startLine": "10",
                "endLine": "11",
            },
            {
                "activity": A1,
                "part": "commitment",
                "about": A1 + "/commitment/1",
                "document": "source/doc-a",
                "fileName": "doc-a.txt",
                "startLine": "10",
                "endLine": "11",
            },
            {
                "activity": A1,
                "part": "commitment",
                "about": A1 + "/commitment/2",
                "document": "source/doc-a",
                "fileName": "doc-a.txt",
                "startLine": "10",
                "endLine": "11",
            },
            {
                "activity": A1,
                "part": "output",
                "about": A1 + "/output/1",
                "document": "source/doc-a",
                "fileName": "doc-a.txt",
                "startLine": "12",
                "endLine": "12",
            },
        ],
    ),
    "agency-partners": (
        {"agency": ID + "agency/xxx/social"},
        [
            {
                "agency": "agency/xxx/social",
                "partner": "agency/int/ngo",
                "label": "NGO",
                "sharedActivities": "1",
            },
            {
                "agency": "agency/xxx/social",
                "partner": "agency/xxx/police",
                "label": "X Police",
                "sharedActivities": "1",
            },
        ],
    ),
    "roles-by-plan": (
        {"plan": ID + "plan/b"},
        [
            {"plan": "plan/b", "role": "role/support", "roleLabel": "support", "commitments": "2"},
            {"plan": "plan/b", "role": "role/lead", "roleLabel": "lead", "commitments": "1"},
        ],
    ),
    "party-agencies": (
        {"party": ID + "party/xxx"},
        [
            {
                "party": "party/xxx",
                "agency": "agency/xxx/police",
                "label": "X Police",
                "plans": "2",
                "commitments": "2",
            },
            {
                "party": "party/xxx",
                "agency": "agency/xxx/social",
                "label": "X Social Affairs",
                "plans": "1",
                "commitments": "1",
            },
        ],
    ),
    "plan-structure": (
        {},
        [
            {
                "plan": "plan/a",
                "section": "plan/a/section/s1",
                "label": "Area 1",
                "activities": "0",
            },
            {
                "plan": "plan/a",
                "section": "plan/a/section/s1.1",
                "label": "Objective 1.1",
                "parent": "plan/a/section/s1",
                "activities": "2",
            },
        ],
    ),
    "agency-mentions": (
        {"agency": ID + "agency/xxx/police"},
        [
            {
                "agency": "agency/xxx/police",
                "label": "X Police",
                "mention": "Police of X",
                "commitments": "1",
            },
            {
                "agency": "agency/xxx/police",
                "label": "X Police",
                "mention": "X Police",
                "commitments": "1",
            },
        ],
    ),
    "flagged-steps": (
        {},
        [
            {"plan": "plan/a", "step": A1, "number": "1", "flag": "agencies-from-merged-cell"},
            {
                "plan": "plan/b",
                "step": B1,
                "number": "1",
                "curation": "curation/b-1",
                "reason": "The cell is unreadable.",
            },
        ],
    ),
    "plan-notes": (
        {},
        [
            {
                "plan": "plan/a",
                "about": "plan/a",
                "note": "plan/a/note/1",
                "kind": "financial",
                "text": "Each party pays its own costs.",
            }
        ],
    ),
    "multi-agency-activities": (
        {},
        [
            {
                "plan": "plan/a",
                "activity": A1,
                "number": "1",
                "agencies": "2",
                "names": "X Police; Y Police",
            },
            {
                "plan": "plan/b",
                "activity": B1,
                "number": "1",
                "agencies": "3",
                "names": "NGO; X Police; X Social Affairs",
            },
        ],
    ),
}


FIXTURE["agencies-in-several-plans"] = (
    {},
    [
        {
            "agency": "agency/xxx/police",
            "label": "X Police",
            "party": "party/xxx",
            "plans": "2",
            "commitments": "2",
            "names": "Plan A; Plan B",
        }
    ],
)


def test_catalog_has_at_least_15_documented_queries(catalog: dict[str, CatalogQuery]) -> None:
    assert len(catalog) >= 15
    for q in catalog.values():
        assert q.title and q.question.endswith("?") and q.tags, q.name
        assert q.form == "select", q.name


def test_every_catalog_query_has_a_fixture_test(catalog: dict[str, CatalogQuery]) -> None:
    assert set(catalog) == set(FIXTURE)


@pytest.mark.parametrize("name", sorted(FIXTURE))
def test_exact_rows_on_fixture(
    name: str, catalog: dict[str, CatalogQuery], fixture_store: EmbeddedStore
) -> None:
    params, expected = FIXTURE[name]
    rows = [short(r) for r in run(fixture_store, catalog[name], params)]
    key = lambda r: sorted(r.items())  # noqa: E731
    assert sorted(rows, key=key) == sorted(expected, key=key)


def test_optional_parameter_left_out_answers_for_every_value(
    catalog: dict[str, CatalogQuery], fixture_store: EmbeddedStore
) -> None:
    rows = run(fixture_store, catalog["theme-activities"], {})
    assert len(rows) == 3
    only_b = run(fixture_store, catalog["plans"], {"party": ID + "party/yyy"})
    assert [r["plan"] for r in only_b] == [ID + "plan/a"]


# name -> (parameters, check on the real rows): minimum counts and known rows that hold for
# the two joint plans and keep holding when the other plans are added
def _has(**want: str) -> Callable[[list[Row]], bool]:
    return lambda rows: any(all(r.get(k) == v for k, v in want.items()) for r in rows)


REAL: dict[str, tuple[dict[str, str], Callable[[list[Row]], bool]]] = {
    "plans": (
        {},
        lambda rows: (
            {PLAN_VNM, PLAN_CHN} <= {r["plan"] for r in rows}
            and _has(plan=PLAN_VNM, activities="19", status="final")(rows)
            and _has(plan=PLAN_CHN, activities="23", status="draft")(rows)
        ),
    ),
    "agencies-most-commitments": (
        {},
        lambda rows: len(rows) >= 20 and any(r["agency"] == MOSVY for r in rows),
    ),
    "agency-commitments": (
        {"agency": MOSVY},
        _has(plan=PLAN_CHN, number="III.3", role="responsible"),
    ),
    "theme-activities": ({}, lambda rows: len(rows) >= 0),
    "kinds-of-work": (
        {"theme": ID + "theme/victim-identification"},
        lambda rows: (
            _has(plan=PLAN_CHN, number="III.1")(rows)
            and all(r["theme"] == ID + "theme/victim-identification" for r in rows)
            and {r["confidence"] for r in rows} <= {"strong", "possible"}
        ),
    ),
    "activities-per-year": (
        {"plan": PLAN_VNM},
        lambda rows: len(rows) == 3 and all(r["plan"] == PLAN_VNM for r in rows),
    ),
    "activities-in-year": (
        {"year": "2020"},
        lambda rows: (
            len(rows) >= 1
            and all(r["year"] == "2020" for r in rows)
            and _has(number="1.1.2", plan=PLAN_VNM)(rows)
        ),
    ),
    "uncertain-commitments": (
        {},
        _has(plan=PLAN_CHN, number="III.4", agency=ID + "agency/khm/embassies"),
    ),
    "activities-without-agency": ({}, _has(plan=PLAN_CHN, number="III.5")),
    "shared-agencies": (
        {},
        lambda rows: all(int(r["commitmentsA"]) > 0 and int(r["commitmentsB"]) > 0 for r in rows),
    ),
    "plan-results-framework": (
        {"plan": PLAN_VNM},
        lambda rows: len(rows) >= 10 and _has(number="1.1.1", kind="output")(rows),
    ),
    "activity-sources": (
        {"activity": PLAN_VNM + "/activity/1.1.1"},
        _has(part="activity", startLine="11", endLine="11"),
    ),
    "agency-partners": ({"agency": MOSVY}, _has(partner=ID + "agency/khm/ncct")),
    "roles-by-plan": ({"plan": PLAN_CHN}, _has(roleLabel="responsible")),
    "party-agencies": (
        {"party": ID + "party/khm"},
        lambda rows: len(rows) >= 10 and _has(agency=MOSVY)(rows),
    ),
    "plan-structure": ({"plan": PLAN_VNM}, lambda rows: len(rows) >= 10),
    "agency-mentions": ({"agency": MOSVY}, _has(mention="Ministry of Social Affairs")),
    "flagged-steps": ({"plan": PLAN_VNM}, _has(number="1.1.2", flag="agencies-from-merged-cell")),
    "plan-notes": (
        {"plan": PLAN_CHN},
        lambda rows: len(rows) >= 3 and _has(kind="financial", about=PLAN_CHN)(rows),
    ),
    "multi-agency-activities": ({"plan": PLAN_CHN}, _has(number="I.1", agencies="2")),
}


REAL["agencies-in-several-plans"] = (
    {"party": ID + "party/khm"},
    lambda rows: (
        len(rows) >= 10
        and _has(agency=ID + "agency/khm/commit-task-force", plans="3")(rows)
        and _has(agency=ID + "agency/khm/ncct", plans="2")(rows)
        and all(r["party"] == ID + "party/khm" for r in rows)
    ),
)


def test_every_catalog_query_has_a_real_data_check(catalog: dict[str, CatalogQuery]) -> None:
    assert set(catalog) == set(REAL)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_dataset(
    name: str, catalog: dict[str, CatalogQuery], real_store: EmbeddedStore
) -> None:
    params, check = REAL[name]
    rows = run(real_store, catalog[name], params)
    assert check(rows), rows[:5]


PLAN_KHM_THA = ID + "plan/khm-tha-2023-2025"
KHM_THA_ACTIONS = [f"{o}.{i}" for o, n in ((1, 4), (2, 5), (3, 4)) for i in range(1, n + 1)]


def test_activities_in_year_finds_the_cambodia_thailand_actions(
    catalog: dict[str, CatalogQuery], real_store: EmbeddedStore
) -> None:
    """The 2023-2025 plan schedules its actions only by targets per year: each action is in
    the years whose target is not 0 (the table prints 2023 targets only for 1.1, 2.1, 2.2)."""
    q = catalog["activities-in-year"]

    def numbers(year: str) -> list[str]:
        rows = run(real_store, q, {"year": year})
        assert all(r["year"] == year for r in rows)
        return sorted(r["number"] for r in rows if r["plan"] == PLAN_KHM_THA)

    in_2024 = numbers("2024")
    assert in_2024 == sorted(set(KHM_THA_ACTIONS) - {"1.1", "2.1", "2.2"})
    assert numbers("2023") == ["1.1", "1.2", "2.1", "2.2", "3.3", "3.4"]
    assert numbers("2025") == ["1.3", "1.4", "2.3", "3.3", "3.4"]
    every = set(numbers("2023")) | set(in_2024) | set(numbers("2025"))
    assert every == set(KHM_THA_ACTIONS)  # all 13 actions of the plan have a year


@pytest.mark.parametrize(
    ("name", "params", "param"),
    [
        ("agency-commitments", {"agency": "not an iri"}, "agency"),
        ("agency-commitments", {"agency": "https://x/a b"}, "agency"),
        ("activities-in-year", {"year": "20x1"}, "year"),
        ("plans", {"nope": "1"}, "nope"),
    ],
)
def test_bad_parameter_values_name_the_parameter(
    name: str, params: dict[str, str], param: str, catalog: dict[str, CatalogQuery]
) -> None:
    with pytest.raises(QueryError) as info:
        catalog[name].bindings(params)
    assert info.value.param == param


def test_a_value_cannot_change_the_query(
    catalog: dict[str, CatalogQuery], fixture_store: EmbeddedStore
) -> None:
    q = catalog["agency-mentions"]
    with pytest.raises(QueryError):
        q.bindings({"agency": "https://x/> } ; DROP ALL ; <"})
