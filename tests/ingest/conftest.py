"""The parsed plan of the test module's document (its module-level ``SLUG``), once per module."""

from __future__ import annotations

import pytest

from plangraph.sources.catalog import Catalog
from plangraph.sources.curation import Curations
from plangraph.sources.model import Plan
from plangraph.sources.parsers import parse_document


@pytest.fixture(scope="module")
def plan(request: pytest.FixtureRequest, catalog: Catalog, curations: Curations) -> Plan:
    return parse_document(catalog.document(request.module.SLUG), curations)
