"""What every store offers the rest of the code: the :class:`Store` protocol.

A store is the embedded one (:class:`plangraph.store.embedded.EmbeddedStore`, pyoxigraph in
memory) or a remote SPARQL 1.1 server (:class:`plangraph.store.remote.RemoteStore`); both
answer the same queries with the same formats, errors and row cap.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from plangraph.errors import QueryError
from plangraph.store.bindings import BindingValue
from plangraph.store.results import QueryOutput

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


class Store(Protocol):
    """What the rest of the code uses of a store: the embedded one or a remote SPARQL server."""

    build_id: str
    triples: int
    folder: Path | None

    def graphs(self) -> frozenset[str]: ...

    def query(
        self,
        sparql: str,
        fmt: str | Sequence[str] | None = None,
        *,
        bindings: dict[str, BindingValue] | None = None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        max_rows: int | None = None,
    ) -> QueryOutput: ...

    def select(
        self, sparql: str, bindings: dict[str, BindingValue] | None = None
    ) -> list[dict[str, str]]: ...
