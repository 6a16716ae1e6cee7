"""The value constraint components, as a table: for each parameter (sh:class, sh:datatype ...)
its component's name and a small function that compiles the parameter's values into
:class:`ValueCheck` rows, the SPARQL that flags the value nodes violating it (and those only
Python can decide, the way pyshacl does). sh:or of such shapes is compiled from the same table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS
from rdflib.term import Identifier, Node

from plangraph.shacl.checks import ValueCheck
from plangraph.shacl.pyshacl_semantics import SURELY_WELL_FORMED, datatype_ok, range_ok, string_of
from plangraph.shacl.report import SH
from plangraph.shacl.shapes_graph import UnsupportedShape, literal_param, one, sorted_objects
from plangraph.shacl.terms import sparql_term

NODE_KINDS = {
    SH.IRI: "isIRI(?v)",
    SH.Literal: "isLiteral(?v)",
    SH.BlankNode: "isBlank(?v)",
    SH.BlankNodeOrIRI: "!isLiteral(?v)",
    SH.BlankNodeOrLiteral: "!isIRI(?v)",
    SH.IRIOrLiteral: "!isBlank(?v)",
}
RANGE_OPERATORS = {
    SH.minInclusive: ">=",
    SH.maxInclusive: "<=",
    SH.minExclusive: ">",
    SH.maxExclusive: "<",
}


@dataclass(frozen=True)
class Parameter:
    """One constraint parameter of a shape node, as found in the shapes graph."""

    sg: Graph
    node: Node  # a property shape, or a member of a sh:or list
    shape: Node  # the shape an UnsupportedShape names
    pred: URIRef  # the parameter, e.g. sh:datatype
    component: str  # its constraint component, e.g. "DatatypeConstraintComponent"
    values: list[Identifier]  # its values, in rdflib's term order

    def one(self) -> Node | None:
        """The parameter's single value (UnsupportedShape if it has several)."""
        return one(self.sg, self.node, self.pred, self.shape)

    def literal(self) -> Literal:
        return literal_param(self.sg, self.node, self.pred, self.shape)

    def check(
        self, bad: str, check: str = "false", python_ok: Callable[[object], bool] | None = None
    ) -> ValueCheck:
        return ValueCheck(self.component, bad, check, python_ok)

    def unsupported(self, what: str) -> UnsupportedShape:
        return UnsupportedShape(self.shape, what)


def _class(p: Parameter) -> list[ValueCheck]:
    return [
        p.check(f"NOT EXISTS {{ ?v rdf:type/rdfs:subClassOf* {sparql_term(c)} }}") for c in p.values
    ]


def _datatype(p: Parameter) -> list[ValueCheck]:
    dtype = p.one()
    if not isinstance(dtype, URIRef):
        raise p.unsupported("a sh:datatype that is not an IRI")
    if dtype == RDFS.Literal:
        return [p.check("!isLiteral(?v)")]
    bad = f"!(isLiteral(?v) && sameTerm(DATATYPE(?v), {sparql_term(dtype)}))"
    sure = SURELY_WELL_FORMED.get(dtype, "false")

    def ok(v: object) -> bool:
        return datatype_ok(v, dtype)

    return [p.check(bad, f"!({bad}) && !({sure})", ok)]


def _node_kind(p: Parameter) -> list[ValueCheck]:
    kind = p.one()
    test = NODE_KINDS.get(kind) if isinstance(kind, URIRef) else None
    if test is None:
        raise p.unsupported(f"sh:nodeKind {kind}")
    return [p.check(f"!({test})")]


def _length(p: Parameter) -> int:
    n = p.literal().value
    if not isinstance(n, int) or n < 0:
        raise p.unsupported(f"{p.pred} {n!r}")
    return n


def _min_length(p: Parameter) -> list[ValueCheck]:
    n = _length(p)
    return [p.check("false" if n == 0 else f"(isBlank(?v) || STRLEN(STR(?v)) < {n})")]


def _max_length(p: Parameter) -> list[ValueCheck]:
    return [p.check(f"(isBlank(?v) || STRLEN(STR(?v)) > {_length(p)})")]


def _matches(matcher: re.Pattern[str]) -> Callable[[object], bool]:
    def ok(v: object) -> bool:
        if isinstance(v, BNode):
            return False
        s = string_of(v)
        return bool(matcher.match(s) or matcher.search(s))

    return ok


def _pattern(p: Parameter) -> list[ValueCheck]:
    flags_node = next(iter(p.sg.objects(p.node, SH.flags)), None)
    re_flags = 0
    if flags_node is not None:
        flags = str(flags_node).lower()
        re_flags = (re.I if "i" in flags else 0) | (re.M if "m" in flags else 0)
    checks = []
    for pattern in p.values:
        if not isinstance(pattern, Literal):
            raise p.unsupported("a non-literal sh:pattern")
        checks.append(p.check("false", "true", _matches(re.compile(str(pattern), re_flags))))
    return checks


def _in(p: Parameter) -> list[ValueCheck]:
    head = p.one()
    members = list(Collection(p.sg, head)) if head is not None else []
    if any(isinstance(m, BNode) for m in members):
        raise p.unsupported("a blank node in sh:in")
    same = " || ".join(f"sameTerm(?v, {sparql_term(m)})" for m in members) or "false"
    return [p.check(f"!({same})")]


def _range(p: Parameter) -> list[ValueCheck]:
    bound = p.literal()
    op = RANGE_OPERATORS[p.pred]
    numeric = isinstance(bound.value, (int, float)) or type(bound.value).__name__ == "Decimal"
    if numeric and not isinstance(bound.value, bool):
        bad = f"(isNumeric(?v) && !(?v {op} {sparql_term(bound)}))"
        check = "!isNumeric(?v)"
    else:
        bad, check = "false", "true"

    def ok(v: object) -> bool:
        return range_ok(v, bound, op)

    return [p.check(bad, check, ok)]


class Component(NamedTuple):
    name: str
    compile: Callable[[Parameter], list[ValueCheck]]


# in the order the checks of one shape are made
VALUE_COMPONENTS = {
    SH["class"]: Component("ClassConstraintComponent", _class),
    SH.datatype: Component("DatatypeConstraintComponent", _datatype),
    SH.nodeKind: Component("NodeKindConstraintComponent", _node_kind),
    SH.minLength: Component("MinLengthConstraintComponent", _min_length),
    SH.maxLength: Component("MaxLengthConstraintComponent", _max_length),
    SH.pattern: Component("PatternConstraintComponent", _pattern),
    SH["in"]: Component("InConstraintComponent", _in),
    SH.minInclusive: Component("MinInclusiveConstraintComponent", _range),
    SH.maxInclusive: Component("MaxInclusiveConstraintComponent", _range),
    SH.minExclusive: Component("MinExclusiveConstraintComponent", _range),
    SH.maxExclusive: Component("MaxExclusiveConstraintComponent", _range),
}


def _or(sg: Graph, node: Node, shape: Node) -> list[ValueCheck]:
    """One check per sh:or list: its alternatives, each the value checks of one member."""
    checks = []
    for lst in sg.objects(node, SH["or"]):
        alternatives = []
        for member in Collection(sg, lst):
            extra = {
                p
                for p in sg.predicates(member, None)
                if isinstance(p, URIRef) and p.startswith(str(SH)) and p not in VALUE_COMPONENTS
            } - {SH.flags, SH.message}
            if extra or (member, RDF.type, SH.PropertyShape) in sg:
                raise UnsupportedShape(shape, f"in sh:or, a shape with {sorted(extra)}")
            alternatives.append(value_checks(sg, member, shape, nested=True))
        checks.append(ValueCheck("OrConstraintComponent", "", alternatives=alternatives))
    return checks


def value_checks(sg: Graph, node: Node, shape: Node, nested: bool) -> list[ValueCheck]:
    """The value constraints of ``node`` (a property shape, or a shape in a sh:or list)."""
    checks: list[ValueCheck] = []
    for pred, component in VALUE_COMPONENTS.items():
        values = sorted_objects(sg, node, pred)
        if values:
            checks += component.compile(Parameter(sg, node, shape, pred, component.name, values))
    if SH["or"] in set(sg.predicates(node, None)):
        if nested:
            raise UnsupportedShape(shape, "sh:or inside sh:or")
        checks += _or(sg, node, shape)
    return checks
