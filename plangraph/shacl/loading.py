"""The inputs of a validation: the shapes folder as an rdflib graph, a dataset's triples as one
graph (what the shapes see), and data loaded into a pyoxigraph store for the SPARQL engine."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph

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


def load_rdflib(data: Graph | Dataset) -> ox.Store:
    store = ox.Store()
    triples = data.quads((None, None, None, None)) if isinstance(data, Dataset) else data
    store.extend(ox.Quad(to_ox(t[0]), to_ox(t[1]), to_ox(t[2])) for t in triples)  # type: ignore[arg-type]
    return store
