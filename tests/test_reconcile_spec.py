"""/reconcile against the W3C Entity Reconciliation API 0.2 itself: the spec's JSON schemas
and example batches (vendored in tests/data/reconciliation-api), and an OpenRefine-like client
flow over real HTTP: manifest, a batch, suggest, preview, propose properties, data extension.
Every response is validated against the spec's schema for it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

from plangraph.paths import ProjectPaths
from plangraph.store.embedded import EmbeddedStore
from plangraph.views.reconcile import clean
from plangraph.views.reconcile_services import ReconcileServices
from tests.server_process import assert_error, dataset_folder

SPEC = Path(__file__).parent / "data" / "reconciliation-api" / "0.2"
SCHEMA_BASE = "https://reconciliation-api.github.io/specs/0.2/schemas/"
# The manifest schema refers to Swagger 2.0's security definitions for ``authentication``,
# which is not vendored: it stands in as a schema no value satisfies, so the manifest must
# not have ``authentication`` (plangraph needs none).
NO_AUTHENTICATION = {"definitions": {"securityDefinitions": {"additionalProperties": False}}}


def _retrieve(uri: str) -> Any:
    if uri.startswith(SCHEMA_BASE):
        return json.loads((SPEC / "schemas" / uri.removeprefix(SCHEMA_BASE)).read_text())
    if uri.startswith("http://swagger.io/v2/schema.json"):
        return NO_AUTHENTICATION
    raise ValueError(f"not vendored: {uri}")


def valid(schema: str, instance: Any) -> None:
    """Assert ``instance`` is valid under the spec's ``schema`` (e.g. "manifest")."""
    doc = json.loads((SPEC / "schemas" / f"{schema}.json").read_text())
    validator = jsonschema_rs.validator_for(doc, retriever=_retrieve)
    errors = [str(e) for e in validator.iter_errors(instance)]
    assert not errors, (schema, errors[:3])


def example(kind: str, name: str) -> Any:
    return json.loads((SPEC / "examples" / kind / name).read_text())


@pytest.fixture(scope="module")
def services(paths: ProjectPaths) -> ReconcileServices:
    store = EmbeddedStore.from_folder(dataset_folder() or paths.graph)
    return ReconcileServices.from_store(store, paths.queries / "api")


def _post(server_url: str, **fields: Any) -> httpx.Response:
    """A POST as OpenRefine makes it: form fields holding JSON."""
    return httpx.post(
        server_url + "/reconcile",
        data={k: json.dumps(v) for k, v in fields.items()},
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
        timeout=60,
    )


# -- the library ----------------------------------------------------------------------------


def test_text_is_read_as_meant() -> None:
    assert clean("ＭｏＳＶＹ") == "MoSVY"
    assert clean("Mo\u200bS\u200dVY\ufeff") == "MoSVY"
    assert clean("\u200fMoSVY\u200e\u202b\u202c\u2066\u2069") == "MoSVY"
    assert clean("Ministry\u00adof Interior") == "Ministryof Interior"


@pytest.mark.parametrize(
    "name", ["example-full.json", "multi-values.json", "no-query-string.json", "example-min.json"]
)
def test_the_specs_valid_batches_are_answered_query_by_query(
    services: ReconcileServices, name: str
) -> None:
    batch = example("reconciliation-query-batch", "valid/" + name)
    valid("reconciliation-query-batch", batch)
    out = services.reconciler.reconcile_batch(batch)
    valid("reconciliation-result-batch", out)
    assert set(out) == set(batch)
    assert all("error" not in answer for answer in out.values())
    if name != "example-min.json":  # unknown type (DifferentiatedPerson) or properties (uid)
        assert all(answer["result"] == [] for answer in out.values())


@pytest.mark.parametrize("name", ["empty-query.json", "empty-properties.json"])
def test_the_specs_invalid_queries_get_an_empty_result_and_an_error(
    services: ReconcileServices, name: str
) -> None:
    batch = example("reconciliation-query-batch", "invalid/" + name)
    out = services.reconciler.reconcile_batch(batch)
    valid("reconciliation-result-batch", out)
    assert out["q1"]["result"] == [] and out["q1"]["error"]["param"] == "query"


@pytest.mark.parametrize("name", ["example-full.json", "example-min.json"])
def test_the_specs_extension_queries(services: ReconcileServices, name: str) -> None:
    query = example("data-extension-query", "valid/" + name)
    valid("data-extension-query", query)
    out = services.extend(query)
    valid("data-extension-response", out)
    assert set(out["rows"]) == set(query["ids"])  # ids plangraph does not have: no values
    assert all(v == [] for row in out["rows"].values() for v in row.values())


# -- over HTTP, as OpenRefine does it -----------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["example-full.json", "multi-values.json", "no-query-string.json", "example-min.json"]
)
def test_the_specs_batches_over_http(server_url: str, name: str) -> None:
    """The spec's example-full and multi-values batches were refused whole (400: unknown type)."""
    batch = example("reconciliation-query-batch", "valid/" + name)
    r = _post(server_url, queries=batch)
    assert r.status_code == 200, r.text
    valid("reconciliation-result-batch", r.json())
    assert set(r.json()) == set(batch)


def test_openrefine_flow(server_url: str) -> None:
    # 1. the manifest: where the services are
    manifest = httpx.get(server_url + "/reconcile").json()
    valid("manifest", manifest)
    assert set(manifest["suggest"]) == {"entity", "type", "property"}

    def service(section: dict[str, str]) -> str:
        return section["service_url"] + section["service_path"]

    # 2. a batch from a spreadsheet, with the rows a real sheet has: an empty cell, a pasted
    # paragraph, a float limit, fullwidth and invisible characters, a row with only a party
    batch = {
        "q0": {"query": "MoSVY", "limit": 3.0, "properties": [{"pid": "party", "v": "KHM"}]},
        "q1": {"query": ""},
        "q2": {"query": "Ministry of Interior " * 30},
        "q3": {"query": "ＭｏＳＶＹ", "properties": [{"pid": "party", "v": "KHM"}]},
        "q4": {"query": "Mo\u200bSVY\u200f", "type": ["Agency"]},
        "q5": {"properties": [{"pid": "party", "v": "Cambodia"}], "limit": 4},
        "q6": {"query": "MoSVY", "type": "DifferentiatedPerson"},
        "q7": {"properties": [{"pid": "id", "v": "khm/ncct"}]},
    }
    valid("reconciliation-query-batch", batch)
    r = _post(server_url, queries=batch)
    assert r.status_code == 200, r.text
    out = r.json()
    valid("reconciliation-result-batch", out)
    assert [c["id"] for c in out["q0"]["result"]][:1] == ["khm/mosvy"]
    assert len(out["q0"]["result"]) <= 3 and out["q0"]["result"][0]["match"] is True
    assert out["q1"] == {"result": [], "error": out["q1"]["error"]}
    assert out["q2"]["result"] == [] and out["q2"]["error"]["param"] == "query"
    assert out["q3"]["result"][0]["id"] == "khm/mosvy" and out["q3"]["result"][0]["match"]
    assert out["q4"]["result"][0]["id"] == "khm/mosvy"
    assert len(out["q5"]["result"]) == 4
    assert all(c["id"].startswith("khm/") for c in out["q5"]["result"])
    assert out["q6"]["result"] == []
    assert [(c["id"], c["match"]) for c in out["q7"]["result"]] == [("khm/ncct", True)]

    # 3. suggest: entities, types, properties as the user types
    got = httpx.get(service(manifest["suggest"]["entity"]), params={"prefix": "mosv"}).json()
    valid("suggest-entities-response", got)
    assert "khm/mosvy" in [s["id"] for s in got["result"]]
    got = httpx.get(service(manifest["suggest"]["type"]), params={"prefix": "minis"}).json()
    valid("suggest-types-response", got)
    assert {"id": "ministry", "name": "ministry"} in got["result"]
    got = httpx.get(service(manifest["suggest"]["property"]), params={"prefix": "pa"}).json()
    valid("suggest-properties-response", got)
    assert {s["id"] for s in got["result"]} == {"party", "parent"}

    # 4. preview of a candidate, in a frame of OpenRefine's page
    url = manifest["preview"]["url"].replace("{{id}}", "khm/mosvy")
    page = httpx.get(url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Ministry of Social Affairs" in page.text and "commitment" in page.text
    assert "frame-ancestors *" in page.headers["content-security-policy"]
    assert "x-frame-options" not in page.headers
    missing = httpx.get(manifest["preview"]["url"].replace("{{id}}", "khm/nothing"))
    assert_error(missing, 404, "not-found", "id")

    # 5. data extension: which columns can be added, then add them
    propose = manifest["extend"]["propose_properties"]
    got = httpx.get(service(propose), params={"type": "Agency"}).json()
    valid("data-extension-property-proposal", got)
    offered = [p["id"] for p in got["properties"]]
    assert offered == ["party", "kind", "parent", "plans", "commitments"]
    ids = ["khm/mosvy", "khm/mosvy-dahtvr", "khm/nothing"]
    query = {"ids": ids, "properties": [{"id": p} for p in offered]}
    valid("data-extension-query", query)
    r = _post(server_url, extend=query)
    assert r.status_code == 200, r.text
    ext = r.json()
    valid("data-extension-response", ext)
    assert [m["id"] for m in ext["meta"]] == offered
    mosvy = ext["rows"]["khm/mosvy"]
    assert mosvy["party"] == [{"str": "Cambodia"}]
    assert mosvy["kind"] == [{"str": "ministry"}]
    assert mosvy["commitments"][0]["int"] > 0 and mosvy["plans"]
    assert ext["rows"]["khm/mosvy-dahtvr"]["parent"] == [
        {"id": "khm/mosvy", "name": mosvy_name(out)}
    ]
    assert all(v == [] for v in ext["rows"]["khm/nothing"].values())


def mosvy_name(out: dict[str, Any]) -> str:
    return str(out["q0"]["result"][0]["name"])


def test_a_bad_extension_request_is_400(server_url: str) -> None:
    assert_error(_post(server_url, extend={"ids": "khm/mosvy"}), 400, "query-error", "extend")
    r = httpx.post(server_url + "/reconcile", data={"extend": "{nope"})
    assert_error(r, 400, "query-error", "extend")


def test_extension_by_get_and_jsonp(server_url: str) -> None:
    query = {"ids": ["khm/ncct"], "properties": [{"id": "kind"}, {"id": "colour"}]}
    r = httpx.get(server_url + "/reconcile", params={"extend": json.dumps(query)})
    assert r.status_code == 200, r.text
    out = r.json()
    valid("data-extension-response", out)
    assert out["meta"][1] == {"id": "colour", "name": "colour"}  # unknown: an empty column
    assert out["rows"]["khm/ncct"]["colour"] == [] and out["rows"]["khm/ncct"]["kind"]
    r = httpx.get(
        server_url + "/reconcile/suggest/entity", params={"prefix": "ncct", "callback": "cb"}
    )
    assert r.text.startswith("/**/cb(") and "khm/ncct" in r.text
