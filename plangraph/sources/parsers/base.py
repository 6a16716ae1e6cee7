"""Text cleaning shared by the parsers: HTML fragments, stray marks, whitespace."""

from __future__ import annotations

import html
import re

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
