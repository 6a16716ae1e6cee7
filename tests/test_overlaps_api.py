"""/api/overlaps and /api/coverage on the real dataset, through the real HTTP server."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import httpx
import pytest

from plangraph.paths import ProjectPaths
from tests.server_process import assert_error, dataset_folder, running_server


@pytest.fixture(scope="module")
def client(paths: ProjectPaths) -> Iterator[httpx.Client]:
    with (
        running_server(paths.root, graph=dataset_folder()) as url,
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        yield c


def test_overlaps_lists_groups_with_members_and_reasons(client: httpx.Client) -> None:
    body = client.get("/api/overlaps").json()
    assert body["total"] == len(body["items"]) >= 20
    for g in body["items"]:
        assert len(g["members"]) >= 2 and len(g["plans"]) >= 2
        assert 0 < g["score"] <= 1
        assert g["reason"].startswith(f"{len(g['members'])} steps of")
        for m in g["members"]:
            assert m["href"].startswith("/id/plan/")
            assert m["sources"] and m["sources"][0]["href"].startswith("/sources/")
    sizes = [len(g["members"]) for g in body["items"]]
    assert sizes == sorted(sizes, reverse=True)


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


def test_csv_export(client: httpx.Client) -> None:
    r = client.get("/api/overlaps", params={"format": "csv", "theme": "shelters-and-services"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and {"overlap", "score", "plan", "number", "text", "reason"} <= set(rows[0])
    assert any("shelter" in row["text"].lower() for row in rows)
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
        ({"format": "xml"}, 400, "query-error", "format"),
    ],
)
def test_bad_filters(client: httpx.Client, params, status, kind, param) -> None:
    assert_error(client.get("/api/overlaps", params=params), status, kind, param)
