"""Safety checks on a SPARQL request before it reaches the engine.

A small tokenizer (it skips comments, string literals and IRIs, so ``"DROP"`` or
``<http://x/load>`` never trigger anything) finds:

- SPARQL Update operations (INSERT, DELETE, CLEAR, DROP, CREATE, ADD, MOVE, COPY, WITH):
  refused with 403, the endpoint is read-only;
- LOAD, SERVICE, and FROM / FROM NAMED with an IRI that is not one of the dataset's own
  graphs: refused with 400, the endpoint never fetches remote data;
- the same for the protocol's ``default-graph-uri`` / ``named-graph-uri`` parameters.

It runs on every query, so it is one regular-expression scan, no parsing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

from plangraph.errors import QueryError, QueryRefused

UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)
FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")

_PN = r"[A-Za-z0-9_\u00B7-\uFFFF\-.%\\]"
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$]"""
    + _PN
    + r"""+)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<name>(?:[A-Za-z_\u00C0-\uFFFF]"""
    + _PN
    + r"""*)?:"""
    + _PN
    + r"""*|[A-Za-z_\u00C0-\uFFFF]"""
    + _PN
    + r"""*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str  # "iri", "name" (keyword or prefixed name), "string", "var", "lang", "other"
    text: str
    offset: int

    @property
    def keyword(self) -> str | None:
        """The upper-cased keyword, for a bare word (not a prefixed name)."""
        if self.kind == "name" and ":" not in self.text:
            return self.text.upper()
        return None


def tokens(query: str) -> Iterator[Token]:
    """The significant tokens of a query (whitespace and comments left out)."""
    for m in _TOKEN.finditer(query):
        kind = m.lastgroup or "other"
        if kind in ("space", "comment"):
            continue
        yield Token(kind, m.group(), m.start())


def query_form(query: str) -> str | None:
    """``"select"``, ``"ask"``, ``"construct"`` or ``"describe"``: the first form keyword."""
    for tok in tokens(query):
        if tok.keyword in FORMS:
            return tok.keyword.lower()
    return None


def has_dataset_clause(query: str) -> bool:
    """Whether the query names its own dataset (FROM / FROM NAMED)."""
    if "from" not in query.lower():  # no such keyword: no pass over the tokens (issue 21)
        return False
    return any(tok.keyword == "FROM" for tok in tokens(query))


def _line_col(query: str, offset: int) -> tuple[int, int]:
    line = query.count("\n", 0, offset) + 1
    return line, offset - (query.rfind("\n", 0, offset) + 1) + 1


@dataclass(frozen=True)
class Guard:
    """The checks for one dataset: ``graphs`` are its own graph IRIs, the only ones allowed."""

    graphs: frozenset[str]
    max_length: int = 20_000

    def _error(self, cls: type[QueryError], query: str, offset: int, message: str) -> QueryError:
        line, col = _line_col(query, offset)
        return cls(f"{message} (line {line}, column {col})", param="query", position=offset)

    def check(self, query: str) -> list[Token]:
        """Raise :class:`QueryRefused` (403) or :class:`QueryError` (400) for a refused query;
        else its tokens, for the caller's other decisions (one pass over the text)."""
        if len(query) > self.max_length:
            raise QueryError(
                f"query is {len(query)} characters long; the limit is {self.max_length}",
                param="query",
            )
        toks = list(tokens(query))
        try:
            self._check_tokens(query, toks)
        except ValueError as exc:  # an IRI urllib cannot join ("Invalid IPv6 URL")
            offset = next((t.offset for t in toks if t.kind == "iri"), 0)
            for t in toks:
                if t.kind == "iri":
                    try:
                        urljoin("http://x/", t.text[1:-1])
                    except ValueError:
                        offset = t.offset
                        break
            raise self._error(QueryError, query, offset, f"malformed IRI: {exc}") from None
        return toks

    def _check_tokens(self, query: str, toks: list[Token]) -> None:
        prefixes: dict[str, str] = {}
        base = ""
        for i, tok in enumerate(toks):
            kw = tok.keyword
            if kw is None:
                continue
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if kw == "PREFIX" and nxt is not None and i + 2 < len(toks):
                if toks[i + 2].kind == "iri":
                    prefixes[nxt.text.rstrip(":")] = urljoin(base, toks[i + 2].text[1:-1])
            elif kw == "BASE" and nxt is not None and nxt.kind == "iri":
                base = urljoin(base, nxt.text[1:-1])
            elif kw == "LOAD":
                raise self._error(
                    QueryError,
                    query,
                    tok.offset,
                    "LOAD is refused: this endpoint is read-only and never fetches remote data",
                )
            elif kw in UPDATE_KEYWORDS:
                raise self._error(
                    QueryRefused,
                    query,
                    tok.offset,
                    f"SPARQL Update ({kw}) is refused: this endpoint is read-only",
                )
            elif kw == "SERVICE":
                raise self._error(
                    QueryError,
                    query,
                    tok.offset,
                    "SERVICE is refused: this endpoint never sends queries to other endpoints",
                )
            elif kw == "FROM":
                j = i + 1
                if nxt is not None and nxt.keyword == "NAMED":
                    j += 1
                target = toks[j] if j < len(toks) else None
                if target is None:
                    continue
                iri = self._resolve(target, prefixes, base)
                if iri not in self.graphs:
                    shown = iri if iri is not None else target.text
                    raise self._error(
                        QueryError,
                        query,
                        target.offset,
                        f"FROM <{shown}> is refused: not a graph of this dataset "
                        "(its graphs are https://w3id.org/plangraph/graph/...); "
                        "this endpoint never fetches remote data",
                    )

    @staticmethod
    def _resolve(tok: Token, prefixes: dict[str, str], base: str) -> str | None:
        if tok.kind == "iri":
            return urljoin(base, tok.text[1:-1])
        if tok.kind == "name" and ":" in tok.text:
            prefix, _, local = tok.text.partition(":")
            if prefix in prefixes:
                return prefixes[prefix] + local
        return None

    def check_dataset(self, default_graphs: Iterable[str], named_graphs: Iterable[str]) -> None:
        """Refuse protocol ``default-graph-uri`` / ``named-graph-uri`` values that are foreign."""
        for param, values in (
            ("default-graph-uri", default_graphs),
            ("named-graph-uri", named_graphs),
        ):
            for iri in values:
                if iri not in self.graphs:
                    raise QueryError(
                        f"<{iri}> is refused: not a graph of this dataset "
                        "(its graphs are https://w3id.org/plangraph/graph/...); "
                        "this endpoint never fetches remote data",
                        param=param,
                    )
