"""Request values bound into a query: never pasted into its text.

A value becomes one engine term (:func:`bind_values`): an :class:`Iri`, a
:class:`TypedLiteral`, an ``int`` (xsd:integer), a ``bool`` (xsd:boolean), an ``http(s)://``
string (an IRI) or any other string (a plain literal), in a ``VALUES`` clause.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from plangraph.errors import QueryError
from plangraph.store.guard import query_form, tokens

XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class Iri:
    """A parameter value to bind as an IRI."""

    value: str


@dataclass(frozen=True)
class TypedLiteral:
    """A parameter value to bind as a literal with a datatype (e.g. xsd:gYear)."""

    lexical: str
    datatype: str


BindingValue = str | int | Iri | TypedLiteral


def _term(value: BindingValue) -> ox.NamedNode | ox.Literal:
    if isinstance(value, Iri):
        return ox.NamedNode(value.value)
    if isinstance(value, TypedLiteral):
        return ox.Literal(value.lexical, datatype=ox.NamedNode(value.datatype))
    if isinstance(value, bool):
        return ox.Literal(str(value).lower(), datatype=ox.NamedNode(XSD + "boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
    if value.startswith(("https://", "http://")):
        return ox.NamedNode(value)
    return ox.Literal(value)


def bind_values(
    sparql: str, bindings: dict[str, BindingValue], *, first_in_where: bool = False
) -> str:
    """The query with a trailing ``VALUES`` clause binding each variable to one term.

    Terms are built by the engine's own term types (which validate IRIs and escape
    literals), so a request value can never change the query's structure. A trailing VALUES
    joins with the solutions of the WHERE clause (after grouping), so a bound variable must
    be visible at the query's outer level.
    """
    if not bindings:
        return sparql
    names = []
    for name in bindings:
        if not name.isidentifier():
            raise QueryError(f"bad parameter name {name!r}", param=name)
        names.append(f"?{name}")
    terms = []
    for name, value in bindings.items():
        try:
            terms.append(str(_term(value)))
        except ValueError as exc:
            raise QueryError(f"bad parameter value: {exc}", param=name) from None
    values = f"VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"
    where = _where_brace(sparql) if first_in_where else _graph_form_where(sparql)
    if where is not None:
        return f"{sparql[: where + 1]}\n  {values}\n{sparql[where + 1 :]}"
    return f"{sparql.rstrip()}\n{values}\n"


def _where_brace(sparql: str) -> int | None:
    """The offset of the ``{`` opening the outermost WHERE clause."""
    seen_where = False
    for tok in tokens(sparql):
        if tok.keyword == "WHERE":
            seen_where = True
        elif seen_where and tok.text == "{":
            return tok.offset
    return None


def _graph_form_where(sparql: str) -> int | None:
    """For CONSTRUCT / DESCRIBE: the offset of the ``{`` opening the WHERE clause.

    A graph-form query has no outer projection or grouping, so its trailing VALUES means
    the same as a VALUES block first in its WHERE clause; the second is the portable
    spelling (Virtuoso 7.2 accepts a trailing VALUES only after SELECT), so both stores
    bind graph-form queries there.
    """
    if query_form(sparql) not in ("construct", "describe"):
        return None
    return _where_brace(sparql)
