"""The vendored W3C SHACL test suite (tests/data/w3c-shacl): its tests, read from the manifests,
and the comparison of a :class:`plangraph.shacl.report.Report` with a test's expected report.

A test's data and shapes files are read with rdflib as written (literal normalisation off, so
``"none"^^xsd:boolean`` stays ``"none"``), each file once, so that the blank nodes of the
expected report are those of the data and shapes graphs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from plangraph.shacl.report import Report

SUITE = Path(__file__).resolve().parent / "data" / "w3c-shacl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")
SH = Namespace("http://www.w3.org/ns/shacl#")

# (focus, path, severity, component, source shape, value)
Row = tuple[str, str | None, str, str, str, str | None]


@dataclass(frozen=True)
class W3CTest:
    name: str  # e.g. "core/property/or-datatypes-001"
    manifest: Path  # the file holding the test's entry
    entry: URIRef
    data: Path
    shapes: Path

    def load(self) -> tuple[Graph, Graph, bool | None, list[Row]]:
        """(data graph, shapes graph, expected sh:conforms or None for a sht:Failure, expected
        results), the expected report read from the same parse as the graphs it names."""
        graphs: dict[Path, Graph] = {}
        for path in (self.data, self.shapes, self.manifest):
            if path not in graphs:
                graphs[path] = parse(path)
        g = graphs[self.manifest]
        result = g.value(self.entry, MF.result)
        if result == SHT.Failure:
            return graphs[self.data], graphs[self.shapes], None, []
        flag = g.value(result, SH.conforms)
        assert isinstance(flag, Literal)
        rows = sorted((_row(g, r) for r in g.objects(result, SH.result)), key=_key)
        return graphs[self.data], graphs[self.shapes], str(flag) == "true", rows


def parse(path: Path) -> Graph:
    previous = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        g = Graph()
        g.parse(path, format="turtle", publicID=path.as_uri())
        return g
    finally:
        rdflib.NORMALIZE_LITERALS = previous


def _file(term: Node) -> Path:
    return Path(str(term).removeprefix("file://"))


def _row(g: Graph, result: Node) -> Row:
    path = g.value(result, SH.resultPath)
    value = g.value(result, SH.value)
    return (
        str(g.value(result, SH.focusNode)),
        None if path is None else (str(path) if isinstance(path, URIRef) else "complex"),
        _local(str(g.value(result, SH.resultSeverity))),
        _local(str(g.value(result, SH.sourceConstraintComponent))),
        str(g.value(result, SH.sourceShape)),
        None if value is None else str(value),
    )


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1]


def _key(row: Row) -> tuple[str, ...]:
    return tuple("" if x is None else x for x in row)


def report_rows(report: Report) -> list[Row]:
    return sorted(
        (
            (r.focus, r.path, _local(r.severity), _local(r.constraint), r.shape, r.value)
            for r in report.results
        ),
        key=_key,
    )


def _tests_of(manifest: Path) -> list[W3CTest]:
    g = parse(manifest)
    out: list[W3CTest] = []
    for include in sorted(g.objects(None, MF.include)):
        out += _tests_of(_file(include))
    for entries in g.objects(None, MF.entries):
        for entry in Collection(g, entries):  # type: ignore[arg-type]
            action = g.value(entry, MF.action)
            assert isinstance(entry, URIRef) and action is not None
            data = _file(g.value(action, SHT.dataGraph))  # type: ignore[arg-type]
            shapes = _file(g.value(action, SHT.shapesGraph))  # type: ignore[arg-type]
            name = str(entry).removeprefix(SUITE.as_uri() + "/")
            out.append(W3CTest(name, manifest, entry, data, shapes))
    return out


def suite(part: str) -> list[W3CTest]:
    """The tests of ``part`` ("core" or "sparql"), in manifest order."""
    return _tests_of(SUITE / part / "manifest.ttl")
