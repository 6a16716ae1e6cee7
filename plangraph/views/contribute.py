"""What /contribute shows for an uploaded plan workbook: the cell-level report, a preview of
the plan, and the plan as TriG. Nothing is stored: the CLI (plangraph import) does the adding.

The checks are those of ``plangraph import`` against the project's agency registry and source
catalog (read from data/, as the import reads them), without the slug check (the page adds
nothing); an unknown agency gets the reconciliation's candidates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plangraph import ids
from plangraph.graph.mapping import ontology_graph, plan_dataset, registry_graph
from plangraph.paths import ProjectPaths
from plangraph.sources.catalog import load_source_catalog
from plangraph.sources.curation import Curations
from plangraph.sources.registry import AgencyEntry, Registry, load_registry
from plangraph.sources.workbook.importer import document_for
from plangraph.sources.workbook.problems import Report
from plangraph.sources.workbook.reader import read_bytes
from plangraph.sources.workbook.validate import Parsed, check
from plangraph.store.embedded import EmbeddedStore
from plangraph.views.reconcile import similarity

SUGGESTIONS = 3
MIN_SCORE = 50.0


def registry_suggester(registry: Registry) -> Callable[[str], list[str]]:
    """The reconciliation's top candidates for an agency name the registry does not know:
    "Name (id)", best first (at most 3, each scoring at least 50 of 100)."""

    def suggest(name: str) -> list[str]:
        scored = []
        for a in registry.agencies.values():
            if a.kind == "unspecified-group":
                continue
            score = max(similarity(name, n) for n in (a.name, *a.aliases))
            if score >= MIN_SCORE:
                scored.append((-score, a.id, f"{a.name} ({a.id})"))
        return [label for _, _, label in sorted(scored)[:SUGGESTIONS]]

    return suggest


@dataclass
class Contribution:
    name: str
    sha256: str
    report: Report
    parsed: Parsed | None
    registry: Registry

    @property
    def valid(self) -> bool:
        return self.parsed is not None and self.report.ok

    def trig(self) -> bytes:
        """The plan's named graph as TriG (provenance: the workbook's sheets and rows)."""
        assert self.parsed is not None
        registry = _with_new_agencies(self.registry, self.parsed)
        document = document_for(
            self.parsed.info,
            Path(f"{self.parsed.info.slug}{Path(self.name).suffix}"),
            self.name,
            self.sha256,
        )
        ds = plan_dataset(document, self.parsed.plan, registry, Curations({}))
        data = ds.serialize(format="trig")
        return data.encode("utf-8") if isinstance(data, str) else data

    def preview_store(self, paths: ProjectPaths) -> EmbeddedStore:
        """A store holding the ontology, the registry (with the workbook's new agencies) and
        the plan: the plan page reads it as it reads the dataset, to preview it before it is
        imported. In memory; dropped with the request."""
        assert self.parsed is not None
        registry = _with_new_agencies(self.registry, self.parsed)
        document = document_for(
            self.parsed.info,
            Path(f"{self.parsed.info.slug}{Path(self.name).suffix}"),
            self.name,
            self.sha256,
        )
        ds = plan_dataset(document, self.parsed.plan, registry, Curations({}))
        ontology_graph(ds.graph(ids.ONTOLOGY_GRAPH), paths.ontology)
        registry_graph(ds.graph(ids.REGISTRY_GRAPH), registry, load_source_catalog(paths.catalog))
        data = ds.serialize(format="nquads")
        raw = data.encode("utf-8") if isinstance(data, str) else data
        return EmbeddedStore.from_rdf(raw, "nquads", build_id=f"preview-{self.sha256[:12]}")

    def preview(self) -> dict[str, Any]:
        """The plan as the preview shows it: its metadata, sections and their steps."""
        assert self.parsed is not None
        info, plan = self.parsed.info, self.parsed.plan
        names = {a.id: a.name for a in self.registry.agencies.values()}
        names.update({a.id: a.name for a in self.parsed.new_agencies})
        steps_by_section: dict[str | None, list[dict[str, Any]]] = {}
        for a in plan.activities:
            steps_by_section.setdefault(a.section, []).append(
                {
                    "number": a.printed_number or a.number,
                    "text": a.text,
                    "years": a.years,
                    "status": a.implementation_status,
                    "agencies": [
                        {
                            "name": names.get(c.mention.resolved or "", c.mention.text),
                            "id": c.mention.resolved,
                            "role": c.role,
                        }
                        for c in a.commitments
                    ],
                    "outputs": [o.text for o in a.outputs],
                    "notes": [{"kind": n.kind, "text": n.text} for n in a.notes],
                }
            )
        sections = [
            {
                "title": (f"{s.number} {s.title}" if s.number else s.title),
                "steps": steps_by_section.get(s.key, []),
            }
            for s in plan.sections
        ]
        if None in steps_by_section:
            sections.append({"title": "Steps outside any section", "steps": steps_by_section[None]})
        return {
            "slug": info.slug,
            "title": info.title,
            "label": info.label,
            "status": info.status,
            "kind": info.kind,
            "parties": list(info.parties),
            "period": f"{info.start_year}–{info.end_year}",
            "document_title": info.document_title,
            "steps": len(plan.activities),
            "commitments": sum(len(a.commitments) for a in plan.activities),
            "new_agencies": [{"id": a.id, "name": a.name} for a in self.parsed.new_agencies],
            "sections": sections,
        }

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.name, "sha256": self.sha256, **self.report.to_json()}
        out["valid"] = self.valid
        if self.valid:
            out["plan"] = self.preview()
        return out


def _with_new_agencies(registry: Registry, parsed: Parsed) -> Registry:
    agencies = dict(registry.agencies)
    for a in parsed.new_agencies:
        agencies[a.id] = AgencyEntry(a.id, a.name, a.party, a.kind, a.parent, a.aliases, 0)
    return Registry(registry.path, registry.parties, agencies, registry.party_relative_aliases)


def check_upload(data: bytes, name: str, paths: ProjectPaths) -> Contribution:
    """Check an uploaded workbook (WorkbookError when it cannot be read: too large, a zip
    bomb, not a workbook)."""
    book = read_bytes(data, name)
    registry = load_registry(paths.agencies)
    agreements = tuple(a.slug for a in load_source_catalog(paths.catalog).agreements)
    parsed, report = check(book, registry, agreements, None, registry_suggester(registry))
    return Contribution(name, hashlib.sha256(data).hexdigest(), report, parsed, registry)


def blank_template(paths: ProjectPaths) -> bytes:
    """The blank workbook, its drop-downs filled from the project's registry and catalog."""
    from plangraph.sources.workbook.validate import Context
    from plangraph.sources.workbook.writer import write_workbook

    registry = load_registry(paths.agencies)
    agreements = tuple(a.slug for a in load_source_catalog(paths.catalog).agreements)
    return write_workbook(Context(tuple(registry.parties), agreements))
