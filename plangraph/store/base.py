"""What every store offers the rest of the code: :class:`Store`, and its one query path.

A store is the embedded one (:class:`plangraph.store.embedded.EmbeddedStore`, pyoxigraph in
memory) or a remote SPARQL 1.1 server (:class:`plangraph.store.remote.RemoteStore`). Each
says only how it answers a query (:meth:`Store._answer`: bind the parameters, run, return
the boolean, solutions or triples); :meth:`Store.query` and :meth:`Store.select` are written
once here, so both stores give the same formats, row cap and errors.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

from plangraph.errors import QueryError
from plangraph.store.bindings import BindingValue
from plangraph.store.results import Answer, QueryOutput, Solutions, answer_output, check_formats

_SYNTAX_POSITION = re.compile(r"error at (\d+):(\d+):?\s*")


def syntax_error(exc: SyntaxError, sparql: str) -> QueryError:
    """A QueryError with the parser's message, its line and the character offset."""
    message = str(exc)
    m = _SYNTAX_POSITION.match(message)
    if not m:
        return QueryError(f"malformed query: {message}", param="query")
    line, col = int(m.group(1)), int(m.group(2))
    lines = sparql.split("\n")
    offset = sum(len(x) + 1 for x in lines[: line - 1]) + col - 1
    detail = message[m.end() :].replace("\n", " ")
    return QueryError(
        f"malformed query at line {line}, column {col}: {detail}",
        param="query",
        line=line,
        position=offset,
    )


class Store(ABC):
    """What the rest of the code uses of a store: the embedded one or a remote SPARQL server.

    ``folder`` is the dataset folder the store was loaded from (None: not from a folder);
    ``extra_graphs`` the computed graphs added after loading (:meth:`add_graph`), by name.
    """

    build_id: str
    triples: int
    folder: Path | None
    extra_graphs: dict[str, bytes]

    @abstractmethod
    def graphs(self) -> frozenset[str]:
        """The IRIs of the dataset's named graphs."""

    @abstractmethod
    def add_graph(self, name: str, nquads_or_ntriples: bytes) -> bool:
        """Add a computed graph (the network metrics) unless it exists; True if added."""

    @abstractmethod
    def _answer(
        self,
        sparql: str,
        bindings: dict[str, BindingValue] | None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        *,
        only_select: bool = False,
    ) -> Answer:
        """Bind ``bindings`` into the query (as this store places them), run it and return
        its answer. ``only_select``: a store may refuse any other form before running it."""

    def query(
        self,
        sparql: str,
        fmt: str | Sequence[str] | None = None,
        *,
        bindings: dict[str, BindingValue] | None = None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        max_rows: int | None = None,
        max_bytes: int | None = None,
    ) -> QueryOutput:
        """Run a read-only query and serialise its result (SELECT/ASK or graph).

        ``fmt`` is a format name or a list of them in order of preference (see
        :data:`~plangraph.store.results.FORMAT_NAMES`); the first that applies to the result
        kind wins, else SPARQL JSON / Turtle. At most ``max_rows`` rows (or triples) are
        serialised, in a body of at most about ``max_bytes``.
        """
        formats = check_formats(fmt)
        answer = self._answer(sparql, bindings, default_graphs, named_graphs)
        return answer_output(answer, formats, max_rows, max_bytes)

    def select(
        self, sparql: str, bindings: dict[str, BindingValue] | None = None
    ) -> list[dict[str, str]]:
        """SELECT rows as plain dicts of variable -> lexical value (unbound left out).

        ``bindings`` pre-binds variables (an ``https://`` string binds an IRI, any other
        string a plain literal, an int an integer, :class:`~plangraph.store.bindings.Iri` /
        :class:`~plangraph.store.bindings.TypedLiteral` exactly that): values are never
        pasted into the text.
        """
        answer = self._answer(sparql, bindings, only_select=True)
        if not isinstance(answer, Solutions):
            raise QueryError("not a SELECT query", param="query")
        return answer.records()
