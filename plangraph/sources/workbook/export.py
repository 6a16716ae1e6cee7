"""The template and the export of a plan: the lists of allowed values come from the project's
catalog and registry; a plan is read the way the build reads it (parsed, mentions resolved)."""

from __future__ import annotations

from plangraph.errors import CatalogError
from plangraph.paths import ProjectPaths
from plangraph.sources.catalog import load_source_catalog
from plangraph.sources.curation import load_curations
from plangraph.sources.parsers import parse_document
from plangraph.sources.registry import load_registry, resolve_plan
from plangraph.sources.workbook.importer import added_agencies
from plangraph.sources.workbook.validate import Context
from plangraph.sources.workbook.writer import plan_rows, write_workbook


def context(paths: ProjectPaths) -> Context:
    catalog = load_source_catalog(paths.catalog)
    registry = load_registry(paths.agencies)
    return Context(tuple(registry.parties), tuple(a.slug for a in catalog.agreements))


def blank_template(paths: ProjectPaths) -> bytes:
    return write_workbook(context(paths))


def export_plan(paths: ProjectPaths, slug: str) -> bytes:
    """Plan ``slug`` (any plan in the catalog, parsed or imported) as a workbook."""
    catalog = load_source_catalog(paths.catalog)
    documents = [d for d in catalog.documents if slug in (d.plan.slug, d.slug)]
    if not documents:
        known = ", ".join(d.plan.slug for d in catalog.documents)
        raise CatalogError(f"no plan {slug!r} (plans: {known})", param="--plan")
    document = documents[0]
    registry = load_registry(paths.agencies)
    plan = parse_document(document, load_curations(paths.curation))
    resolve_plan(plan, registry, document.path)
    rows = plan_rows(plan, document)
    # the bodies this plan's import added to the registry go back on its New agencies sheet
    added = added_agencies(paths.agencies.read_text(encoding="utf-8"), document.plan.slug)
    rows["agencies"] = [
        {
            "id": a.id,
            "name": a.name,
            "party": a.party,
            "kind": a.kind,
            "parent": a.parent,
            "aliases": "; ".join(a.aliases) or None,
        }
        for a in (registry.agencies[i] for i in added if i in registry.agencies)
    ]
    return write_workbook(context(paths), rows)
