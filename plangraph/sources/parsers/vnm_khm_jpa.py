"""Parser for the Viet Nam–Cambodia Joint Plan of Action 2020-2022 (layout ``vnm-khm-jpa``).

The text is a tab-separated table: Objective | Activities | Outputs | Agencies in charge |
2020 | 2021 | 2022, under "Area N:" rows. The PDF conversion broke it in three ways, each
handled here:

* rows split across page breaks: the rest of the row follows on a later line whose cells
  start with no number; its cells are appended to the open row, column by column;
* from page 3 on some rows lost their (empty) Objective cell: 6-cell rows are re-aligned
  by putting an empty cell in front;
* the Agencies column is a merged cell per objective in the original: a blank agencies
  cell under a filled one of the same objective is read as that merged cell (flag
  ``agencies-from-merged-cell``), and a continuation that does not start a new country
  entry ("Rehabilitation (...)") continues the last filled agencies cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plangraph.sources.catalog import Document
from plangraph.sources.curation import Curations
from plangraph.sources.model import (
    ROLE_RESPONSIBLE,
    ROLE_SUPPORT,
    Activity,
    AgencyMention,
    Commitment,
    Output,
    Plan,
    Section,
    SourceSpan,
)
from plangraph.sources.parsers.base import DocumentReader, clean, is_noise_line

HEADER = ("Objective", "Activities", "Outputs", "Agencies in charge")
YEARS = (2020, 2021, 2022)
_AREA = re.compile(r"^Area (\d+):\s*(.+)$")
_OBJECTIVE = re.compile(r"^(\d+\.\d+)\.\s+(.*)$")
_ACTIVITY = re.compile(r"^(\d+\.\d+\.\d+)\.?\s+(.*)$")
_COUNTRY = re.compile(r"-\s*(Viet Nam|Cambodia)\s*:\s*")
_PARTY = {"Viet Nam": "vnm", "Cambodia": "khm"}
# Bodies listed in one country entry are separated by ";" or by " and " before these names.
_SPLIT_AND = re.compile(r"\s+and\s+(?=COMMIT Task Force|Women' Union)")
_COORDINATES = re.compile(r"\s+coordinates with\s+")
CATCH_ALL = "competent authorities concerned"


@dataclass
class _Cell:
    text: str = ""
    start: int = 0
    end: int = 0

    def add(self, value: str, line: int) -> None:
        value = clean(value)
        if not value:
            return
        self.text = f"{self.text} {value}".strip()
        self.start = self.start or line
        self.end = line


@dataclass
class _Row:
    number: str
    objective: str
    line: int
    last_line: int
    activity: _Cell = field(default_factory=_Cell)
    output: _Cell = field(default_factory=_Cell)
    agencies: _Cell = field(default_factory=_Cell)
    years: list[int] = field(default_factory=list)
    inherited_agencies: bool = False


def _cells(line: str) -> list[str]:
    cells = line.split("\t")
    if len(cells) == 6:  # the Objective cell was dropped by the conversion
        cells = ["", *cells]
    if len(cells) != 7:
        return []
    return [clean(c) for c in cells]


def _bullets(text: str) -> list[str]:
    """Split an outputs cell at its "- " bullets ("+ " sub-bullets stay in their item)."""
    items = [i.strip() for i in re.split(r"(?:^|\s)-\s+(?=[A-Z])", text)]
    return [i for i in items if i]


def _split_agencies(cell: _Cell, src: DocumentReader) -> list[tuple[str, str | None, str]]:
    """(name, party, role) for each body named in an agencies cell."""
    text = cell.text
    if text.startswith("Depend on the area") and CATCH_ALL in text:
        return [(CATCH_ALL, "vnm", ROLE_RESPONSIBLE), (CATCH_ALL, "khm", ROLE_RESPONSIBLE)]
    parts = _COUNTRY.split(text)
    if len(parts) < 3 or parts[0].strip(" -"):
        raise src.error(
            f"agencies cell does not start with a country entry: {text[:60]!r}", cell.start
        )
    out: list[tuple[str, str | None, str]] = []
    for country, body in zip(parts[1::2], parts[2::2], strict=True):
        party = _PARTY[country]
        for chunk in re.split(r";\s*", body.strip().rstrip(".")):
            for i, name in enumerate(_COORDINATES.split(chunk)):
                role = ROLE_RESPONSIBLE if i == 0 else ROLE_SUPPORT
                for piece in _SPLIT_AND.split(name):
                    piece = piece.strip().rstrip(".").strip()
                    if piece:
                        out.append((piece, party, role))
    return out


def _heading(
    sections: dict[str, Section],
    kind: str,
    m: re.Match[str],
    span: SourceSpan,
    parent: str | None = None,
) -> str:
    """Record the section of an "Area N: title" or "N.N. title" heading; its key."""
    key = f"{kind}-{m.group(1)}"
    sections[key] = Section(
        key=key, kind=kind, number=m.group(1), title=m.group(2), spans=[span], parent=parent
    )
    return key


def parse(document: Document, curations: Curations) -> Plan:
    src = DocumentReader(document, curations)
    lines = src.lines
    header = src.first_line(lambda line: line.split("\t")[:4] == list(HEADER))
    if header is None:
        raise src.error("table header 'Objective / Activities / Outputs / ...' not found", 1)
    title_lines = [line for line in lines[: header - 1] if line.strip()]
    plan = Plan(
        slug=document.plan.slug,
        title=clean(" ".join(title_lines)),
        source=document.slug,
        spans=[src.span(1, len(lines))],
    )

    rows: list[_Row] = []
    sections: dict[str, Section] = {}
    area_key: str | None = None
    objective_key: str | None = None
    for n, raw in enumerate(lines[header + 1 :], header + 2):
        if not raw.strip() or is_noise_line(raw):
            continue
        cells = _cells(raw)
        if not cells:
            raise src.error(f"table row with {raw.count(chr(9)) + 1} cells, expected 7", n)
        first, act, out, agencies = cells[:4]
        area = _AREA.match(first)
        if area:
            area_key = _heading(sections, "area", area, src.span(n))
            continue
        objective = _OBJECTIVE.match(first)
        if objective:
            if area_key is None:
                raise src.error("objective before any 'Area' row", n)
            objective_key = _heading(sections, "objective", objective, src.span(n), area_key)
        elif first and objective_key is not None:  # continuation of the objective's text
            sec = sections[objective_key]
            sec.title = f"{sec.title} {first}"
            sec.spans = [src.span(sec.spans[0].start_line, n)]
        activity = _ACTIVITY.match(act)
        if activity:
            if objective_key is None:
                raise src.error("activity before any objective", n)
            row = _Row(number=activity.group(1), objective=objective_key, line=n, last_line=n)
            row.activity.add(activity.group(2), n)
            rows.append(row)
            row.output.add(out, n)
            row.agencies.add(agencies, n)
            row.years = [y for y, mark in zip(YEARS, cells[4:], strict=True) if mark.lower() == "x"]
            continue
        if not rows:
            raise src.error("table row before the first activity", n)
        row = rows[-1]  # a continuation: the rest of the open row after a page break
        row.last_line = n
        row.activity.add(act, n)
        row.output.add(out, n)
        if agencies:
            if row.agencies.text or _COUNTRY.match(agencies):
                row.agencies.add(agencies, n)
            else:  # continues the last filled agencies cell (a cell broken by the page)
                filled = next((r for r in reversed(rows) if r.agencies.text), None)
                if filled is None:
                    raise src.error(
                        "agencies text continues a cell, but no agencies cell came before it", n
                    )
                filled.agencies.add(agencies, n)
        if any(m.lower() == "x" for m in cells[4:]):
            raise src.error("year marks on a continuation row", n)

    if not rows:
        raise src.error("no activities found in the table", header)

    # needed for the rows of objective 4.2 (the table, where it has none)
    at = next((r.line for r in rows if r.objective == "objective-4.2"), header)
    merged = src.curation("vnm-khm-4.2-agencies", needed_at=at)
    for i, row in enumerate(rows):
        if row.agencies.text:
            continue
        above = next(
            (r for r in reversed(rows[:i]) if r.objective == row.objective and r.agencies.text),
            None,
        )
        if above is not None:
            row.agencies = above.agencies
            row.inherited_agencies = True

    plan.sections = list(sections.values())
    for row in rows:
        spans = [src.span(row.line, row.last_line)]
        entry = Activity(
            number=row.number,
            printed_number=row.number,
            text=row.activity.text,
            section=row.objective,
            spans=spans,
            years=row.years,
        )
        if row.output.text:
            o_span = src.span(row.output.start, row.output.end)
            entry.outputs.extend(Output(text, o_span) for text in _bullets(row.output.text))
        if row.inherited_agencies:
            entry.flags.append("agencies-from-merged-cell")
        agency_cells = [row.agencies]
        if row.objective == "objective-4.2":  # one merged cell printed over the two rows
            agency_cells = [r.agencies for r in rows if r.objective == "objective-4.2"]
            entry.curations.append(merged.id)
        for cell in agency_cells:
            if not cell.text:
                continue
            span = src.span(cell.start, cell.end)
            for name, party, role in _split_agencies(cell, src):
                entry.commitments.append(
                    Commitment(
                        mention=AgencyMention(text=name, span=span, party=party),
                        role=role,
                        on_behalf_of=party,
                        spans=[span],
                    )
                )
        plan.activities.append(entry)
    return plan
