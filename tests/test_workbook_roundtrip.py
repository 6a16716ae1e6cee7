"""Round trip as proof of coverage: each of the five parsed plans exported to the workbook,
imported, and built gives the same plan graph, provenance aside.

The exported plans are imported beside the originals under the slug ``{slug}-rt`` (the
registry cites lines of the original text documents, so they stay in the catalog), and their
IRIs are mapped back (``plan/{slug}-rt/`` -> ``plan/{slug}/``) before comparing. Provenance is
what differs by design: the source spans (lines of a text vs rows of a sheet), the source
document node, ``prov:wasDerivedFrom``, ``pg:sourceDocument`` and the curation decisions a
parser applied (their spans are lines of the text)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rdflib import RDF, Dataset, URIRef
from rdflib.namespace import PROV
from rdflib.term import Node

from plangraph import ids
from plangraph.graph.build import BuildResult, build
from plangraph.ids import PG
from plangraph.paths import ProjectPaths
from plangraph.sources.workbook.export import export_plan
from plangraph.sources.workbook.importer import import_workbook
from tests.conftest import copy_project

PLANS = [
    "vnm-khm-2020-2022",
    "chn-khm-2017-2019",
    "khm-tha-2023-2025",
    "khm-npa-2011-2013",
    "commit-srpa-2005-2007",
]

Triple = tuple[Node, Node, Node]


def plan_graph(ds: Dataset, document: str, rename: tuple[str, str] | None = None) -> set[Triple]:
    """The triples of a document's graph, provenance aside, IRIs renamed by ``rename``."""
    g = ds.graph(ids.document_graph(document))
    skip = set(g.subjects(RDF.type, PG.SourceSpan))
    skip |= set(g.subjects(RDF.type, PG.CurationDecision))
    skip.add(ids.source(document))

    def r(term: Node) -> Node:
        if rename and isinstance(term, URIRef):
            text = str(term)
            old, new = rename
            if text.endswith(old.rstrip("/")):  # the plan itself
                return URIRef(text[: -len(old.rstrip("/"))] + new.rstrip("/"))
            return URIRef(text.replace(old, new))
        return term

    return {
        (r(s), p, r(o))
        for s, p, o in g
        if s not in skip and p not in (PROV.wasDerivedFrom, PG.sourceDocument, PG.curation)
    }


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildResult, BuildResult]:
    original = build(ProjectPaths())
    root = tmp_path_factory.mktemp("roundtrip")
    paths = copy_project(root)
    themes = paths.curation / "themes.yaml"
    text = themes.read_text(encoding="utf-8")
    for slug in PLANS:  # the reviewed theme decisions follow the plan to its new slug
        text = text.replace(f"{slug}/", f"{slug}-rt/")
    themes.write_text(text, encoding="utf-8")
    for slug in PLANS:
        book = load_workbook(io.BytesIO(export_plan(paths, slug)))
        book["Plan"]["B2"] = f"{slug}-rt"  # the slug row of the Plan sheet
        path = Path(root) / f"{slug}.xlsx"
        book.save(path)
        import_workbook(path, paths)
    return original, build(paths)


@pytest.mark.slow
@pytest.mark.parametrize("slug", PLANS)
def test_export_import_build_gives_the_same_plan_graph(
    slug: str, builds: tuple[BuildResult, BuildResult]
) -> None:
    original, imported = builds
    document = next(d.slug for d, _ in original.plans if d.plan.slug == slug)
    before = plan_graph(original.dataset, document)
    after = plan_graph(imported.dataset, f"{slug}-rt", (f"/plan/{slug}-rt/", f"/plan/{slug}/"))
    total_before = len(original.dataset.graph(ids.document_graph(document)))
    total_after = len(imported.dataset.graph(ids.document_graph(f"{slug}-rt")))
    print(
        f"\n{slug}: parsed {total_before} triples ({len(before)} provenance aside), "
        f"workbook {total_after} triples ({len(after)} provenance aside)"
    )
    assert len(before) > 500
    assert before - after == set(), sorted(before - after)[:10]
    assert after - before == set(), sorted(after - before)[:10]
