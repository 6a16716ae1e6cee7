"""Fuzz target: the query-catalog header parser (plangraph.store.query_catalog.load_query on a
.rq)."""

from __future__ import annotations

from pathlib import Path

from _harness import instrumented, main, rejections, scratch_file

with instrumented():
    from plangraph.store.query_catalog import load_query


def TestOneInput(data: bytes) -> None:
    path = scratch_file("fuzz.rq", data)
    with rejections():
        load_query(path)


def seed_files() -> list[Path]:
    return []


if __name__ == "__main__":
    main(TestOneInput)
