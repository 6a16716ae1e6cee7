"""Curation entries (data/curation/*.yaml): reviewed decisions where a text is unreadable.

Each entry is a mapping::

    - id: npa-3.1.2-number          # stable, unique across all files
      document: khm-npa-2011-2013   # document slug
      lines: [512, 513]             # the lines it is about (1-based, inclusive)
      expect: "3.1.2. Provide"      # text that must still be on those lines (drift guard)
      decision: read the number as 3.1.3
      reason: the sequence inside group 3.1 goes 3.1.1, 3.1.2, 3.1.2, 3.1.4
      value: "3.1.3"                # optional: the value the parser uses

A parser asks for an entry by id; the entry must exist and its ``expect`` text must occur
on its lines, so a changed source cannot silently keep an outdated decision.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plangraph.errors import CurationError
from plangraph.sources.yamlfile import Reading, read_yaml, wrong_types


@dataclass(frozen=True)
class Curation:
    id: str
    document: str
    start_line: int
    end_line: int
    expect: str
    decision: str
    reason: str
    value: Any
    file: Path
    line: int | None = field(default=None, compare=False)  # of the entry in ``file``


class Curations:
    def __init__(self, entries: dict[str, Curation]) -> None:
        self._entries = entries

    def __iter__(self) -> Iterator[Curation]:
        return iter(sorted(self._entries.values(), key=lambda c: (c.document, c.start_line, c.id)))

    def __len__(self) -> int:
        return len(self._entries)

    def get(
        self,
        entry_id: str,
        lines: list[str] | None = None,
        needed_at: tuple[Path, int] | None = None,
    ) -> Curation:
        """The entry; with the document's lines, also check its ``expect`` text is there.

        ``needed_at``: the source file and line the parser needs the entry for, where a
        missing entry is reported (no curation file has a line for it)."""
        try:
            entry = self._entries[entry_id]
        except KeyError:
            if needed_at is not None:
                raise CurationError(
                    f"curation entry {entry_id!r}, needed here, is in no file of data/curation/",
                    file=needed_at[0],
                    line=needed_at[1],
                ) from None
            raise CurationError(
                f"no curation entry {entry_id!r} in any file", file="data/curation/"
            ) from None
        if lines is not None:
            window = "\n".join(lines[entry.start_line - 1 : entry.end_line])
            if entry.expect not in window:
                raise CurationError(
                    f"curation {entry_id!r} expects {entry.expect!r} on lines "
                    f"{entry.start_line}-{entry.end_line} of {entry.document}; the text changed",
                    file=entry.file,
                    line=entry.line,
                )
        return entry

    def for_document(self, document: str) -> list[Curation]:
        return [c for c in self if c.document == document]


def load_curations(folder: Path) -> Curations:
    """:func:`_load_curations`; a value of the wrong type anywhere in the YAML (a list where a
    string belongs, a number where a list does) is a CurationError naming the folder, never a
    crash."""
    with wrong_types(CurationError, "curation files", folder) as reading:
        return _load_curations(folder, reading)


def _load_curations(folder: Path, reading: Reading) -> Curations:
    entries: dict[str, Curation] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "themes.yaml":  # theme corrections: plangraph.analysis.themes reads them
            continue
        raw, where = read_yaml(path, CurationError, "curation file is missing")
        raw = raw or []
        if not isinstance(raw, list):
            raise CurationError("expected a list of entries", file=path, line=where.root)
        for i, e in enumerate(raw):
            at = where.of(raw, i)  # the line the entry starts on
            reading.entry(at, path)
            if not isinstance(e, dict):
                raise CurationError(f"entry {i}: expected a mapping, not {e!r}", file=path, line=at)
            missing = [
                k
                for k in ("id", "document", "lines", "expect", "decision", "reason")
                if not e.get(k)
            ]
            if missing:
                raise CurationError(f"entry {i}: missing {', '.join(missing)}", file=path, line=at)
            if not isinstance(e["id"], str):
                raise CurationError(
                    f"entry {i}: 'id' must be a string", file=path, line=where.of(e, "id")
                )
            if e["id"] in entries:
                raise CurationError(
                    f"duplicate curation id {e['id']!r}", file=path, line=where.of(e, "id")
                )
            lines = e["lines"] if isinstance(e["lines"], list) else [e["lines"], e["lines"]]
            if not lines or not all(isinstance(n, int) and n >= 1 for n in lines):
                raise CurationError(
                    f"entry {i} ({e['id']}): lines must be a line number or [first, last], "
                    f"not {e['lines']!r}",
                    file=path,
                    line=where.of(e, "lines"),
                )
            entries[e["id"]] = Curation(
                id=e["id"],
                document=e["document"],
                start_line=int(lines[0]),
                end_line=int(lines[-1]),
                expect=str(e["expect"]),
                decision=str(e["decision"]),
                reason=str(e["reason"]),
                value=e.get("value"),
                file=path,
                line=at,
            )
    return Curations(entries)
