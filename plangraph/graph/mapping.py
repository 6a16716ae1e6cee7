"""The mapping from records to RDF: the only module that makes triples.

One named graph per source document (its plan and everything read from it), one for the
registry (parties, agencies, agreements) and one for the ontology and its concept schemes.
No blank nodes: every node has a URI built by :mod:`plangraph.ids`, so serialisations are
deterministic and every fact can be pointed at.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import RDF, RDFS, XSD, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS
from rdflib.term import Node

from plangraph import ids
from plangraph.ids import ORG, PG
from plangraph.sources.catalog import Catalog, Document
from plangraph.sources.curation import Curations
from plangraph.sources.model import (
    Activity,
    Commitment,
    Indicator,
    Meeting,
    Note,
    Output,
    Plan,
    PlanVersion,
    Section,
    SourceSpan,
)
from plangraph.sources.registry import HistoryEvent, Registry, SourceRef
from plangraph.sources.turtle import parse_turtle

if TYPE_CHECKING:  # types only: serving uses this module without the build-time analysis
    from plangraph.analysis.overlaps.detect import Detection
    from plangraph.analysis.themes import Tagging

SECTION_CLASSES = {
    "area": PG.Area,
    "objective": PG.Objective,
    "strategy": PG.Strategy,
    "activity-group": PG.ActivityGroup,
    "specific-objective": PG.SpecificObjective,
    "ppc": PG.ProjectProposalConcept,
    "section": PG.PlanSection,
    "area-objective": PG.Objective,  # COMMIT: the numbered points under an Area (5.1 ...)
    "plan-year": PG.PlanSection,  # Cambodia–Thailand Annex 4: Year 1, Year 2, Year 3
}
STEP_CLASSES = {
    "activity": PG.Activity,
    "action": PG.Activity,
    "sub-activity": PG.SubActivity,
    "work-item": PG.WorkItem,
    "quarterly-item": PG.QuarterlyActivity,
}
PLAN_CLASSES = {1: PG.NationalPlan, 2: PG.JointPlan}


def year(value: int) -> Literal:
    return Literal(f"{value:04d}", datatype=XSD.gYear)


def decimal(value: float) -> str:
    """An xsd:decimal lexical form (never an exponent): 4.0 -> "4", 2.5 -> "2.5"."""
    text = f"{Decimal(repr(value)):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _text(value: str) -> Literal:
    return Literal(value)


class _Mapper:
    def __init__(
        self,
        graph: Graph,
        document: Document,
        registry: Registry,
        curations: Curations,
        themes: Tagging | None = None,
    ):
        self.g = graph
        self.doc = document
        self.registry = registry
        self.curations = curations
        self.themes = themes
        self.plan_uri = ids.plan(document.plan.slug)

    def add(self, s: URIRef, p: URIRef, o: Node) -> None:
        self.g.add((s, p, o))

    def spans(self, node: URIRef, spans: Iterable[SourceSpan]) -> None:
        for sp in spans:
            if sp.sheet:
                self.row_span(node, sp)
                continue
            uri = ids.span(sp.document, sp.start_line, sp.end_line)
            self.add(node, PROV.wasDerivedFrom, uri)
            self.add(uri, RDF.type, PG.SourceSpan)
            self.add(uri, PG.document, ids.source(sp.document))
            self.add(uri, PG.startLine, Literal(sp.start_line))
            self.add(uri, PG.endLine, Literal(sp.end_line))
            label = f"lines {sp.start_line}-{sp.end_line}"
            if sp.start_line == sp.end_line:
                label = f"line {sp.start_line}"
            self.add(uri, RDFS.label, Literal(f"{sp.document}, {label}"))

    def row_span(self, node: URIRef, sp: SourceSpan) -> None:
        """A workbook row: its lines are the row, its label names the sheet, its citation
        says where the row stands in the original document."""
        uri = ids.sheet_row(sp.document, sp.sheet, sp.start_line)
        self.add(node, PROV.wasDerivedFrom, uri)
        self.add(uri, RDF.type, PG.SourceSpan)
        self.add(uri, PG.document, ids.source(sp.document))
        self.add(uri, PG.startLine, Literal(sp.start_line))
        self.add(uri, PG.endLine, Literal(sp.end_line))
        self.add(uri, RDFS.label, Literal(f"{sp.document}, {sp.sheet} row {sp.start_line}"))
        if sp.locator:
            self.add(uri, DCTERMS.bibliographicCitation, Literal(sp.locator))

    def notes(self, node: URIRef, notes: list[Note], prop: URIRef = PG.note) -> None:
        for i, note in enumerate(notes, 1):
            uri = ids.child(node, "note", i)
            self.add(node, prop, uri)
            self.add(uri, RDF.type, PG.Note)
            self.add(uri, PG.noteKind, Literal(note.kind))
            self.add(uri, DCTERMS.description, _text(note.text))
            if note.uncertain:
                self.add(uri, PG.uncertain, Literal(True))
            self.spans(uri, [note.span])

    def source_document(self) -> None:
        d = self.doc
        uri = ids.source(d.slug)
        self.add(uri, RDF.type, PG.SourceDocument)
        self.add(uri, RDF.type, PROV.Entity)
        self.add(uri, DCTERMS.title, Literal(d.title))
        self.add(uri, RDFS.label, Literal(d.file))
        self.add(uri, PG.fileName, Literal(d.file))
        self.add(uri, PG.originalFileName, Literal(d.original_file))
        self.add(uri, PG.sha256, Literal(d.sha256))
        self.add(uri, PG.documentKind, Literal(d.kind))
        if d.date:
            self.add(uri, DCTERMS.date, Literal(d.date))
        if d.url:
            self.add(uri, DCTERMS.source, URIRef(d.url))
        if d.licence:
            self.add(uri, DCTERMS.license, Literal(d.licence))

    def plan(self, plan: Plan) -> None:
        meta = self.doc.plan
        uri = self.plan_uri
        self.add(uri, RDF.type, PG.PlanOfAction)
        self.add(uri, RDF.type, PLAN_CLASSES.get(len(meta.parties), PG.SubRegionalPlan))
        self.add(uri, RDFS.label, Literal(meta.title))
        self.add(uri, DCTERMS.title, Literal(plan.title))
        self.add(uri, PG.status, Literal(meta.status))
        self.add(uri, PG.startYear, year(meta.start_year))
        self.add(uri, PG.endYear, year(meta.end_year))
        for p in meta.parties:
            self.add(uri, PG.party, ids.party(p))
        if meta.implements:
            self.add(uri, PG.implements, ids.agreement(meta.implements))
        self.add(uri, PROV.wasDerivedFrom, ids.source(self.doc.slug))
        self.add(uri, PG.sourceDocument, ids.source(self.doc.slug))
        for m in plan.coordinators:
            self.add(uri, PG.coordinator, ids.agency(self._resolved(m.resolved, m.text)))
        if plan.general_objective:
            self.add(uri, PG.generalObjective, _text(plan.general_objective))
        for flag in plan.flags:
            self.add(uri, PG.flag, Literal(flag))
        self.notes(uri, plan.notes)
        for s in plan.sections:
            self.section(s)
        for a in plan.activities:
            self.activity(plan, a)
        for inst in plan.legal_instruments:
            iuri = ids.instrument(inst.key)
            self.add(iuri, RDF.type, PG.LegalInstrument)
            self.add(iuri, DCTERMS.title, _text(inst.title))
            self.add(iuri, RDFS.label, _text(inst.title))
            self.add(iuri, PG.instrumentKind, Literal(inst.kind))
            if inst.date:
                self.add(iuri, DCTERMS.date, Literal(inst.date))
            if inst.same_as_agreement:
                self.add(iuri, PG.correspondsTo, ids.agreement(inst.same_as_agreement))
            self.spans(iuri, inst.spans)
        for meeting in plan.meetings:
            self.meeting(plan, meeting)
        for version in plan.versions:
            self.version(version)

    def version(self, v: PlanVersion) -> None:
        slug = self.doc.plan.slug
        uri = ids.version(slug, v.key)
        self.add(uri, RDF.type, PG.PlanVersion)
        self.add(uri, RDF.type, PROV.Entity)
        self.add(uri, DCTERMS.isVersionOf, self.plan_uri)
        self.add(self.plan_uri, DCTERMS.hasVersion, uri)
        self.add(uri, DCTERMS.title, _text(v.title))
        self.add(uri, RDFS.label, _text(f"{self.doc.plan.title}: {v.title}"))
        self.add(uri, PG.versionStatus, Literal(v.status))
        for number in v.steps:
            self.add(uri, PG.includesStep, ids.activity(slug, number))
        if v.revision_of:
            self.add(uri, PROV.wasRevisionOf, ids.version(slug, v.revision_of))
        self.spans(uri, v.spans)

    def _resolved(self, key: str | None, text: str) -> str:
        if key is None:
            raise ValueError(f"mention {text!r} was not resolved before mapping")
        return key

    def section(self, s: Section) -> None:
        uri = ids.section(self.doc.plan.slug, s.key)
        self.add(uri, RDF.type, PG.Section)
        self.add(uri, RDF.type, SECTION_CLASSES[s.kind])
        self.add(uri, PG.plan, self.plan_uri)
        self.add(uri, DCTERMS.title, _text(s.title))
        label = (
            f"{s.kind.replace('-', ' ').capitalize()} {s.number}: {s.title}"
            if s.number
            else s.title
        )
        self.add(uri, RDFS.label, _text(label))
        if s.number:
            self.add(uri, PG.number, Literal(s.number))
        if s.parent:
            self.add(uri, PG.parentSection, ids.section(self.doc.plan.slug, s.parent))
        if s.description:
            self.add(uri, DCTERMS.description, _text(s.description))
        for i, out in enumerate(s.expected_results, 1):
            ouri = ids.child(uri, "output", i)
            self.add(uri, PG.output, ouri)
            self.add(ouri, RDF.type, PG.Output)
            self.add(ouri, DCTERMS.description, _text(out.text))
            self.spans(ouri, [out.span])
        if s.stated_activity_count is not None:
            self.add(uri, PG.statedActivityCount, Literal(s.stated_activity_count))
        for flag in s.flags:
            self.add(uri, PG.flag, Literal(flag))
        self.notes(uri, s.notes)
        self.commitments(uri, s.commitments, PG.section)
        self.spans(uri, s.spans)

    def activity(self, plan: Plan, a: Activity) -> None:
        slug = self.doc.plan.slug
        uri = ids.activity(slug, a.number)
        cls = STEP_CLASSES[a.kind]
        self.add(uri, RDF.type, PG.Step)
        self.add(uri, RDF.type, cls)
        self.add(uri, PG.plan, self.plan_uri)
        self.add(uri, PG.number, Literal(a.number))
        if a.printed_number:
            self.add(uri, PG.printedNumber, Literal(a.printed_number))
        self.add(uri, DCTERMS.description, _text(a.text))
        self.add(
            uri,
            RDFS.label,
            _text(f"{a.number} {a.text}" if len(a.text) <= 80 else f"{a.number} {a.text[:77]}..."),
        )
        if a.section:
            self.add(uri, PG.section, ids.section(slug, a.section))
        if a.parent:
            self.add(uri, PG.subActivityOf, ids.activity(slug, a.parent))
        if a.position is not None:
            self.add(uri, PG.order, Literal(a.position))
        for y in a.years:
            self.add(uri, PG.year, year(y))
        for q in a.quarters:
            self.add(uri, PG.quarter, Literal(q))
        listed: list[tuple[str, Sequence[Output | Indicator]]]
        listed = [("output", a.outputs), ("indicator", a.indicators)]
        for kind, items in listed:
            cls_ = PG.Output if kind == "output" else PG.Indicator
            prop = PG.output if kind == "output" else PG.indicator
            for i, item in enumerate(items, 1):
                node = ids.child(uri, kind, i)
                self.add(uri, prop, node)
                self.add(node, RDF.type, cls_)
                self.add(node, DCTERMS.description, _text(item.text))
                self.spans(node, [item.span])
        for i, t in enumerate(a.targets, 1):
            node = ids.child(uri, "target", i)
            self.add(uri, PG.target, node)
            self.add(node, RDF.type, PG.Target)
            self.add(node, DCTERMS.description, _text(t.text))
            if t.value is not None:
                self.add(node, PG.value, Literal(decimal(t.value), datatype=XSD.decimal))
            if t.year is not None:
                self.add(node, PG.targetYear, year(t.year))
            if t.period_label:
                self.add(node, PG.periodLabel, Literal(t.period_label))
            if t.unit:
                self.add(node, PG.unit, Literal(t.unit))
            if t.garbled:
                self.add(node, PG.garbled, Literal(True))
            self.spans(node, [t.span])
        self.notes(uri, a.notes)
        for n in a.serves:
            self.add(uri, PG.serves, ids.activity(slug, n))
        for key in a.cites:
            self.add(uri, PG.cites, ids.instrument(key))
        for place in a.places:
            self.add(uri, PG.place, Literal(place))
        if a.implementation_status:
            self.add(uri, PG.implementationStatus, _text(a.implementation_status))
        if a.uncertain:
            self.add(uri, PG.uncertain, Literal(True))
        for flag in a.flags:
            self.add(uri, PG.flag, Literal(flag))
        if self.themes is not None:
            for tag in self.themes.tags.get((slug, a.number), []):
                self.add(uri, PG.theme, ids.theme(tag.theme))
            reason = self.themes.unthemed.get((slug, a.number))
            if reason is not None:
                self.add(uri, PG.flag, Literal("unthemed"))
                self.add(uri, SKOS.note, _text(f"No action theme: {reason}"))
        for cid in a.curations:
            self.curation(uri, cid)
        self.commitments(uri, a.commitments, PG.activity)
        self.spans(uri, a.spans)

    def curation(self, node: URIRef, cid: str) -> None:
        entry = self.curations.get(cid)
        uri = ids.curation(cid)
        self.add(node, PG.curation, uri)
        self.add(uri, RDF.type, PG.CurationDecision)
        self.add(uri, RDFS.label, Literal(cid))
        self.add(uri, PG.decisionText, _text(" ".join(entry.decision.split())))
        self.add(uri, PG.reason, _text(" ".join(entry.reason.split())))
        self.spans(uri, [SourceSpan(entry.document, entry.start_line, entry.end_line)])

    def commitments(self, node: URIRef, commitments: list[Commitment], link: URIRef) -> None:
        seen: dict[str, int] = {}
        for c in commitments:
            key = self._resolved(c.mention.resolved, c.mention.text)
            local = f"{c.role}-{key.replace('/', '-')}"
            seen[local] = seen.get(local, 0) + 1
            if seen[local] > 1:
                local = f"{local}-{seen[local]}"
            uri = ids.child(node, "commitment", local)
            self.add(uri, RDF.type, PG.Commitment)
            self.add(uri, link, node)
            self.add(uri, PG.agency, ids.agency(key))
            self.add(uri, PG.role, ids.role(c.role))
            self.add(uri, PG.mentionText, _text(c.mention.text))
            self.add(uri, PG.uncertain, Literal(c.uncertain))
            if c.on_behalf_of:
                self.add(uri, PG.onBehalfOf, ids.party(c.on_behalf_of))
            for y in c.years:
                self.add(uri, PG.year, year(y))
            if c.note:
                self.add(uri, RDFS.comment, _text(c.note))
            self.spans(uri, c.spans or [c.mention.span])

    def meeting(self, plan: Plan, m: Meeting) -> None:
        uri = ids.meeting(m.key)
        self.add(self.plan_uri, PG.meeting, uri)
        self.add(uri, RDF.type, PG.Meeting)
        self.add(uri, DCTERMS.title, _text(m.title))
        self.add(uri, RDFS.label, _text(m.title))
        if m.start_date:
            self.add(uri, PG.startDate, Literal(m.start_date, datatype=XSD.date))
        if m.end_date:
            self.add(uri, PG.endDate, Literal(m.end_date, datatype=XSD.date))
        if m.venue:
            self.add(uri, PG.venue, _text(m.venue))
        for prop, people, kind in (
            (PG.chair, m.chairs, "chair"),
            (PG.participant, m.participants, "participant"),
        ):
            for i, p in enumerate(people, 1):
                puri = ids.child(uri, kind, i)
                self.add(uri, prop, puri)
                self.add(puri, RDF.type, PG.Participant)
                self.add(puri, RDFS.label, _text(p.name))
                if p.position:
                    self.add(puri, PG.jobTitle, _text(p.position))
                if p.organisation is not None:
                    key = self._resolved(p.organisation.resolved, p.organisation.text)
                    self.add(puri, PG.organisation, ids.agency(key))
                    self.add(puri, PG.mentionText, _text(p.organisation.text))
                if p.party:
                    self.add(puri, PG.party, ids.party(p.party))
                self.spans(puri, [p.span])
        self.notes(uri, m.agenda, PG.agendaItem)
        slug = self.doc.plan.slug
        section_keys = {s.key for s in plan.sections}
        numbers = {a.number for a in plan.activities}
        for d in m.decisions:
            duri = ids.child(uri, "decision", d.key)
            self.add(uri, PG.decision, duri)
            self.add(duri, RDF.type, PG.Decision)
            self.add(duri, DCTERMS.description, _text(d.text))
            if d.date:
                self.add(duri, DCTERMS.date, Literal(d.date))
            for target in d.changes:
                if target in section_keys:
                    self.add(duri, PG.changes, ids.section(slug, target))
                elif target in numbers:
                    self.add(duri, PG.changes, ids.activity(slug, target))
                elif target in ("plan", "general-objective"):
                    self.add(duri, PG.changes, self.plan_uri)
                else:
                    raise ValueError(f"decision {d.key} changes unknown {target!r}")
            self.spans(duri, [d.span])
        self.spans(uri, m.spans)


def _registry_spans(graph: Graph, node: URIRef, sources: Iterable[SourceRef]) -> None:
    """``prov:wasDerivedFrom`` the lines a registry fact cites (spans as in the plan graphs)."""
    for ref in sources:
        uri = ids.span(ref.document, ref.start_line, ref.end_line)
        graph.add((node, PROV.wasDerivedFrom, uri))
        graph.add((uri, RDF.type, PG.SourceSpan))
        graph.add((uri, PG.document, ids.source(ref.document)))
        graph.add((uri, PG.startLine, Literal(ref.start_line)))
        graph.add((uri, PG.endLine, Literal(ref.end_line)))
        label = f"lines {ref.start_line}-{ref.end_line}"
        if ref.start_line == ref.end_line:
            label = f"line {ref.start_line}"
        graph.add((uri, RDFS.label, Literal(f"{ref.document}, {label}")))


CHANGE_VERBS = {
    "established": "established",
    "merged-into": "merged into",
    "renamed-to": "renamed to",
    "replaced-by": "replaced by",
    "absorbed": "absorbed",
}


def _organization_change(
    graph: Graph, registry: Registry, own: str, number: int, event: HistoryEvent
) -> None:
    """One history entry as a pg:OrganizationChange (an org:ChangeEvent)."""
    node = ids.child(ids.agency(own), "history", number)
    original, resulting = event.organisations(own)
    graph.add((node, RDF.type, PG.OrganizationChange))
    graph.add((node, PG.changeKind, Literal(event.relation)))
    if original is not None:
        graph.add((node, ORG.originalOrganization, ids.agency(original)))
    graph.add((node, ORG.resultingOrganization, ids.agency(resulting)))
    if event.date is not None:
        datatype = XSD.gYear if len(event.date) == 4 else XSD.date
        graph.add((node, DCTERMS.date, Literal(event.date, datatype=datatype)))
    graph.add((node, PG.statedBySource, Literal(event.stated)))
    name = registry.agencies[own].name
    label = f"{name} {CHANGE_VERBS[event.relation]}"
    if event.target is not None:
        label += f" {registry.agencies[event.target].name}"
    if event.date is not None:
        label += f" ({event.date})"
    if not event.stated:
        label += " (not stated by the sources)"
    graph.add((node, RDFS.label, Literal(label)))
    if event.note:
        graph.add((node, RDFS.comment, Literal(event.note)))
    if event.reason:
        graph.add((node, SKOS.editorialNote, Literal(event.reason)))
    _registry_spans(graph, node, event.sources)


def registry_graph(graph: Graph, registry: Registry, catalog: Catalog) -> None:
    """Parties, agencies and agreements (the shared registry graph)."""
    for p in registry.parties.values():
        uri = ids.party(p.id)
        graph.add((uri, RDF.type, PG.Party))
        graph.add((uri, SKOS.prefLabel, Literal(p.name)))
        graph.add((uri, RDFS.label, Literal(p.name)))
        graph.add((uri, PG.countryCode, Literal(p.country_code)))
        for alias in p.aliases:
            graph.add((uri, SKOS.altLabel, Literal(alias)))
    for a in registry.agencies.values():
        uri = ids.agency(a.id)
        graph.add((uri, RDF.type, PG.Agency))
        graph.add((uri, SKOS.prefLabel, Literal(a.name)))
        graph.add((uri, RDFS.label, Literal(a.name)))
        for alias in sorted(set(a.aliases) - {a.name}):
            graph.add((uri, SKOS.altLabel, Literal(alias)))
        if a.party:
            graph.add((uri, PG.party, ids.party(a.party)))
        graph.add((uri, PG.agencyKind, ids.agency_kind(a.kind)))
        if a.parent:
            graph.add((uri, ORG.subOrganizationOf, ids.agency(a.parent)))
        if a.note:
            graph.add((uri, RDFS.comment, Literal(a.note)))
        if a.led_by is not None:
            leader = ids.agency(a.led_by.agency)
            node = ids.child(uri, "leadership", 1)
            graph.add((uri, PG.ledBy, leader))
            graph.add((uri, PG.qualifiedLeadership, node))
            graph.add((node, RDF.type, PG.Leadership))
            graph.add((node, PG.leader, leader))
            leader_name = registry.agencies[a.led_by.agency].name
            graph.add((node, RDFS.label, Literal(f"{a.name}, led by {leader_name}")))
            if a.led_by.note:
                graph.add((node, RDFS.comment, Literal(a.led_by.note)))
            _registry_spans(graph, node, a.led_by.sources)
        for i, event in enumerate(a.history, 1):
            _organization_change(graph, registry, a.id, i, event)
    for ag in catalog.agreements:
        uri = ids.agreement(ag.slug)
        graph.add((uri, RDF.type, PG.Agreement))
        graph.add((uri, DCTERMS.title, Literal(ag.title)))
        graph.add((uri, RDFS.label, Literal(ag.title)))
        graph.add((uri, PG.agreementKind, Literal(ag.kind)))
        for party in ag.parties:
            graph.add((uri, PG.party, ids.party(party)))
        if ag.signed:
            graph.add((uri, PG.signed, Literal(ag.signed, datatype=XSD.date)))
        if ag.source:
            graph.add((uri, PROV.wasDerivedFrom, ids.source(ag.source)))


def overlaps_graph(graph: Graph, detection: Detection) -> None:
    """The kinds of work (each a pg:Overlap and a pg:KindOfWork, a SKOS concept in the scheme
    id/kind-of-work under its themes): members, scores, confidence and evidence."""
    scheme = ids.kind_scheme()
    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    graph.add((scheme, SKOS.prefLabel, Literal("Kinds of work several plans promise", lang="en")))
    graph.add((scheme, RDFS.label, Literal("Kinds of work several plans promise", lang="en")))
    graph.add(
        (
            scheme,
            SKOS.definition,
            Literal(
                "Kinds of fundable work that steps of two or more plans promise, found by "
                f"plangraph's overlap detector (method {detection.method.name}); each is one "
                "level under the action themes. Derived by a documented classifier, not "
                "stated by the plans.",
                lang="en",
            ),
        )
    )
    for kind in detection.kinds:
        uri = ids.overlap(kind.key)
        graph.add((uri, RDF.type, PG.Overlap))
        graph.add((uri, RDF.type, PG.KindOfWork))
        graph.add((uri, SKOS.inScheme, scheme))
        graph.add((uri, SKOS.notation, Literal(kind.key)))
        graph.add((uri, SKOS.prefLabel, Literal(kind.label, lang="en")))
        graph.add((uri, RDFS.label, Literal(kind.label)))
        graph.add((uri, SKOS.definition, Literal(kind.definition, lang="en")))
        for t in kind.themes:
            graph.add((uri, SKOS.broader, ids.theme(t)))
        graph.add((uri, PG.score, Literal(decimal(kind.score), datatype=XSD.decimal)))
        graph.add((uri, PG.confidence, Literal(kind.confidence)))
        for t in kind.shared_themes:
            graph.add((uri, PG.sharedTheme, ids.theme(t)))
        for a in kind.shared_agencies:
            graph.add((uri, PG.sharedAgency, ids.agency(a)))
        for w in kind.shared_phrases:
            graph.add((uri, PG.sharedWord, Literal(w)))
        for y in kind.shared_years:
            graph.add((uri, PG.sharedYear, year(y)))
        graph.add((uri, PG.reason, Literal(kind.reason)))
        for i, m in enumerate(kind.members, 1):
            step = ids.activity(*m.key)
            node = ids.child(uri, "member", i)
            graph.add((uri, PG.member, step))
            graph.add((uri, PG.qualifiedMember, node))
            graph.add((node, RDF.type, PG.OverlapMember))
            graph.add((node, RDFS.label, Literal(f"{m.key[0]} {m.key[1]} in “{kind.label}”")))
            graph.add((node, PG.step, step))
            graph.add((node, PG.score, Literal(decimal(m.score), datatype=XSD.decimal)))
            graph.add((node, PG.confidence, Literal(m.confidence)))
            graph.add((node, PG.evidence, Literal(m.evidence)))
            for w in m.phrases:
                graph.add((node, PG.sharedWord, Literal(w)))
            for w in sorted({w for _, ws in m.equivalents for w in ws}):
                graph.add((node, PG.equivalentWord, Literal(w)))
            for a in m.agencies:
                graph.add((node, PG.sharedAgency, ids.agency(a)))
            for y in m.years:
                graph.add((node, PG.sharedYear, year(y)))


def ontology_graph(graph: Graph, folder: Path) -> None:
    for path in sorted(folder.glob("*.ttl")):
        parse_turtle(graph, path)


def to_dataset(
    plans: list[tuple[Document, Plan]],
    registry: Registry,
    catalog: Catalog,
    curations: Curations,
    ontology_folder: Path,
    themes: Tagging | None = None,
    overlaps: Detection | None = None,
) -> Dataset:
    """The whole dataset: ontology, registry, one graph per source document (with each
    step's pg:theme when ``themes`` is given) and the overlap groups (``overlaps``)."""
    ds = Dataset()
    for prefix, ns in ids.PREFIXES.items():
        ds.bind(prefix, ns)
    ds.bind("dcterms", DCTERMS)
    ds.bind("prov", PROV)
    ds.bind("skos", SKOS)
    ontology_graph(ds.graph(ids.ONTOLOGY_GRAPH), ontology_folder)
    registry_graph(ds.graph(ids.REGISTRY_GRAPH), registry, catalog)
    for document, plan in plans:
        g = ds.graph(ids.document_graph(document.slug))
        mapper = _Mapper(g, document, registry, curations, themes)
        mapper.source_document()
        mapper.plan(plan)
    if overlaps is not None:
        overlaps_graph(ds.graph(ids.OVERLAPS_GRAPH), overlaps)
    return ds


def plan_dataset(
    document: Document, plan: Plan, registry: Registry, curations: Curations
) -> Dataset:
    """One plan's named graph alone, as the build writes it (without action themes, which
    the build derives): what /contribute offers as TriG before a plan is imported."""
    ds = Dataset()
    for prefix, ns in ids.PREFIXES.items():
        if prefix != "pgid":
            ds.bind(prefix, ns)
    ds.bind("dcterms", DCTERMS)
    ds.bind("prov", PROV)
    mapper = _Mapper(ds.graph(ids.document_graph(document.slug)), document, registry, curations)
    mapper.source_document()
    mapper.plan(plan)
    return ds


def catalog_examples_graph(catalog: Iterable, endpoint: str, base: str) -> Graph:
    """The query catalog as SPARQL examples (SHACL-SPARQL executables, as in the SIB
    sparql-examples project): one ``sh:SPARQLExecutable`` per query, with its question as
    ``rdfs:comment``, its text as ``sh:select`` / ``sh:ask`` / ``sh:construct``,
    ``schema:target`` the endpoint and ``schema:keywords`` its tags."""
    from rdflib import Namespace
    from rdflib.namespace import SH

    schema = Namespace("https://schema.org/")
    g = Graph()
    g.bind("sh", SH)
    g.bind("schema", schema)
    g.bind("dcterms", DCTERMS)
    forms = {
        "select": (SH.SPARQLSelectExecutable, SH.select),
        "ask": (SH.SPARQLAskExecutable, SH.ask),
        "construct": (SH.SPARQLConstructExecutable, SH.construct),
        "describe": (SH.SPARQLExecutable, schema.query),
    }
    for query in catalog:
        node = URIRef(f"{base}/.well-known/sparql-examples#{query.name}")
        kind, prop = forms[query.form]
        g.add((node, RDF.type, SH.SPARQLExecutable))
        g.add((node, RDF.type, kind))
        g.add((node, DCTERMS.identifier, Literal(query.name)))
        g.add((node, RDFS.label, Literal(query.title, lang="en")))
        g.add((node, RDFS.comment, Literal(query.question, lang="en")))
        g.add((node, prop, Literal(query.text)))
        g.add((node, schema.target, URIRef(endpoint)))
        g.add((node, RDFS.seeAlso, URIRef(f"{base}/api/queries/{query.name}")))
        for tag in query.tags:
            g.add((node, schema.keywords, Literal(tag)))
    return g


def metrics_graph(metrics: Iterable[dict], computed_at: str, params: dict) -> Graph:
    """Network metrics of agencies (rows of :func:`plangraph.network.agency_metrics`) as
    triples for the metrics named graph: one ``pg:AgencyMetrics`` node per agency
    (``pg:metricsOf`` it) and one ``prov:Activity`` saying how (``params``: filters,
    algorithms, networkx version, seed, build id) and when (``computed_at``, ISO 8601) they
    were computed. Node IRIs depend only on ``params``, so a recomputation with the same
    parameters on the same build names the same nodes."""
    import hashlib
    import json

    text = json.dumps(params, sort_keys=True, ensure_ascii=False)
    run = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    activity = ids.ID[f"metrics/{run}"]
    g = Graph()
    g.bind("pg", PG)
    g.bind("prov", PROV)
    g.add((activity, RDF.type, PROV.Activity))
    g.add((activity, RDF.type, PG.MetricsComputation))
    g.add((activity, RDFS.label, Literal("network metrics of agencies", lang="en")))
    g.add((activity, PROV.endedAtTime, Literal(computed_at, datatype=XSD.dateTime)))
    g.add((activity, PG.parameters, Literal(text)))
    if params.get("networkx"):
        g.add((activity, PG.software, Literal(f"networkx {params['networkx']}")))
    if params.get("seed") is not None:
        g.add((activity, PG.seed, Literal(int(params["seed"]))))
    if params.get("build_id"):
        g.add((activity, PG.buildId, Literal(params["build_id"])))
    if params.get("view"):
        g.add((activity, PG.view, Literal(params["view"])))
    if "rollup" in params.get("filters", {}):
        g.add((activity, PG.rolledUp, Literal(bool(params["filters"]["rollup"]))))
    for name, how in sorted(params.get("algorithms", {}).items()):
        g.add((activity, PG.algorithm, Literal(f"{name}: {how}")))
    base = str(ids.ID)
    for row in metrics:
        agency = URIRef(row["agency"])
        node = ids.ID[f"metrics/{run}/{row['agency'].removeprefix(base)}"]
        g.add((node, RDF.type, PG.AgencyMetrics))
        g.add((node, PG.metricsOf, agency))
        g.add((node, PROV.wasGeneratedBy, activity))
        g.add((node, PG.obligationLoad, Literal(int(row["obligation_load"]))))
        g.add((node, PG.activityCount, Literal(int(row["step_load"]))))
        g.add((node, PG.weightedDegree, Literal(int(row["weighted_degree"]))))
        g.add((node, PG.betweenness, Literal(decimal(row["betweenness"]), datatype=XSD.decimal)))
        g.add((node, PG.pageRank, Literal(decimal(row["pagerank"]), datatype=XSD.decimal)))
        g.add((node, PG.community, Literal(int(row["community"]))))
        g.add((node, PG.component, Literal(int(row["component"]))))
        g.add((node, PG.componentSize, Literal(int(row["component_size"]))))
        g.add((node, PG.brokerage, Literal(int(row["brokerage"]))))
        g.add((node, PG.agreementCount, Literal(len(row["agreements"]))))
        g.add((node, PG.bridgesAgreements, Literal(bool(row["bridges_agreements"]))))
        for role, count in sorted(row.get("roles", {}).items()):
            if count:
                rnode = URIRef(f"{node}/role/{role}")
                g.add((node, PG.roleLoad, rnode))
                g.add((rnode, PG.loadRole, ids.role(role)))
                g.add((rnode, PG.obligationLoad, Literal(int(count))))
    return g
