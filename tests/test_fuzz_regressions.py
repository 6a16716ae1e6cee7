"""Replays for the fuzz targets (fuzz/fuzz_*.py), without atheris.

Every target runs its seed corpus once (the harnesses work and the seeds are accepted or
rejected with a PlangraphError), and the crashes the fuzzer found are replayed through the
same code path. A crash not fixed yet is an xfail (strict) naming the parser's bug, so the
test turns red when the bug is fixed and the marker must come off.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parent.parent / "fuzz"
TARGETS = sorted(p.stem.removeprefix("fuzz_") for p in FUZZ.glob("fuzz_*.py"))


def _target(name: str):
    if str(FUZZ) not in sys.path:
        sys.path.insert(0, str(FUZZ))
    return importlib.import_module(f"fuzz_{name}")


def test_every_parser_has_a_target():
    assert TARGETS == [
        "agencies",
        "catalog",
        "curation",
        "layout_chn_khm_jpa",
        "layout_commit_srpa",
        "layout_khm_npa",
        "layout_khm_tha_minutes",
        "layout_vnm_khm_jpa",
        "query_header",
        "sparql_guard",
        "workbook",
    ]


@pytest.mark.parametrize("name", TARGETS)
def test_seed_corpus_replays(name):
    module = _target(name)
    from _harness import corpus_files

    seeds = corpus_files(name) + list(module.seed_files())
    assert seeds, f"target {name} has no seed input"
    for seed in seeds:
        module.TestOneInput(seed.read_bytes())


@pytest.mark.parametrize(
    "name, data",
    [
        ("catalog", b"documents: [{slug: a}]\n"),
        ("agencies", b"parties: []\nagencies: [{id: x}]\n"),
        ("sparql_guard", b"INSERT DATA { <a> <b> <c> }"),
        ("query_header", b"# title: no question\nSELECT * {}\n"),
        ("layout_vnm_khm_jpa", b"not a plan\n"),
        ("workbook", b"PK\x03\x04 not a workbook"),
    ],
)
def test_bad_input_is_rejected_not_crashing(name, data):
    _target(name).TestOneInput(data)


# Crashes found by `make fuzz-ci` (fuzz/run.py), now fixed: each input must end with the
# parser's PlangraphError naming the file.
def test_query_header_not_utf8():
    from _harness import scratch_file

    from plangraph.errors import QueryError
    from plangraph.store.query_catalog import load_query

    _target("query_header")
    path = scratch_file("fuzz.rq", b"# title: t\n# question: q\nSELECT \xb8 {}\n")
    with pytest.raises(QueryError) as err:
        load_query(path)
    assert err.value.file == str(path) and err.value.line == 3


def test_curation_line_not_a_number():
    from _harness import scratch_file

    from plangraph.errors import CurationError
    from plangraph.sources.curation import load_curations

    _target("curation")
    entry = b"- {id: a, document: d, lines: [48OO], expect: e, decision: x, reason: r}\n"
    folder = scratch_file("curation/fuzz.yaml", entry).parent
    with pytest.raises(CurationError):
        load_curations(folder)


def test_agencies_parties_not_a_list():
    from _harness import scratch_file

    from plangraph.errors import RegistryError
    from plangraph.sources.registry import load_registry

    _target("agencies")
    with pytest.raises(RegistryError):
        load_registry(scratch_file("agencies.yaml", b"parties: 3\n"))


def test_curation_entry_not_a_mapping():
    from _harness import scratch_file

    from plangraph.errors import CurationError
    from plangraph.sources.curation import load_curations

    _target("curation")
    folder = scratch_file("curation-entry/fuzz.yaml", b"- just a string\n").parent
    with pytest.raises(CurationError, match="expected a mapping"):
        load_curations(folder)


def test_vnm_khm_agencies_continuation_without_a_cell():
    # found by make fuzz-ci: an agencies fragment that continues "the last filled cell" when
    # no agencies cell was filled before it raised StopIteration; now a SourceError
    from plangraph.errors import SourceError
    from plangraph.paths import ProjectPaths
    from plangraph.sources.catalog import load_source_catalog
    from plangraph.sources.curation import load_curations
    from plangraph.sources.parsers import vnm_khm_jpa

    _target("layout_vnm_khm_jpa")
    from _harness import scratch_file

    text = (
        b"Objective\tActivities\tOutputs\tAgencies in charge\tTime frame\t\t\n"
        b"\t\t\t\t2020\t2021\t2022\n"
        b"Area 1: Coordination\t\t\t\t\t\t\n"
        b"1.1. An objective\t1.1.1. An activity\tAn output\t\t\t\t\n"
        b"\tcontinued text\t\tRehabilitation\t\t\t\n"
    )
    paths = ProjectPaths()
    doc = load_source_catalog(paths.catalog).document("vnm-khm-jpa-2020-2022")
    path = scratch_file("vnm.txt", text)
    fuzzed = dataclasses.replace(doc, path=path, sha256=hashlib.sha256(text).hexdigest())
    with pytest.raises(SourceError) as err:
        vnm_khm_jpa.parse(fuzzed, load_curations(paths.curation))
    assert (err.value.file, err.value.line) == (str(path), 5)
    assert "no agencies cell came before it" in str(err.value)


# Crashes found by `make fuzz-ci` in the CI run of 9eb24c6 and later by `make fuzz-seeded`
# (inputs kept in fuzz/regressions/): a list where a mapping's scalar was expected, a party
# without a name, an id that is a list, a query whose BASE and then another IRI made urllib
# raise ValueError (a 500 before), a curation file with NUL characters (PyYAML's reader
# refuses them as the loader is made, before parsing), a khm_npa row packing activities
# without the responsible and timeframe cells after them (an IndexError before); and in the
# CI run of 113d1de: a zip entry with an empty name in a workbook upload (IndexError in
# zipfile's is_dir), an Annex 4 header whose year numbers skip (IndexError before).
@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in (FUZZ / "regressions").glob("*-crash-*")),
)
def test_ci_fuzz_crash_replays(name):
    from plangraph.errors import PlangraphError

    target = name.split("-crash-")[0]
    data = (FUZZ / "regressions" / name).read_bytes()
    module = _target(target)
    module.TestOneInput(data)  # the harness lets only PlangraphError through, quietly
    if target.startswith("layout_") or target == "workbook":  # the harness's read is the check
        return
    with pytest.raises(PlangraphError):
        _parse(target, data)


def _parse(target: str, data: bytes) -> None:
    from _harness import scratch_file

    from plangraph.sources.catalog import load_source_catalog
    from plangraph.sources.curation import load_curations
    from plangraph.sources.registry import load_registry

    if target == "sparql_guard":
        from plangraph.store.guard import Guard

        Guard(frozenset()).check(data.decode("utf-8", errors="replace"))
    elif target == "catalog":
        load_source_catalog(scratch_file("catalog.yaml", data))
    elif target == "agencies":
        load_registry(scratch_file("agencies.yaml", data))
    else:
        load_curations(scratch_file("curation-ci/fuzz.yaml", data).parent)
