"""The source catalog: every document present, unchanged, described."""

from __future__ import annotations

import hashlib

import pytest

from plangraph.errors import CatalogError, SourceError
from plangraph.paths import ProjectPaths
from plangraph.sources.catalog import DOCUMENT_KINDS, Catalog, load_source_catalog


def test_five_documents_with_their_checksums(catalog: Catalog) -> None:
    assert len(catalog.documents) == 5
    for d in catalog.documents:
        assert hashlib.sha256(d.path.read_bytes()).hexdigest() == d.sha256, d.file
        assert d.kind in DOCUMENT_KINDS
        assert d.plan.start_year <= d.plan.end_year
        assert d.original_file.endswith(".txt")


def test_every_plan_implements_a_catalogued_agreement(catalog: Catalog) -> None:
    slugs = {a.slug for a in catalog.agreements}
    implemented = {d.plan.implements for d in catalog.documents}
    assert implemented - {None} <= slugs
    assert catalog.agreement("commit-mou-2004").signed == "2004-10-29"
    assert set(catalog.agreement("commit-mou-2004").parties) == {
        "khm",
        "chn",
        "lao",
        "mmr",
        "tha",
        "vnm",
    }


def test_changed_source_is_refused_at_its_catalog_entry(project_copy: ProjectPaths) -> None:
    catalog = load_source_catalog(project_copy.catalog)
    doc = catalog.document("vnm-khm-jpa-2020-2022")
    doc.path.write_text(doc.path.read_text(encoding="utf-8") + "extra\n", encoding="utf-8")
    with pytest.raises(SourceError) as err:
        doc.read_lines()
    # named at the document's sha256 line in the catalog, the file named in the message
    sha256_line = project_copy.catalog.read_text(encoding="utf-8").splitlines()[err.value.line - 1]
    assert err.value.file == str(project_copy.catalog)
    assert sha256_line.strip() == f"sha256: {doc.sha256}"
    assert "SHA-256" in str(err.value) and doc.file in str(err.value)


def test_missing_field_names_file_and_line(project_copy: ProjectPaths) -> None:
    text = project_copy.catalog.read_text(encoding="utf-8")
    project_copy.catalog.write_text(text.replace("    layout: chn-khm-jpa\n", ""), encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        load_source_catalog(project_copy.catalog)
    assert err.value.file == str(project_copy.catalog)
    assert "missing 'layout'" in str(err.value)
    # at the line the document's entry starts on
    lines = project_copy.catalog.read_text(encoding="utf-8").splitlines()
    assert lines[err.value.line - 1] == "  - slug: chn-khm-jpa-2017-2019"


def test_invalid_utf8_names_its_line(project_copy: ProjectPaths) -> None:
    data = project_copy.catalog.read_bytes()
    at = data.index(b"documents:")
    project_copy.catalog.write_bytes(data[:at] + b"\xff" + data[at:])
    with pytest.raises(CatalogError, match="not valid UTF-8") as err:
        load_source_catalog(project_copy.catalog)
    assert err.value.line == data[:at].count(b"\n") + 1


def test_wrong_type_names_the_entry_line(project_copy: ProjectPaths) -> None:
    text = project_copy.catalog.read_text(encoding="utf-8")
    text = text.replace(
        "    parties: [vnm, khm]\n    signed: null", "    parties: 3\n    signed: null"
    )
    project_copy.catalog.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match="in the entry at this line") as err:
        load_source_catalog(project_copy.catalog)
    assert text.splitlines()[err.value.line - 1] == "  - slug: vnm-khm-tip-agreement"
