"""Source spans: the lines of a source document a fact was read from, as links.

A span's IRI is ``{ID_BASE}source/{document}/lines/{start}-{end}``; its page is the source
document with those lines marked (``/sources/{document}?lines=12-16#L12``), whose ``lines``
parameter :func:`parse_line_range` reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from plangraph.errors import QueryError
from plangraph.views.cells import group_values
from plangraph.views.links import tail

_SPAN = re.compile(r"^source/([A-Za-z0-9][A-Za-z0-9.\-]*)/lines/(\d+)-(\d+)$")
_LINES = re.compile(r"^(\d{1,7})(?:-(\d{1,7}))?$")


@dataclass(frozen=True)
class Span:
    iri: str
    document: str
    start: int
    end: int

    @property
    def href(self) -> str:
        return f"/sources/{self.document}?lines={self.start}-{self.end}#L{self.start}"

    @property
    def label(self) -> str:
        lines = f"line {self.start}" if self.start == self.end else f"lines {self.start}–{self.end}"
        return f"{self.document}, {lines}"

    def to_json(self) -> dict[str, Any]:
        return {
            "uri": self.iri,
            "document": self.document,
            "startLine": self.start,
            "endLine": self.end,
            "href": self.href,
        }


def parse_span(iri: str) -> Span | None:
    """The span a span IRI names; None for any other IRI."""
    m = _SPAN.match(tail(iri, ""))
    if not m:
        return None
    return Span(iri, m.group(1), int(m.group(2)), int(m.group(3)))


def spans(value: str | Iterable[str] | None) -> list[Span]:
    """The spans among IRIs (a ``GROUP_CONCAT`` cell or an iterable), in document order."""
    items = group_values(value) if isinstance(value, str | None) else list(value)
    found = [s for s in (parse_span(i) for i in items) if s is not None]
    return sorted(found, key=lambda s: (s.document, s.start, s.end))


def parse_line_range(text: str | None, line_count: int) -> tuple[int, int] | None:
    """``"12-16"`` or ``"12"`` -> (12, 16) / (12, 12), checked against the document."""
    if text is None or text == "":
        return None
    m = _LINES.match(text.strip())
    if not m:
        raise QueryError(f"lines must look like '12' or '12-16', not {text!r}", param="lines")
    start = int(m.group(1))
    end = int(m.group(2) or start)
    if not 1 <= start <= end <= line_count:
        raise QueryError(
            f"lines {start}-{end} are outside the document (1-{line_count})", param="lines"
        )
    return start, end
