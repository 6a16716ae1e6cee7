"""Fuzz target: the SPARQL guard (plangraph.store.guard.Guard.check and its helpers)."""

from __future__ import annotations

from pathlib import Path

from _harness import instrumented, main, rejections

with instrumented():
    from plangraph.store.guard import Guard, has_dataset_clause, query_form

GUARD = Guard(frozenset({"https://w3id.org/plangraph/graph/registry"}))


def TestOneInput(data: bytes) -> None:
    query = data.decode("utf-8", errors="replace")
    with rejections():
        GUARD.check(query)
    query_form(query)
    has_dataset_clause(query)


def seed_files() -> list[Path]:
    return []


if __name__ == "__main__":
    main(TestOneInput)
