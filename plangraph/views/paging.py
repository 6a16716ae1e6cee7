"""Pages of a list (limit and offset) and lists as CSV, for the REST API and the search."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from plangraph.errors import QueryError

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


def window(
    limit: int | None,
    offset: int | None,
    *,
    default: int = DEFAULT_LIMIT,
    least: int = 1,
    most: int = MAX_LIMIT,
) -> tuple[int, int]:
    """A request's ``limit`` and ``offset`` (``default`` and 0 when not given), checked."""
    limit = default if limit is None else limit
    offset = 0 if offset is None else offset
    if not least <= limit <= most:
        raise QueryError(f"limit must be between {least} and {most}", param="limit")
    if offset < 0:
        raise QueryError("offset must not be negative", param="offset")
    return limit, offset


class Paged:
    """Where the pages next to a page start: a page of ``limit`` items from ``offset``, of
    ``total`` in all."""

    total: int
    limit: int
    offset: int

    @property
    def next_offset(self) -> int | None:
        nxt = self.offset + self.limit
        return nxt if nxt < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None


@dataclass(frozen=True)
class Page(Paged):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


def paginate(items: Sequence[dict[str, Any]], limit: int | None, offset: int | None) -> Page:
    limit, offset = window(limit, offset)
    return Page(list(items[offset : offset + limit]), len(items), limit, offset)


def csv_cell(value: Any, *, span_lines: bool = False) -> str:
    """One value as a CSV cell: lists joined with '; ', objects by their id, label or URI
    (a source span as ``document:start-end`` with ``span_lines``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        if span_lines and "document" in value:
            return f"{value['document']}:{value['startLine']}-{value['endLine']}"
        return str(value.get("id") or value.get("label") or value.get("uri") or "")
    if isinstance(value, list):
        return "; ".join(csv_cell(v, span_lines=span_lines) for v in value)
    return str(value)


def to_csv(
    items: Iterable[Mapping[str, Any]], columns: Sequence[str], *, span_lines: bool = False
) -> str:
    """Rows as CSV (RFC 4180, CRLF), one column per name in ``columns`` (see :func:`csv_cell`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for item in items:
        writer.writerow([csv_cell(item.get(c), span_lines=span_lines) for c in columns])
    return out.getvalue()
