"""The RDF formats a resource is served in (Linked Data), and converting to them."""

from __future__ import annotations

import pyoxigraph as ox

from plangraph.views.links import PREFIXES

# Linked Data formats: name -> (pyoxigraph format, media type, file suffix).
RDF_FORMATS = {
    "turtle": (ox.RdfFormat.TURTLE, "text/turtle", ".ttl"),
    "jsonld": (ox.RdfFormat.JSON_LD, "application/ld+json", ".jsonld"),
    "ntriples": (ox.RdfFormat.N_TRIPLES, "application/n-triples", ".nt"),
}


def reserialise(ntriples: bytes, fmt: str) -> bytes:
    """N-Triples -> Turtle (with the project's prefixes), JSON-LD or N-Triples."""
    rdf_format = RDF_FORMATS[fmt][0]
    if rdf_format == ox.RdfFormat.N_TRIPLES:
        return ntriples
    triples = list(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES))
    prefixes = PREFIXES if rdf_format == ox.RdfFormat.TURTLE else None
    return ox.serialize(triples, format=rdf_format, prefixes=prefixes) or b""
