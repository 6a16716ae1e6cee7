"""docs/workbook.md's tables are generated from the schema and kept current."""

from __future__ import annotations

from pathlib import Path

from plangraph.sources.workbook.schema import schema_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "workbook.md"
BEGIN, END = "<!-- generated: schema_markdown() -->\n", "<!-- end generated -->"


def test_the_docs_tables_are_the_schema() -> None:
    text = DOC.read_text(encoding="utf-8")
    generated = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert generated.strip() == schema_markdown().strip(), (
        "regenerate docs/workbook.md's tables from plangraph.sources.workbook.schema"
    )
