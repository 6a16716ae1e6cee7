"""/api/search, /api/search.csv and the /search page over real HTTP (a real `plangraph serve`):
JSON, CSV and the page agree; paging; every refused request is a 400 naming its parameter; the
index is cached per build and read again by a restarted server."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plangraph.paths import ProjectPaths
from tests.server_process import assert_error, dataset_folder, root_with_graph, running_server

ROOT = Path(__file__).resolve().parent.parent
TWO_PLANS = [("plan", "khm-npa-2011-2013"), ("plan", "commit-srpa-2005-2007")]


@pytest.fixture(scope="module")
def client(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=30) as c:
        yield c


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def page_hits(body: str) -> list[str]:
    """The step IRIs the /search page lists, in order."""
    return [html.unescape(u) for u in re.findall(r'<li class="hit" data-uri="([^"]+)"', body)]


def page_total(body: str) -> int:
    m = re.search(r'<strong id="search-total">(\d+)</strong>', body)
    assert m, body[:500]
    return int(m.group(1))


def all_pages(client: httpx.Client, params: list[tuple[str, str]]) -> list[dict]:
    """Every hit of a search, following `next` from the first page."""
    items: list[dict] = []
    r = client.get("/api/search", params=[*params, ("limit", "7")])
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        items.extend(body["items"])
        if body["next"] is None:
            return items
        nxt = urlsplit(body["next"])
        assert parse_qs(nxt.query)["limit"] == ["7"]
        r = client.get(f"{nxt.path}?{nxt.query}")


def test_json_csv_and_page_agree(client: httpx.Client) -> None:
    state = [("q", "repatriation"), *TWO_PLANS]
    first = client.get("/api/search", params=state).json()
    everything = all_pages(client, state)
    assert len(everything) == first["total"] > 20  # more than one page of the default 20
    assert {h["plan"] for h in everything} == {"khm-npa-2011-2013", "commit-srpa-2005-2007"}
    uris = [h["uri"] for h in everything]
    assert len(set(uris)) == len(uris) and [h["rank"] for h in everything] == list(
        range(1, len(uris) + 1)
    )

    csv_response = client.get("/api/search.csv", params=state)
    assert csv_response.status_code == 200
    assert csv_response.headers["content-type"].startswith("text/csv")
    rows = csv_rows(csv_response.text)
    assert [r["uri"] for r in rows] == uris  # all rows, not one page
    assert csv_response.headers["x-total-count"] == str(len(uris))
    assert client.get("/api/search", params=[*state, ("format", "csv")]).text == csv_response.text
    accept = client.get("/api/search", params=state, headers={"Accept": "text/csv"})
    assert accept.text == csv_response.text
    by_uri = {h["uri"]: h for h in everything}
    for row in rows:
        hit = by_uri[row["uri"]]
        assert row["number"] == hit["number"] and row["text"] == hit["text"]
        assert row["plan"] == hit["plan"] and float(row["score"]) == hit["score"]
        assert row["sources"] == "; ".join(
            f"{s['document']}:{s['startLine']}-{s['endLine']}" for s in hit["sources"]
        )

    page_uris: list[str] = []
    for offset in range(0, len(uris), 20):
        body = client.get("/search", params=[*state, ("offset", str(offset))]).text
        assert page_total(body) == len(uris)
        page_uris.extend(page_hits(body))
    assert page_uris == uris


def test_facets_in_json(client: httpx.Client) -> None:
    body = client.get("/api/search", params=[("q", "repatriation"), *TWO_PLANS]).json()
    plans = {v["value"]: v for v in body["facets"]["plan"]}
    assert plans["khm-npa-2011-2013"]["selected"] and plans["commit-srpa-2005-2007"]["selected"]
    # the plan facet ignores its own selection: the other plans keep their counts
    assert plans["vnm-khm-2020-2022"]["count"] > 0 and not plans["vnm-khm-2020-2022"]["selected"]
    selected = sum(v["count"] for v in plans.values() if v["selected"])
    assert selected == body["total"]
    assert body["selected"]["plan"] == ["khm-npa-2011-2013", "commit-srpa-2005-2007"]
    kinds = {v["value"]: v["count"] for v in body["facets"]["kind"]}
    assert sum(kinds.values()) == body["total"]


def test_snippets_and_agencies(client: httpx.Client) -> None:
    body = client.get("/api/search", params={"q": "mosvy"}).json()
    assert body["agencies"]["items"][0]["id"] == "khm/mosvy"
    assert body["agencies"]["items"][0]["url"] == "/id/agency/khm/mosvy"
    assert all("<mark>" in h["snippet"].lower() for h in body["items"])
    hit = body["items"][0]
    assert hit["url"].startswith("/id/plan/") and hit["sources"][0]["href"].startswith("/sources/")
    assert client.get(hit["url"]).status_code == 200
    assert client.get(hit["sources"][0]["href"]).status_code == 200


def test_browse_mode_is_the_list_other_pages_link_to(client: httpx.Client) -> None:
    state = {"theme": "victim-identification", "plan": "khm-npa-2011-2013"}
    body = client.get("/api/search", params={**state, "limit": "1000"}).json()
    activities = client.get("/api/activities", params={**state, "limit": "1000"}).json()
    listed = [h["uri"] for h in body["items"] if h["kind"] == "activity"]
    assert listed == [a["uri"] for a in activities["items"]]
    assert all(h["score"] is None for h in body["items"])
    page = client.get("/search", params=state).text
    assert page_hits(page) == [h["uri"] for h in body["items"]][:20]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"plan": "no-such-plan"}, "plan"),
        ({"party": "xyz"}, "party"),
        ({"agency": "khm/nobody"}, "agency"),
        ({"theme": "flying"}, "theme"),
        ({"year": "1999"}, "year"),
        ({"year": "20x1"}, "year"),
        ({"role": "boss"}, "role"),
        ({"kind": "task"}, "kind"),
        ({"rollup": "perhaps"}, "rollup"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "1e3"}, "offset"),
        ({"format": "xml"}, "format"),
        ({"q": '"" ()'}, "q"),
        ({"q": "-shelter"}, "q"),
        ({"q": "x" * 1001}, "q"),
    ],
)
def test_refusals_name_the_parameter(
    client: httpx.Client, params: dict[str, str], param: str
) -> None:
    assert_error(client.get("/api/search", params=params), 400, "query-error", param)
    if param not in ("limit", "offset", "format"):
        assert_error(client.get("/api/search.csv", params=params), 400, "query-error", param)
    if param == "format":
        return  # the page has one format
    page = client.get("/search", params=params)
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert f"parameter <code>{param}</code>" in page.text


def test_a_repeated_single_parameter_is_refused(client: httpx.Client) -> None:
    r = client.get("/api/search", params=[("q", "a"), ("q", "b")])
    assert_error(r, 400, "query-error", "q")


def test_hostile_queries_over_http(client: httpx.Client) -> None:
    for q in ['"', "(", "text:x", "NEAR(a b)", "*", "\x00", "a" * 1000, "x' OR 1=1 --"]:
        r = client.get("/api/search", params={"q": q})
        assert r.status_code in (200, 400), (q, r.text)
        if r.status_code == 400:
            assert r.json()["param"] == "q"
        page = client.get("/search", params={"q": q})
        assert page.status_code in (200, 400)


def test_page_escapes_what_it_echoes(client: httpx.Client) -> None:
    body = client.get("/search", params={"q": "<script>alert(1)</script> victims"}).text
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; victims" in body


def test_page_state_and_links(client: httpx.Client) -> None:
    state = [("q", "repatriation"), *TWO_PLANS, ("rollup", "true")]
    body = client.get("/search", params=state).text
    assert 'data-nav="search" aria-current="page"' in body
    found = re.search(r'href="([^"]+)" id="download-csv"', body)
    assert found
    csv_href = html.unescape(found.group(1))
    assert csv_href.startswith("/api/search.csv?")
    assert parse_qs(urlsplit(csv_href).query) == {
        "q": ["repatriation"],
        "plan": ["khm-npa-2011-2013", "commit-srpa-2005-2007"],
        "rollup": ["true"],
    }
    assert len(csv_rows(client.get(csv_href).text)) == page_total(body)
    for value in ("khm-npa-2011-2013", "commit-srpa-2005-2007"):
        assert re.search(rf'name="plan" value="{value}" checked', body)
    assert re.search(r'name="rollup" value="true" id="facet-rollup" checked', body)
    assert client.get("/search", params={"limit": "5"}).status_code == 400  # 10-50 a page
    assert len(page_hits(client.get("/search", params={"limit": "50"}).text)) == 50


def test_the_navigation_search_box_leads_here(client: httpx.Client) -> None:
    home = client.get("/").text
    assert re.search(r'<form class="site-search"[^>]*action="/search"', home)
    assert 'name="q"' in home


def test_a_restarted_server_reads_the_cached_index() -> None:
    graph = dataset_folder() or ROOT / "data" / "graph"
    with tempfile.TemporaryDirectory() as tmp:
        root = root_with_graph(ROOT, graph, Path(tmp))
        cache = root / "data" / "cache"
        if cache.is_symlink():  # the project's own cache: start from an empty one
            cache.unlink()
        with running_server(root) as url:
            files = list(cache.glob("search-*.sqlite"))
            assert len(files) == 1
            first = files[0].stat()
            total = httpx.get(f"{url}/api/search", params={"q": "shelter"}).json()["total"]
        with running_server(root) as url:
            again = httpx.get(f"{url}/api/search", params={"q": "shelter"}).json()
            assert again["total"] == total
        assert [f.name for f in cache.glob("search-*.sqlite")] == [files[0].name]
        assert files[0].stat().st_ino == first.st_ino  # opened, not written again
        assert files[0].stat().st_mtime_ns == first.st_mtime_ns
        assert again["build"] in files[0].name


NEW_STEP = """\
<https://w3id.org/plangraph/id/plan/khm-npa-2011-2013/activity/9.9.9> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/plangraph/ontology#Step> <https://w3id.org/plangraph/graph/test> .
<https://w3id.org/plangraph/id/plan/khm-npa-2011-2013/activity/9.9.9> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/plangraph/ontology#Activity> <https://w3id.org/plangraph/graph/test> .
<https://w3id.org/plangraph/id/plan/khm-npa-2011-2013/activity/9.9.9> <https://w3id.org/plangraph/ontology#plan> <https://w3id.org/plangraph/id/plan/khm-npa-2011-2013> <https://w3id.org/plangraph/graph/test> .
<https://w3id.org/plangraph/id/plan/khm-npa-2011-2013/activity/9.9.9> <https://w3id.org/plangraph/ontology#number> "9.9.9" <https://w3id.org/plangraph/graph/test> .
<https://w3id.org/plangraph/id/plan/khm-npa-2011-2013/activity/9.9.9> <http://purl.org/dc/terms/description> "Patrol every zebracrossing near schools." <https://w3id.org/plangraph/graph/test> .
"""  # noqa: E501


def test_a_rebuilt_dataset_gets_its_own_index(project_copy: ProjectPaths) -> None:
    """A server that picks up a new build (server/live.py) searches the new build with an
    index of its own, cached beside the old one's."""
    graph = project_copy.graph
    shutil.copytree(dataset_folder() or ROOT / "data" / "graph", graph)
    env = {"PLANGRAPH_RELOAD_INTERVAL": "0.2", "PLANGRAPH_QUERY_WORKERS": "2"}
    with (
        running_server(project_copy.root, env=env) as url,
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        old = c.get("/health").json()["build"]
        assert c.get("/api/search", params={"q": "zebracrossing"}).json()["total"] == 0
        nq = (graph / "plangraph.nq").read_bytes() + NEW_STEP.encode()
        manifest = json.loads((graph / "build.json").read_text(encoding="utf-8"))
        new = hashlib.sha256(nq).hexdigest()[:16]
        manifest.update(build_id=new, triples=manifest["triples"] + NEW_STEP.count("\n"))
        for name, data in (("plangraph.nq", nq), ("build.json", json.dumps(manifest).encode())):
            (graph / f".{name}.tmp").write_bytes(data)
            os.replace(graph / f".{name}.tmp", graph / name)
        deadline = time.monotonic() + 60
        while c.get("/health").json()["build"] != new:
            assert time.monotonic() < deadline, "the new build was not loaded"
            time.sleep(0.2)
        r = c.get("/api/search", params={"q": "zebracrossing"})
        assert r.headers["x-plangraph-build"] == new and r.json()["build"] == new
        assert [h["number"] for h in r.json()["items"]] == ["9.9.9"]
        assert "<mark>zebracrossing</mark>" in r.json()["items"][0]["snippet"]
    names = sorted(p.name for p in (project_copy.root / "data" / "cache").glob("search-*"))
    assert len(names) == 2 and any(old in n for n in names) and any(new in n for n in names)


KNOWN = {
    "plan": ["khm-npa-2011-2013", "commit-srpa-2005-2007", "vnm-khm-2020-2022"],
    "kind": ["activity", "work-item", "sub-activity", "quarterly-activity"],
    "year": ["2006", "2012", "2021", "2024"],
    "theme": ["victim-identification", "shelters-and-services"],
}

VALUES = [v for vs in KNOWN.values() for v in vs]


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    q=st.text(max_size=40) | st.sampled_from(["shelter", "victims OR police", '"cross border"']),
    chosen=st.dictionaries(
        st.sampled_from(sorted(KNOWN)),
        st.lists(st.sampled_from(VALUES) | st.text(max_size=8), max_size=3),
        max_size=3,
    ),
)
def test_any_request_is_answered_and_a_200_holds_only_what_was_asked(
    server_url: str, q: str, chosen: dict[str, list[str]]
) -> None:
    params = [("q", q), *((k, v) for k, vs in chosen.items() for v in vs), ("limit", "1000")]
    r = httpx.get(f"{server_url}/api/search", params=params, timeout=30)
    assert r.status_code in (200, 400), r.text
    if r.status_code == 400:
        assert r.json()["param"] in ("q", *KNOWN)
        return
    wanted = {k: {v.strip() for v in vs} - {""} for k, vs in chosen.items()}
    for hit in r.json()["items"]:
        carried = {
            "plan": {hit["plan"]},
            "kind": {hit["kind"]},
            "year": {str(y) for y in hit["years"]},
            "theme": set(hit["themes"]),
        }
        for facet, values in wanted.items():
            if values:
                assert carried[facet] & values, (facet, values, hit["uri"])
