"""SHACL validation compiled to SPARQL and run on pyoxigraph: the same report as pyshacl, faster.

The shapes graph (shapes/*.ttl, read with rdflib) is compiled once into SPARQL SELECT queries
that return the focus nodes and values violating each constraint; they run on an in-memory
pyoxigraph store holding the dataset's triples. The result is the :class:`Report` of
:mod:`plangraph.shacl.validate`, result for result the one pyshacl (inference none, the reference:
tests/test_shacl_sparql.py compares the two) gives: same severity, source shape, focus node,
path (``"complex"`` for a path that is not one property), constraint component, message and
value.

Entry points:

* :func:`validate_nquads` ``(data: bytes, shapes_dir) -> Report`` -- N-Quads bytes (the
  built ``data/graph/plangraph.nq``); the triples of all graphs are loaded into one graph,
  as :func:`plangraph.shacl.validate.union` does for pyshacl.
* :func:`validate_store` ``(store, shapes) -> Report`` -- an already loaded
  ``pyoxigraph.Store``; its default graph is taken as the union of all graphs.
* :func:`validate_rdflib` ``(data: rdflib.Graph | rdflib.Dataset, shapes) -> Report``.
* :func:`compile_shapes` ``(shapes: rdflib.Graph) -> CompiledShapes``, to compile once and
  validate many times (``shapes`` above may be a folder, a graph or compiled shapes).

One query per property shape checks its cardinality (sh:minCount, sh:maxCount) and one
checks all its value constraints together (sh:class, sh:datatype, sh:nodeKind, sh:minLength,
sh:maxLength, sh:pattern, sh:in, sh:min/maxInclusive, sh:min/maxExclusive, sh:or of those);
sh:equals, sh:lessThanOrEquals and each sh:sparql constraint get a query of their own. Paths:
a property, sh:inversePath, sh:alternativePath, sequences, sh:zeroOrMorePath,
sh:oneOrMorePath, sh:zeroOrOnePath. Targets: sh:targetClass (following rdfs:subClassOf in
the data), sh:targetNode, sh:targetSubjectsOf, sh:targetObjectsOf. A SPARQL constraint's
``$this`` is joined with the shape's focus nodes instead of being pre-bound per focus node
(one query for all focus nodes), so its query must select ``$this``, may aggregate only when
grouping by ``$this``, and may not use LIMIT, OFFSET, VALUES, MINUS, SERVICE, subqueries,
``$currentShape``, ``$shapesGraph`` or ``?failure``.

Any other constraint component, path form, target or shape feature raises
:class:`UnsupportedShape` naming the shape: a shape is never silently left unchecked.

Where pyshacl's answer depends on rdflib's reading of a literal (sh:datatype well-formedness,
sh:pattern with Python's ``re``, comparisons of values that are not plain numbers), the
query only returns the values it cannot decide for sure and they are decided in Python the
way pyshacl does; on the built dataset that is no value at all.

Known differences from pyshacl, none of which the built dataset can show: Oxigraph stores a
well-formed typed literal in canonical form ("01"^^xsd:integer is read back as "1"), so sh:value
of a non-string literal is mapped back to the source's spelling only for results on a single
property path when the source is known (N-Quads or rdflib input, not a bare store), and
sh:minLength/sh:maxLength/sh:pattern see the canonical spelling of such literals; blank nodes
have different labels; a FILTER on ``$this`` inside a nested group of a SPARQL constraint sees
``$this`` unbound.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, XSD

from plangraph.shacl.validate import SH, Report, Result, load_shapes

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
NODE_KINDS = {
    SH.IRI: "isIRI(?v)",
    SH.Literal: "isLiteral(?v)",
    SH.BlankNode: "isBlank(?v)",
    SH.BlankNodeOrIRI: "!isLiteral(?v)",
    SH.BlankNodeOrLiteral: "!isIRI(?v)",
    SH.IRIOrLiteral: "!isBlank(?v)",
}
# Lexical forms (as Oxigraph stores them) that rdflib certainly reads as a well-formed value
# of the datatype, so that pyshacl accepts them; other literals of the datatype are decided
# in Python. xsd:gYear: rdflib does not read it at all and pyshacl accepts any lexical form.
_YEAR = "([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
SURELY_WELL_FORMED = {
    XSD.integer: 'REGEX(STR(?v), "^-?[0-9]+$")',
    XSD.decimal: 'REGEX(STR(?v), "^-?[0-9]+(\\\\.[0-9]+)?$")',
    XSD.boolean: 'REGEX(STR(?v), "^(true|false)$")',
    XSD.date: f'(REGEX(STR(?v), "^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}$") && '
    "COALESCE(sameTerm(DATATYPE(xsd:date(STR(?v))), xsd:date), false))",
    XSD.gYear: "true",
    XSD.string: "true",
    RDF.langString: "true",
}
PREFIXES = (
    "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n"
)


class UnsupportedShape(ValueError):
    """A shape uses a SHACL feature the SPARQL engine cannot check (validate with pyshacl)."""

    def __init__(self, shape: object, what: str) -> None:
        self.shape = str(shape)
        self.what = what
        super().__init__(f"shape <{shape}>: {what} is not supported by the SPARQL engine")


# ---------------------------------------------------------------------------------------
# rdflib <-> pyoxigraph terms


def to_ox(term: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def to_rdflib(term: object) -> URIRef | BNode | Literal:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt == str(XSD.string):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dt))
    raise TypeError(f"not an RDF term: {term!r}")


def _sparql_term(term: object) -> str:
    """A constant of the shapes graph in SPARQL syntax."""
    return str(to_ox(term))


def _text(term: object) -> str:
    return term.value if isinstance(term, (ox.NamedNode, ox.BlankNode, ox.Literal)) else str(term)


# ---------------------------------------------------------------------------------------
# Python decisions, the way pyshacl 0.40 makes them (for values the queries cannot decide)


def _datatype_ok(v: object, dtype: URIRef) -> bool:
    if not isinstance(v, Literal):
        return False
    if v.datatype == dtype:
        if getattr(v, "ill_typed", None) is True:
            return False
        return _actual_datatype(v, dtype)
    if dtype == RDFS.Literal:
        return True
    if dtype == RDFS.Datatype and v.datatype:
        return True
    if v.datatype is None and v.language is None and dtype == XSD.string:
        return _actual_datatype(v, dtype)
    if dtype == RDF.langString and v.language:
        return _actual_datatype(v, dtype)
    return False


def _actual_datatype(v: Literal, dtype: URIRef) -> bool:
    from datetime import date, datetime, time
    from decimal import Decimal

    value = v.value
    expected = {
        XSD.string: (str, bytes),
        RDF.langString: (str, bytes),
        XSD.integer: int,
        XSD.float: float,
        XSD.decimal: Decimal,
        XSD.boolean: bool,
        XSD.date: date,
        XSD.time: time,
        XSD.dateTime: datetime,
    }.get(dtype)
    return True if expected is None else isinstance(value, expected)


def _string_of(v: object) -> str:
    if isinstance(v, Literal) and v.value is not None and v.datatype in (None, RDF.langString):
        return str(v.value)
    if isinstance(v, Literal) and v.value is not None and v.datatype == XSD.string:
        return str(v.value)
    return str(v)


def _range_ok(v: object, bound: Literal, op: str) -> bool:
    from pyshacl.rdfutil.compare import compare_literal

    if not isinstance(v, Literal):
        return False
    bound_is_string = isinstance(bound.value, str)
    v_is_string = isinstance(v.value, str)
    if bound_is_string != v_is_string:
        return False
    try:
        cmp = compare_literal(v, bound)
    except (TypeError, NotImplementedError):
        return False
    return {">=": cmp >= 0, ">": cmp > 0, "<=": cmp <= 0, "<": cmp < 0}[op]


def _ltoe_violates(v: object, other: object) -> bool:
    """pyshacl's sh:lessThanOrEquals test of one pair (True: a result)."""
    if isinstance(v, BNode) or isinstance(other, BNode):
        raise ValueError("sh:lessThanOrEquals cannot compare a blank node (pyshacl raises too)")

    def plain(term: object) -> tuple[object, bool]:
        if isinstance(term, URIRef):
            return str(term), True
        if isinstance(term, Literal) and isinstance(term.value, str):
            return term.value, True
        return term, False

    a, a_str = plain(v)
    b, b_str = plain(other)
    if a_str != b_str:
        return True
    return not a <= b  # type: ignore[operator]


# ---------------------------------------------------------------------------------------
# compiled form


@dataclass
class ValueCheck:
    """One constraint on each value node: SPARQL flags ``bad`` (a result for sure) and
    ``check`` (decide in Python with ``python_ok``)."""

    component: str
    bad: str
    check: str = "false"
    python_ok: Callable[[object], bool] | None = None
    alternatives: list[list[ValueCheck]] | None = None  # sh:or


@dataclass
class PropertyCheck:
    shape: str
    node_shape: str
    severity: str
    message: str
    path: str  # SPARQL
    path_text: str | None  # Result.path
    simple_path: str | None  # the property, for a path that is one
    is_property: bool = True
    min_count: int | None = None
    max_count: int | None = None
    values: list[ValueCheck] = field(default_factory=list)
    equals: list[str] = field(default_factory=list)
    less_than_or_equals: list[str] = field(default_factory=list)
    sparql: list[SparqlCheck] = field(default_factory=list)


@dataclass
class SparqlCheck:
    node: str
    query: str
    message: str | None
    is_property: bool


@dataclass
class NodeShapeCheck:
    shape: str
    focus: str  # SPARQL group binding ?this to each focus node once
    properties: list[PropertyCheck] = field(default_factory=list)


@dataclass
class CompiledShapes:
    shapes: list[NodeShapeCheck]

    @property
    def queries(self) -> int:
        n = 0
        for s in self.shapes:
            for p in s.properties:
                n += (p.min_count is not None or p.max_count is not None) + bool(p.values)
                n += len(p.equals) + len(p.less_than_or_equals) + len(p.sparql)
        return n


# ---------------------------------------------------------------------------------------
# compiling the shapes graph


def _one(sg: Graph, node: object, pred: URIRef, shape: object) -> object | None:
    values = list(sg.objects(node, pred))
    if len(values) > 1:
        raise UnsupportedShape(shape, f"more than one {pred.n3(sg.namespace_manager)}")
    return values[0] if values else None


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
    inner = _one(sg, path, pred, shape)
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
    classes = sorted(sg.objects(node, SH.targetClass))
    if classes:
        values = " ".join(_sparql_term(c) for c in classes)
        parts.append(
            f"{{ VALUES ?targetClass {{ {values} }} ?this rdf:type/rdfs:subClassOf* ?targetClass }}"
        )
    nodes = sorted(sg.objects(node, SH.targetNode))
    if nodes:
        parts.append(f"{{ VALUES ?this {{ {' '.join(_sparql_term(n) for n in nodes)} }} }}")
    for p in sorted(sg.objects(node, SH.targetSubjectsOf)):
        parts.append(f"{{ ?this {_sparql_term(p)} ?targetObject }}")
    for p in sorted(sg.objects(node, SH.targetObjectsOf)):
        parts.append(f"{{ ?targetSubject {_sparql_term(p)} ?this }}")
    return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }"


def _message(sg: Graph, node: object, shape: object) -> str | None:
    messages = list(sg.objects(node, SH.message))
    if len(messages) > 1:
        raise UnsupportedShape(shape, "more than one sh:message (pyshacl would pick one at random)")
    return str(messages[0]) if messages else None


def _literal_param(sg: Graph, node: object, pred: URIRef, shape: object) -> Literal:
    value = _one(sg, node, pred, shape)
    if not isinstance(value, Literal):
        raise UnsupportedShape(shape, f"a non-literal {pred}")
    return value


def _value_checks(sg: Graph, node: object, shape: object, nested: bool) -> list[ValueCheck]:
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
                        f"NOT EXISTS {{ ?v rdf:type/rdfs:subClassOf* {_sparql_term(c)} }}",
                    )
                )
        elif pred == SH.datatype:
            dtype = _one(sg, node, pred, shape)
            if not isinstance(dtype, URIRef):
                raise UnsupportedShape(shape, "a sh:datatype that is not an IRI")
            if dtype == RDFS.Literal:
                checks.append(ValueCheck(component, "!isLiteral(?v)"))
                continue
            bad = f"!(isLiteral(?v) && sameTerm(DATATYPE(?v), {_sparql_term(dtype)}))"
            sure = SURELY_WELL_FORMED.get(dtype, "false")
            checks.append(
                ValueCheck(
                    component,
                    bad,
                    f"!({bad}) && !({sure})",
                    lambda v, d=dtype: _datatype_ok(v, d),
                )
            )
        elif pred == SH.nodeKind:
            kind = _one(sg, node, pred, shape)
            if kind not in NODE_KINDS:
                raise UnsupportedShape(shape, f"sh:nodeKind {kind}")
            checks.append(ValueCheck(component, f"!({NODE_KINDS[kind]})"))  # type: ignore[index]
        elif pred in (SH.minLength, SH.maxLength):
            n = _literal_param(sg, node, pred, shape).value
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
                    s = _string_of(v)
                    return bool(m.match(s) or m.search(s))

                checks.append(ValueCheck(component, "false", "true", pattern_ok))
        elif pred == SH["in"]:
            members = list(Collection(sg, _one(sg, node, pred, shape)))  # type: ignore[arg-type]
            if any(isinstance(m, BNode) for m in members):
                raise UnsupportedShape(shape, "a blank node in sh:in")
            same = " || ".join(f"sameTerm(?v, {_sparql_term(m)})" for m in members) or "false"
            checks.append(ValueCheck(component, f"!({same})"))
        else:  # value ranges
            bound = _literal_param(sg, node, pred, shape)
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
                b = _sparql_term(bound)
                bad = f"(isNumeric(?v) && !(?v {op} {b}))"
                check = "!isNumeric(?v)"
            else:
                bad, check = "false", "true"
            checks.append(
                ValueCheck(component, bad, check, lambda v, b=bound, o=op: _range_ok(v, b, o))
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
                alternatives.append(_value_checks(sg, member, shape, nested=True))
            checks.append(ValueCheck("OrConstraintComponent", "", alternatives=alternatives))
    return checks


_PATH_VAR = re.compile(r"([^\w])\$PATH\b")
_THIS = re.compile(r"[?$]this\b")


def _sparql_constraint(
    sg: Graph, constraint: object, shape: object, path: str | None, focus: str, is_property: bool
) -> SparqlCheck:
    for p in sg.predicates(constraint, None):
        if str(p).startswith(str(SH)) and p not in (
            SH.select,
            SH.message,
            SH.prefixes,
            SH.severity,
            SH.deactivated,
        ):
            raise UnsupportedShape(shape, f"{p} on the SPARQL constraint {constraint}")
    select = _one(sg, constraint, SH.select, shape)
    if not isinstance(select, Literal):
        raise UnsupportedShape(shape, "a SPARQL constraint without sh:select")
    text = str(select)
    upper = re.sub(r'"[^"]*"', '""', text).upper()
    for word in ("LIMIT", "OFFSET", "VALUES", "MINUS", "SERVICE"):
        if re.search(rf"\b{word}\b", upper):
            raise UnsupportedShape(shape, f"{word} in a SPARQL constraint")
    if len(re.findall(r"\bSELECT\b", upper)) != 1:
        raise UnsupportedShape(shape, "a subquery in a SPARQL constraint")
    if re.search(r"[?$](currentShape|shapesGraph|failure)\b", text):
        raise UnsupportedShape(shape, "$currentShape, $shapesGraph or ?failure")
    projection = re.search(r"\bSELECT\b(.*?)\b(WHERE\b|\{)", text, re.S | re.I)
    if projection is None or not (_THIS.search(projection.group(1)) or "*" in projection.group(1)):
        raise UnsupportedShape(shape, "a SPARQL constraint that does not select $this")
    if re.search(r"\b(COUNT|SUM|MIN|MAX|AVG|SAMPLE|GROUP_CONCAT)\s*\(", upper):
        group = re.search(r"\bGROUP\s+BY\b(.*?)(\bHAVING\b|\bORDER\b|$)", text, re.S | re.I)
        if group is None or not _THIS.search(group.group(1)):
            raise UnsupportedShape(shape, "an aggregate not grouped by $this")
    if "$PATH" in text:
        if path is None:
            raise UnsupportedShape(shape, "$PATH in a SPARQL constraint of a node shape")
        text = _PATH_VAR.sub(lambda m: m.group(1) + path, text)
    brace = re.search(r"\bWHERE\s*\{", text, re.I) or re.search(r"\{", text)
    assert brace is not None
    text = text[: brace.end()] + f" {focus} " + text[brace.end() :]
    prefixes = []
    for pfx_node in sg.objects(constraint, SH.prefixes):
        for dec in sg.objects(pfx_node, SH.declare):
            prefix = _one(sg, dec, SH.prefix, shape)
            namespace = _one(sg, dec, SH.namespace, shape)
            prefixes.append(f"PREFIX {prefix}: <{namespace}>\n")
    message = _message(sg, constraint, shape)
    return SparqlCheck(str(constraint), "".join(sorted(set(prefixes))) + text, message, is_property)


def _property_check(
    sg: Graph, node_shape: URIRef, prop: object, focus: str
) -> PropertyCheck | None:
    if not isinstance(prop, (URIRef, BNode)):
        raise UnsupportedShape(node_shape, f"the property shape {prop!r}")
    if any((prop, t, None) in sg for t in TARGETS):
        raise UnsupportedShape(prop, "a target on a property shape")
    deactivated = _one(sg, prop, SH.deactivated, prop)
    if deactivated is not None and bool(getattr(deactivated, "value", False)):
        return None
    for p in sg.predicates(prop, None):
        if str(p).startswith(str(SH)) and p not in NON_CONSTRAINTS | PROPERTY_PARAMETERS:
            raise UnsupportedShape(prop, f"the constraint parameter {p}")
        if p == SH.property:
            raise UnsupportedShape(prop, "sh:property on a property shape")
    path_node = _one(sg, prop, SH.path, prop)
    if path_node is None:
        raise UnsupportedShape(prop, "a property shape without sh:path")
    path, simple = _path(sg, path_node, prop)
    message = _message(sg, prop, prop)
    if message is None:
        raise UnsupportedShape(prop, "a shape without sh:message (pyshacl's generic messages)")
    severity = _one(sg, prop, SH.severity, prop) or SH.Violation
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
        value = _one(sg, prop, pred, prop)
        if value is not None:
            if not isinstance(value, Literal) or not isinstance(value.value, int):
                raise UnsupportedShape(prop, f"{pred} {value!r}")
            setattr(check, attr, value.value)
    check.values = _value_checks(sg, prop, prop, nested=False)
    for q in sorted(sg.objects(prop, SH.equals)):
        if not isinstance(q, URIRef):
            raise UnsupportedShape(prop, "sh:equals with a value that is not an IRI")
        check.equals.append(str(q))
    for q in sorted(sg.objects(prop, SH.lessThanOrEquals)):
        if not isinstance(q, URIRef):
            raise UnsupportedShape(prop, "sh:lessThanOrEquals with a value that is not an IRI")
        check.less_than_or_equals.append(str(q))
    for c in sorted(sg.objects(prop, SH.sparql)):
        deactivated = _one(sg, c, SH.deactivated, prop)
        if deactivated is not None and bool(getattr(deactivated, "value", False)):
            continue
        check.sparql.append(_sparql_constraint(sg, c, prop, path, focus, is_property=True))
    return check


def compile_shapes(sg: Graph) -> CompiledShapes:
    """Compile every targeted node shape and its property shapes; raise UnsupportedShape."""
    compiled = []
    node_shapes = sorted({s for t in TARGETS for s in sg.subjects(t, None)})
    for s in sorted(sg.subjects(RDF.type, SH.NodeShape)):
        if (s, RDF.type, RDFS.Class) in sg:
            raise UnsupportedShape(s, "an implicit class target (a shape that is an rdfs:Class)")
    for node in node_shapes:
        if not isinstance(node, URIRef):
            raise UnsupportedShape(node, "a blank-node shape with a target")
        if (node, RDF.type, SH.PropertyShape) in sg or (node, SH.path, None) in sg:
            raise UnsupportedShape(node, "a target on a property shape")
        deactivated = _one(sg, node, SH.deactivated, node)
        if deactivated is not None and bool(getattr(deactivated, "value", False)):
            continue
        for p in sg.predicates(node, None):
            if str(p).startswith(str(SH)) and p not in NON_CONSTRAINTS:
                raise UnsupportedShape(node, f"the node-shape constraint {p}")
        focus = _focus(sg, node)
        shape = NodeShapeCheck(str(node), focus)
        for prop in sorted(sg.objects(node, SH.property)):
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


# ---------------------------------------------------------------------------------------
# running the queries


def _flags(checks: list[ValueCheck], prefix: str) -> list[tuple[str, str, str]]:
    """(variable suffix, bad expression, check expression) of every atomic check."""
    out = []
    for i, c in enumerate(checks):
        if c.alternatives is not None:
            for j, alt in enumerate(c.alternatives):
                out.extend(_flags(alt, f"{prefix}{i}_{j}_"))
        else:
            out.append((f"{prefix}{i}", c.bad, c.check))
    return out


def _might_fail(checks: list[ValueCheck], prefix: str) -> str:
    parts = []
    for i, c in enumerate(checks):
        if c.alternatives is None:
            parts.append(f"?b{prefix}{i} || ?c{prefix}{i}")
        else:
            sure = []
            for j, alt in enumerate(c.alternatives):
                members = [
                    f"!?b{prefix}{i}_{j}_{k} && !?c{prefix}{i}_{j}_{k}" for k in range(len(alt))
                ]
                sure.append("(" + (" && ".join(members) or "true") + ")")
            parts.append("!(" + (" || ".join(sure) or "false") + ")")
    return " || ".join(f"({p})" for p in parts) or "false"


def _is_true(row: ox.QuerySolution, var: str) -> bool:
    term = row[var]
    return term is not None and term.value == "true"


def _value_results(checks: list[ValueCheck], row: ox.QuerySolution, prefix: str) -> list[str]:
    """The components of ``checks`` that the value of ``row`` violates (in order)."""
    failed = []
    v = None
    for i, c in enumerate(checks):
        name = f"{prefix}{i}"
        if c.alternatives is None:
            if _is_true(row, f"b{name}"):
                failed.append(c.component)
            elif _is_true(row, f"c{name}"):
                v = to_rdflib(row["v"]) if v is None else v
                assert c.python_ok is not None
                if not c.python_ok(v):
                    failed.append(c.component)
            continue
        passed = False
        for j, alt in enumerate(c.alternatives):
            ok = True
            for k, member in enumerate(alt):
                flag = f"{name}_{j}_{k}"
                if _is_true(row, f"b{flag}"):
                    ok = False
                elif _is_true(row, f"c{flag}"):
                    v = to_rdflib(row["v"]) if v is None else v
                    assert member.python_ok is not None
                    ok = ok and member.python_ok(v)
                if not ok:
                    break
            if ok:
                passed = True
                break
        if not passed:
            failed.append(c.component)
    return failed


class _Run:
    def __init__(self, store: ox.Store, union: bool, originals: Originals | None) -> None:
        self.store = store
        self.union = union
        self.originals = originals
        self.results: list[Result] = []

    def select(self, query: str) -> Iterable[ox.QuerySolution]:
        return self.store.query(PREFIXES + query, use_default_graph_as_union=self.union)

    def add(
        self,
        p: PropertyCheck,
        focus: object,
        component: str,
        value: object | None,
        message: str | None = None,
        path: str | None = None,
    ) -> None:
        self.results.append(
            Result(
                severity=p.severity,
                shape=p.shape,
                focus=_text(focus),
                path=path if path is not None else p.path_text,
                constraint=component,
                message=p.message if message is None else message,
                value=None if value is None else self.value_text(p, focus, value),
            )
        )

    def value_text(self, p: PropertyCheck, focus: object, value: object) -> str:
        if (
            isinstance(value, ox.Literal)
            and not value.language
            and value.datatype.value != str(XSD.string)
            and self.originals is not None
            and p.simple_path is not None
            and isinstance(focus, ox.NamedNode)
        ):
            found = self.originals.lookup(focus.value, p.simple_path, value)
            if found is not None:
                return found
        return _text(value)

    def cardinality(self, node: NodeShapeCheck, p: PropertyCheck) -> None:
        tests = []
        if p.min_count is not None:
            tests.append(f"?n < {p.min_count}")
        if p.max_count is not None:
            tests.append(f"?n > {p.max_count}")
        q = (
            "SELECT ?this ?n WHERE { { SELECT ?this (COUNT(DISTINCT ?v) AS ?n) WHERE { "
            f"{node.focus} OPTIONAL {{ ?this {p.path} ?v }} }} GROUP BY ?this }} "
            f"FILTER({' || '.join(tests)}) }}"
        )
        for row in self.select(q):
            n = int(row["n"].value)
            if p.min_count is not None and n < p.min_count:
                self.add(p, row["this"], "MinCountConstraintComponent", None)
            if p.max_count is not None and n > p.max_count:
                self.add(p, row["this"], "MaxCountConstraintComponent", None)

    def values(self, node: NodeShapeCheck, p: PropertyCheck) -> None:
        flags = _flags(p.values, "")
        binds = " ".join(
            f"BIND(COALESCE({bad or 'false'}, false) AS ?b{name}) "
            f"BIND(COALESCE({check}, true) AS ?c{name})"
            for name, bad, check in flags
        )
        projection = " ".join(f"?b{name} ?c{name}" for name, _, _ in flags)
        q = (
            f"SELECT DISTINCT ?this ?v {projection} WHERE {{ {node.focus} ?this {p.path} ?v . "
            f"{binds} FILTER({_might_fail(p.values, '')}) }}"
        )
        for row in self.select(q):
            for component in _value_results(p.values, row, ""):
                self.add(p, row["this"], component, row["v"])

    def equals(self, node: NodeShapeCheck, p: PropertyCheck, other: str) -> None:
        q = (
            f"SELECT DISTINCT ?this ?v WHERE {{ {node.focus} "
            f"{{ ?this {p.path} ?v FILTER NOT EXISTS {{ ?this <{other}> ?v }} }} UNION "
            f"{{ ?this <{other}> ?v FILTER NOT EXISTS {{ ?this {p.path} ?v }} }} }}"
        )
        for row in self.select(q):
            self.add(p, row["this"], "EqualsConstraintComponent", row["v"])

    def less_than_or_equals(self, node: NodeShapeCheck, p: PropertyCheck, other: str) -> None:
        date = SURELY_WELL_FORMED[XSD.date]
        sure = (
            "(isNumeric(?v) && isNumeric(?o) && ?v <= ?o)"
            f" || (sameTerm(DATATYPE(?v), xsd:date) && sameTerm(DATATYPE(?o), xsd:date)"
            f" && {date} && {date.replace('?v', '?o')} && ?v <= ?o)"
            " || (sameTerm(DATATYPE(?v), xsd:string) && sameTerm(DATATYPE(?o), xsd:string)"
            " && ?v <= ?o)"
        )
        q = (
            f"SELECT DISTINCT ?this ?v ?o WHERE {{ {node.focus} ?this {p.path} ?v . "
            f"?this <{other}> ?o . FILTER(!COALESCE({sure}, false)) }}"
        )
        for row in self.select(q):
            if _ltoe_violates(to_rdflib(row["v"]), to_rdflib(row["o"])):
                self.add(p, row["this"], "LessThanOrEqualsConstraintComponent", row["v"])

    def sparql(self, p: PropertyCheck, c: SparqlCheck) -> None:
        seen = set()
        solutions = self.select(c.query)
        names = [v.value for v in solutions.variables]  # type: ignore[attr-defined]
        for row in solutions:
            bound = {n: row[n] for n in names if row[n] is not None}
            this = bound.pop("this")
            path = bound.pop("path", None)
            value = bound.pop("value", None)
            key = (this, path, value, tuple(sorted((k, str(t)) for k, t in bound.items())))
            if key in seen:
                continue
            seen.add(key)
            if value is None and not c.is_property:
                value = this
            template = c.message if c.message is not None else p.message
            fdict = {k: _text(t) for k, t in bound.items()}
            fdict["this"] = _text(this)
            if path is not None:
                fdict["path"] = _text(path)
            if value is not None:
                fdict["value"] = _text(value)
            message = template
            for var, val in fdict.items():
                message = re.sub(f"{{[?$]{var}}}", val, message)
            path_text = None
            if path is not None:
                path_text = path.value if isinstance(path, ox.NamedNode) else "complex"
            self.add(p, this, "SPARQLConstraintComponent", value, message=message, path=path_text)


def validate_store(
    store: ox.Store,
    shapes: CompiledShapes | Graph | Path,
    *,
    union: bool = True,
    originals: Originals | None = None,
) -> Report:
    """Validate the triples of ``store`` (with ``union``: of all its graphs; without: of its
    default graph) against ``shapes``."""
    compiled = _compiled(shapes)
    run = _Run(store, union, originals)
    for node in compiled.shapes:
        for p in node.properties:
            if p.min_count is not None or p.max_count is not None:
                run.cardinality(node, p)
            if p.values:
                run.values(node, p)
            for other in p.equals:
                run.equals(node, p, other)
            for other in p.less_than_or_equals:
                run.less_than_or_equals(node, p, other)
            for c in p.sparql:
                run.sparql(p, c)
    if union:
        count = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
        triples = int(next(iter(run.select(count)))["n"].value)
    else:
        triples = len(store)
    report = Report(results=sorted(run.results), triples=triples)
    return report


def _compiled(shapes: CompiledShapes | Graph | Path) -> CompiledShapes:
    if isinstance(shapes, CompiledShapes):
        return shapes
    if isinstance(shapes, Path):
        shapes = load_shapes(shapes)
    return compile_shapes(shapes)


# ---------------------------------------------------------------------------------------
# loading data; the source spelling of literals


class Originals:
    """The source's literals, to report sh:value as pyshacl (reading the source with rdflib)
    does rather than in Oxigraph's canonical form."""

    def __init__(self, objects: Callable[[str, str], Iterable[Literal]]) -> None:
        self._objects = objects

    def lookup(self, subject: str, predicate: str, value: ox.Literal) -> str | None:
        target = to_rdflib(value)
        for candidate in self._objects(subject, predicate):
            if not isinstance(candidate, Literal) or candidate.datatype != target.datatype:
                continue
            if candidate.value is not None and candidate.value == target.value:
                return str(candidate)
            if str(candidate) == str(target):
                return str(candidate)
        return None

    @classmethod
    def of_graph(cls, g: Graph) -> Originals:
        return cls(lambda s, p: g.objects(URIRef(s), URIRef(p)))

    @classmethod
    def of_nquads(cls, data: bytes) -> Originals:
        index: dict[tuple[str, str], list[Literal]] | None = None

        def objects(s: str, p: str) -> list[Literal]:
            nonlocal index
            if index is None:
                index = {}
                for q in ox.parse(data, ox.RdfFormat.N_QUADS):
                    o = q.object
                    if (
                        isinstance(o, ox.Literal)
                        and not o.language
                        and isinstance(q.subject, ox.NamedNode)
                    ):
                        key = (q.subject.value, q.predicate.value)
                        index.setdefault(key, []).append(to_rdflib(o))
            return index.get((s, p), [])

        return cls(objects)


def load_nquads(data: bytes) -> ox.Store:
    """A store with the triples of every graph of ``data`` in its default graph."""
    store = ox.Store()
    store.extend(
        ox.Quad(q.subject, q.predicate, q.object) for q in ox.parse(data, ox.RdfFormat.N_QUADS)
    )
    return store


def load_rdflib(data: Graph | Dataset) -> ox.Store:
    store = ox.Store()
    triples = data.quads((None, None, None, None)) if isinstance(data, Dataset) else data
    store.extend(ox.Quad(to_ox(t[0]), to_ox(t[1]), to_ox(t[2])) for t in triples)  # type: ignore[arg-type]
    return store


def validate_nquads(data: bytes, shapes: CompiledShapes | Graph | Path) -> Report:
    """Validate N-Quads bytes (all graphs together) against ``shapes`` (e.g. Path("shapes"))."""
    return validate_store(
        load_nquads(data), shapes, union=False, originals=Originals.of_nquads(data)
    )


def validate_rdflib(data: Graph | Dataset, shapes: CompiledShapes | Graph | Path) -> Report:
    """Validate an rdflib graph, or all graphs of an rdflib dataset together."""
    if isinstance(data, Dataset):
        ds = data
        originals = Originals(
            lambda s, p: (q[2] for q in ds.quads((URIRef(s), URIRef(p), None, None)))
        )
    else:
        originals = Originals.of_graph(data)
    return validate_store(load_rdflib(data), shapes, union=False, originals=originals)
