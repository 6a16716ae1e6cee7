"""Reading a shape's parameters from the shapes graph, and the error for a shape the SPARQL
engine cannot compile."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.term import Identifier, Node

from plangraph.shacl.report import SH


class UnsupportedShape(ValueError):
    """A shape uses a SHACL feature the SPARQL engine cannot check (validate with pyshacl)."""

    def __init__(self, shape: object, what: str) -> None:
        self.shape = str(shape)
        self.what = what
        super().__init__(f"shape <{shape}>: {what} is not supported by the SPARQL engine")


def one(sg: Graph, node: Node, pred: URIRef, shape: object) -> Node | None:
    values = list(sg.objects(node, pred))
    if len(values) > 1:
        raise UnsupportedShape(shape, f"more than one {pred.n3(sg.namespace_manager)}")
    return values[0] if values else None


def sorted_objects(sg: Graph, node: Node, pred: URIRef) -> list[Identifier]:
    """The values of ``pred`` on ``node``, in rdflib's term order (a parsed graph holds only
    identifiers: IRIs, blank nodes and literals)."""
    return sorted(identifier(o) for o in sg.objects(node, pred))


def sorted_subjects(sg: Graph, pred: URIRef, obj: Node | None) -> list[Identifier]:
    return sorted(identifier(s) for s in sg.subjects(pred, obj))


def identifier(term: Node) -> Identifier:
    """``term`` as an identifier, which rdflib can order (a bare :class:`Node` has no order)."""
    if not isinstance(term, Identifier):
        raise TypeError(f"not an RDF term: {term!r}")
    return term


def message_of(sg: Graph, node: Node, shape: object) -> str | None:
    messages = list(sg.objects(node, SH.message))
    if len(messages) > 1:
        raise UnsupportedShape(shape, "more than one sh:message (pyshacl would pick one at random)")
    return str(messages[0]) if messages else None


def literal_param(sg: Graph, node: Node, pred: URIRef, shape: object) -> Literal:
    value = one(sg, node, pred, shape)
    if not isinstance(value, Literal):
        raise UnsupportedShape(shape, f"a non-literal {pred}")
    return value
