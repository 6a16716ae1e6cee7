"""The source spelling of literals: Oxigraph stores a well-formed typed literal in canonical
form ("01"^^xsd:integer is read back as "1"); pyshacl, reading the source with rdflib, reports
sh:value as the source spells it. :class:`Originals` looks that spelling up."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from plangraph.shacl.terms import to_rdflib


class Originals:
    """The source's literals, to report sh:value as pyshacl (reading the source with rdflib)
    does rather than in Oxigraph's canonical form."""

    def __init__(self, objects: Callable[[str, str], Iterable[Node]]) -> None:
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
