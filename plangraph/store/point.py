"""Point lookups: queries whose cost is bounded before they run, so the server may answer them
in its own process instead of a worker (no inter-process round trip).

A point lookup is a SELECT with exactly one triple pattern whose subject is an absolute IRI
(``<...>``) and whose predicate and object are variables or absolute IRIs (or ``a``), with
nothing else in the WHERE clause (no FILTER, OPTIONAL, UNION, paths, sub-queries, GRAPH,
SERVICE, VALUES, BIND), no prologue (PREFIX, BASE), no dataset clause (FROM) and no
solution modifier but LIMIT / OFFSET. The engine answers it from its subject index, so its
cost is bounded by the number of triples of that subject, which :func:`bounded_degree` counts
(up to a cap) before the query runs. Anything else, or a subject with more triples than the
cap, goes to a worker.

    >>> point_lookup("SELECT ?p ?o WHERE { <https://x/a> ?p ?o }")
    PointLookup(subject='https://x/a', predicate=None)
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from plangraph.store.embedded import EmbeddedStore
from plangraph.store.guard import Token, tokens

_MODIFIERS = re.compile(
    r"\s*(?:LIMIT\s+\d{1,9}\s*)?(?:OFFSET\s+\d{1,9}\s*)?|\s*OFFSET\s+\d{1,9}\s+LIMIT\s+\d{1,9}\s*",
    re.IGNORECASE,
)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
MAX_DEGREE = 1000  # triples of the subject (in all graphs) answered in-process at most


@dataclass(frozen=True)
class PointLookup:
    subject: str
    predicate: str | None  # None: a variable


def _absolute(tok: Token) -> str | None:
    if tok.kind != "iri":
        return None
    iri = tok.text[1:-1]
    return iri if ":" in iri else None  # a relative IRI depends on BASE: not here


def point_lookup(query: str, toks: Sequence[Token] | None = None) -> PointLookup | None:
    """The lookup's subject (and constant predicate), or None if ``query`` is anything else;
    ``toks``: the query's tokens when the caller has them (the guard's)."""
    if len(query) > 2000:
        return None
    toks = list(itertools.islice(tokens(query), 64)) if toks is None else list(toks[:64])
    if len(toks) == 64:
        return None
    i = 0
    if not toks or toks[0].keyword != "SELECT":
        return None
    i = 1
    if i < len(toks) and toks[i].keyword in ("DISTINCT", "REDUCED"):
        i += 1
    projected = 0
    while i < len(toks) and (toks[i].kind == "var" or toks[i].text == "*"):
        projected += 1
        i += 1
    if not projected:
        return None
    if i < len(toks) and toks[i].keyword == "WHERE":
        i += 1
    if i + 4 > len(toks) or toks[i].text != "{":
        return None
    s, p, o = toks[i + 1], toks[i + 2], toks[i + 3]
    subject = _absolute(s)
    if subject is None:
        return None
    if p.kind == "var":
        predicate = None
    elif p.kind == "name" and p.text == "a":
        predicate = RDF_TYPE
    else:
        predicate = _absolute(p)
        if predicate is None:
            return None
    if o.kind != "var" and _absolute(o) is None:
        return None
    i += 4
    if i < len(toks) and toks[i].text == ".":
        i += 1
    if i >= len(toks) or toks[i].text != "}":
        return None
    rest = query[toks[i].offset + 1 :]
    if not _MODIFIERS.fullmatch(rest):  # then only LIMIT n / OFFSET n
        return None
    try:
        ox.NamedNode(subject)
        if predicate:
            ox.NamedNode(predicate)
    except ValueError:
        return None
    return PointLookup(subject, predicate)


def bounded_degree(store: EmbeddedStore, lookup: PointLookup, cap: int = MAX_DEGREE) -> int:
    """How many quads match the lookup's subject (and predicate), counted up to ``cap + 1``."""
    predicate = ox.NamedNode(lookup.predicate) if lookup.predicate else None
    matches = store._store.quads_for_pattern(ox.NamedNode(lookup.subject), predicate, None)
    return sum(1 for _ in itertools.islice(matches, cap + 1))
