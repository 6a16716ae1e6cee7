"""Fuzz target: the agency registry loader (plangraph.sources.registry.load_registry)."""

from __future__ import annotations

from pathlib import Path

from _harness import instrumented, main, rejections, scratch_file

with instrumented():
    from plangraph.sources.registry import load_registry


def TestOneInput(data: bytes) -> None:
    path = scratch_file("agencies.yaml", data)
    with rejections():
        load_registry(path)


def seed_files() -> list[Path]:
    from plangraph.paths import ProjectPaths

    return [ProjectPaths().agencies]


if __name__ == "__main__":
    main(TestOneInput)
