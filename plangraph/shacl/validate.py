"""SHACL validation of the dataset. Non-conformance is a result, not an exception.

Two engines give the same :class:`Report`: ``"sparql"`` (the default, used by the build and
``plangraph validate``), the shapes compiled to SPARQL and run on pyoxigraph
(:mod:`plangraph.shacl.compiled`), and ``"pyshacl"`` (inference none), the reference that
tests/test_shacl_sparql.py compares it with. :func:`validate_graph` is always pyshacl. When
the shapes use a feature the SPARQL engine cannot compile (it raises
:class:`plangraph.shacl.compiled.UnsupportedShape` naming the shape), the ``"sparql"`` engine
logs that error and validates with pyshacl instead: no shape goes unchecked.

The project rule: only sh:Violation results make a dataset non-conforming; sh:Warning and
sh:Info results are facts about the plans (e.g. an activity for which the source names no
agency) and are reported, not refused.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, Dataset, Graph, Namespace, URIRef

from plangraph.sources.turtle import parse_turtle

SH = Namespace("http://www.w3.org/ns/shacl#")
log = logging.getLogger(__name__)
SEVERITY_NAMES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}


@dataclass(frozen=True, order=True)
class Result:
    severity: str  # "Violation", "Warning", "Info"
    shape: str  # the source shape's IRI (or its parent node shape for a property shape)
    focus: str
    path: str | None
    constraint: str  # the constraint component, e.g. "MinCountConstraintComponent"
    message: str
    value: str | None = None


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)
    triples: int = 0

    @property
    def violations(self) -> list[Result]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[Result]:
        return [r for r in self.results if r.severity == "Warning"]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def counts_by_shape(self, severity: str) -> Counter[str]:
        return Counter(r.shape for r in self.results if r.severity == severity)

    def text(self, limit: int = 50) -> str:
        """A readable report: totals, counts per shape, then the first results in full."""
        lines = [
            f"{'conforms' if self.conforms else 'DOES NOT CONFORM'}: "
            f"{len(self.violations)} violation(s), {len(self.warnings)} warning(s) "
            f"in {self.triples} triples"
        ]
        for severity in ("Violation", "Warning", "Info"):
            counts = self.counts_by_shape(severity)
            for shape, n in sorted(counts.items()):
                lines.append(f"  {severity:9} {n:5}  {_short(shape)}")
        shown = sorted(self.results)[:limit]
        for r in shown:
            where = f" {_short(r.path)}" if r.path else ""
            value = f" value={r.value}" if r.value else ""
            lines.append(f"- {r.severity}: {_short(r.focus)}{where}{value}: {r.message}")
        if len(self.results) > limit:
            lines.append(f"... and {len(self.results) - limit} more")
        return "\n".join(lines)


def _short(iri: str | None) -> str:
    if iri is None:
        return ""
    for prefix, base in (
        ("pg:", "https://w3id.org/plangraph/ontology#"),
        ("pgsh:", "https://w3id.org/plangraph/shapes#"),
        ("", "https://w3id.org/plangraph/id/"),
        ("sh:", str(SH)),
    ):
        if iri.startswith(base):
            return prefix + iri[len(base) :]
    return iri


def load_shapes(folder: Path) -> Graph:
    g = Graph()
    for path in sorted(folder.glob("*.ttl")):
        parse_turtle(g, path)
    return g


def union(ds: Dataset) -> Graph:
    """All triples of a dataset in one graph (what the shapes see)."""
    g = Graph()
    for s, p, o, _ in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


def _shape_of(results: Graph, node) -> str:
    shape = results.value(node, SH.sourceShape)
    return str(shape) if shape is not None else ""


def validate_graph(data: Graph, shapes: Graph) -> Report:
    """Validate ``data`` (which must already contain the ontology) against ``shapes`` with
    pyshacl."""
    from pyshacl import validate as pyshacl_validate

    _conforms, results_graph, _text = pyshacl_validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        allow_infos=True,
    )
    report = Report(triples=len(data))
    # Top-level results only: pyshacl also types the nested sh:detail results of sh:node.
    top = [
        n
        for report in results_graph.subjects(RDF.type, SH.ValidationReport)
        for n in results_graph.objects(report, SH.result)
    ]
    for node in top:
        severity = results_graph.value(node, SH.resultSeverity)
        path = results_graph.value(node, SH.resultPath)
        component = results_graph.value(node, SH.sourceConstraintComponent)
        value = results_graph.value(node, SH.value)
        message = results_graph.value(node, SH.resultMessage)
        report.results.append(
            Result(
                severity=SEVERITY_NAMES.get(severity, str(severity)),
                shape=_shape_of(results_graph, node),
                focus=str(results_graph.value(node, SH.focusNode)),
                path=str(path)
                if isinstance(path, URIRef)
                else (None if path is None else "complex"),
                constraint=str(component).rsplit("#", 1)[-1],
                message=str(message) if message is not None else "",
                value=str(value) if value is not None else None,
            )
        )
    report.results.sort()
    return report


ENGINES = ("sparql", "pyshacl")


def validate_dataset(ds: Dataset, shapes_folder: Path, engine: str = "sparql") -> Report:
    """Validate all graphs of ``ds`` together against the shapes in ``shapes_folder``."""
    if engine == "sparql":
        from plangraph.shacl.compiled import UnsupportedShape, compile_shapes, validate_rdflib

        shapes = load_shapes(shapes_folder)
        try:
            compiled = compile_shapes(shapes)
        except UnsupportedShape as err:
            log.warning("%s: validating with pyshacl instead", err)
            return validate_graph(union(ds), shapes)
        return validate_rdflib(ds, compiled)
    if engine == "pyshacl":
        return validate_graph(union(ds), load_shapes(shapes_folder))
    raise ValueError(f"unknown SHACL engine {engine!r}: one of {', '.join(ENGINES)}")


def validate_nquads(data: bytes, shapes_folder: Path, engine: str = "sparql") -> Report:
    """Validate N-Quads bytes (all graphs together), e.g. the built plangraph.nq."""
    if engine == "sparql":
        from plangraph.shacl.compiled import UnsupportedShape, compile_shapes
        from plangraph.shacl.compiled import validate_nquads as sparql_validate_nquads

        try:
            compiled = compile_shapes(load_shapes(shapes_folder))
        except UnsupportedShape as err:
            log.warning("%s: validating with pyshacl instead", err)
            engine = "pyshacl"
        else:
            return sparql_validate_nquads(data, compiled)
    ds = Dataset()
    ds.parse(data=data, format="nquads")
    return validate_dataset(ds, shapes_folder, engine=engine)
