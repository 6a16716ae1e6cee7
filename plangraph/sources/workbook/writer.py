"""Writing workbooks (openpyxl): the blank template, with a hint on every column and drop-down
lists for roles, parties, kinds and years, and any parsed plan exported to the same layout."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook as XlsxBook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from plangraph.sources.catalog import Document
from plangraph.sources.model import Commitment, Note, Plan, SourceSpan
from plangraph.sources.workbook.schema import Resource, Schema, load_schema
from plangraph.sources.workbook.validate import ROLE_COORDINATOR, Context

ROWS_VALIDATED = 2000  # the drop-downs cover this many data rows of each sheet
LISTS_SHEET = "Lists"

Cell = str | int | float | None
Row = dict[str, Cell]


def _lists_sheet(book: XlsxBook, ctx: Context, names: Iterable[str]) -> dict[str, str]:
    """A hidden sheet with one column per list; the range each drop-down refers to."""
    ws = book.create_sheet(LISTS_SHEET)
    ranges = {}
    for i, name in enumerate(sorted(set(names)), 1):
        values = ctx.allowed(name)
        col = get_column_letter(i)
        ws.cell(1, i, name)
        for r, v in enumerate(values, 2):
            ws.cell(r, i, int(v) if name == "years" else v)
        last = max(len(values) + 1, 2)
        ranges[name] = f"{quote_sheetname(LISTS_SHEET)}!${col}$2:${col}${last}"
    ws.sheet_state = "hidden"
    return ranges


def _validation(ws: Worksheet, ref: str, formula: str, hint: str, title: str) -> None:
    dv = DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=False,  # a list of several values ("khm, tha") is allowed too
        showInputMessage=True,
        promptTitle=title[:32],
        prompt=hint[:255],
    )
    dv.add(ref)
    ws.add_data_validation(dv)


def _hint(ws: Worksheet, ref: str, hint: str, title: str) -> None:
    dv = DataValidation(showInputMessage=True, promptTitle=title[:32], prompt=hint[:255])
    dv.add(ref)
    ws.add_data_validation(dv)


def _sheet(book: XlsxBook, r: Resource, ranges: dict[str, str], rows: Sequence[Row]) -> None:
    ws = book.create_sheet(r.sheet)
    bold = Font(bold=True)
    if r.vertical:
        ws.cell(1, 1, "field").font = bold
        ws.cell(1, 2, "value").font = bold
        ws.cell(1, 3, "hint").font = bold
        values = rows[0] if rows else {}
        for i, f in enumerate(r.fields, 2):
            ws.cell(i, 1, f.name).font = bold
            ws.cell(i, 2, values.get(f.name))
            ws.cell(i, 3, ("required. " if f.required else "") + f.description)
            ref = f"B{i}"
            if f.list_name:
                _validation(ws, ref, ranges[f.list_name], f.description, f.name)
            else:
                _hint(ws, ref, f.description, f.name)
        ws.column_dimensions["A"].width = 20
        ws.column_dimensions["B"].width = 60
        ws.column_dimensions["C"].width = 80
        return
    for i, f in enumerate(r.fields, 1):
        cell = ws.cell(1, i, f.name)
        cell.font = bold
        cell.comment = Comment(("Required. " if f.required else "") + f.description, "plangraph")
        col = get_column_letter(i)
        ref = f"{col}2:{col}{ROWS_VALIDATED + 1}"
        if f.list_name:
            _validation(ws, ref, ranges[f.list_name], f.description, f.name)
        else:
            _hint(ws, ref, f.description, f.name)
        ws.column_dimensions[col].width = 60 if f.name in ("text", "title", "description") else 16
    ws.freeze_panes = "A2"
    for row in rows:
        ws.append([row.get(f.name) for f in r.fields])


def write_workbook(
    ctx: Context, content: dict[str, list[Row]] | None = None, schema: Schema | None = None
) -> bytes:
    """An .xlsx workbook of the schema's sheets; ``content``: rows by resource name, each a
    mapping of field name to value (the vertical plan sheet: one such row)."""
    schema = schema or load_schema()
    book = XlsxBook()
    assert book.active is not None
    book.remove(book.active)
    names = [f.list_name for r in schema.resources for f in r.fields if f.list_name]
    ranges = _lists_sheet(book, ctx, [n for n in names if n])
    for r in schema.resources:
        _sheet(book, r, ranges, (content or {}).get(r.name, []))
    book.move_sheet(LISTS_SHEET, offset=len(schema.resources))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _where(spans: Sequence[SourceSpan]) -> str:
    """A text document's span as the source column gives it ("lines 12-14")."""
    if not spans:
        return ""
    sp = spans[0]
    if sp.sheet:
        return sp.locator
    if sp.start_line == sp.end_line:
        return f"line {sp.start_line}"
    return f"lines {sp.start_line}-{sp.end_line}"


def _join(values: Iterable[object], sep: str = ", ") -> str | None:
    text = sep.join(str(v) for v in values)
    return text or None


def _yes(value: bool) -> str | None:
    return "yes" if value else None


def plan_rows(plan: Plan, document: Document) -> dict[str, list[Row]]:
    """The rows of each sheet for a parsed plan (mentions resolved), by field name."""
    meta = document.plan
    info: Row = {
        "slug": meta.slug,
        "title": plan.title,
        "label": meta.title,
        "kind": document.kind,
        "status": meta.status,
        "parties": _join(meta.parties),
        "start_year": meta.start_year,
        "end_year": meta.end_year,
        "agreement": meta.implements,
        "general_objective": plan.general_objective,
        "document_title": document.title,
        "document_date": document.date,
        "document_url": document.url,
        "document_licence": document.licence,
        "flags": _join(plan.flags, "; "),
    }
    sections: list[Row] = []
    steps: list[Row] = []
    commitments: list[Row] = []
    results: list[Row] = []
    notes: list[Row] = []

    def commitment(c: Commitment, **where: Cell) -> Row:
        return {
            **where,
            "agency": c.mention.text,
            "agency_id": c.mention.resolved,
            "role": c.role,
            "party": c.on_behalf_of,
            "uncertain": _yes(c.uncertain),
            "note": c.note,
            "years": _join(c.years),
            "source": _where(c.spans or [c.mention.span]),
        }

    def note(n: Note, **where: Cell) -> Row:
        return {
            **where,
            "kind": n.kind,
            "text": n.text,
            "uncertain": _yes(n.uncertain),
            "source": _where([n.span]),
        }

    for m in plan.coordinators:
        commitments.append(
            {
                "agency": m.text,
                "agency_id": m.resolved,
                "role": ROLE_COORDINATOR,
                "party": m.party,
                "source": _where([m.span]),
            }
        )
    notes.extend(note(n) for n in plan.notes)
    for s in plan.sections:
        sections.append(
            {
                "key": s.key,
                "number": s.number,
                "kind": s.kind,
                "title": s.title,
                "parent": s.parent,
                "description": s.description,
                "stated_activity_count": s.stated_activity_count,
                "flags": _join(s.flags, "; "),
                "source": _where(s.spans),
            }
        )
        commitments.extend(commitment(c, section=s.key) for c in s.commitments)
        for o in s.expected_results:
            results.append(
                {"section": s.key, "type": "output", "text": o.text, "source": _where([o.span])}
            )
        notes.extend(note(n, section=s.key) for n in s.notes)
    printed_in: dict[str, list[str]] = {}
    for version in plan.versions:
        for number in version.steps:
            printed_in.setdefault(number, []).append(version.key)
    for a in plan.activities:
        outside = any(not meta.start_year <= y <= meta.end_year for y in a.years)
        steps.append(
            {
                "number": a.number,
                "printed_number": a.printed_number,
                "section": a.section,
                "parent": a.parent,
                "versions": _join(printed_in.get(a.number, [])),
                "text": a.text,
                "kind": a.kind,
                "years": _join(a.years),
                "quarters": _join(a.quarters),
                "implementation_status": a.implementation_status,
                "uncertain": _yes(a.uncertain),
                "outside_period": _yes(outside),
                "position": a.position,
                "serves": _join(a.serves),
                "cites": _join(a.cites),
                "places": _join(a.places, "; "),
                "flags": _join(a.flags, "; "),
                "source": _where(a.spans),
            }
        )
        commitments.extend(commitment(c, step=a.number) for c in a.commitments)
        for o in a.outputs:
            results.append(
                {"step": a.number, "type": "output", "text": o.text, "source": _where([o.span])}
            )
        for i in a.indicators:
            results.append(
                {"step": a.number, "type": "indicator", "text": i.text, "source": _where([i.span])}
            )
        for t in a.targets:
            results.append(
                {
                    "step": a.number,
                    "type": "target",
                    "text": t.text,
                    "year": t.year,
                    "value": t.value,
                    "unit": t.unit,
                    "period_label": t.period_label,
                    "garbled": _yes(t.garbled),
                    "source": _where([t.span]),
                }
            )
        notes.extend(note(n, step=a.number) for n in a.notes)
    instruments: list[Row] = [
        {
            "key": i.key,
            "title": i.title,
            "kind": i.kind,
            "date": i.date,
            "agreement": i.same_as_agreement,
            "source": _where(i.spans),
        }
        for i in plan.legal_instruments
    ]
    meetings: list[Row] = []
    participants: list[Row] = []
    decisions: list[Row] = []
    for meeting in plan.meetings:
        meetings.append(
            {
                "key": meeting.key,
                "title": meeting.title,
                "start_date": meeting.start_date,
                "end_date": meeting.end_date,
                "venue": meeting.venue,
                "source": _where(meeting.spans),
            }
        )
        for role, people in (("chair", meeting.chairs), ("participant", meeting.participants)):
            for p in people:
                org = p.organisation
                participants.append(
                    {
                        "meeting": meeting.key,
                        "role": role,
                        "name": p.name,
                        "position": p.position,
                        "organisation": org.text if org else None,
                        "organisation_id": org.resolved if org else None,
                        "party": p.party,
                        "note": p.note,
                        "source": _where([p.span]),
                    }
                )
        for d in meeting.decisions:
            decisions.append(
                {
                    "meeting": meeting.key,
                    "key": d.key,
                    "text": d.text,
                    "changes": _join(d.changes),
                    "date": d.date,
                    "source": _where([d.span]),
                }
            )
        notes.extend(note(n, meeting=meeting.key) for n in meeting.agenda)
    versions: list[Row] = [
        {
            "key": v.key,
            "title": v.title,
            "status": v.status,
            "revises": v.revision_of,
            "source": _where(v.spans),
        }
        for v in plan.versions
    ]
    return {
        "versions": versions,
        "meetings": meetings,
        "participants": participants,
        "decisions": decisions,
        "plan": [info],
        "sections": sections,
        "steps": steps,
        "commitments": commitments,
        "results": results,
        "notes": notes,
        "instruments": instruments,
    }
