"""The reference engine: pyshacl (inference none) on rdflib graphs, the engine the compiled
SPARQL one must agree with result for result (tests/test_shacl_sparql.py)."""

from __future__ import annotations

from rdflib import RDF, Graph, URIRef
from rdflib.term import Node

from plangraph.shacl.report import SEVERITY_NAMES, SH, Report, Result


def _shape_of(results: Graph, node: Node) -> str:
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
