"""Fuzz target: the source catalog loader (plangraph.sources.catalog.load_source_catalog)."""

from __future__ import annotations

from pathlib import Path

from _harness import instrumented, main, rejections, scratch_file

with instrumented():
    from plangraph.sources.catalog import load_source_catalog


def TestOneInput(data: bytes) -> None:
    path = scratch_file("catalog.yaml", data)
    with rejections():
        load_source_catalog(path)


def seed_files() -> list[Path]:
    from plangraph.paths import ProjectPaths

    return [ProjectPaths().catalog]


if __name__ == "__main__":
    main(TestOneInput)
