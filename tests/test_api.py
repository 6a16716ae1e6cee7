"""The REST API over real HTTP (httpx against a `plangraph serve` subprocess).

Real-data checks are facts of the two joint plans (Viet Nam–Cambodia 2020-2022 and
China–Cambodia 2017-2019), which hold whatever other plans the graph also holds.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import httpx
import pytest

from tests.server_process import assert_error

VNM = "vnm-khm-2020-2022"
CHN = "chn-khm-2017-2019"
TASK_FORCE = "khm/commit-task-force"


@pytest.fixture(scope="module")
def client(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=30) as c:
        yield c


def all_items(client: httpx.Client, path: str, **params: str) -> list[dict]:
    r = client.get(path, params={**params, "limit": "1000"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    return body["items"]


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# -- plans -----------------------------------------------------------------------------


def test_plans_lists_the_joint_plans(client: httpx.Client) -> None:
    r = client.get("/api/plans")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["x-content-type-options"] == "nosniff"
    body = r.json()
    assert {"total", "limit", "offset", "next", "previous", "items"} <= body.keys()
    plans = {p["id"]: p for p in body["items"]}
    vnm = plans[VNM]
    assert vnm["label"] == "Joint Plan of Action Viet Nam–Cambodia 2020-2022"
    assert (vnm["startYear"], vnm["endYear"], vnm["status"]) == (2020, 2022, "final")
    assert {p["id"] for p in vnm["parties"]} == {"vnm", "khm"}
    assert vnm["activityCount"] == 19
    assert vnm["commitmentCount"] > 0 and vnm["agencyCount"] > 0
    assert vnm["url"] == f"/id/plan/{VNM}"
    assert vnm["uri"] == f"https://w3id.org/plangraph/id/plan/{VNM}"
    assert vnm["source"]["href"] == "/sources/vnm-khm-jpa-2020-2022"
    chn = plans[CHN]
    assert (chn["startYear"], chn["endYear"], chn["status"]) == (2017, 2019, "draft")
    assert chn["activityCount"] == 23
    assert {p["id"] for p in chn["parties"]} == {"chn", "khm"}


def test_paging_has_a_total_and_a_next_link(client: httpx.Client) -> None:
    first = client.get("/api/plans", params={"limit": 1}).json()
    assert first["total"] >= 2 and first["limit"] == 1 and first["offset"] == 0
    assert len(first["items"]) == 1 and first["previous"] is None
    assert first["next"] and "offset=1" in first["next"] and "limit=1" in first["next"]
    second = httpx.get(first["next"]).json()
    assert second["offset"] == 1 and second["previous"] is not None
    assert second["items"][0]["id"] != first["items"][0]["id"]
    r = client.get("/api/plans", params={"limit": 1})
    assert 'rel="next"' in r.headers["link"] and r.headers["x-total-count"] == str(first["total"])
    past = client.get("/api/plans", params={"offset": 1000}).json()
    assert past["items"] == [] and past["next"] is None and past["total"] == first["total"]


def test_paging_walks_every_activity_once(client: httpx.Client) -> None:
    seen: list[str] = []
    page = client.get("/api/activities", params={"plan": VNM, "limit": 7}).json()
    while True:
        seen += [a["uri"] for a in page["items"]]
        if not page["next"]:
            break
        page = httpx.get(page["next"]).json()
    assert len(seen) == len(set(seen)) == 19


@pytest.mark.parametrize(
    ("params", "param"),
    [({"limit": "0"}, "limit"), ({"limit": "100000"}, "limit"), ({"offset": "-1"}, "offset")],
)
def test_bad_paging_is_400(client: httpx.Client, params: dict[str, str], param: str) -> None:
    assert_error(client.get("/api/plans", params=params), 400, "query-error", param)


def test_plans_as_csv_three_ways(client: httpx.Client) -> None:
    responses = [
        client.get("/api/plans", params={"format": "csv"}),
        client.get("/api/plans", headers={"accept": "text/csv"}),
        client.get("/api/plans.csv"),
    ]
    for r in responses:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = {row["id"]: row for row in read_csv(r.text)}
        assert rows[VNM]["activityCount"] == "19"
        assert sorted(rows[VNM]["parties"].split("; ")) == ["khm", "vnm"]
        assert rows[CHN]["status"] == "draft"
    assert responses[0].text == responses[1].text == responses[2].text


def test_unknown_format_is_400(client: httpx.Client) -> None:
    assert_error(client.get("/api/plans", params={"format": "xml"}), 400, "query-error", "format")


def test_plan_has_sections_and_activities(client: httpx.Client) -> None:
    r = client.get(f"/api/plans/{VNM}")
    assert r.status_code == 200
    plan = r.json()
    assert plan["id"] == VNM and plan["activityCount"] == 19
    sections = {s["number"]: s for s in plan["sections"]}
    assert sections["1.1"]["kind"] == "objective"
    assert sections["1.1"]["parent"].endswith(f"/plan/{VNM}/section/area-1")
    assert len(plan["activities"]) == 19
    first = plan["activities"][0]
    assert first["number"] == "1.1.1"
    assert first["description"] == "Identify or reaffirm the points of contact of each country."
    assert first["section"] == sections["1.1"]["uri"]
    assert TASK_FORCE in {a["id"] for a in first["agencies"]}
    assert first["sources"][0]["href"].startswith("/sources/vnm-khm-jpa-2020-2022?lines=")
    numbers = [a["number"] for a in plan["activities"]]
    assert numbers.index("1.1.1") < numbers.index("1.2.2") < numbers.index("4.1.1")


def test_unknown_plan_is_404(client: httpx.Client) -> None:
    assert_error(client.get("/api/plans/no-such-plan"), 404, "not-found", "plan")


# -- activities --------------------------------------------------------------------------


def test_activities_filter_by_plan(client: httpx.Client) -> None:
    assert len(all_items(client, "/api/activities", plan=VNM)) == 19
    chn = all_items(client, "/api/activities", plan=CHN)
    assert len(chn) == 23 and {a["plan"] for a in chn} == {CHN}
    everything = client.get("/api/activities").json()
    assert everything["total"] >= 42


def test_activities_filter_by_party(client: httpx.Client) -> None:
    plans = {p["id"]: {x["id"] for x in p["parties"]} for p in all_items(client, "/api/plans")}
    items = all_items(client, "/api/activities", party="vnm")
    assert {a["plan"] for a in items} == {
        slug for slug, parties in plans.items() if "vnm" in parties
    }
    assert sum(a["plan"] == VNM for a in items) == 19
    assert not any(a["plan"] == CHN for a in items)
    assert all_items(client, "/api/activities", party="KHM")  # codes are case-insensitive


def test_activities_filter_by_agency(client: httpx.Client) -> None:
    items = all_items(client, "/api/activities", agency=TASK_FORCE, plan=VNM)
    assert len(items) >= 10
    assert "1.1.1" in {a["number"] for a in items}
    assert all(TASK_FORCE in {x["id"] for x in a["agencies"]} for a in items)


def test_activities_filter_by_year(client: httpx.Client) -> None:
    items = all_items(client, "/api/activities", plan=VNM, year="2021")
    assert items and all(2021 in a["years"] for a in items)
    assert "1.1.2" in {a["number"] for a in items}
    assert all_items(client, "/api/activities", plan=VNM, year="1990") == []


def test_activities_filter_by_text(client: httpx.Client) -> None:
    items = all_items(client, "/api/activities", plan=VNM, text="points of CONTACT")
    assert [a["number"] for a in items] == ["1.1.1"]
    victims = all_items(client, "/api/activities", text="victims")
    assert victims and all("victims" in a["description"].lower() for a in victims)


def test_activities_filter_by_theme(client: httpx.Client) -> None:
    assert_error(
        client.get("/api/activities", params={"theme": "no-such-theme"}), 404, "not-found", "theme"
    )
    themed = [a for a in all_items(client, "/api/activities") if a["themes"]]
    if themed:  # themes are assigned by a later stage; until then there is nothing to filter
        theme = themed[0]["themes"][0]
        items = all_items(client, "/api/activities", theme=theme.rsplit("/", 1)[-1])
        assert items and all(theme in a["themes"] for a in items)


def test_filters_combine_and_go_into_the_next_link(client: httpx.Client) -> None:
    body = client.get("/api/activities", params={"plan": VNM, "year": "2020", "limit": 2}).json()
    assert body["total"] > 2
    assert "plan=vnm-khm-2020-2022" in body["next"] and "year=2020" in body["next"]


@pytest.mark.parametrize(
    ("params", "status", "kind", "param"),
    [
        ({"plan": "no-such-plan"}, 404, "not-found", "plan"),
        ({"party": "xyz"}, 404, "not-found", "party"),
        ({"agency": "khm/no-such-agency"}, 404, "not-found", "agency"),
        ({"year": "twenty"}, 400, "query-error", "year"),
    ],
)
def test_bad_activity_filters(
    client: httpx.Client, params: dict[str, str], status: int, kind: str, param: str
) -> None:
    assert_error(client.get("/api/activities", params=params), status, kind, param)


def test_activities_as_csv(client: httpx.Client) -> None:
    r = client.get("/api/activities.csv", params={"plan": VNM, "limit": "1000"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = read_csv(r.text)
    assert len(rows) == 19 and rows[0]["number"] == "1.1.1"
    assert "Cambodia COMMIT Task Force" in rows[0]["agencies"] or TASK_FORCE in rows[0]["agencies"]
    assert rows[0]["sources"].startswith("https://w3id.org/plangraph/id/source/")
    same = client.get("/api/activities", params={"plan": VNM, "format": "csv", "limit": "1000"})
    assert same.text == r.text


# -- agencies ----------------------------------------------------------------------------


def test_agencies_list(client: httpx.Client) -> None:
    items = {a["id"]: a for a in all_items(client, "/api/agencies")}
    mosvy = items["khm/mosvy"]
    assert mosvy["label"] == "Ministry of Social Affairs, Veterans and Youth Rehabilitation"
    assert mosvy["party"]["id"] == "khm" and "MoSVY" in mosvy["altLabels"]
    assert mosvy["url"] == "/id/agency/khm/mosvy"
    assert items[TASK_FORCE]["commitmentCount"] >= 10
    r = client.get("/api/agencies.csv", params={"limit": 1000})
    rows = {row["id"]: row for row in read_csv(r.text)}
    assert rows.keys() == items.keys()
    assert rows["khm/mosvy"]["party"] == "khm"
    paged = client.get("/api/agencies", params={"limit": 5}).json()
    assert paged["total"] == len(items) and len(paged["items"]) == 5 and paged["next"]


def test_agency_with_its_commitments(client: httpx.Client) -> None:
    r = client.get(f"/api/agencies/{TASK_FORCE}")
    assert r.status_code == 200
    agency = r.json()
    assert agency["label"] == "Cambodia COMMIT Task Force"
    vnm = [c for c in agency["commitments"] if c["plan"] and c["plan"]["id"] == VNM]
    assert len(vnm) >= 10
    first = next(c for c in vnm if c["activity"]["number"] == "1.1.1")
    assert first["role"] == "responsible"
    assert first["onBehalfOf"]["id"] == "khm"
    assert first["sources"][0]["href"].startswith("/sources/vnm-khm-jpa-2020-2022?lines=")


def test_unknown_agency_is_404(client: httpx.Client) -> None:
    assert_error(client.get("/api/agencies/khm/no-such-agency"), 404, "not-found", "id")


# -- OpenAPI -------------------------------------------------------------------------------


def test_openapi_documents_the_endpoints(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/plans",
        "/api/plans/{slug}",
        "/api/activities",
        "/api/agencies",
        "/api/agencies/{party}/{slug}",
    ):
        assert path in spec["paths"], path
    names = {p["name"] for p in spec["paths"]["/api/activities"]["get"]["parameters"]}
    assert {"plan", "party", "agency", "theme", "year", "text", "limit", "offset"} <= names
    assert client.get("/docs").status_code == 200
