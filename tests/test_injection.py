"""No request value is ever pasted into SPARQL: property tests (Hypothesis) over real HTTP
for every value-taking REST parameter. Values are valid ones, valid ones with SPARQL /
Turtle / JSON injection payloads appended, and arbitrary text. For each: no 5xx, and a 200
holds only results that match the value exactly (an unknown value matches nothing).

PLANGRAPH_HYPOTHESIS_EXAMPLES sets the examples per parameter (default 1000).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("PLANGRAPH_HYPOTHESIS_EXAMPLES", "1000"))
ID = "https://w3id.org/plangraph/id/"
PAYLOADS = [
    '" } UNION { ?s ?p ?o } #',
    "> } UNION { ?s ?p ?o } #",
    "' . ?s ?p ?o . '",
    '"^^<http://www.w3.org/2001/XMLSchema#integer>) } #',
    "\\u0022 } #",
    "> ; <urn:x> <urn:y> . <",
    "\n} DROP ALL #",
    "%3E%20%7D",
    " OR 1=1",
    "\x00",
    '"}]',
    "/../../etc/passwd",
    "?s ?p ?o",
    "\\",
]
TEXT = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=60)


def values(valid: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(valid),
        st.builds(lambda v, p: v + p, st.sampled_from(valid), st.sampled_from(PAYLOADS)),
        st.builds(lambda v, p: p + v, st.sampled_from(valid), st.sampled_from(PAYLOADS)),
        TEXT,
    )


@pytest.fixture(scope="module")
def client(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def known(client: httpx.Client) -> dict[str, Any]:
    acts = client.get("/api/activities", params={"limit": 1000}).json()["items"]
    plans = sorted({a["plan"] for a in acts})
    agencies = client.get("/api/agencies", params={"limit": 1000}).json()["items"]
    return {
        "activities": acts,
        "plans": plans,
        "plan_iris": [ID + "plan/" + p for p in plans],
        "themes": sorted({t for a in acts for t in a["themes"]}),
        "agencies": sorted(a["id"] for a in agencies if a.get("id"))[:40] or ["khm/mosvy"],
        "parties": ["khm", "tha", "vnm", "chn", "lao", "mmr", "KHM"],
        "years": [str(y) for y in range(2004, 2026)] + ["0000", "99999", "-2021", "2021 "],
    }


def run(check: Callable[[str], None], strategy: st.SearchStrategy[str]) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def prop(value: str) -> None:
        check(value)

    prop()


def no_5xx(r: httpx.Response) -> httpx.Response:
    assert r.status_code < 500, (r.request.url, r.status_code, r.text[:300])
    assert r.status_code in (200, 307, 400, 404, 406, 422), (r.request.url, r.status_code)
    return r


def items(client: httpx.Client, **params: str) -> list[dict[str, Any]] | None:
    r = no_5xx(client.get("/api/activities", params={**params, "limit": "1000"}))
    return r.json()["items"] if r.status_code == 200 else None


def test_activities_plan(client: httpx.Client, known: dict[str, Any]) -> None:
    def check(v: str) -> None:
        got = items(client, plan=v)
        if got:
            slug = v.rsplit("/", 1)[-1]
            assert v in known["plans"] or v in known["plan_iris"], v
            assert {a["plan"] for a in got} == {slug}

    run(check, values(known["plans"] + known["plan_iris"]))


def test_activities_party(client: httpx.Client, known: dict[str, Any]) -> None:
    def check(v: str) -> None:
        got = items(client, party=v)
        if got is not None:
            assert v.lower() in {p.lower() for p in known["parties"]} or not got, v

    run(check, values(known["parties"]))


def test_activities_agency(client: httpx.Client, known: dict[str, Any]) -> None:
    def check(v: str) -> None:
        got = items(client, agency=v)
        if got:
            iris = {x["uri"] for a in got for x in a["agencies"]}
            assert any(i.endswith("/" + v) or i == v for i in iris), v

    run(check, values(known["agencies"]))


def test_activities_theme(client: httpx.Client, known: dict[str, Any]) -> None:
    def check(v: str) -> None:
        got = items(client, theme=v)
        if got:
            for a in got:
                assert any(v in (t, t.rsplit("/", 1)[-1]) for t in a["themes"]), v

    themes = known["themes"]
    run(check, values(themes + [t.rsplit("/", 1)[-1] for t in themes]))


def test_activities_year(client: httpx.Client, known: dict[str, Any]) -> None:
    def check(v: str) -> None:
        got = items(client, year=v)
        if got:
            assert all(int(v.strip()) in a["years"] for a in got), v

    run(check, values(known["years"]))


def test_activities_text(client: httpx.Client, known: dict[str, Any]) -> None:
    words = sorted({w for a in known["activities"][:50] for w in a["description"].split()[:3]})

    def check(v: str) -> None:
        got = items(client, text=v)
        if got:
            for a in got:
                hay = f"{a['number']} {a['printedNumber'] or ''} {a['description'] or ''}".lower()
                assert all(w in hay for w in v.lower().split()), v

    run(check, values(words))


def test_paging(client: httpx.Client, known: dict[str, Any]) -> None:
    def check(v: str) -> None:
        for name in ("limit", "offset"):
            r = no_5xx(client.get("/api/activities", params={name: v}))
            if r.status_code == 200 and name == "limit":
                assert len(r.json()["items"]) <= int(v.strip())

    run(check, values(["0", "1", "10", "500", "-1", "1e3", "99999999999999999999"]))


def test_plan_and_agency_paths(client: httpx.Client, known: dict[str, Any]) -> None:
    def check(v: str) -> None:
        r = no_5xx(client.get("/api/plans/" + quote(v, safe="")))
        if r.status_code == 200:
            assert r.json()["uri"] == f"{ID}plan/{v}", v
        party, _, slug = v.partition("/")
        r = no_5xx(
            client.get(
                f"/api/agencies/{quote(party or 'x', safe='')}/{quote(slug or 'x', safe='')}"
            )
        )
        if r.status_code == 200:
            assert r.json()["uri"] == f"{ID}agency/{party}/{slug}", v

    run(check, values(known["plans"] + known["agencies"]))


def catalog_rows(client: httpx.Client, name: str, **params: str) -> list[dict[str, str]] | None:
    r = no_5xx(client.get(f"/api/queries/{name}", params=params))
    return r.json()["rows"] if r.status_code == 200 else None


def test_catalog_iri_parameter(client: httpx.Client, known: dict[str, Any]) -> None:
    """An IRI parameter bound by VALUES: a known plan gives exactly its rows, anything else
    gives none (or a 400), never the rows of another plan."""
    expected = {p: catalog_rows(client, "roles-by-plan", plan=p) for p in known["plan_iris"]}

    def check(v: str) -> None:
        rows = catalog_rows(client, "roles-by-plan", plan=v)
        if rows:
            assert v in expected and rows == expected[v], v

    run(check, values(known["plan_iris"]))


def test_catalog_year_parameter(client: httpx.Client, known: dict[str, Any]) -> None:
    def check(v: str) -> None:
        rows = catalog_rows(client, "activities-in-year", year=v)
        if rows:
            assert {r["year"] for r in rows} == {v.strip()}, v

    run(check, values(known["years"]))


def test_overlaps_filters(client: httpx.Client, known: dict[str, Any]) -> None:
    def check(v: str) -> None:
        for name in ("theme", "party", "plan", "year", "min_score"):
            r = no_5xx(client.get("/api/overlaps", params={name: v}))
            if r.status_code == 200 and name == "plan" and r.json()["items"]:
                for g in r.json()["items"]:
                    assert v in {m["plan_slug"] for m in g["members"]}, v

    run(check, values(known["plans"] + known["parties"] + known["years"] + ["0.5"]))


def test_reconcile_query(client: httpx.Client, known: dict[str, Any]) -> None:
    def check(v: str) -> None:
        no_5xx(client.get("/reconcile", params={"query": v}))
        no_5xx(client.get("/reconcile", params={"queries": json.dumps({"q0": {"query": v}})}))

    run(check, values(["Ministry of Social Affairs", "police", "MOSVY"]))
