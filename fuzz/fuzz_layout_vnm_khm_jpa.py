"""Fuzz target: the vnm-khm-jpa layout (plangraph.sources.parsers.vnm_khm_jpa) through
parse_document."""

from __future__ import annotations

from _harness import LayoutTarget, instrumented, main

with instrumented():
    import plangraph.sources.parsers
    import plangraph.sources.parsers.vnm_khm_jpa  # noqa: F401

TARGET = LayoutTarget("vnm-khm-jpa")
TestOneInput = TARGET.test_one_input
seed_files = TARGET.seed_files

if __name__ == "__main__":
    main(TestOneInput)
