"""The ``workbook`` layout: a plan added with ``plangraph import``, read by the build like
any source document (its SHA-256 checked against the catalog)."""

from __future__ import annotations

import hashlib

from plangraph.errors import SourceError
from plangraph.sources.catalog import Document
from plangraph.sources.curation import Curations
from plangraph.sources.model import Plan
from plangraph.sources.workbook.reader import read_bytes
from plangraph.sources.workbook.validate import check


def parse(document: Document, curations: Curations) -> Plan:
    """The plan of a catalogued workbook. Agency names stay as printed (the build resolves
    them); every other check of ``plangraph import`` runs again."""
    try:
        data = document.path.read_bytes()
    except FileNotFoundError:
        raise SourceError("source file is missing", file=document.path) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != document.sha256:
        raise SourceError(
            f"SHA-256 of {document.file} is {digest}, catalog.yaml says {document.sha256}: "
            "the file changed",
            file=document.catalog or document.path,
            line=document.sha256_line,
        )
    parsed, report = check(read_bytes(data, document.file), None, (), document.slug)
    if parsed is None:
        raise SourceError(
            f"{report.problems[0]} ({len(report.problems)} problems: "
            f"run plangraph import --check {document.file})",
            file=document.path,
        )
    return parsed.plan
