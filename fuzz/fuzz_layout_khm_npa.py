"""Fuzz target: the khm-npa layout (plangraph.sources.parsers.khm_npa) through parse_document."""

from __future__ import annotations

from _harness import LayoutTarget, instrumented, main

with instrumented():
    import plangraph.sources.parsers
    import plangraph.sources.parsers.khm_npa  # noqa: F401

TARGET = LayoutTarget("khm-npa")
TestOneInput = TARGET.test_one_input
seed_files = TARGET.seed_files

if __name__ == "__main__":
    main(TestOneInput)
