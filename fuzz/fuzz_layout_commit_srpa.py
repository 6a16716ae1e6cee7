"""Fuzz target: the commit-srpa layout (plangraph.sources.parsers.commit_srpa) through
parse_document."""

from __future__ import annotations

from _harness import LayoutTarget, instrumented, main

with instrumented():
    import plangraph.sources.parsers
    import plangraph.sources.parsers.commit_srpa  # noqa: F401

TARGET = LayoutTarget("commit-srpa")
TestOneInput = TARGET.test_one_input
seed_files = TARGET.seed_files

if __name__ == "__main__":
    main(TestOneInput)
