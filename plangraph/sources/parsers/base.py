"""What every parser shares: its document's lines, spans of them, errors at a line, the line a
pattern is first found on, the curation entries checked against the text, and text cleaning
(HTML fragments, stray marks, whitespace, uncertainty marks)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

from plangraph.errors import SourceError
from plangraph.sources.catalog import Document
from plangraph.sources.curation import Curation, Curations
from plangraph.sources.model import SourceSpan


class DocumentReader:
    """One source document as a parser reads it: its lines (index 0 is line 1, after the
    checksum check) and the curation entries, and what the parser makes of them."""

    def __init__(self, document: Document, curations: Curations) -> None:
        self.doc = document
        self.curations = curations
        self.lines = document.read_lines()

    def line(self, n: int) -> str:
        """The text of line ``n`` (1-based)."""
        return self.lines[n - 1]

    def span(self, start: int, end: int | None = None) -> SourceSpan:
        """Lines ``start``..``end`` (1-based, inclusive; one line without ``end``)."""
        return SourceSpan(self.doc.slug, start, end if end is not None else start)

    def error(self, message: str, line: int) -> SourceError:
        """The error to raise when the text is not what the parser expects at ``line``."""
        return SourceError(message, file=self.doc.path, line=line)

    def first_line(
        self, matches: Callable[[str], object], start: int = 1, end: int | None = None
    ) -> int | None:
        """The first line in ``start``..``end`` (1-based, inclusive; to the last line without
        ``end``) whose text ``matches`` (a predicate, e.g. a pattern's ``search``), or None."""
        last = len(self.lines) if end is None else end
        return next((n for n in range(start, last + 1) if matches(self.lines[n - 1])), None)

    def find(self, pattern: str, start: int, end: int, what: str) -> int:
        """The first line in ``start``..``end`` that ``pattern`` is found on; an error at
        ``start`` naming ``what`` if there is none."""
        n = self.first_line(re.compile(pattern).search, start, end)
        if n is None:
            raise self.error(f"expected {what} between lines {start} and {end}", start)
        return n

    def curation(self, entry_id: str, needed_at: int | None = None) -> Curation:
        """A curation entry, its ``expect`` text checked on these lines. A missing entry is
        reported at line ``needed_at`` of the document where given (no curation file has a
        line for it)."""
        at: tuple[Path, int] | None = None if needed_at is None else (self.doc.path, needed_at)
        return self.curations.get(entry_id, self.lines, needed_at=at)


_TAG = re.compile(r"<[^>]*>")
_WS = re.compile(r"\s+")
_KHMER = re.compile(r"[\u1780-\u17FF\u19E0-\u19FF]+")

# Lines that are conversion noise, not content: scanner marks, signatures, lone letters.
NOISE_LINE = re.compile(
    r"^\s*(?:R|\[Signature\]|\[Handwritten mark\]|Signature and Seal|the state of the s"
    r"|[-–·•]+)?\s*$",
    re.IGNORECASE,
)


def strip_html(value: str) -> str:
    """Remove HTML tags and decode entities; list items become separate lines of text."""
    value = re.sub(r"</?(?:p|li|br|ul|ol)\b[^>]*>", " ", value, flags=re.IGNORECASE)
    return html.unescape(_TAG.sub(" ", value))


def clean(value: str) -> str:
    """Strip HTML, markdown emphasis and collapse whitespace; keep every word."""
    value = strip_html(value)
    value = value.replace("**", "")
    return _WS.sub(" ", value).strip()


def has_khmer(value: str) -> bool:
    return bool(_KHMER.search(value))


def is_noise_line(value: str) -> bool:
    """True for lines that carry no content (stray marks, empty, Khmer-only)."""
    stripped = clean(_KHMER.sub("", value))
    return bool(NOISE_LINE.match(stripped))


def uncertain_marks(value: str) -> tuple[str, bool]:
    """Remove '??'/'?' uncertainty marks at word ends; return (text, was_marked).

    Only marks that end a word or stand alone count; a question ending in '?' inside a
    sentence is not a mark in these tables (none occur), so every trailing '?' is taken.
    """
    marked = "?" in value
    return re.sub(r"\s*\?+", "", value).strip(), marked
