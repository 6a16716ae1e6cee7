"""Reading a workbook's cells: .xlsx and .ods through python-calamine (no hand-written
spreadsheet parsing), CSV files in a folder or a zip through the csv module. Every cell becomes
text (a whole number written as a number reads "2018", not "2018.0"); rows keep their sheet
row numbers. Archives are checked before anything is unpacked: the file's size, the unpacked
size, the number of members and the compression ratio (a zip bomb is refused)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from plangraph.errors import WorkbookError

MAX_FILE_BYTES = 10 * 1024 * 1024  # an upload or a file: 10 MiB
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # everything inside the archive, unpacked
MAX_MEMBERS = 2000
MAX_RATIO = 200  # unpacked / packed size of any member (a bomb packs far tighter)
SPREADSHEETS = (".xlsx", ".ods")
WORKBOOK_SUFFIXES = (*SPREADSHEETS, ".zip")  # how a workbook is kept in data/sources/


# what Python's zipfile raises on a damaged archive: bad headers or CRC, a truncated or
# corrupt deflate stream, negative offsets, encrypted members, zip versions it does not read
_DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    ValueError,
    RuntimeError,
    NotImplementedError,
)


@dataclass
class Table:
    """One sheet: its rows of text cells; ``rows[i]`` is sheet row ``i + 1``."""

    name: str
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Workbook:
    name: str  # the file's name
    tables: dict[str, Table]  # by sheet name as written in the file

    def table(self, sheet: str) -> Table | None:
        """The sheet named ``sheet`` (case and surrounding spaces ignored), or None."""
        want = sheet.strip().casefold()
        for name, t in self.tables.items():
            if name.strip().casefold() == want:
                return t
        return None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(str(value).split())


def check_archive(data: bytes, name: str) -> zipfile.ZipFile:
    """The zip archive in ``data`` after the bomb checks; WorkbookError ``too-large`` or
    ``unreadable`` otherwise."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except _DAMAGED as exc:
        raise _error(name, "unreadable", f"not a zip archive ({exc})") from None
    if len(members) > MAX_MEMBERS:
        raise _error(
            name, "too-large", f"{len(members)} files in the archive (at most {MAX_MEMBERS})"
        )
    total = sum(m.file_size for m in members)
    if total > MAX_UNPACKED_BYTES:
        raise _error(
            name,
            "too-large",
            f"{total} bytes unpacked (at most {MAX_UNPACKED_BYTES}): refused as a zip bomb",
        )
    for m in members:
        if m.file_size > MAX_RATIO * max(m.compress_size, 1) and m.file_size > 1024 * 1024:
            raise _error(
                name,
                "too-large",
                f"{m.filename} unpacks {m.file_size // max(m.compress_size, 1)} times its "
                "packed size: refused as a zip bomb",
            )
    return archive


def _error(name: str, code: str, message: str) -> WorkbookError:
    problem: dict[str, object] = {"sheet": name, "cell": "", "code": code, "message": message}
    return WorkbookError(f"{name} {code}: {message}", problems=[problem])


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes:
    """A member's bytes, never more than its declared size (a lying header is refused); a
    damaged, encrypted or oddly compressed member is ``unreadable``."""
    try:
        with archive.open(info) as fh:
            data = fh.read(info.file_size + 1)
    except _DAMAGED as exc:
        raise _error(name, "unreadable", f"{info.filename} cannot be unpacked ({exc})") from None
    if len(data) > info.file_size:
        raise _error(name, "too-large", f"{info.filename} is larger than its header says")
    return data


def _csv_table(name: str, data: bytes, file: str) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _error(file, "unreadable", f"{name} is not UTF-8 ({exc.reason})") from None
    rows = [[_text(c) for c in row] for row in csv.reader(io.StringIO(text, newline=""))]
    return Table(name, rows)


def _spreadsheet(data: bytes, name: str) -> Workbook:
    from python_calamine import CalamineWorkbook

    check_archive(data, name)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        tables = {}
        for sheet in book.sheet_names:
            rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            tables[sheet] = Table(sheet, [[_text(c) for c in row] for row in rows])
    except WorkbookError:
        raise
    except Exception as exc:  # calamine raises its own error types for a broken file
        raise _error(name, "unreadable", f"not a readable spreadsheet ({exc})") from None
    return Workbook(name, tables)


def _csv_zip(data: bytes, name: str) -> Workbook:
    archive = check_archive(data, name)
    tables = {}
    for info in archive.infolist():
        path = Path(info.filename)
        # an entry with an empty name (a damaged archive) is neither a folder nor a CSV file
        if not info.filename or info.is_dir() or path.suffix.lower() != ".csv":
            continue
        if path.name.startswith("."):
            continue
        tables[path.stem] = _csv_table(path.stem, _read_bounded(archive, info, name), name)
    if not tables:
        raise _error(name, "unreadable", "the zip holds no .csv file")
    return Workbook(name, tables)


def read_bytes(data: bytes, name: str) -> Workbook:
    """A workbook from its bytes and file name (.xlsx, .ods, or .zip of CSV files)."""
    if len(data) > MAX_FILE_BYTES:
        raise _error(name, "too-large", f"{len(data)} bytes (at most {MAX_FILE_BYTES})")
    suffix = Path(name).suffix.lower()
    if suffix in SPREADSHEETS:
        return _spreadsheet(data, name)
    if suffix == ".zip":
        return _csv_zip(data, name)
    raise _error(name, "unreadable", "give an .xlsx or .ods file, or CSV files in a folder or .zip")


def read_path(path: Path) -> Workbook:
    """A workbook from a file, or from a folder of CSV files (one per sheet)."""
    if path.is_dir():
        tables = {}
        for f in sorted(path.glob("*.csv")):
            size = f.stat().st_size
            if size > MAX_FILE_BYTES:
                raise _error(f.name, "too-large", f"{size} bytes (at most {MAX_FILE_BYTES})")
            tables[f.stem] = _csv_table(f.stem, f.read_bytes(), path.name)
        if not tables:
            raise _error(path.name, "unreadable", "the folder holds no .csv file")
        return Workbook(path.name, tables)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _error(path.name, "unreadable", f"cannot read it ({exc.strerror})") from None
    if size > MAX_FILE_BYTES:
        raise _error(path.name, "too-large", f"{size} bytes (at most {MAX_FILE_BYTES})")
    return read_bytes(path.read_bytes(), path.name)
