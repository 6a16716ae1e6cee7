"""The parsed plan of the test module's document (its module-level ``SLUG``), once per module."""

from __future__ import annotations

import pytest

from plangraph.catalog import Catalog
from plangraph.curation import Curations
from plangraph.ingest import parse_document
from plangraph.model import Plan


@pytest.fixture(scope="module")
def plan(request: pytest.FixtureRequest, catalog: Catalog, curations: Curations) -> Plan:
    return parse_document(catalog.document(request.module.SLUG), curations)
