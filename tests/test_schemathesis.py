"""Property-based API tests: schemathesis generates requests from the server's own OpenAPI
description (/openapi.json of a real `plangraph serve` subprocess) and checks every response:
no server error (5xx) and, where the description declares a schema for the status, a body that
conforms to it.

The operations are listed here (so each can carry its own marker) and
``test_every_operation_is_covered`` fails when the live description gains or loses one, so
nothing is silently left out. Generation is bounded: ``MAX_EXAMPLES`` cases per operation, no
shrinking, no example database, no deadline (wall-clock limits flake on a loaded machine).
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

MAX_EXAMPLES = 25  # per operation and generation mode
CHECKS = [not_a_server_error, response_schema_conformance]

# Every operation of /openapi.json, as "METHOD /path".
OPERATIONS = [
    "GET /health",
    "GET /sparql",
    "POST /sparql",
    "PUT /sparql",
    "DELETE /sparql",
    "PATCH /sparql",
    "OPTIONS /sparql",
    "GET /api/queries",
    "GET /api/queries/{name}",
    "GET /api/queries/{name}/text",
    "GET /api/labels",
    "POST /api/labels",
    "GET /.well-known/sparql-examples",
    "GET /.well-known/void",
    "GET /api/plans",
    "GET /api/plans.csv",
    "GET /api/plans/{slug}",
    "GET /api/activities",
    "GET /api/activities.csv",
    "GET /api/agencies",
    "GET /api/agencies.csv",
    "GET /api/agencies/{party}/{slug}",
    "GET /api/overlaps",
    "GET /api/coverage",
    "GET /overlaps",
    "GET /reconcile",
    "POST /reconcile",
    "GET /reconcile/suggest/entity",
    "GET /reconcile/suggest/type",
    "GET /reconcile/suggest/property",
    "GET /reconcile/extend/propose",
    "GET /reconcile/preview",
    "GET /api/network/options",
    "GET /api/network",
    "GET /api/search",
    "GET /api/search.csv",
    "GET /api/diff",
    "GET /api/diff.csv",
]

# "METHOD /path" -> why it fails (each is xfail(strict=True): fixing it makes the test fail
# until the entry is removed).
KNOWN_FAILURES: dict[str, str] = {}


def _param(label: str) -> object:
    reason = KNOWN_FAILURES.get(label)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(label, id=label, marks=marks)


@pytest.fixture(scope="module")
def schema(server_url: str) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_url(f"{server_url}/openapi.json")


def test_every_operation_is_covered(server_url: str) -> None:
    doc = httpx.get(f"{server_url}/openapi.json", timeout=30).json()
    live = {f"{method.upper()} {path}" for path, ops in doc["paths"].items() for method in ops}
    assert live == set(OPERATIONS)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("label", [_param(label) for label in OPERATIONS])
def test_operation(
    schema: schemathesis.schemas.BaseSchema, server_url: str, label: str, mode: GenerationMode
) -> None:
    """Positive cases (valid per the description) and negative ones (violating it: these must
    be refused with a 4xx, never a 5xx)."""
    method, path = label.split(" ", 1)
    operation = schema[path][method]
    if mode is GenerationMode.NEGATIVE and not (operation.query or operation.body):
        # Nothing to violate: no parameters, or only free-string path segments (any segment is
        # a valid string). Hypothesis would report Unsatisfiable.
        pytest.skip("the description admits no invalid request for this operation")

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=server_url, checks=CHECKS, timeout=30)

    check()
