"""/api/overlaps and /api/coverage on the real dataset, through the real HTTP server."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.server_process import assert_error

SLUG = re.compile(r"^[a-z]{3}/[a-z0-9\-]+$")  # a registry key such as khm/moj


@pytest.fixture(scope="module")
def client(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=30) as c:
        yield c


def test_overlaps_lists_kinds_with_members_and_evidence(client: httpx.Client) -> None:
    body = client.get("/api/overlaps").json()
    assert body["total"] == len(body["items"]) >= 20
    plans = {p["slug"] for p in client.get("/api/coverage").json()["plans"]}
    for g in body["items"]:
        assert len(g["members"]) >= 2 and len(g["plans"]) >= 2
        assert 0 < g["score"] <= 1 and g["confidence"] in ("strong", "possible")
        assert g["label"] and g["definition"] and g["themes"]
        assert all(t.startswith("https://w3id.org/plangraph/id/theme/") for t in g["themes"])
        assert set(g["gaps"]) == plans - set(g["plans"])  # the plans that do not promise it
        assert g["reason"].startswith(f"{len(g['members'])} steps of")
        for m in g["members"]:
            assert m["href"].startswith("/id/plan/")
            assert m["sources"] and m["sources"][0]["href"].startswith("/sources/")
            assert m["step_kind"] in ("activity", "sub-activity", "work item", "quarterly activity")
            assert 0 <= m["score"] <= 1 and m["confidence"] in ("strong", "possible")
            assert m["evidence"].startswith("mean similarity")
            # agencies by name, never a slug
            assert not any(SLUG.match(a) for a in m["agency_labels"]), m["agency_labels"]
    keys = [(-len(g["plans"]), -len(g["members"]), -g["score"]) for g in body["items"]]
    assert keys == sorted(keys)


def test_filters(client: httpx.Client) -> None:
    every = client.get("/api/overlaps").json()["items"]
    theme = client.get("/api/overlaps", params={"theme": "shelters-and-services"}).json()
    assert 0 < theme["total"] < len(every)
    assert all(
        any(t.endswith("/shelters-and-services") for t in g["themes"]) for g in theme["items"]
    )
    tha = client.get("/api/overlaps", params={"party": "tha"}).json()["items"]
    assert tha and all(
        "khm-tha-2023-2025" in g["plans"] or "commit-srpa-2005-2007" in g["plans"] for g in tha
    )
    plan = client.get("/api/overlaps", params={"plan": "vnm-khm-2020-2022"}).json()["items"]
    assert plan and all("vnm-khm-2020-2022" in g["plans"] for g in plan)
    year = client.get("/api/overlaps", params={"year": 2012}).json()["items"]
    assert year and all(2012 in g["member_years"] for g in year)
    high = client.get("/api/overlaps", params={"min_score": 0.8}).json()["items"]
    assert all(g["score"] >= 0.8 for g in high) and len(high) < len(every)
    for level in ("strong", "possible"):
        got = client.get("/api/overlaps", params={"confidence": level}).json()["items"]
        assert all(g["confidence"] == level for g in got)
        assert {g["id"] for g in got} == {g["id"] for g in every if g["confidence"] == level}


def test_csv_export(client: httpx.Client) -> None:
    r = client.get("/api/overlaps", params={"format": "csv", "theme": "shelters-and-services"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and {"overlap", "score", "plan", "number", "text", "reason"} <= set(rows[0])
    assert {"kind_label", "kind_confidence", "gaps", "member_score", "evidence"} <= set(rows[0])
    assert any("shelter" in row["text"].lower() for row in rows)
    # the CSV holds what the JSON holds, member by member
    body = client.get("/api/overlaps", params={"theme": "shelters-and-services"}).json()
    members = [(g["id"], m["plan_slug"], m["number"]) for g in body["items"] for m in g["members"]]
    assert [(r["overlap"].rsplit("/", 1)[-1], r["plan"], r["number"]) for r in rows] == members
    r = client.get("/api/overlaps", headers={"Accept": "text/csv"})
    assert r.headers["content-type"].startswith("text/csv")


def test_coverage_matrix_shows_gaps(client: httpx.Client) -> None:
    cov = client.get("/api/coverage").json()
    slugs = [p["slug"] for p in cov["plans"]]
    assert len(slugs) == 5 and len(cov["themes"]) >= 20
    rows = {t["slug"]: t for t in cov["themes"]}
    assert rows["victim-identification"]["gaps"] == []
    assert "khm-tha-2023-2025" in rows["child-safe-tourism"]["gaps"]
    assert rows["child-safe-tourism"]["counts"]["khm-npa-2011-2013"] > 0
    text = client.get("/api/coverage", params={"format": "csv"}).text
    assert text.splitlines()[0] == ",".join(["theme", "pillar", *slugs])


@pytest.mark.parametrize(
    ("params", "status", "kind", "param"),
    [
        ({"theme": "no-such-theme"}, 404, "not-found", "theme"),
        ({"plan": "no-such-plan"}, 404, "not-found", "plan"),
        ({"min_score": "2"}, 400, "query-error", "min_score"),
        ({"confidence": "sure"}, 400, "query-error", "confidence"),
        ({"format": "xml"}, 400, "query-error", "format"),
    ],
)
def test_bad_filters(client: httpx.Client, params, status, kind, param) -> None:
    assert_error(client.get("/api/overlaps", params=params), status, kind, param)


def test_a_reader_goes_with_its_store(paths) -> None:
    """One reader per store (server/overlaps_api.py), held weakly: after a reload the old
    build's store, and its reader, can be collected."""
    import gc
    import weakref

    from plangraph.settings import Settings
    from plangraph.store.embedded import EmbeddedStore
    from server.overlaps_api import reader

    store = EmbeddedStore.from_folder(paths.graph)
    first = reader(Settings(root=paths.root), store)
    assert reader(Settings(root=paths.root), store) is first
    gone = weakref.ref(store)
    del store, first
    gc.collect()
    assert gone() is None
