"""Shared fixtures: the real catalog, registry, curations and parsed plans."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from plangraph.paths import ProjectPaths
from plangraph.sources.catalog import Catalog, load_source_catalog
from plangraph.sources.curation import Curations, load_curations
from plangraph.sources.registry import Registry, load_registry

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def paths() -> ProjectPaths:
    return ProjectPaths(ROOT)


@pytest.fixture(scope="session")
def catalog(paths: ProjectPaths) -> Catalog:
    return load_source_catalog(paths.catalog)


@pytest.fixture(scope="session")
def registry(paths: ProjectPaths) -> Registry:
    return load_registry(paths.agencies)


@pytest.fixture(scope="session")
def curations(paths: ProjectPaths) -> Curations:
    return load_curations(paths.curation)


def copy_project(dest: Path) -> ProjectPaths:
    """A writable copy of everything a build reads (for tests that break an input)."""
    for folder in (
        "data/sources",
        "data/curation",
        "data/overlaps",
        "ontology",
        "shapes",
        "queries",
    ):
        shutil.copytree(ROOT / folder, dest / folder)
    shutil.copy(ROOT / "data" / "agencies.yaml", dest / "data" / "agencies.yaml")
    return ProjectPaths(dest)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium per test module (skips without it outside CI). Per module, not
    per session: Playwright's sync API keeps an event loop running in the main thread while
    it is open, and later tests that call ``asyncio.run`` must not find one."""
    from tests.browser import launched

    with launched() as b:
        yield b


@pytest.fixture(scope="session")
def server_url(paths: ProjectPaths) -> Iterator[str]:
    """One ``plangraph serve`` on the default dataset (or PLANGRAPH_TEST_GRAPH), shared by every
    test that only reads it; tests that need their own settings start their own server."""
    from tests.server_process import dataset_folder, running_server

    with running_server(paths.root, graph=dataset_folder()) as url:
        yield url


@pytest.fixture
def project_copy(tmp_path: Path) -> ProjectPaths:
    return copy_project(tmp_path)
