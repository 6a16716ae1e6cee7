"""``plangraph import``: a valid workbook into data/, all or nothing.

The workbook is kept in data/sources/ (a folder of CSV files as a zip of them) under the plan's
slug, catalogued with its SHA-256 (layout ``workbook``), and the bodies of its New agencies
sheet are added to the agency registry. Nothing is written unless every cell is valid and the
new catalog and registry load; the files are then replaced one by one, each atomically.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from plangraph.paths import ProjectPaths
from plangraph.sources.catalog import Catalog, Document, PlanMeta, load_source_catalog
from plangraph.sources.registry import Registry, load_registry
from plangraph.sources.workbook.problems import Report, invalid
from plangraph.sources.workbook.reader import SPREADSHEETS, Workbook, read_bytes, read_path
from plangraph.sources.workbook.validate import NewAgency, Parsed, PlanInfo, Suggest, check

LAYOUT = "workbook"


@dataclass
class Upload:
    """A workbook's bytes as they are kept: the file's name in data/sources/ and its data."""

    name: str  # the name it came with
    suffix: str  # ".xlsx", ".ods" or ".zip"
    data: bytes


@dataclass
class Imported:
    parsed: Parsed
    file: Path
    sha256: str
    replaced: bool


def load(source: Path) -> tuple[Workbook, Upload]:
    """The workbook at ``source`` (a file, or a folder of CSV files: kept as their zip)."""
    book = read_path(source)
    if source.is_dir():
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(source.glob("*.csv")):
                info = zipfile.ZipInfo(f.name, date_time=(1980, 1, 1, 0, 0, 0))
                z.writestr(info, f.read_bytes(), zipfile.ZIP_DEFLATED)
        return book, Upload(source.name, ".zip", buf.getvalue())
    return book, Upload(source.name, source.suffix.lower(), source.read_bytes())


def validate_bytes(
    data: bytes,
    name: str,
    paths: ProjectPaths,
    suggest: Suggest | None = None,
) -> tuple[Parsed | None, Report]:
    """Check an uploaded workbook against the project's registry and catalog (the
    /contribute page): no slug check, nothing written."""
    book = read_bytes(data, name)
    catalog = load_source_catalog(paths.catalog)
    registry = load_registry(paths.agencies)
    return check(book, registry, tuple(a.slug for a in catalog.agreements), None, suggest)


# --- the catalog and the registry as text: entries added and removed, comments kept ----------

_ENTRY = re.compile(r"^  - slug: (\S+)\s*$")


def _without_document(text: str, slug: str) -> str:
    """catalog.yaml without the document entry ``slug`` (its lines up to the next entry)."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    skipping = False
    for line in lines:
        m = _ENTRY.match(line)
        if m:
            skipping = m.group(1) == slug
        elif skipping and line.strip() and not line.startswith("  "):
            skipping = False
        if not skipping:
            out.append(line)
    return "".join(out)


def _marks(slug: str) -> tuple[str, str]:
    return f"  # --- added by plangraph import: {slug} ---\n", f"  # --- end: {slug} ---\n"


def added_agencies(text: str, slug: str) -> list[str]:
    """The ids of the bodies an import of plan ``slug`` added to agencies.yaml (``text``)."""
    begin, end = _marks(slug)
    if begin not in text:
        return []
    block = text.split(begin, 1)[1].split(end, 1)[0]
    return re.findall(r"^  - id: (\S+)\s*$", block, flags=re.MULTILINE)


def _without_agencies(text: str, slug: str) -> str:
    begin, end = _marks(slug)
    if begin not in text:
        return text
    head, rest = text.split(begin, 1)
    return head + rest.split(end, 1)[1] if end in rest else head


def _q(value: str | None) -> str:
    """A YAML scalar (JSON strings are YAML)."""
    return "null" if value is None else json.dumps(value, ensure_ascii=False)


def _document_entry(info: PlanInfo, file: str, original: str, sha256: str) -> str:
    lines = [
        f"  - slug: {info.slug}",
        f"    file: {file}",
        f"    original_file: {_q(original)}",
        f"    sha256: {sha256}",
        f"    title: {_q(info.document_title)}",
        f"    kind: {info.kind}",
        f"    layout: {LAYOUT}",
    ]
    for key, value in (
        ("date", info.document_date),
        ("url", info.document_url),
        ("licence", info.document_licence),
    ):
        if value:
            lines.append(f"    {key}: {_q(value)}")
    lines += [
        "    plan:",
        f"      slug: {info.slug}",
        f"      title: {_q(info.label)}",
        f"      status: {info.status}",
        f"      parties: [{', '.join(info.parties)}]",
        f"      period: [{info.start_year}, {info.end_year}]",
        f"      implements: {_q(info.agreement)}",
    ]
    return "\n" + "\n".join(lines) + "\n"


def _agencies_block(slug: str, agencies: list[NewAgency]) -> str:
    if not agencies:
        return ""
    begin, end = _marks(slug)
    out = [begin]
    for a in agencies:
        out.append(f"  - id: {a.id}\n    name: {_q(a.name)}\n")
        if a.party:
            out.append(f"    party: {a.party}\n")
        out.append(f"    kind: {a.kind}\n")
        if a.parent:
            out.append(f"    parent: {a.parent}\n")
        out.append(f"    aliases: [{', '.join(_q(x) for x in a.aliases)}]\n")
    out.append(end)
    return "".join(out)


def document_for(info: PlanInfo, file: Path, original: str, sha256: str) -> Document:
    """The catalog document a workbook becomes (what its catalog entry will say)."""
    return Document(
        slug=info.slug,
        file=file.name,
        original_file=original,
        sha256=sha256,
        title=info.document_title,
        kind=info.kind,
        layout=LAYOUT,
        plan=PlanMeta(
            slug=info.slug,
            title=info.label,
            status=info.status,
            parties=info.parties,
            start_year=info.start_year,
            end_year=info.end_year,
            implements=info.agreement,
        ),
        path=file,
        date=info.document_date,
        url=info.document_url,
        licence=info.document_licence,
    )


def _load_text(text: str, loader: type[Catalog] | type[Registry], path: Path) -> None:
    """Load ``text`` as the catalog or registry it will replace (a temporary file beside it),
    so that a file that would not load is never written."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        if loader is Catalog:
            load_source_catalog(Path(tmp))
        else:
            load_registry(Path(tmp))
    finally:
        os.unlink(tmp)


def _write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def import_workbook(
    source: Path,
    paths: ProjectPaths,
    *,
    replace: bool = False,
    suggest: Suggest | None = None,
    dry_run: bool = False,
) -> Imported:
    """Validate the workbook at ``source`` and add its plan to data/ (nothing on any error:
    WorkbookError with every problem at its cell)."""
    book, upload = load(source)
    catalog = load_source_catalog(paths.catalog)
    catalog_text = paths.catalog.read_text(encoding="utf-8")
    agencies_text = paths.agencies.read_text(encoding="utf-8")

    # the slug decides what a replacement removes; read it before the full check
    plan_sheet = book.table("Plan")
    slug = ""
    for row in plan_sheet.rows if plan_sheet else []:
        if row and row[0].strip().casefold() == "slug" and len(row) > 1:
            slug = row[1].strip()
    existing = [d for d in catalog.documents if slug and slug in (d.slug, d.plan.slug)]
    if slug:  # the bodies an earlier import of this plan added are its own, not "existing"
        agencies_text = _without_agencies(agencies_text, slug)
    if replace:
        for d in existing:
            catalog_text = _without_document(catalog_text, d.slug)
    fd, tmp = tempfile.mkstemp(prefix=".agencies.", suffix=".yaml", dir=paths.agencies.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(agencies_text)
        registry = load_registry(Path(tmp))
    finally:
        os.unlink(tmp)
    registry.path = paths.agencies

    parsed, report = check(book, registry, tuple(a.slug for a in catalog.agreements), None, suggest)
    if existing and not replace:
        slug_row = next(
            (
                i
                for i, r in enumerate(plan_sheet.rows if plan_sheet else [], 1)
                if r and r[0].strip().casefold() == "slug"
            ),
            1,
        )
        report.add(
            "Plan",
            f"B{slug_row}",
            "slug-exists",
            f"a plan {slug!r} is already in {paths.catalog.name} (use --replace)",
        )
        report.problems.insert(0, report.problems.pop())
    if parsed is None or not report.ok:
        raise invalid(report, file=upload.name)

    info = parsed.info
    suffix = upload.suffix if upload.suffix in (*SPREADSHEETS, ".zip") else ".zip"
    file = paths.sources / f"{info.slug}{suffix}"
    sha = hashlib.sha256(upload.data).hexdigest()
    new_catalog = (
        catalog_text.rstrip("\n") + "\n" + _document_entry(info, file.name, upload.name, sha)
    )
    new_agencies = (
        agencies_text.rstrip("\n") + "\n" + _agencies_block(info.slug, parsed.new_agencies)
    )
    _load_text(new_catalog, Catalog, paths.catalog)
    _load_text(new_agencies, Registry, paths.agencies)
    if not dry_run:
        old_files = [paths.sources / d.file for d in existing if d.layout == LAYOUT]
        _write_all(
            [
                (file, upload.data),
                (paths.agencies, new_agencies.encode("utf-8")),
                (paths.catalog, new_catalog.encode("utf-8")),  # last: what the build reads
            ]
        )
        for old in old_files:
            if old != file and old.exists():
                old.unlink()
    return Imported(parsed, file, sha, replaced=bool(existing))


def _write_all(files: list[tuple[Path, bytes]]) -> None:
    """Replace each file atomically, in order; if one cannot be written, put back the ones
    already replaced (and remove those that did not exist), so the files are all new or all
    as they were."""
    before = {path: path.read_bytes() if path.exists() else None for path, _ in files}
    done: list[Path] = []
    try:
        for path, data in files:
            _write(path, data)
            done.append(path)
    except BaseException:
        for path in reversed(done):
            old = before[path]
            if old is None:
                path.unlink(missing_ok=True)
            else:
                _write(path, old)
        raise
