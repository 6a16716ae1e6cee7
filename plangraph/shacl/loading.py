"""The inputs of a validation: the shapes folder as an rdflib graph, a dataset's triples as one
graph (what the shapes see), and data loaded into a pyoxigraph store for the SPARQL engine."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph, Literal

from plangraph.shacl.shapes_graph import UnsupportedShape
from plangraph.shacl.terms import to_ox
from plangraph.sources.turtle import parse_turtle


def load_shapes(folder: Path) -> Graph:
    g = Graph()
    for path in sorted(folder.glob("*.ttl")):
        parse_turtle(g, path)
    return g


def union(ds: Dataset) -> Graph:
    """All triples of a dataset in one graph (what the shapes see)."""
    g = Graph()
    for s, p, o, _ in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


def load_nquads(data: bytes) -> ox.Store:
    """A store with the triples of every graph of ``data`` in its default graph."""
    store = ox.Store()
    store.extend(
        ox.Quad(q.subject, q.predicate, q.object) for q in ox.parse(data, ox.RdfFormat.N_QUADS)
    )
    return store


def rewritten(term: object) -> bool:
    """Whether rdflib replaced the lexical form of an ill-typed literal with a well-formed one
    (with literal normalisation on, ``"none"^^xsd:boolean`` is read as ``"false"``): the
    literal as written is then lost, and checking the rewritten form would miss a violation."""
    if not isinstance(term, Literal) or term.ill_typed is not True or term.datatype is None:
        return False
    return Literal(str(term), datatype=term.datatype, normalize=False).ill_typed is not True


def load_rdflib(data: Graph | Dataset) -> ox.Store:
    """A store with the triples of ``data``; UnsupportedShape (check with pyshacl, which sees
    rdflib's ill-typed flag) if rdflib rewrote an ill-typed literal."""
    store = ox.Store()
    triples = data.quads((None, None, None, None)) if isinstance(data, Dataset) else data
    quads = []
    for t in triples:
        if rewritten(t[2]):
            raise UnsupportedShape(
                "the data", f"the ill-typed literal {t[2]!r} as rdflib rewrote it"
            )
        quads.append(ox.Quad(to_ox(t[0]), to_ox(t[1]), to_ox(t[2])))  # type: ignore[arg-type]
    store.extend(quads)
    return store
