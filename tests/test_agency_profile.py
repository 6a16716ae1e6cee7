"""An agency's profile (plangraph.views.agency_profile) on the real dataset: commitments grouped by
plan and role, parent, children, leadership and history, all read through SPARQL."""

from __future__ import annotations

from typing import Any

import pytest

from plangraph.errors import NotFound
from plangraph.paths import ProjectPaths
from plangraph.store.embedded import EmbeddedStore
from plangraph.store.query_catalog import CatalogQuery
from plangraph.views.agency_profile import agency_profile, load_profile_queries
from tests.server_process import dataset_folder


@pytest.fixture(scope="module")
def store(paths: ProjectPaths) -> EmbeddedStore:
    return EmbeddedStore.from_folder(dataset_folder() or paths.graph)


@pytest.fixture(scope="module")
def queries(paths: ProjectPaths) -> dict[str, CatalogQuery]:
    return load_profile_queries(paths.queries / "api")


@pytest.fixture(scope="module")
def profile(store: EmbeddedStore, queries: dict[str, CatalogQuery]):
    def get(agency_id: str) -> dict[str, Any]:
        return agency_profile(store, queries, agency_id)

    return get


def test_commitments_grouped_by_plan_and_role(profile) -> None:
    p = profile("khm/commit-task-force")
    assert p["label"] == "Cambodia COMMIT Task Force"
    assert p["party"]["id"] == "khm" and p["kind"]["id"] == "task-force"
    plans = [pl["id"] for pl in p["plans"]]
    assert plans == ["commit-srpa-2005-2007", "khm-npa-2011-2013", "vnm-khm-2020-2022"]  # by year
    commit = p["plans"][0]
    assert [g["role"] for g in commit["roles"]] == ["lead", "responsible"]  # role order
    vnm = p["plans"][2]
    [responsible] = vnm["roles"]
    numbers = [c["activity"]["number"] for c in responsible["commitments"]]
    assert numbers[0] == "1.1.1" and numbers == sorted(
        numbers, key=lambda n: [int(x) for x in n.split(".")]
    )
    first = responsible["commitments"][0]
    assert first["mention"] == "COMMIT Task Force"
    assert first["sources"] and first["sources"][0]["document"] == "vnm-khm-jpa-2020-2022"
    assert p["commitmentCount"] == sum(pl["count"] for pl in p["plans"]) >= 20
    assert p["planCount"] == 3


def test_leadership_with_its_source_lines(profile) -> None:
    p = profile("khm/commit-task-force")
    assert p["leadership"]["leader"]["id"] == "khm/mowa"
    assert {(s["document"], s["startLine"]) for s in p["leadership"]["sources"]} == {
        ("khm-npa-2011-2013", 161),
        ("khm-npa-2011-2013", 871),
    }
    mowa = profile("khm/mowa")
    assert {b["id"] for b in mowa["leads"]} == {
        "khm/commit-task-force",
        "khm/ntf",
        "khm/stsls-prevention-wg",
        "khm/stsls-international-cooperation-wg",
    }


def test_parent_and_children(profile) -> None:
    nc = profile("khm/nc-stsls")
    assert nc["parent"] is None
    assert {c["id"] for c in nc["children"]} == {
        "khm/nc-stsls-secretariat",
        "khm/stsls-prevention-wg",
        "khm/stsls-protection-wg",
        "khm/stsls-law-enforcement-wg",
        "khm/stsls-justice-wg",
        "khm/stsls-international-cooperation-wg",
        "khm/stsls-child-affairs-wg",
        "khm/stsls-provincial-committees",
    }
    assert [c["id"] for c in nc["coordinatorOf"]] == ["khm-npa-2011-2013"]
    wg = profile("khm/stsls-justice-wg")
    assert wg["parent"]["id"] == "khm/nc-stsls"
    assert wg["leadership"]["leader"]["id"] == "khm/moj"


def test_history_both_ways(profile) -> None:
    nc = profile("khm/nc-stsls")
    events = [
        (
            e["relation"],
            e["original"]["id"] if e["original"] else None,
            e["resulting"]["id"],
            e["date"],
            e["statedBySource"],
        )
        for e in nc["history"]
    ]
    assert events == [
        ("merged-into", "khm/hlwg", "khm/nc-stsls", "2009", True),
        ("merged-into", "khm/ntf", "khm/nc-stsls", "2009", True),
        ("established", None, "khm/nc-stsls", "2009-09-25", True),
        ("replaced-by", "khm/nc-stsls", "khm/ncct", None, False),
    ]
    unstated = nc["history"][-1]
    assert unstated["reason"].startswith("No source says")
    assert {s["document"] for s in unstated["sources"]} == {
        "khm-npa-2011-2013",
        "khm-tha-meeting-2023-01",
    }
    ncct = profile("khm/ncct")
    assert [e["relation"] for e in ncct["history"]] == ["replaced-by"]  # seen from the other side


def test_unknown_agency_is_not_found(profile) -> None:
    for bad in ("khm/no-such-agency", "../etc", "khm/mosvy> } #"):
        with pytest.raises(NotFound):
            profile(bad)
