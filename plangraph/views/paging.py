"""Pages of a list (limit and offset) and lists as CSV, for the REST API."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from plangraph.errors import QueryError

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
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


def paginate(items: Sequence[dict[str, Any]], limit: int | None, offset: int | None) -> Page:
    limit = DEFAULT_LIMIT if limit is None else limit
    offset = 0 if offset is None else offset
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}", param="limit")
    if offset < 0:
        raise QueryError("offset must not be negative", param="offset")
    return Page(list(items[offset : offset + limit]), len(items), limit, offset)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return str(value.get("id") or value.get("label") or value.get("uri") or "")
    if isinstance(value, list):
        return "; ".join(_cell(v) for v in value)
    return str(value)


def to_csv(items: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV (RFC 4180, CRLF); lists joined with '; ', objects by their id or label."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for item in items:
        writer.writerow([_cell(item.get(c)) for c in columns])
    return out.getvalue()
