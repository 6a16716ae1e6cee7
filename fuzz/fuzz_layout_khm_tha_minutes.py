"""Fuzz target: the khm-tha-minutes layout (plangraph.sources.parsers.khm_tha_minutes)."""

from __future__ import annotations

from _harness import LayoutTarget, instrumented, main

with instrumented():
    import plangraph.sources.parsers
    import plangraph.sources.parsers.khm_tha_minutes  # noqa: F401

TARGET = LayoutTarget("khm-tha-minutes")
TestOneInput = TARGET.test_one_input
seed_files = TARGET.seed_files

if __name__ == "__main__":
    main(TestOneInput)
