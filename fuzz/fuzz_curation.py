"""Fuzz target: the curation loader (plangraph.sources.curation.load_curations, one file)."""

from __future__ import annotations

from pathlib import Path

from _harness import instrumented, main, rejections, scratch_file

with instrumented():
    from plangraph.sources.curation import load_curations


def TestOneInput(data: bytes) -> None:
    folder = scratch_file("curation/fuzz.yaml", data).parent
    with rejections():
        load_curations(folder)


def seed_files() -> list[Path]:
    return []


if __name__ == "__main__":
    main(TestOneInput)
