"""Fuzz target: the plan workbook's reader and cell validator (plangraph.sources.workbook), as
/contribute and plangraph import run them on an upload: the bytes as an .xlsx/.ods
(python-calamine) and as a zip of CSV files, then every cell checked against the registry."""

from __future__ import annotations

from pathlib import Path

from _harness import instrumented, main, rejections, scratch_file

with instrumented():
    from plangraph.paths import ProjectPaths
    from plangraph.sources.catalog import load_source_catalog
    from plangraph.sources.registry import load_registry
    from plangraph.sources.workbook.reader import read_bytes
    from plangraph.sources.workbook.validate import check

PATHS = ProjectPaths()
REGISTRY = load_registry(PATHS.agencies)
AGREEMENTS = tuple(a.slug for a in load_source_catalog(PATHS.catalog).agreements)


def TestOneInput(data: bytes) -> None:
    for name in ("fuzz.xlsx", "fuzz.ods", "fuzz.zip"):
        with rejections():
            book = read_bytes(data, name)
            check(book, REGISTRY, AGREEMENTS, None, lambda _: [])


def seed_files() -> list[Path]:
    """The Bohol fixture as a zip of its CSV files, and the blank template."""
    import io
    import zipfile

    from plangraph.sources.workbook.validate import Context
    from plangraph.sources.workbook.writer import write_workbook

    folder = PATHS.root / "tests" / "data" / "workbook" / "bohol"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(folder.glob("*.csv")):
            z.writestr(f.name, f.read_bytes())
    template = write_workbook(Context(tuple(REGISTRY.parties), AGREEMENTS))
    return [
        scratch_file("bohol.zip", buf.getvalue()),
        scratch_file("template.xlsx", template),
    ]


if __name__ == "__main__":
    main(TestOneInput)
