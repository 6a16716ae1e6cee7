"""Parsers: one per document layout. Each takes a catalog Document and returns a Plan.

A parser reads only the lines of its document (``Document.read_lines()``) and the
curation entries it asks for by id, raises
:class:`plangraph.errors.SourceError` naming the file and line when the layout is not
what it expects, and never consults the agency registry (mentions stay raw).
"""

from __future__ import annotations

from collections.abc import Callable

from plangraph.errors import SourceError
from plangraph.sources.catalog import Document
from plangraph.sources.curation import Curations
from plangraph.sources.model import Plan

Parser = Callable[[Document, Curations], Plan]


def _parsers() -> dict[str, Parser]:
    # Imported here so that importing plangraph.sources.parsers stays cheap.
    from plangraph.sources.parsers import (
        chn_khm_jpa,
        commit_srpa,
        khm_npa,
        khm_tha_minutes,
        vnm_khm_jpa,
    )
    from plangraph.sources.workbook import parser as workbook

    return {
        "vnm-khm-jpa": vnm_khm_jpa.parse,
        "chn-khm-jpa": chn_khm_jpa.parse,
        "khm-npa": khm_npa.parse,
        "commit-srpa": commit_srpa.parse,
        "khm-tha-minutes": khm_tha_minutes.parse,
        "workbook": workbook.parse,
    }


def parse_document(document: Document, curations: Curations) -> Plan:
    parsers = _parsers()
    parser = parsers.get(document.layout)
    if parser is None:
        raise SourceError(f"no parser for layout {document.layout!r}", file=document.path)
    return parser(document, curations)


def available_layouts() -> list[str]:
    return sorted(_parsers())
