"""Malformed inputs to the ingest and RDF loading paths (at least 500, generated with a fixed
seed): truncations of every source at random offsets (catalog checksum updated), invalid
UTF-8, empty files, a source with its table removed, a wrong checksum, truncated / broken
catalog, registry (incl. a duplicate alias) and curation files, and W3C-style negative
Turtle in the ontology and shapes.

Each must end either in success or in a PlangraphError naming the file and a line (only an
empty file has no line to name), never another exception. To keep the run bounded, a case
stops after the parse stage (:func:`parse_stage`: catalog, registry, curations, every
parser, agency resolution, the ontology / themes / shapes loaders): the SHACL step (~30 s)
runs for a few cases only (``test_failed_build_writes_nothing``), through the real
``plangraph build``.
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph

from plangraph.analysis.themes import load_scheme
from plangraph.cli import main
from plangraph.errors import PlangraphError
from plangraph.graph.build import parse_all
from plangraph.graph.mapping import ontology_graph
from plangraph.paths import ProjectPaths
from plangraph.shacl.loading import load_shapes
from plangraph.sources.catalog import load_source_catalog
from plangraph.sources.curation import load_curations
from plangraph.sources.parsers import parse_document
from plangraph.sources.registry import load_registry, resolve_plan
from tests.conftest import ROOT, copy_project

SEED = 20261122
# W3C-style negative Turtle syntax (after the turtle-syntax-bad-* tests)
BAD_TURTLE = [
    "<http://a.example/s> <http://a.example/p> <http://a.example/o>",  # missing dot
    "<http://a.example/s> <http://a.example/p> .",  # missing object
    '<http://a.example/s> <http://a.example/p> "unterminated .',
    "<http://a.example/s> <http://a.example/p> '''long unterminated .",
    "<http://a.example/s> <http://a.example/p> <http://a.example/o .",  # unterminated IRI
    "<http://a.example/ s> <http://a.example/p> <http://a.example/o> .",  # space in IRI
    "<http://a.example/\\u00ZZ> <http://a.example/p> <http://a.example/o> .",  # bad escape
    "<http://a.example/s> <http://a.example/p> <http://a.example/{o}> .",
    "undeclared:s <http://a.example/p> <http://a.example/o> .",  # unknown prefix
    "@prefix : <http://a.example/>  :s :p :o .",  # @prefix without dot
    "@prefix <http://a.example/> .",  # prefix without name
    "@base <http://a.example/> <s> <p> <o> .",
    "@keywords a . x a y .",
    "<http://a.example/s> <http://a.example/p> 1.2.3 .",
    '<http://a.example/s> <http://a.example/p> "x"^^ .',
    '<http://a.example/s> <http://a.example/p> "x"@ .',
    '<http://a.example/s> <http://a.example/p> "x"@en-- .',
    "<http://a.example/s> <http://a.example/p> [ <http://a.example/q> .",
    "<http://a.example/s> <http://a.example/p> ( <http://a.example/o> .",
    "<http://a.example/s> <http://a.example/p> <http://a.example/o> ; ; ; , .",
    "[] .",
    '"lit" <http://a.example/p> <http://a.example/o> .',  # literal subject
    '<http://a.example/s> "p" <http://a.example/o> .',  # literal predicate
    "_:b <http://a.example/p> <http://a.example/o> ,, .",
    "<http://a.example/s> <http://a.example/p> <http://a.example/o> .. ",
    "{ <http://a.example/s> <http://a.example/p> <http://a.example/o> } .",  # N3 formula
    "<http://a.example/s> => <http://a.example/o> .",  # N3 implication
    "<http://a.example/s> <http://a.example/p> true false .",
    '<http://a.example/s> <http://a.example/p> """a""" """b""" .',
    "PREFIX : <http://a.example/> . :s :p :o .",  # SPARQL PREFIX with dot
    "<http://a.example/s> <http://a.example/p> \x00 .",
]


def _set_sha(catalog: Path, file: str, digest: str) -> None:
    text = catalog.read_text(encoding="utf-8")
    pattern = re.compile(rf"(file: {re.escape(file)}\n(?:.*\n)*?\s*sha256: )([0-9a-f]{{64}})")
    new, n = pattern.subn(lambda m: m.group(1) + digest, text, count=1)
    assert n == 1, file
    catalog.write_text(new, encoding="utf-8")


def parse_stage(paths: ProjectPaths) -> None:
    """Everything of the build before the RDF mapping and SHACL validation."""
    catalog = load_source_catalog(paths.catalog)
    registry = load_registry(paths.agencies)
    curations = load_curations(paths.curation)
    parse_all(catalog, registry, curations)
    ontology_graph(Graph(), paths.ontology)
    load_scheme(paths.ontology / "themes.ttl")
    load_shapes(paths.shapes)


def mutate(data: bytes, rng: random.Random, kind: str) -> bytes:
    if kind == "truncate":
        return data[: rng.randrange(0, max(1, len(data)))]
    if kind == "utf8":
        at = rng.randrange(0, max(1, len(data)))
        bad = rng.choice([b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"])
        return data[:at] + bad + data[at:]
    if kind == "empty":
        return b""
    if kind == "table-removed":
        lines = data.splitlines(keepends=True)
        a = len(lines) // 5
        return b"".join(lines[:a] + lines[len(lines) - a :])
    if kind == "lines-shuffled":
        lines = data.splitlines(keepends=True)
        i, j = sorted(rng.sample(range(len(lines)), 2)) if len(lines) > 2 else (0, 0)
        lines[i], lines[j] = lines[j], lines[i]
        return b"".join(lines)
    raise AssertionError(kind)


def cases() -> list[tuple[str, str, str, int]]:
    """(target kind, relative file, mutation, seed) — deterministic."""
    out: list[tuple[str, str, str, int]] = []
    sources = sorted(p.name for p in (ROOT / "data" / "sources").glob("*.txt"))
    for s in sources:
        out += [("source", s, "truncate", i) for i in range(40)]
        out += [("source", s, "utf8", i) for i in range(16)]
        out += [("source", s, "lines-shuffled", i) for i in range(4)]
        out += [("source", s, "empty", 0), ("source", s, "table-removed", 0)]
        out.append(("checksum", s, "wrong", 0))
    for f in ("data/sources/catalog.yaml", "data/agencies.yaml"):
        out += [("yaml", f, "truncate", i) for i in range(30)]
        out += [("yaml", f, "utf8", i) for i in range(8)]
        out += [("yaml", f, "empty", 0), ("yaml", f, "lines-shuffled", 0)]
    for f in sorted((ROOT / "data" / "curation").glob("*.yaml")):
        out += [("yaml", f"data/curation/{f.name}", "truncate", i) for i in range(8)]
        out.append(("yaml", f"data/curation/{f.name}", "utf8", 0))
    out += [("registry", "data/agencies.yaml", "duplicate-alias", i) for i in range(3)]
    for folder in ("ontology", "shapes"):
        out += [("turtle", folder, "bad", i) for i in range(len(BAD_TURTLE))]
    out += [("turtle", "ontology/themes.ttl", "truncate", i) for i in range(10)]
    return out


CASES = cases()


def apply(paths: ProjectPaths, case: tuple[str, str, str, int]) -> Path:
    """Break one input of the project copy; return the file that was broken."""
    target, rel, kind, seed = case
    rng = random.Random(f"{SEED}:{target}:{rel}:{kind}:{seed}")
    if target in ("source", "checksum"):
        path = paths.sources / rel
        if target == "checksum":
            _set_sha(paths.catalog, rel, "0" * 64)
            return paths.catalog
        data = mutate(path.read_bytes(), rng, kind)
        path.write_bytes(data)
        _set_sha(paths.catalog, rel, hashlib.sha256(data).hexdigest())
        return path
    if target == "yaml":
        path = paths.root / rel
        path.write_bytes(mutate(path.read_bytes(), rng, kind))
        return path
    if target == "registry":
        path = paths.agencies
        text = path.read_text(encoding="utf-8")
        aliases = re.findall(r"^\s+-\s+(?:alias|name)?:?\s*(.+)$", text, re.M)
        alias = aliases[rng.randrange(len(aliases))] if aliases else "MOSVY"
        text = re.sub(r"(aliases:\s*\[)", lambda m: f"{m.group(1)}{alias}, ", text, count=2)
        text = re.sub(
            r"(aliases:\s*\n)(\s+)- ",
            lambda m: f"{m.group(1)}{m.group(2)}- {alias}\n{m.group(2)}- ",
            text,
            count=2,
        )
        path.write_text(text, encoding="utf-8")
        return path
    if target == "turtle":
        if kind == "truncate":
            path = paths.root / rel
            path.write_bytes(mutate(path.read_bytes(), rng, "truncate"))
            return path
        path = paths.root / rel / "zz-bad.ttl"
        path.write_text("# a broken file\n\n" + BAD_TURTLE[seed] + "\n", encoding="utf-8")
        return path
    raise AssertionError(target)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("pristine")).root


def test_at_least_500_cases() -> None:
    assert len(CASES) >= 500, len(CASES)


def stage_for(paths: ProjectPaths, case: tuple[str, str, str, int]) -> None:
    """The stage that reads the broken input: one parser for a source (plus its agency
    resolution), the whole parse stage for YAML, the Turtle loaders for Turtle."""
    target, rel, _kind, _seed = case
    if target in ("source", "checksum"):
        catalog = load_source_catalog(paths.catalog)
        registry = load_registry(paths.agencies)
        document = next(d for d in catalog.documents if d.file == rel)
        plan = parse_document(document, load_curations(paths.curation))
        resolve_plan(plan, registry, document.path)
    elif target == "turtle":
        ontology_graph(Graph(), paths.ontology)
        load_scheme(paths.ontology / "themes.ttl")
        load_shapes(paths.shapes)
    else:
        parse_stage(paths)


def restore(pristine: Path, root: Path, touched: list[Path]) -> None:
    for path in touched:
        rel = path.relative_to(root)
        if (pristine / rel).exists():
            shutil.copyfile(pristine / rel, path)
        else:
            path.unlink()


def test_malformed_inputs(pristine: Path, tmp_path: Path) -> None:
    root = tmp_path / "work"
    shutil.copytree(pristine, root, symlinks=True)
    paths = ProjectPaths(root)
    outcomes: Counter[str] = Counter({"rejected-without-line": 0})
    failures: list[str] = []
    without_line: list[str] = []
    for case in CASES:
        broken = apply(paths, case)
        try:
            stage_for(paths, case)
            outcomes["accepted"] += 1
        except PlangraphError as exc:
            outcomes[f"rejected:{type(exc).__name__}"] += 1
            if exc.file is None:
                failures.append(f"{case}: no file in {exc}")
            # an empty file has no line to name: the one exception
            has_lines = broken.suffix in (".txt", ".yaml", ".ttl") and broken.stat().st_size
            if has_lines and exc.line is None and case[2] != "empty":
                outcomes["rejected-without-line"] += 1
                without_line.append(f"{case}: {exc}"[:300])
        except Exception as exc:  # an uncaught exception: a bug
            failures.append(f"{case}: {type(exc).__name__}: {exc}"[:300])
        finally:
            restore(pristine, root, [paths.catalog, broken])
        assert not (root / "data" / "graph").exists()
    print(f"\n{len(CASES)} malformed inputs: {dict(sorted(outcomes.items()))}")
    assert not failures, "\n".join(failures[:30])
    assert outcomes["rejected-without-line"] == 0, "\n".join(without_line)


def test_turtle_parser_failure_names_the_line(tmp_path: Path) -> None:
    """rdflib's parser fails on some inputs with an assert or an IndexError, not a BadSyntax:
    the line is where it stopped (the unterminated string, the end of the input)."""
    from plangraph.errors import SourceError
    from plangraph.sources.turtle import parse_turtle

    for text, line in [
        ("# a broken file\n\n" + BAD_TURTLE[14] + "\n", 3),  # "x"^^ : IndexError
        ('@prefix : <http://a.example/> .\n:s :p :o ;\n  :q "unterminated', 3),  # assert
        ("@prefix : <http://a.example/> .\n:s :p :o ;\n  :q <http://a.example/x>", 3),
    ]:
        path = tmp_path / "bad.ttl"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(SourceError, match="malformed Turtle") as err:
            parse_turtle(Graph(), path)
        assert (err.value.file, err.value.line) == (str(path), line), str(err.value)


@pytest.mark.slow
def test_failed_build_writes_nothing(
    pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Through the real CLI: a broken input exits non-zero with the file named; the previous
    dataset (here: none) is left as it was."""
    for case in [CASES[0], ("checksum", CASES[0][1], "wrong", 0), ("turtle", "shapes", "bad", 0)]:
        root = tmp_path / "p"
        shutil.copytree(pristine, root, symlinks=True)
        broken = apply(ProjectPaths(root), case)
        monkeypatch.setenv("PLANGRAPH_ROOT", str(root))
        code = main(["build"])
        err = capsys.readouterr().err
        assert code != 0 and broken.name in err, err
        assert not (root / "data" / "graph").exists()
        shutil.rmtree(root)


def test_collapsed_build_is_not_written(tmp_path: Path) -> None:
    """A build whose triple count falls below half of the current dataset's is refused
    (the last good build stays), unless forced."""
    import json

    from plangraph.errors import ValidationFailed
    from plangraph.graph.build import MANIFEST, BuildResult, check_collapse

    (tmp_path / MANIFEST).write_text(json.dumps({"triples": 1000}), encoding="utf-8")
    small = BuildResult(None, [], None, {}, {"triples": 499})  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed, match="499 triples, the current one 1000"):
        check_collapse(small, tmp_path, 0.5)
    check_collapse(BuildResult(None, [], None, {}, {"triples": 500}), tmp_path, 0.5)  # type: ignore[arg-type]
