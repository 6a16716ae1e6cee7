"""A SHACL-SPARQL constraint (sh:sparql with sh:select) compiled to one query for all focus
nodes.

``$this`` is joined with the shape's focus nodes instead of being pre-bound per focus node,
so the query must select ``$this``, may aggregate only when grouping by ``$this``, and may not
use LIMIT, OFFSET, VALUES, MINUS, SERVICE, subqueries, ``$currentShape``, ``$shapesGraph`` or
``?failure``; anything else raises :class:`UnsupportedShape`.
"""

from __future__ import annotations

import re

from rdflib import Graph, Literal
from rdflib.term import Node

from plangraph.shacl.checks import SparqlCheck
from plangraph.shacl.report import SH
from plangraph.shacl.shapes_graph import UnsupportedShape, message_of, one

_PATH_VAR = re.compile(r"([^\w])\$PATH\b")
_THIS = re.compile(r"[?$]this\b")


def sparql_constraint(
    sg: Graph, constraint: Node, shape: object, path: str | None, focus: str, is_property: bool
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
    select = one(sg, constraint, SH.select, shape)
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
            prefix = one(sg, dec, SH.prefix, shape)
            namespace = one(sg, dec, SH.namespace, shape)
            prefixes.append(f"PREFIX {prefix}: <{namespace}>\n")
    message = message_of(sg, constraint, shape)
    return SparqlCheck(str(constraint), "".join(sorted(set(prefixes))) + text, message, is_property)
