"""The lexicon of equivalent phrases (data/overlaps/lexicon.yaml) and its matcher.

Each entry names one unit of fundable work and the phrases plans use for it ("identification
form" = "interview form" = "screening form"). :meth:`Lexicon.match` returns, for a text, the
entries it matches with the phrases *as printed* in the text (never a stem), so the overlap
detector can both count a shared entry as similarity and show the words to the reader.

An entry marked ``partner`` is one partnership's own instrument (its plan of action, its
agreement): it matches only together with the parties concerned, so the review of the
China-Cambodia MOU and the review of the Viet Nam-Cambodia agreement are not the same work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from plangraph.errors import CurationError
from plangraph.sources.yamlfile import read_yaml

LEXICON_NAME = "lexicon.yaml"  # in ProjectPaths.overlaps (data/overlaps/)

# The countries of the plans, by the names the texts use (for partner-specific entries).
COUNTRY_NAMES: dict[str, str] = {
    r"\bcambodia\w*|\bkhmer\b": "khm",
    r"\bviet ?nam\w*": "vnm",
    r"\bchina\b|\bchinese\b": "chn",
    r"\bthailand\b|\bthai\b": "tha",
    r"\blao\b|\blaos\b": "lao",
    r"\bmyanmar\b": "mmr",
}
_COUNTRIES = [(re.compile(p), code) for p, code in COUNTRY_NAMES.items()]


@dataclass(frozen=True)
class Entry:
    id: str
    phrases: tuple[tuple[re.Pattern[str], ...], ...]  # each: all must occur
    partner: bool
    reason: str


@dataclass(frozen=True)
class Match:
    entry: str  # the entry id, with "@khm+vnm" for a partner-specific entry
    words: tuple[str, ...]  # the matched phrases as printed in the text


def normalise(text: str) -> str:
    return " ".join(text.split())


def countries(text: str) -> frozenset[str]:
    """Parties a text names (ISO 3166-1 alpha-3, lower case)."""
    lower = normalise(text).lower()
    return frozenset(code for p, code in _COUNTRIES if p.search(lower))


class Lexicon:
    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries

    def without(self, ids: Iterable[str]) -> Lexicon:
        """The lexicon less the entries ``ids`` (the benchmark's leave-kinds-out check)."""
        drop = set(ids)
        return Lexicon([e for e in self.entries if e.id not in drop])

    def match(self, text: str, parties: frozenset[str] = frozenset()) -> list[Match]:
        """Entries whose phrases occur in ``text``, each with the phrases as printed.

        ``parties`` are the parties a partner-specific entry is about when the text names no
        country (the step's plan's parties)."""
        printed = normalise(text)
        lower = printed.lower()  # same length: offsets map back to the printed text
        out = []
        for e in self.entries:
            words: set[str] = set()
            for parts in e.phrases:
                hits = [p.search(lower) for p in parts]
                if all(hits):
                    words.update(printed[h.start() : h.end()] for h in hits if h)
            if not words:
                continue
            key = e.id
            if e.partner:
                named = countries(text) | (parties if len(parties) == 2 else frozenset())
                if len(named) < 2 and parties:
                    named |= parties
                key = f"{e.id}@{'+'.join(sorted(named))}"
            out.append(Match(key, tuple(sorted(w for w in words if w.strip()))))
        return out


def load_lexicon(path: Path) -> Lexicon:
    """Read the lexicon file; a malformed entry raises :class:`CurationError` (file, line)."""
    raw, lines = read_yaml(path, CurationError, "overlap lexicon is missing")
    if not isinstance(raw, dict) or not isinstance(raw.get("entries"), list):
        raise CurationError("expected a mapping with a list 'entries'", file=path, line=lines.root)
    entries: list[Entry] = []
    seen: set[str] = set()
    for i, e in enumerate(raw["entries"]):
        line = lines.of(raw["entries"], i)
        if not isinstance(e, dict) or set(e) - {"id", "phrases", "partner", "reason"}:
            raise CurationError(f"entry {i}: unexpected keys", file=path, line=line)
        eid = str(e.get("id", ""))
        reason = " ".join(str(e.get("reason", "")).split())
        phrases = e.get("phrases")
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", eid) or eid in seen:
            raise CurationError(f"entry {i}: id {eid!r} is no unique slug", file=path, line=line)
        if not reason or not isinstance(phrases, list) or not phrases:
            raise CurationError(f"entry {eid}: needs phrases and a reason", file=path, line=line)
        seen.add(eid)
        compiled = []
        for phrase in phrases:
            parts = phrase if isinstance(phrase, list) else [phrase]
            try:
                compiled.append(tuple(re.compile(str(p)) for p in parts))
            except re.error as err:
                raise CurationError(
                    f"entry {eid}: bad expression {parts!r}: {err}", file=path, line=line
                ) from None
        entries.append(Entry(eid, tuple(compiled), bool(e.get("partner", False)), reason))
    return Lexicon(entries)
