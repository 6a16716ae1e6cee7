"""Values decided in Python, the way pyshacl 0.40 decides them.

Where pyshacl's answer depends on rdflib's reading of a literal (sh:datatype well-formedness,
sh:pattern with Python's ``re``, comparisons of values that are not plain numbers), the
compiled queries only return the values they cannot decide for sure, and these functions
decide them; on the built dataset that is no value at all.
"""

from __future__ import annotations

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

# Lexical forms (as Oxigraph stores them) that rdflib certainly reads as a well-formed value
# of the datatype, so that pyshacl accepts them; other literals of the datatype are decided
# in Python. xsd:gYear: rdflib does not read it at all and pyshacl accepts any lexical form.
_YEAR = "([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
SURELY_WELL_FORMED = {
    XSD.integer: 'REGEX(STR(?v), "^-?[0-9]+$")',
    XSD.decimal: 'REGEX(STR(?v), "^-?[0-9]+(\\\\.[0-9]+)?$")',
    XSD.boolean: 'REGEX(STR(?v), "^(true|false)$")',
    XSD.date: f'(REGEX(STR(?v), "^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}$") && '
    "COALESCE(sameTerm(DATATYPE(xsd:date(STR(?v))), xsd:date), false))",
    XSD.gYear: "true",
    XSD.string: "true",
    RDF.langString: "true",
}


def datatype_ok(v: object, dtype: URIRef) -> bool:
    if not isinstance(v, Literal):
        return False
    if v.datatype == dtype:
        if getattr(v, "ill_typed", None) is True:
            return False
        return _actual_datatype(v, dtype)
    if dtype == RDFS.Literal:
        return True
    if dtype == RDFS.Datatype and v.datatype:
        return True
    if v.datatype is None and v.language is None and dtype == XSD.string:
        return _actual_datatype(v, dtype)
    if dtype == RDF.langString and v.language:
        return _actual_datatype(v, dtype)
    return False


def _actual_datatype(v: Literal, dtype: URIRef) -> bool:
    from datetime import date, datetime, time
    from decimal import Decimal

    value = v.value
    types: dict[URIRef, type | tuple[type, ...]] = {
        XSD.string: (str, bytes),
        RDF.langString: (str, bytes),
        XSD.integer: int,
        XSD.float: float,
        XSD.decimal: Decimal,
        XSD.boolean: bool,
        XSD.date: date,
        XSD.time: time,
        XSD.dateTime: datetime,
    }
    expected = types.get(dtype)
    return True if expected is None else isinstance(value, expected)


def string_of(v: object) -> str:
    if isinstance(v, Literal) and v.value is not None and v.datatype in (None, RDF.langString):
        return str(v.value)
    if isinstance(v, Literal) and v.value is not None and v.datatype == XSD.string:
        return str(v.value)
    return str(v)


def range_ok(v: object, bound: Literal, op: str) -> bool:
    from pyshacl.rdfutil.compare import compare_literal

    if not isinstance(v, Literal):
        return False
    bound_is_string = isinstance(bound.value, str)
    v_is_string = isinstance(v.value, str)
    if bound_is_string != v_is_string:
        return False
    try:
        cmp = compare_literal(v, bound)
    except (TypeError, NotImplementedError):
        return False
    return {">=": cmp >= 0, ">": cmp > 0, "<=": cmp <= 0, "<": cmp < 0}[op]


def ltoe_violates(v: object, other: object) -> bool:
    """pyshacl's sh:lessThanOrEquals test of one pair (True: a result)."""
    if isinstance(v, BNode) or isinstance(other, BNode):
        raise ValueError("sh:lessThanOrEquals cannot compare a blank node (pyshacl raises too)")

    def plain(term: object) -> tuple[object, bool]:
        if isinstance(term, URIRef):
            return str(term), True
        if isinstance(term, Literal) and isinstance(term.value, str):
            return term.value, True
        return term, False

    a, a_str = plain(v)
    b, b_str = plain(other)
    if a_str != b_str:
        return True
    return not a <= b  # type: ignore[operator]
