"""Smoke run of bench/load.py: 50 concurrent clients for ~15 s against a real server.

Asserts correctness under concurrency only (no errors, every query class answered); latency
figures are printed, never asserted (they depend on the machine). The server is the test one
(rate limits off), so this exercises capacity, not the limiter.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from plangraph.paths import ProjectPaths
from tests.server_process import dataset_folder, running_server

CLIENTS = 50
SECONDS = 15


def load_module(root: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_load", root / "bench" / "load.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_fifty_clients_get_answers_without_errors(paths: ProjectPaths) -> None:
    load = load_module(paths.root)
    with running_server(paths.root, graph=dataset_folder()) as url:
        report = asyncio.run(load.run_load(url, clients=CLIENTS, seconds=SECONDS))
    print(load.table(report))
    classes = report["classes"]
    assert set(classes) == set(load.WEIGHTS)
    for name, c in classes.items():
        assert c["errors"] == 0, (name, c["error_samples"])
        assert c["answered"] > 0 and c["answered"] == c["count"], (name, c)
