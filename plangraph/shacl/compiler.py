"""SHACL shapes compiled to SPARQL: the shapes graph (shapes/*.ttl, read with rdflib) becomes
:class:`CompiledShapes`, queries that return the focus nodes and values violating each
constraint, run by :mod:`plangraph.shacl.runner`.

One query per property shape checks its cardinality (sh:minCount, sh:maxCount) and one
checks all its value constraints together (sh:class, sh:datatype, sh:nodeKind, sh:minLength,
sh:maxLength, sh:pattern, sh:in, sh:min/maxInclusive, sh:min/maxExclusive, sh:or of those:
:mod:`plangraph.shacl.components`); sh:equals, sh:lessThanOrEquals and each sh:sparql
constraint (:mod:`plangraph.shacl.sparql_constraint`) get a query of their own. Paths: a
property, sh:inversePath, sh:alternativePath, sequences, sh:zeroOrMorePath, sh:oneOrMorePath,
sh:zeroOrOnePath. Targets: sh:targetClass (following rdfs:subClassOf in the data),
sh:targetNode, sh:targetSubjectsOf, sh:targetObjectsOf.

Any other constraint component, path form, target or shape feature raises
:class:`UnsupportedShape` naming the shape: a shape is never silently left unchecked. That
includes a shapes graph declaring SHACL-SPARQL custom constraint components (sh:parameter,
sh:validator: their parameters may be in any namespace), sh:entailment, or SHACL-AF rules and
custom targets. tests/test_shacl_w3c.py runs the W3C SHACL test suite (core and sparql): every
test is answered right by this engine, or refused and answered by pyshacl.
"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from plangraph.shacl.checks import CompiledShapes, NodeShapeCheck, PropertyCheck
from plangraph.shacl.components import VALUE_COMPONENTS, value_checks
from plangraph.shacl.report import SH
from plangraph.shacl.shapes_graph import (
    UnsupportedShape,
    identifier,
    message_of,
    one,
    sorted_objects,
    sorted_subjects,
)
from plangraph.shacl.sparql_constraint import sparql_constraint
from plangraph.shacl.terms import sparql_term

SEVERITIES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
# predicates of a shape that are not constraints
NON_CONSTRAINTS = {
    SH.path,
    SH.message,
    SH.severity,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.deactivated,
    SH.property,
    SH.declare,
    SH.prefixes,
    SH.defaultValue,
    *TARGETS,
}
PROPERTY_PARAMETERS = {
    *VALUE_COMPONENTS,
    SH.minCount,
    SH.maxCount,
    SH.flags,
    SH["or"],
    SH.equals,
    SH.lessThanOrEquals,
    SH.sparql,
}


def _path(sg: Graph, path: object, shape: object) -> tuple[str, str | None]:
    """(SPARQL path, the property if the path is one)."""
    if isinstance(path, URIRef):
        return f"<{path}>", str(path)
    if not isinstance(path, BNode):
        raise UnsupportedShape(shape, f"the path {path!r}")
    if (path, RDF.first, None) in sg:
        items = [_path(sg, p, shape)[0] for p in Collection(sg, path)]
        if len(items) < 2:
            raise UnsupportedShape(shape, "a sequence path of fewer than two steps")
        return "(" + "/".join(items) + ")", None
    preds = set(sg.predicates(path, None))
    if len(preds) != 1:
        raise UnsupportedShape(shape, "a path node with several path predicates")
    pred = preds.pop()
    if not isinstance(pred, URIRef):
        raise UnsupportedShape(shape, f"the path form {pred}")
    inner = one(sg, path, pred, shape)
    if pred == SH.inversePath:
        return f"(^{_path(sg, inner, shape)[0]})", None
    if pred == SH.alternativePath:
        items = [_path(sg, p, shape)[0] for p in Collection(sg, inner)]  # type: ignore[arg-type]
        if len(items) < 2:
            raise UnsupportedShape(shape, "an alternative path of fewer than two paths")
        return "(" + "|".join(items) + ")", None
    suffix = {SH.zeroOrMorePath: "*", SH.oneOrMorePath: "+", SH.zeroOrOnePath: "?"}.get(pred)
    if suffix is None:
        raise UnsupportedShape(shape, f"the path form {pred}")
    return f"({_path(sg, inner, shape)[0]}){suffix}", None


def _focus(sg: Graph, node: URIRef) -> str:
    parts = []
    classes = sorted_objects(sg, node, SH.targetClass)
    if classes:
        values = " ".join(sparql_term(c) for c in classes)
        parts.append(
            f"{{ VALUES ?targetClass {{ {values} }} ?this rdf:type/rdfs:subClassOf* ?targetClass }}"
        )
    nodes = sorted_objects(sg, node, SH.targetNode)
    if nodes:
        parts.append(f"{{ VALUES ?this {{ {' '.join(sparql_term(n) for n in nodes)} }} }}")
    for p in sorted_objects(sg, node, SH.targetSubjectsOf):
        parts.append(f"{{ ?this {sparql_term(p)} ?targetObject }}")
    for p in sorted_objects(sg, node, SH.targetObjectsOf):
        parts.append(f"{{ ?targetSubject {sparql_term(p)} ?this }}")
    return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }"


def _property_check(
    sg: Graph, node_shape: URIRef, prop: object, focus: str
) -> PropertyCheck | None:
    if not isinstance(prop, (URIRef, BNode)):
        raise UnsupportedShape(node_shape, f"the property shape {prop!r}")
    if any((prop, t, None) in sg for t in TARGETS):
        raise UnsupportedShape(prop, "a target on a property shape")
    deactivated = one(sg, prop, SH.deactivated, prop)
    if deactivated is not None and bool(getattr(deactivated, "value", False)):
        return None
    for p in sg.predicates(prop, None):
        if str(p).startswith(str(SH)) and p not in NON_CONSTRAINTS | PROPERTY_PARAMETERS:
            raise UnsupportedShape(prop, f"the constraint parameter {p}")
        if p == SH.property:
            raise UnsupportedShape(prop, "sh:property on a property shape")
    path_node = one(sg, prop, SH.path, prop)
    if path_node is None:
        raise UnsupportedShape(prop, "a property shape without sh:path")
    path, simple = _path(sg, path_node, prop)
    message = message_of(sg, prop, prop)
    if message is None:
        raise UnsupportedShape(prop, "a shape without sh:message (pyshacl's generic messages)")
    severity = one(sg, prop, SH.severity, prop) or SH.Violation
    if severity not in SEVERITIES:
        raise UnsupportedShape(prop, f"sh:severity {severity}")
    check = PropertyCheck(
        shape=str(prop),
        node_shape=str(node_shape),
        severity=SEVERITIES[severity],  # type: ignore[index]
        message=message,
        path=path,
        path_text=simple if simple is not None else "complex",
        simple_path=simple,
    )
    for pred, attr in ((SH.minCount, "min_count"), (SH.maxCount, "max_count")):
        value = one(sg, prop, pred, prop)
        if value is not None:
            if not isinstance(value, Literal) or not isinstance(value.value, int):
                raise UnsupportedShape(prop, f"{pred} {value!r}")
            setattr(check, attr, value.value)
    check.values = value_checks(sg, prop, prop, nested=False)
    for q in sorted_objects(sg, prop, SH.equals):
        if not isinstance(q, URIRef):
            raise UnsupportedShape(prop, "sh:equals with a value that is not an IRI")
        check.equals.append(str(q))
    for q in sorted_objects(sg, prop, SH.lessThanOrEquals):
        if not isinstance(q, URIRef):
            raise UnsupportedShape(prop, "sh:lessThanOrEquals with a value that is not an IRI")
        check.less_than_or_equals.append(str(q))
    for c in sorted_objects(sg, prop, SH.sparql):
        deactivated = one(sg, c, SH.deactivated, prop)
        if deactivated is not None and bool(getattr(deactivated, "value", False)):
            continue
        check.sparql.append(sparql_constraint(sg, c, prop, path, focus, is_property=True))
    return check


# the declarations of SHACL-SPARQL custom constraint components (and SHACL-AF features the
# engine does not run): their parameters are in any namespace, so a shape using one would
# otherwise look like a shape with no constraint
CUSTOM_COMPONENT_PREDICATES = (
    SH.parameter,
    SH.validator,
    SH.nodeValidator,
    SH.propertyValidator,
    SH.entailment,
    SH.rule,
    SH.target,
    SH.shapesGraph,
)


def _refuse_unimplemented(sg: Graph) -> None:
    """UnsupportedShape if the shapes graph declares what the engine does not implement."""
    for pred in CUSTOM_COMPONENT_PREDICATES:
        for s in sorted_subjects(sg, pred, None):
            raise UnsupportedShape(s, f"{pred.n3(sg.namespace_manager)} (SHACL-SPARQL or SHACL-AF)")
    for kind in (SH.ConstraintComponent, SH.SPARQLAskValidator, SH.SPARQLSelectValidator):
        types = {kind, *sg.transitive_subjects(RDFS.subClassOf, kind)}
        for t in sorted(identifier(t) for t in types if t is not None):
            for s in sorted_subjects(sg, RDF.type, t):
                raise UnsupportedShape(s, "a custom constraint component (SHACL-SPARQL)")


def compile_shapes(sg: Graph) -> CompiledShapes:
    """Compile every targeted node shape and its property shapes; raise UnsupportedShape."""
    _refuse_unimplemented(sg)
    compiled = []
    node_shapes = sorted({identifier(s) for t in TARGETS for s in sg.subjects(t, None)})
    for s in sorted_subjects(sg, RDF.type, SH.NodeShape):
        if (s, RDF.type, RDFS.Class) in sg:
            raise UnsupportedShape(s, "an implicit class target (a shape that is an rdfs:Class)")
    for node in node_shapes:
        if not isinstance(node, URIRef):
            raise UnsupportedShape(node, "a blank-node shape with a target")
        if (node, RDF.type, SH.PropertyShape) in sg or (node, SH.path, None) in sg:
            raise UnsupportedShape(node, "a target on a property shape")
        deactivated = one(sg, node, SH.deactivated, node)
        if deactivated is not None and bool(getattr(deactivated, "value", False)):
            continue
        for p in sg.predicates(node, None):
            if str(p).startswith(str(SH)) and p not in NON_CONSTRAINTS:
                raise UnsupportedShape(node, f"the node-shape constraint {p}")
        focus = _focus(sg, node)
        shape = NodeShapeCheck(str(node), focus)
        for prop in sorted_objects(sg, node, SH.property):
            try:
                check = _property_check(sg, node, prop, focus)
            except UnsupportedShape as err:
                if isinstance(prop, BNode):  # name the node shape too
                    raise UnsupportedShape(f"{node}> sh:property <_:{prop}", err.what) from err
                raise
            if check is not None:
                shape.properties.append(check)
        compiled.append(shape)
    return CompiledShapes(compiled)
