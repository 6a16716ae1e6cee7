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
from plangraph.sources.model import Plan, SourceSpan
from plangraph.sources.workbook.schema import Resource, Schema, load_schema
from plangraph.sources.workbook.validate import Context

ROWS_VALIDATED = 2000  # the drop-downs cover this many data rows of each sheet
LISTS_SHEET = "Lists"

Cell = str | int | float | None


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


def _sheet(
    book: XlsxBook, r: Resource, ranges: dict[str, str], rows: Sequence[Sequence[Cell]]
) -> None:
    ws = book.create_sheet(r.sheet)
    bold = Font(bold=True)
    if r.vertical:
        ws.cell(1, 1, "field").font = bold
        ws.cell(1, 2, "value").font = bold
        ws.cell(1, 3, "hint").font = bold
        values = {str(row[0]): row[1] for row in rows}
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
        ws.append(list(row))


def write_workbook(
    ctx: Context, content: dict[str, list[list[Cell]]] | None = None, schema: Schema | None = None
) -> bytes:
    """An .xlsx workbook of the schema's sheets; ``content``: rows by resource name (the plan
    resource: one row of (field, value) pairs)."""
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


def _join(values: Iterable[object], sep: str = ", ") -> str:
    return sep.join(str(v) for v in values)


def plan_rows(plan: Plan, document: Document) -> dict[str, list[list[Cell]]]:
    """The rows of each sheet for a parsed plan (mentions resolved)."""
    meta = document.plan
    plan_sheet: list[list[Cell]] = [
        ["slug", meta.slug],
        ["title", plan.title],
        ["label", meta.title],
        ["kind", document.kind],
        ["status", meta.status],
        ["parties", _join(meta.parties)],
        ["start_year", meta.start_year],
        ["end_year", meta.end_year],
        ["agreement", meta.implements],
        ["general_objective", plan.general_objective],
        ["document_title", document.title],
        ["document_date", document.date],
        ["document_url", document.url],
        ["document_licence", document.licence],
    ]
    sections = [
        [s.key, s.number, s.kind, s.title, s.parent, s.description, _where(s.spans)]
        for s in plan.sections
    ]
    steps: list[list[Cell]] = []
    commitments: list[list[Cell]] = []
    results: list[list[Cell]] = []
    notes: list[list[Cell]] = [
        [None, n.kind, n.text, "yes" if n.uncertain else None, _where([n.span])] for n in plan.notes
    ]
    for a in plan.activities:
        steps.append(
            [
                a.number,
                a.printed_number,
                a.section,
                a.parent,
                a.text,
                a.kind,
                _join(a.years),
                _join(a.quarters),
                "yes" if a.uncertain else None,
                "yes" if any(not meta.start_year <= y <= meta.end_year for y in a.years) else None,
                _where(a.spans),
            ]
        )
        for c in a.commitments:
            commitments.append(
                [
                    a.number,
                    c.mention.text,
                    c.mention.resolved,
                    c.role,
                    c.on_behalf_of,
                    "yes" if c.uncertain else None,
                    c.note,
                    _where(c.spans or [c.mention.span]),
                ]
            )
        for o in a.outputs:
            results.append([a.number, "output", o.text, None, None, None, _where([o.span])])
        for i in a.indicators:
            results.append([a.number, "indicator", i.text, None, None, None, _where([i.span])])
        for t in a.targets:
            results.append([a.number, "target", t.text, t.year, t.value, t.unit, _where([t.span])])
        for n in a.notes:
            notes.append(
                [a.number, n.kind, n.text, "yes" if n.uncertain else None, _where([n.span])]
            )
    return {
        "plan": plan_sheet,
        "sections": sections,  # type: ignore[dict-item]
        "steps": steps,
        "commitments": commitments,
        "results": results,
        "notes": notes,
    }
