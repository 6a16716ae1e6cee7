"""The source catalog (data/sources/catalog.yaml): documents, their plans, agreements."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plangraph.errors import CatalogError, SourceError
from plangraph.sources.yamlfile import Lines, Reading, read_mapping

DOCUMENT_KINDS = ("joint plan", "national plan", "sub-regional plan", "meeting minutes")
STATUSES = ("draft", "final")


@dataclass(frozen=True)
class PlanMeta:
    slug: str
    title: str
    status: str
    parties: tuple[str, ...]
    start_year: int
    end_year: int
    implements: str | None


@dataclass(frozen=True)
class Document:
    slug: str
    file: str
    original_file: str
    sha256: str
    title: str
    kind: str
    layout: str
    plan: PlanMeta
    path: Path
    # the catalog that lists the document, and the line of its sha256 there
    catalog: Path | None = field(default=None, compare=False)
    sha256_line: int | None = field(default=None, compare=False)
    # the original document, where the catalog gives it (a workbook plan's Plan sheet does)
    date: str | None = None
    url: str | None = None
    licence: str | None = None

    def read_lines(self) -> list[str]:
        """The document's lines (index 0 is line 1), after checking its checksum."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            raise SourceError("source file is missing", file=self.path) from None
        digest = hashlib.sha256(data).hexdigest()
        if digest != self.sha256:
            # named where the expected digest is written: the document's sha256 line
            raise SourceError(
                f"SHA-256 of {self.file} is {digest}, catalog.yaml says {self.sha256}: "
                "the file changed",
                **self._in_catalog(self.sha256_line),
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise SourceError(
                f"not valid UTF-8 ({exc.reason})", file=self.path, line=line
            ) from None
        return text.split("\n")

    def _in_catalog(self, line: int | None) -> dict[str, Any]:
        """file= and line= of an error about this entry of the catalog (the document's own file
        for a Document made without a catalog)."""
        if self.catalog is None:
            return {"file": self.path}
        return {"file": self.catalog, "line": line}


@dataclass(frozen=True)
class Agreement:
    slug: str
    title: str
    kind: str
    parties: tuple[str, ...]
    signed: str | None
    source: str | None


@dataclass(frozen=True)
class Catalog:
    path: Path
    documents: tuple[Document, ...]
    agreements: tuple[Agreement, ...]

    def document(self, slug: str) -> Document:
        for d in self.documents:
            if d.slug == slug:
                return d
        raise CatalogError(f"no document with slug {slug!r}", file=self.path)

    def agreement(self, slug: str) -> Agreement:
        for a in self.agreements:
            if a.slug == slug:
                return a
        raise CatalogError(f"no agreement with slug {slug!r}", file=self.path)

    def parties(self) -> list[str]:
        seen: dict[str, None] = {}
        for d in self.documents:
            seen.update(dict.fromkeys(d.plan.parties))
        for a in self.agreements:
            seen.update(dict.fromkeys(a.parties))
        return list(seen)


def _req(entry: Any, key: str, where: str, path: Path, lines: Lines, at: int | None) -> Any:
    """``entry[key]``; CatalogError otherwise, at the line of the key, else of the entry
    (``at``: where the entry is, for an entry that is not a mapping)."""
    if not isinstance(entry, dict) or key not in entry or entry[key] in (None, ""):
        raise CatalogError(f"{where}: missing {key!r}", file=path, line=lines.of(entry, key) or at)
    return entry[key]


def load_source_catalog(path: Path) -> Catalog:
    """The source catalog; a value of the wrong type anywhere in the YAML (a list where a
    string belongs, a number where a list does) is a CatalogError naming the file, never a
    crash."""
    with read_mapping(
        path,
        CatalogError,
        "catalog",
        "catalog file is missing",
        "'documents' and 'agreements'",
        lists=("agreements", "documents"),
    ) as (raw, lines, reading):
        return _load_source_catalog(path, raw, lines, reading)


def _load_source_catalog(
    path: Path, raw: dict[str, Any], lines: Lines, reading: Reading
) -> Catalog:
    agreements = []
    for i, e in enumerate(raw.get("agreements") or []):
        where, at = f"agreements[{i}]", lines.of(raw["agreements"], i)
        reading.entry(at)
        agreements.append(
            Agreement(
                slug=_req(e, "slug", where, path, lines, at),
                title=" ".join(str(_req(e, "title", where, path, lines, at)).split()),
                kind=_req(e, "kind", where, path, lines, at),
                parties=tuple(_req(e, "parties", where, path, lines, at)),
                signed=str(e["signed"]) if e.get("signed") else None,
                source=e.get("source"),
            )
        )
    agreement_slugs = {a.slug for a in agreements}

    documents = []
    for i, e in enumerate(raw.get("documents") or []):
        where, at = f"documents[{i}]", lines.of(raw["documents"], i)
        reading.entry(at)
        slug = _req(e, "slug", where, path, lines, at)
        kind = _req(e, "kind", where, path, lines, at)
        if kind not in DOCUMENT_KINDS:
            raise CatalogError(
                f"{slug}: kind {kind!r} is not one of {DOCUMENT_KINDS}",
                file=path,
                line=lines.of(e, "kind"),
            )
        p = _req(e, "plan", where, path, lines, at)
        p_at = lines.of(e, "plan")
        status = _req(p, "status", f"{slug}.plan", path, lines, p_at)
        if status not in STATUSES:
            raise CatalogError(
                f"{slug}: status {status!r} is not one of {STATUSES}",
                file=path,
                line=lines.of(p, "status"),
            )
        period = _req(p, "period", f"{slug}.plan", path, lines, p_at)
        if not (
            isinstance(period, list)
            and len(period) == 2
            and all(isinstance(y, int) for y in period)
        ):
            raise CatalogError(
                f"{slug}: period must be [start year, end year]",
                file=path,
                line=lines.of(p, "period"),
            )
        implements = p.get("implements")
        if implements is not None and implements not in agreement_slugs:
            raise CatalogError(
                f"{slug}: implements unknown agreement {implements!r}",
                file=path,
                line=lines.of(p, "implements"),
            )
        file = _req(e, "file", where, path, lines, at)
        documents.append(
            Document(
                slug=slug,
                file=file,
                original_file=_req(e, "original_file", where, path, lines, at),
                sha256=str(_req(e, "sha256", where, path, lines, at)),
                title=" ".join(str(_req(e, "title", where, path, lines, at)).split()),
                kind=kind,
                layout=_req(e, "layout", where, path, lines, at),
                plan=PlanMeta(
                    slug=_req(p, "slug", f"{slug}.plan", path, lines, p_at),
                    title=_req(p, "title", f"{slug}.plan", path, lines, p_at),
                    status=status,
                    parties=tuple(_req(p, "parties", f"{slug}.plan", path, lines, p_at)),
                    start_year=period[0],
                    end_year=period[1],
                    implements=implements,
                ),
                path=path.parent / file,
                catalog=path,
                sha256_line=lines.of(e, "sha256"),
                date=str(e["date"]) if e.get("date") else None,
                url=str(e["url"]) if e.get("url") else None,
                licence=str(e["licence"]) if e.get("licence") else None,
            )
        )
    reading.entry(None)
    docs, agrs = raw.get("documents") or [], raw.get("agreements") or []
    for label, values in (
        ("document", [(e["slug"], lines.of(e, "slug")) for e in docs]),
        ("plan", [(e["plan"]["slug"], lines.of(e["plan"], "slug")) for e in docs]),
        ("agreement", [(e["slug"], lines.of(e, "slug")) for e in agrs]),
    ):
        slugs = [slug for slug, _ in values]
        dupes = sorted({v for v in slugs if slugs.count(v) > 1})
        if dupes:  # named at the second occurrence of the first duplicate
            line = next(line for i, (slug, line) in enumerate(values) if slug in slugs[:i])
            raise CatalogError(f"duplicate {label} slugs: {', '.join(dupes)}", file=path, line=line)
    return Catalog(path=path, documents=tuple(documents), agreements=tuple(agreements))
