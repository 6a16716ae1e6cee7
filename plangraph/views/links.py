"""The graph's IRIs as this server's links, and the prefixes that shorten them.

A data IRI ``https://w3id.org/plangraph/id/x`` is served at ``/id/x`` (:func:`local_path`);
:func:`tail` reads the identifier a data IRI carries after its kind (``plan/``, ``agency/``);
:func:`curie` writes an IRI with one of :data:`PREFIXES` for a page.
"""

from __future__ import annotations

from plangraph import ids

ID_BASE = str(ids.ID)
PG = str(ids.PG)
XSD = "http://www.w3.org/2001/XMLSchema#"

PREFIXES = {
    "pg": PG,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": XSD,
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": str(ids.ORG),
    "p-plan": str(ids.PPLAN),
    "oa": str(ids.OA),
    "time": str(ids.TIME),
}


def local_path(iri: str | None) -> str | None:
    """The server path of a data IRI (``https://w3id.org/plangraph/id/x`` -> ``/id/x``)."""
    if iri and iri.startswith(ID_BASE):
        return "/id/" + iri[len(ID_BASE) :]
    return None


def tail(iri: str, prefix: str) -> str:
    """What follows ``ID_BASE + prefix`` in a data IRI ("" if it does not start so)."""
    head = ID_BASE + prefix
    return iri[len(head) :] if iri.startswith(head) else ""


def curie(iri: str) -> str:
    """``pg:Agency`` for the IRI of pg:Agency; the IRI itself when no prefix fits."""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri
