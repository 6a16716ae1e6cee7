"""RDF terms between rdflib (shapes, the build's dataset) and pyoxigraph (the SPARQL engine)."""

from __future__ import annotations

from typing import overload

import pyoxigraph as ox
from rdflib import BNode, IdentifiedNode, Literal, URIRef
from rdflib.namespace import XSD


@overload
def to_ox(term: URIRef) -> ox.NamedNode: ...
@overload
def to_ox(term: IdentifiedNode) -> ox.NamedNode | ox.BlankNode: ...
@overload
def to_ox(term: object) -> ox.NamedNode | ox.BlankNode | ox.Literal: ...
def to_ox(term: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as pyoxigraph's (a literal with no datatype or language is an
    xsd:string, as in RDF 1.1); TypeError for anything else."""
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


@overload
def to_rdflib(term: ox.NamedNode) -> URIRef: ...
@overload
def to_rdflib(term: ox.BlankNode) -> BNode: ...
@overload
def to_rdflib(term: ox.Literal) -> Literal: ...
@overload
def to_rdflib(term: object) -> URIRef | BNode | Literal: ...
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


def sparql_term(term: object) -> str:
    """A constant of the shapes graph in SPARQL syntax."""
    return str(to_ox(term))
