"""The workbook's formats and the template: .xlsx written by plangraph template (drop-downs for
roles, parties, kinds and years; a hint on every column), .ods and CSV read the same way."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from openpyxl import load_workbook

from plangraph.cli import main
from plangraph.paths import ProjectPaths
from plangraph.sources.catalog import load_source_catalog
from plangraph.sources.curation import load_curations
from plangraph.sources.parsers import parse_document
from plangraph.sources.registry import load_registry
from plangraph.sources.workbook.reader import read_bytes, read_path
from plangraph.sources.workbook.schema import load_schema
from plangraph.sources.workbook.validate import check

BOHOL = Path(__file__).parent / "data" / "workbook" / "bohol"


def _check(book: object, paths: ProjectPaths) -> tuple[object, object]:
    registry = load_registry(paths.agencies)
    agreements = tuple(a.slug for a in load_source_catalog(paths.catalog).agreements)
    return check(book, registry, agreements)  # type: ignore[arg-type]


def test_the_template_has_drop_downs_and_a_hint_on_every_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: ProjectPaths
) -> None:
    out = tmp_path / "t.xlsx"
    monkeypatch.setenv("PLANGRAPH_ROOT", str(paths.root))
    assert main(["template", "-o", str(out)]) == 0
    book = load_workbook(out)
    schema = load_schema()
    for r in schema.resources:
        ws = book[r.sheet]
        lists = {}
        prompts = set()
        for dv in ws.data_validations.dataValidation:
            for ref in str(dv.sqref).split():
                prompts.add(ref.split(":")[0])
                if dv.type == "list":
                    lists[ref.split(":")[0]] = dv.formula1
        for i, f in enumerate(r.fields):
            if r.vertical:
                cell = f"B{i + 2}"
                assert ws[f"A{i + 2}"].value == f.name
                assert ws[f"C{i + 2}"].value.endswith(f.description)
            else:
                col = ws.cell(1, i + 1).column_letter
                cell = f"{col}2"
                assert ws.cell(1, i + 1).value == f.name
                assert ws.cell(1, i + 1).comment.text.endswith(f.description)
            assert cell in prompts, (r.sheet, f.name)
            if f.list_name:
                assert cell in lists, (r.sheet, f.name)
    # the lists the drop-downs read: roles, parties, kinds, years
    lists_sheet = book["Lists"]
    assert lists_sheet.sheet_state == "hidden"
    columns = {
        c[0].value: [x.value for x in c[1:] if x.value is not None] for c in lists_sheet.columns
    }
    assert columns["commitment-roles"][:2] == ["lead", "responsible"]
    assert "coordinator" in columns["commitment-roles"]
    assert "khm" in columns["parties"] and "tha" in columns["parties"]
    assert "ministry" in columns["agency-kinds"] and "activity" in columns["step-kinds"]
    assert 2020 in columns["years"]
    # the blank template is read back with only "required" problems
    parsed, report = _check(read_path(out), paths)
    assert parsed is None
    assert {p.code for p in report.problems} == {"required"}  # type: ignore[attr-defined]


def test_an_exported_plan_reads_back_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: ProjectPaths
) -> None:
    out = tmp_path / "vnm.xlsx"
    monkeypatch.setenv("PLANGRAPH_ROOT", str(paths.root))
    assert main(["template", "--plan", "vnm-khm-2020-2022", "-o", str(out)]) == 0
    parsed, report = _check(read_path(out), paths)
    assert parsed is not None, report
    assert len(parsed.plan.activities) == 19  # type: ignore[attr-defined]


def _ods(tables: dict[str, list[list[str]]]) -> bytes:
    """A minimal OpenDocument spreadsheet (written here only to test reading .ods)."""
    sheets = []
    for name, rows in tables.items():
        body = "".join(
            "<table:table-row>"
            + "".join(
                f'<table:table-cell office:value-type="string"><text:p>{escape(c)}</text:p>'
                "</table:table-cell>"
                for c in row
            )
            + "</table:table-row>"
            for row in rows
        )
        sheets.append(f'<table:table table:name="{escape(name)}">{body}</table:table>')
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{''.join(sheets)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:version="1.2"'
        ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.spreadsheet",
            zipfile.ZIP_STORED,
        )
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def test_ods_csv_folder_and_csv_zip_give_the_same_plan(paths: ProjectPaths) -> None:
    tables = {
        f.stem: list(csv.reader(f.read_text(encoding="utf-8").splitlines()))
        for f in sorted(BOHOL.glob("*.csv"))
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(BOHOL.glob("*.csv")):
            z.writestr(f.name, f.read_bytes())
    plans = []
    for book in (
        read_path(BOHOL),
        read_bytes(buf.getvalue(), "bohol.zip"),
        read_bytes(_ods(tables), "bohol.ods"),
    ):
        parsed, report = _check(book, paths)
        assert parsed is not None, report
        plans.append(parsed.plan)  # type: ignore[attr-defined]
    assert plans[0] == plans[1] == plans[2]
    assert len(plans[0].activities) == 7


def test_a_plan_with_versions_exports_and_reads_back_from_xlsx_and_a_csv_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: ProjectPaths
) -> None:
    """Annex 3 and Annex 4 of the Cambodia-Thailand minutes: the Versions sheet and the Steps
    sheet's versions column carry them out and back, in .xlsx and as a folder of CSV files."""
    out = tmp_path / "khm-tha.xlsx"
    monkeypatch.setenv("PLANGRAPH_ROOT", str(paths.root))
    assert main(["template", "--plan", "khm-tha-2023-2025", "-o", str(out)]) == 0
    xlsx = load_workbook(out)
    assert [c.value for c in xlsx["Versions"][1]] == [
        f.name for f in load_schema().resource("versions").fields
    ]
    folder = tmp_path / "khm-tha"
    folder.mkdir()
    for ws in xlsx.worksheets:
        if ws.title == "Lists":
            continue
        rows = [
            ["" if c is None else str(c) for c in row] for row in ws.iter_rows(values_only=True)
        ]
        with (folder / f"{ws.title}.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)
    document = next(
        d
        for d in load_source_catalog(paths.catalog).documents
        if d.plan.slug == "khm-tha-2023-2025"
    )
    parsed_plan = parse_document(document, load_curations(paths.curation))
    expected = [(v.key, v.title, v.status, v.revision_of, v.steps) for v in parsed_plan.versions]
    assert [v[0] for v in expected] == ["annex-3", "annex-4"]
    plans = []
    for book in (read_path(out), read_path(folder)):
        parsed, report = _check(book, paths)
        assert parsed is not None, report
        plan = parsed.plan  # type: ignore[attr-defined]
        got = [(v.key, v.title, v.status, v.revision_of, v.steps) for v in plan.versions]
        assert got == expected
        assert plan.versions[1].spans[0].sheet == "Versions"
        plans.append(plan)
    assert plans[0] == plans[1]
