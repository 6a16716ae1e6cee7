"""Reading a shape's parameters from the shapes graph, and the error for a shape the SPARQL
engine cannot compile."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef

from plangraph.shacl.report import SH


class UnsupportedShape(ValueError):
    """A shape uses a SHACL feature the SPARQL engine cannot check (validate with pyshacl)."""

    def __init__(self, shape: object, what: str) -> None:
        self.shape = str(shape)
        self.what = what
        super().__init__(f"shape <{shape}>: {what} is not supported by the SPARQL engine")


def one(sg: Graph, node: object, pred: URIRef, shape: object) -> object | None:
    values = list(sg.objects(node, pred))
    if len(values) > 1:
        raise UnsupportedShape(shape, f"more than one {pred.n3(sg.namespace_manager)}")
    return values[0] if values else None


def message_of(sg: Graph, node: object, shape: object) -> str | None:
    messages = list(sg.objects(node, SH.message))
    if len(messages) > 1:
        raise UnsupportedShape(shape, "more than one sh:message (pyshacl would pick one at random)")
    return str(messages[0]) if messages else None


def literal_param(sg: Graph, node: object, pred: URIRef, shape: object) -> Literal:
    value = one(sg, node, pred, shape)
    if not isinstance(value, Literal):
        raise UnsupportedShape(shape, f"a non-literal {pred}")
    return value
