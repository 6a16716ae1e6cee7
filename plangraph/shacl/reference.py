"""The reference engine: pyshacl (inference none) on rdflib graphs, the engine the compiled
SPARQL one must agree with result for result (tests/test_shacl_sparql.py)."""

from __future__ import annotations

from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from plangraph.shacl.report import SEVERITY_NAMES, SH, Report, Result


def _shape_of(results: Graph, node: Node) -> str:
    shape = results.value(node, SH.sourceShape)
    return str(shape) if shape is not None else ""


# boolean parameters that only the literal true activates (SHACL 4.5.3, 4.7.2: "1"^^xsd:boolean
# is another RDF term, so it does not), which pyshacl 0.40 reads as Python booleans
# (W3C test core/property/uniqueLang-002)
BOOLEAN_PARAMETERS = (SH.uniqueLang, SH.closed, SH.qualifiedValueShapesDisjoint)


def as_specified(shapes: Graph) -> Graph:
    """``shapes`` without the boolean parameters whose value is not the literal true."""
    odd = [
        (s, p, o)
        for p in BOOLEAN_PARAMETERS
        for s, o in shapes.subject_objects(p)
        if isinstance(o, Literal) and o.datatype == XSD.boolean and str(o) not in ("true", "false")
    ]
    if not odd:
        return shapes
    copy = Graph()
    copy += shapes
    for triple in odd:
        copy.remove(triple)
    return copy


def validate_graph(data: Graph, shapes: Graph) -> Report:
    """Validate ``data`` (which must already contain the ontology) against ``shapes`` with
    pyshacl."""
    from pyshacl import validate as pyshacl_validate

    shapes = as_specified(shapes)

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
