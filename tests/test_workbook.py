"""The plan workbook: one broken workbook per error code, each reported at the right cell,
and nothing written on any error; a valid one imported into data/ and built."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from plangraph.cli import main
from plangraph.paths import ProjectPaths
from plangraph.sources.workbook.problems import CODES
from plangraph.sources.workbook.reader import MAX_FILE_BYTES

BOHOL = Path(__file__).parent / "data" / "workbook" / "bohol"


def _digest(paths: ProjectPaths) -> str:
    """Every file under data/ that an import could write."""
    h = hashlib.sha256()
    for f in sorted((paths.root / "data").rglob("*")):
        if f.is_file():
            h.update(str(f.relative_to(paths.root)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def _edit(folder: Path, sheet: str, change: Callable[[list[list[str]]], None]) -> None:
    path = folder / f"{sheet}.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    change(rows)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _set(sheet: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    """Set one cell (row 1-based as in a spreadsheet; column by header)."""

    def change(folder: Path) -> None:
        def edit(rows: list[list[str]]) -> None:
            if sheet == "Plan":
                rows[row - 1][1] = value
                return
            rows[row - 1][rows[0].index(column)] = value

        _edit(folder, sheet, edit)

    return change


def _run(paths: ProjectPaths, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setenv("PLANGRAPH_ROOT", str(paths.root))
    return main(["import", *args])


def _drop_column(sheet: str, column: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        def edit(rows: list[list[str]]) -> None:
            i = rows[0].index(column)
            for r in rows:
                del r[i]

        _edit(folder, sheet, edit)

    return change


def _rename_column(sheet: str, column: str, new: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        _edit(folder, sheet, lambda rows: rows[0].__setitem__(rows[0].index(column), new))

    return change


def _duplicate_row(sheet: str, row: int) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        _edit(folder, sheet, lambda rows: rows.append(list(rows[row - 1])))

    return change


def _remove_sheet(sheet: str) -> Callable[[Path], None]:
    return lambda folder: (folder / f"{sheet}.csv").unlink()


def _versions(versions: list[list[str]], steps: dict[int, str]) -> Callable[[Path], None]:
    """A Versions sheet of ``versions`` (key, title, status, revises) and a versions column
    at the end of the Steps sheet (column L), ``steps`` giving its cell by row."""

    def change(folder: Path) -> None:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(
            [["key", "title", "status", "revises", "source"], *[[*v, ""] for v in versions]]
        )
        (folder / "Versions.csv").write_text(out.getvalue(), encoding="utf-8")

        def edit(rows: list[list[str]]) -> None:
            assert len(rows[0]) == 11  # A-K: the new column is L
            rows[0].append("versions")
            for n, row in enumerate(rows[1:], 2):
                row.append(steps.get(n, ""))

        _edit(folder, "Steps", edit)

    return change


DRAFT = ["draft-1", "Proposed Draft Work Plan", "draft", ""]
REVISED = ["draft-2", "Revised Draft Work Plan", "draft", "draft-1"]

# (code, the change, the cell the report names, a phrase of the message)
CASES: list[tuple[str, Callable[[Path], None], str, str]] = [
    ("missing-sheet", _remove_sheet("Steps"), "Steps", "no Steps sheet"),
    ("missing-column", _drop_column("Steps", "text"), "Steps!K1", "column text is missing"),
    ("unknown-column", _rename_column("Steps", "years", "yaers"), "Steps!G1", "'yaers'"),
    ("required", _set("Steps", 3, "text", ""), "Steps!E3", "text is required"),
    ("bad-type", _set("Steps", 2, "years", "2017, next year"), "Steps!G2", "not a year"),
    ("bad-format", _set("Steps", 4, "quarters", "Q5"), "Steps!H4", "does not match"),
    ("not-in-list", _set("Commitments", 2, "role", "boss"), "Commitments!D2", "'boss'"),
    ("duplicate", _duplicate_row("Steps", 3), "Steps!A9", "'1.2' is already on row 3"),
    ("unknown-reference", _set("Steps", 5, "section", "area-9"), "Steps!C5", "'area-9'"),
    ("bad-period", _set("Plan", 9, "", "2016"), "Plan!B9", "2016 is before 2017"),
    ("year-outside-period", _set("Steps", 8, "years", "2031"), "Steps!G8", "2031 is outside"),
    (
        "unknown-agency",
        _set("Commitments", 3, "agency", "Ministry of Social Affair, Veteran and Youth"),
        "Commitments!B3",
        "did you mean Ministry of Social Affairs, Veterans and Youth Rehabilitation (khm/mosvy)",
    ),
    (
        "ambiguous-agency",
        _set("Commitments", 5, "agency", "COMMIT Task Force"),
        "Commitments!B5",
        "names several bodies",
    ),
    (
        "agency-exists",
        _set("New agencies", 2, "id", "int/iom"),
        "New agencies!A2",
        "int/iom is already in the registry",
    ),
    (
        "revision-cycle",
        _versions([[*DRAFT[:3], "draft-2"], REVISED], {2: "draft-1", 3: "draft-2"}),
        "Versions!D2",
        "'draft-1' revises itself through draft-1 -> draft-2 -> draft-1",
    ),
    (
        "empty-version",
        _versions([DRAFT, REVISED], {2: "draft-1", 3: "draft-1"}),
        "Versions!A3",
        "no step names version 'draft-2'",
    ),
]

# the references of the Versions sheet and of the Steps sheet's versions column
VERSION_CASES: list[tuple[str, Callable[[Path], None], str, str]] = [
    (
        "unknown-reference",
        _versions([DRAFT, [*REVISED[:3], "draft-9"]], {2: "draft-1", 3: "draft-2"}),
        "Versions!D3",
        "revises 'draft-9' is not a key on the Versions sheet",
    ),
    (
        "revision-cycle",
        _versions([[*DRAFT[:3], "draft-1"]], {2: "draft-1"}),
        "Versions!D2",
        "'draft-1' revises itself",
    ),
    (
        "unknown-reference",
        _versions([DRAFT, REVISED], {2: "draft-1", 3: "draft-2", 4: "draft-1, annex-9"}),
        "Steps!L4",
        "versions 'annex-9' is not a key on the Versions sheet",
    ),
    (
        "not-in-list",
        _versions([[*DRAFT[:2], "proposed", ""]], {2: "draft-1"}),
        "Versions!C2",
        "status: 'proposed' is not one of draft, final",
    ),
]


def test_every_code_has_a_case() -> None:
    tested = {c[0] for c in CASES} | {"unreadable", "too-large", "slug-exists"}
    assert tested == set(CODES)


@pytest.mark.parametrize(
    ("code", "change", "cell", "phrase"),
    CASES + VERSION_CASES,
    ids=[c[0] for c in CASES] + [f"versions-{c[2]}-{c[0]}" for c in VERSION_CASES],
)
def test_a_broken_workbook_is_reported_at_its_cell_and_nothing_is_written(
    code: str,
    change: Callable[[Path], None],
    cell: str,
    phrase: str,
    project_copy: ProjectPaths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    book = tmp_path / "bohol"
    shutil.copytree(BOHOL, book)
    change(book)
    before = _digest(project_copy)
    assert _run(project_copy, monkeypatch, str(book), "--json") == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    # every problem on its own line naming its cell; this one first
    assert lines[0].startswith(f"plangraph import: bohol: {cell} {code}: "), lines
    assert phrase in lines[0]
    report = json.loads(out)
    assert report["error"] == "workbook-invalid"
    first = report["problems"][0]
    assert (first["code"], f"{first['sheet']}!{first['cell']}".rstrip("!")) == (code, cell)
    assert _digest(project_copy) == before


def test_versions_and_the_steps_they_print_are_imported(
    project_copy: ProjectPaths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A valid Versions sheet: each version holds the steps that name it, in the order of the
    Steps sheet, a step may be printed by both, and the revision is kept."""
    from plangraph.sources.workbook.reader import read_path
    from plangraph.sources.workbook.validate import check

    book = tmp_path / "bohol"
    shutil.copytree(BOHOL, book)
    _versions([DRAFT, REVISED], {2: "draft-1", 3: "draft-1, draft-2", 4: "draft-2"})(book)
    assert _run(project_copy, monkeypatch, str(book), "--check") == 0
    capsys.readouterr()
    parsed, report = check(read_path(book), None, ())
    assert report.ok and parsed is not None
    versions = parsed.plan.versions
    assert [(v.key, v.title, v.status, v.revision_of) for v in versions] == [
        ("draft-1", "Proposed Draft Work Plan", "draft", None),
        ("draft-2", "Revised Draft Work Plan", "draft", "draft-1"),
    ]
    assert [v.steps for v in versions] == [["1.1", "1.2"], ["1.2", "2.1"]]
    assert versions[1].spans[0].sheet == "Versions" and versions[1].spans[0].start_line == 3


def test_an_unknown_agency_gets_the_reconciliations_candidates_in_json(
    project_copy: ProjectPaths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    book = tmp_path / "bohol"
    shutil.copytree(BOHOL, book)
    _set("Commitments", 3, "agency", "Ministry of Social Affairs Veterans Youth")(book)
    assert _run(project_copy, monkeypatch, str(book), "--json") == 2
    problem = json.loads(capsys.readouterr().out)["problems"][0]
    assert problem["suggestions"][0] == (
        "Ministry of Social Affairs, Veterans and Youth Rehabilitation (khm/mosvy)"
    )


def test_an_unreadable_file_is_refused(
    project_copy: ProjectPaths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "plan.xlsx"
    bad.write_bytes(b"this is not a spreadsheet")
    before = _digest(project_copy)
    assert _run(project_copy, monkeypatch, str(bad)) == 2
    assert capsys.readouterr().err.startswith("plangraph import: plan.xlsx unreadable: ")
    assert _digest(project_copy) == before


def test_a_zip_bomb_is_refused_before_it_is_unpacked(
    project_copy: ProjectPaths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("Steps.csv", b"0" * (200 * 1024 * 1024))
    assert bomb.stat().st_size < MAX_FILE_BYTES
    before = _digest(project_copy)
    assert _run(project_copy, monkeypatch, str(bomb)) == 2
    err = capsys.readouterr().err
    assert "bomb.zip too-large:" in err and "zip bomb" in err
    assert _digest(project_copy) == before


def test_a_file_over_the_size_limit_is_refused(
    project_copy: ProjectPaths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"\0" * (MAX_FILE_BYTES + 1))
    assert _run(project_copy, monkeypatch, str(big)) == 2
    assert "big.xlsx too-large:" in capsys.readouterr().err


def test_import_writes_the_plan_then_refuses_the_same_slug_unless_replace(
    project_copy: ProjectPaths,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _run(project_copy, monkeypatch, str(BOHOL)) == 0
    kept = project_copy.sources / "asean-bohol-tip-2017-2020.zip"
    sha = hashlib.sha256(kept.read_bytes()).hexdigest()
    catalog = project_copy.catalog.read_text(encoding="utf-8")
    assert f"sha256: {sha}" in catalog and "layout: workbook" in catalog
    assert "int/asean-somtc" in project_copy.agencies.read_text(encoding="utf-8")
    capsys.readouterr()

    before = _digest(project_copy)
    assert _run(project_copy, monkeypatch, str(BOHOL)) == 2
    err = capsys.readouterr().err
    assert err.startswith("plangraph import: bohol: Plan!B2 slug-exists: "), err
    assert _digest(project_copy) == before

    assert _run(project_copy, monkeypatch, str(BOHOL), "--replace") == 0
    assert "replaced: asean-bohol-tip-2017-2020" in capsys.readouterr().out
    text = project_copy.agencies.read_text(encoding="utf-8")
    assert text.count("id: int/asean-somtc") == 1


def test_check_validates_without_writing(
    project_copy: ProjectPaths,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = _digest(project_copy)
    assert _run(project_copy, monkeypatch, str(BOHOL), "--check") == 0
    assert capsys.readouterr().out.startswith("valid: asean-bohol-tip-2017-2020: 7 steps")
    assert _digest(project_copy) == before


@pytest.mark.parametrize("damage", ["crc", "version"])
def test_a_damaged_archive_is_unreadable_not_a_crash(
    project_copy: ProjectPaths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    damage: str,
) -> None:
    """Found by fuzz/fuzz_workbook.py: a member whose CRC is wrong, an archive of a zip
    version Python does not read."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for f in sorted(BOHOL.glob("*.csv")):
            z.writestr(f.name, f.read_bytes())
    data = bytearray(buf.getvalue())
    if damage == "crc":
        at = data.index(b"field,value")  # Plan.csv's first bytes, stored as they are
        data[at] = ord("F")
    else:
        at = data.index(b"PK\x01\x02")  # the first central directory entry
        data[at + 6 : at + 8] = (83).to_bytes(2, "little")  # "version needed to extract": 8.3
    bad = tmp_path / "damaged.zip"
    bad.write_bytes(bytes(data))
    assert _run(project_copy, monkeypatch, str(bad)) == 2
    assert "damaged.zip unreadable:" in capsys.readouterr().err


def test_an_imported_plan_exports_with_its_new_agencies_and_imports_back(
    project_copy: ProjectPaths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _run(project_copy, monkeypatch, str(BOHOL)) == 0
    out = tmp_path / "bohol.xlsx"
    assert main(["template", "--plan", "asean-bohol-tip-2017-2020", "-o", str(out)]) == 0
    before = project_copy.agencies.read_text(encoding="utf-8")
    assert _run(project_copy, monkeypatch, str(out), "--replace") == 0
    after = project_copy.agencies.read_text(encoding="utf-8")
    assert after == before  # the same six bodies, once each
    catalog = project_copy.catalog.read_text(encoding="utf-8")
    assert catalog.count("slug: asean-bohol-tip-2017-2020") == 2  # the document and its plan
    assert (project_copy.sources / "asean-bohol-tip-2017-2020.xlsx").exists()
    assert not (project_copy.sources / "asean-bohol-tip-2017-2020.zip").exists()


def test_a_failed_write_puts_every_file_back(
    project_copy: ProjectPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All or nothing: the catalog (written last) cannot be replaced, so the workbook and the
    registry already written are undone."""
    import plangraph.sources.workbook.importer as importer

    real = importer._write

    def failing(path: Path, data: bytes) -> None:
        if path == project_copy.catalog:
            raise OSError("disk full")
        real(path, data)

    monkeypatch.setattr(importer, "_write", failing)
    before = _digest(project_copy)
    with pytest.raises(OSError, match="disk full"):
        importer.import_workbook(BOHOL, project_copy)
    assert _digest(project_copy) == before
    assert not (project_copy.sources / "asean-bohol-tip-2017-2020.zip").exists()


def test_the_party_column_narrows_a_name_several_bodies_share(
    project_copy: ProjectPaths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    book = tmp_path / "bohol"
    shutil.copytree(BOHOL, book)
    _set("Commitments", 5, "agency", "COMMIT Task Force")(book)
    _set("Commitments", 5, "party", "tha")(book)
    assert _run(project_copy, monkeypatch, str(book), "--check") == 0
    capsys.readouterr()
    _set("Commitments", 5, "agency_id", "tha/commit-task-force")(book)
    _set("Commitments", 5, "party", "")(book)
    assert _run(project_copy, monkeypatch, str(book), "--check") == 0
    _set("Commitments", 5, "agency_id", "tha/no-such-body")(book)
    assert _run(project_copy, monkeypatch, str(book), "--check") == 2
    assert "Commitments!C5 unknown-agency: 'tha/no-such-body'" in capsys.readouterr().err
