"""The edges every response shares (server/edges.py), over real HTTP: compression,
validators keyed by the build, error pages for browsers and JSON for API clients."""

from __future__ import annotations

import gzip
from concurrent.futures import ThreadPoolExecutor

import anyio
import httpx
import pytest
from fastapi import FastAPI

from plangraph.settings import Settings
from server import edges

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
COMPRESSIBLE = [
    "/",
    "/id/plan/khm-npa-2011-2013",
    "/overlaps",
    "/api/network",
    "/api/activities?limit=1000",
    "/downloads/plangraph.nq",
    "/static/vendor/yasgui/yasgui.min.js",
]


@pytest.mark.parametrize("path", COMPRESSIBLE)
def test_responses_are_compressed_for_clients_that_accept_gzip(server_url: str, path: str) -> None:
    with httpx.Client(base_url=server_url, timeout=30) as c:
        plain = c.get(path, headers={"Accept-Encoding": "identity"})
        raw = c.send(c.build_request("GET", path, headers={"Accept-Encoding": "gzip"}), stream=True)
        body = b"".join(raw.iter_raw())
    assert plain.status_code == raw.status_code == 200
    assert "content-encoding" not in plain.headers
    assert raw.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in raw.headers["vary"]
    assert gzip.decompress(body) == plain.content
    assert len(body) < len(plain.content) / 2  # text compresses at least 2:1


@pytest.mark.parametrize(
    "path",
    ["/", "/api/plans", "/api/plans.csv", "/id/agency/khm/mosvy", "/downloads/plangraph.ttl"],
)
def test_cacheable_answers_carry_a_build_keyed_etag_and_revalidate(
    server_url: str, path: str
) -> None:
    with httpx.Client(base_url=server_url, timeout=30) as c:
        first = c.get(path)
        etag = first.headers["etag"]
        build = first.headers["x-plangraph-build"]
        assert etag.startswith(f'W/"{build}-')
        assert first.headers["cache-control"] == "no-cache"
        again = c.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        # a tag from elsewhere does not match
        other = c.get(path, headers={"If-None-Match": 'W/"something-else"'})
        assert other.status_code == 200
        assert other.content == first.content


def test_etag_differs_by_accept_and_query(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=30) as c:
        html = c.get("/id/agency/khm/mosvy", headers={"Accept": "text/html"})
        turtle = c.get("/id/agency/khm/mosvy", headers={"Accept": "text/turtle"})
        page1 = c.get("/api/activities?limit=5")
        page2 = c.get("/api/activities?limit=5&offset=5")
    assert html.headers["etag"] != turtle.headers["etag"]
    assert page1.headers["etag"] != page2.headers["etag"]


def test_errors_and_queries_are_not_cached(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=30) as c:
        missing = c.get("/api/plans/no-such-plan")
        query = c.get("/sparql", params={"query": "ASK {}"})
        health = c.get("/health")
    assert missing.status_code == 404 and "etag" not in missing.headers
    assert query.status_code == 200 and "etag" not in query.headers
    assert "etag" not in health.headers


def test_static_files_keep_their_validators_with_a_short_max_age(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=30) as c:
        css = c.get("/static/style.css")
        assert css.headers["cache-control"] == edges.STATIC_CACHE_CONTROL
        again = c.get("/static/style.css", headers={"If-None-Match": css.headers["etag"]})
    assert again.status_code == 304


def test_a_browser_gets_an_html_404_with_the_navigation(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=30) as c:
        for path in ("/no/such/page", "/id/agency/khm/no-such-agency", "/sources/nothing"):
            r = c.get(path, headers={"Accept": BROWSER})
            assert r.status_code == 404, path
            assert r.headers["content-type"].startswith("text/html")
            assert 'nav class="site-nav"' in r.text
            assert "Page not found" in r.text


def test_api_clients_get_the_json_error_shape(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=30) as c:
        unknown = c.get("/no/such/page", headers={"Accept": "application/json"})
        api = c.get("/api/no-such-list", headers={"Accept": BROWSER})  # /api/ is always JSON
        agency = c.get("/id/agency/khm/no-such-agency", headers={"Accept": "text/turtle"})
    for r in (unknown, api):
        assert r.status_code == 404
        assert r.json() == {"error": "not-found", "message": f"there is no page at {r.url.path}"}
    assert agency.status_code == 404
    assert agency.json()["error"] == "not-found"


def test_openapi_operation_ids_are_unique(server_url: str) -> None:
    spec = httpx.get(f"{server_url}/openapi.json", timeout=30).json()
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert {"sparql_put", "sparql_delete", "sparql_patch"} <= set(ids)


def test_an_unexpected_error_is_a_500_page_or_json_never_a_traceback() -> None:
    app = FastAPI()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    edges.install(app, Settings(), "b0")

    async def ask() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            page = await client.get("/boom", headers={"Accept": BROWSER})
            api = await client.get("/boom", headers={"Accept": "application/json"})
        return page, api

    # in a thread of its own: a browser test's event loop may still be running in this one
    with ThreadPoolExecutor(1) as pool:
        page, api = pool.submit(anyio.run, ask).result()
    assert page.status_code == api.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in page.text and "secret internals" not in page.text
    assert api.json()["error"] == "internal-error"
    assert "secret internals" not in api.text
    assert api.headers["connection"] == "close"
