"""The value constraint components: for each, the SPARQL that flags the value nodes that
violate it (and those only Python can decide)."""

from __future__ import annotations

import re

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from plangraph.shacl.checks import ValueCheck
from plangraph.shacl.pyshacl_semantics import SURELY_WELL_FORMED, datatype_ok, range_ok, string_of
from plangraph.shacl.report import SH
from plangraph.shacl.shapes_graph import UnsupportedShape, literal_param, one
from plangraph.shacl.terms import sparql_term

VALUE_COMPONENTS = {
    SH["class"]: "ClassConstraintComponent",
    SH.datatype: "DatatypeConstraintComponent",
    SH.nodeKind: "NodeKindConstraintComponent",
    SH.minLength: "MinLengthConstraintComponent",
    SH.maxLength: "MaxLengthConstraintComponent",
    SH.pattern: "PatternConstraintComponent",
    SH["in"]: "InConstraintComponent",
    SH.minInclusive: "MinInclusiveConstraintComponent",
    SH.maxInclusive: "MaxInclusiveConstraintComponent",
    SH.minExclusive: "MinExclusiveConstraintComponent",
    SH.maxExclusive: "MaxExclusiveConstraintComponent",
}
NODE_KINDS = {
    SH.IRI: "isIRI(?v)",
    SH.Literal: "isLiteral(?v)",
    SH.BlankNode: "isBlank(?v)",
    SH.BlankNodeOrIRI: "!isLiteral(?v)",
    SH.BlankNodeOrLiteral: "!isIRI(?v)",
    SH.IRIOrLiteral: "!isBlank(?v)",
}


def value_checks(sg: Graph, node: object, shape: object, nested: bool) -> list[ValueCheck]:
    """The value constraints of ``node`` (a property shape, or a shape in a sh:or list)."""
    checks: list[ValueCheck] = []
    for pred, component in VALUE_COMPONENTS.items():
        objects = sorted(sg.objects(node, pred))
        if not objects:
            continue
        if pred == SH["class"]:
            for c in objects:
                checks.append(
                    ValueCheck(
                        component,
                        f"NOT EXISTS {{ ?v rdf:type/rdfs:subClassOf* {sparql_term(c)} }}",
                    )
                )
        elif pred == SH.datatype:
            dtype = one(sg, node, pred, shape)
            if not isinstance(dtype, URIRef):
                raise UnsupportedShape(shape, "a sh:datatype that is not an IRI")
            if dtype == RDFS.Literal:
                checks.append(ValueCheck(component, "!isLiteral(?v)"))
                continue
            bad = f"!(isLiteral(?v) && sameTerm(DATATYPE(?v), {sparql_term(dtype)}))"
            sure = SURELY_WELL_FORMED.get(dtype, "false")
            checks.append(
                ValueCheck(
                    component,
                    bad,
                    f"!({bad}) && !({sure})",
                    lambda v, d=dtype: datatype_ok(v, d),
                )
            )
        elif pred == SH.nodeKind:
            kind = one(sg, node, pred, shape)
            if kind not in NODE_KINDS:
                raise UnsupportedShape(shape, f"sh:nodeKind {kind}")
            checks.append(ValueCheck(component, f"!({NODE_KINDS[kind]})"))  # type: ignore[index]
        elif pred in (SH.minLength, SH.maxLength):
            n = literal_param(sg, node, pred, shape).value
            if not isinstance(n, int) or n < 0:
                raise UnsupportedShape(shape, f"{pred} {n!r}")
            if pred == SH.minLength:
                bad = "false" if n == 0 else f"(isBlank(?v) || STRLEN(STR(?v)) < {n})"
            else:
                bad = f"(isBlank(?v) || STRLEN(STR(?v)) > {n})"
            checks.append(ValueCheck(component, bad))
        elif pred == SH.pattern:
            flags_node = next(iter(sg.objects(node, SH.flags)), None)
            re_flags = 0
            if flags_node is not None:
                flags = str(flags_node).lower()
                re_flags = (re.I if "i" in flags else 0) | (re.M if "m" in flags else 0)
            for p in objects:
                if not isinstance(p, Literal):
                    raise UnsupportedShape(shape, "a non-literal sh:pattern")
                matcher = re.compile(str(p), re_flags)

                def pattern_ok(v: object, m: re.Pattern[str] = matcher) -> bool:
                    if isinstance(v, BNode):
                        return False
                    s = string_of(v)
                    return bool(m.match(s) or m.search(s))

                checks.append(ValueCheck(component, "false", "true", pattern_ok))
        elif pred == SH["in"]:
            members = list(Collection(sg, one(sg, node, pred, shape)))  # type: ignore[arg-type]
            if any(isinstance(m, BNode) for m in members):
                raise UnsupportedShape(shape, "a blank node in sh:in")
            same = " || ".join(f"sameTerm(?v, {sparql_term(m)})" for m in members) or "false"
            checks.append(ValueCheck(component, f"!({same})"))
        else:  # value ranges
            bound = literal_param(sg, node, pred, shape)
            op = {
                SH.minInclusive: ">=",
                SH.maxInclusive: "<=",
                SH.minExclusive: ">",
                SH.maxExclusive: "<",
            }[pred]
            numeric = (
                isinstance(bound.value, (int, float)) or type(bound.value).__name__ == "Decimal"
            )
            if numeric and not isinstance(bound.value, bool):
                b = sparql_term(bound)
                bad = f"(isNumeric(?v) && !(?v {op} {b}))"
                check = "!isNumeric(?v)"
            else:
                bad, check = "false", "true"
            checks.append(
                ValueCheck(component, bad, check, lambda v, b=bound, o=op: range_ok(v, b, o))
            )
    if SH["or"] in set(sg.predicates(node, None)):
        if nested:
            raise UnsupportedShape(shape, "sh:or inside sh:or")
        for lst in sg.objects(node, SH["or"]):
            alternatives = []
            for member in Collection(sg, lst):  # type: ignore[arg-type]
                extra = {
                    p
                    for p in sg.predicates(member, None)
                    if str(p).startswith(str(SH)) and p not in VALUE_COMPONENTS
                } - {SH.flags, SH.message}
                if extra or (member, RDF.type, SH.PropertyShape) in sg:
                    raise UnsupportedShape(shape, f"in sh:or, a shape with {sorted(extra)}")
                alternatives.append(value_checks(sg, member, shape, nested=True))
            checks.append(ValueCheck("OrConstraintComponent", "", alternatives=alternatives))
    return checks
