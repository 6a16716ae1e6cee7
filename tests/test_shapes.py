"""The SHACL shapes (shapes/*.ttl), tested against exact expected reports.

Every targeted node shape ``pgsh:X`` has two examples in tests/shapes/: ``X.pass.ttl``, which
must give no result at all, and ``X.fail.ttl``, which must give exactly the results listed in
:data:`EXPECTED` (focus node, result path, constraint component, severity and source shape),
each once, and only from ``pgsh:X`` itself. Each example is validated together with
tests/shapes/base.ttl (a small plan that conforms with no result) and ontology/*.ttl, with
inference none: the way the build validates the dataset.

What the tests pin down about pySHACL (0.40):

* ``conforms`` is False for any result, warnings included, unless ``allow_warnings=True``;
  with it, a report holding only sh:Warning results conforms. The project rule (and
  :func:`plangraph.shacl.reference.validate_graph`): only sh:Violation fails the build.
* ``sh:targetClass C`` and ``sh:class C`` follow ``rdfs:subClassOf`` triples found in the
  *data* graph (not in the shapes graph): the ontology must be validated together with the
  data, or a pg:JointPlan is not a pg:PlanOfAction to the shapes.
* ``sh:lessThanOrEquals`` raises TypeError on two xsd:gYear literals, so the plan period is
  checked by a SPARQL constraint comparing the years as integers.
"""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from rdflib import RDF, RDFS, Graph, Namespace, URIRef

from plangraph.shacl.loading import load_shapes
from plangraph.shacl.reference import validate_graph
from plangraph.shacl.report import Report

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = Path(__file__).resolve().parent / "shapes"
SH = Namespace("http://www.w3.org/ns/shacl#")
PGSH = Namespace("https://w3id.org/plangraph/shapes#")

PREFIXES = (
    ("pg:", "https://w3id.org/plangraph/ontology#"),
    ("pgsh:", "https://w3id.org/plangraph/shapes#"),
    ("", "https://w3id.org/plangraph/id/"),
    ("dcterms:", "http://purl.org/dc/terms/"),
    ("prov:", "http://www.w3.org/ns/prov#"),
    ("skos:", "http://www.w3.org/2004/02/skos/core#"),
    ("org:", "http://www.w3.org/ns/org#"),
)

V, W = "Violation", "Warning"

# shape -> the results its .fail.ttl gives: (focus, path, component, severity, source shape).
# Focus nodes are relative to https://w3id.org/plangraph/id/; "complex" is a path that is not
# a single property (sh:inversePath, sh:alternativePath).
EXPECTED: dict[str, list[tuple[str, str | None, str, str, str]]] = {
    "SourceDocumentShape": [
        ("source/bad", "pg:documentKind", "MaxCount", V, "SourceDocumentKindShape"),
        ("source/bad", "pg:fileName", "MinLength", V, "SourceDocumentFileNameShape"),
        ("source/bad", "pg:sha256", "Pattern", V, "SourceDocumentSha256Shape"),
        ("source/bad", "dcterms:title", "NodeKind", V, "SourceDocumentTitleShape"),
        ("source/empty", "pg:fileName", "MinCount", V, "SourceDocumentFileNameShape"),
        ("source/empty", "pg:sha256", "MinCount", V, "SourceDocumentSha256Shape"),
        ("source/empty", "dcterms:title", "MinCount", V, "SourceDocumentTitleShape"),
    ],
    "PlanVersionShape": [
        ("plan/p/version/bad", "dcterms:isVersionOf", "Class", V, "PlanVersionOfShape"),
        ("plan/p/version/bad", "dcterms:title", "MaxCount", V, "PlanVersionTitleShape"),
        ("plan/p/version/bad", "pg:includesStep", "Class", V, "PlanVersionStepShape"),
        ("plan/p/version/bad", "pg:includesStep", "SPARQL", V, "PlanVersionStepShape"),
        ("plan/p/version/bad", "pg:versionStatus", "In", V, "PlanVersionStatusShape"),
        ("plan/p/version/bad", "prov:wasDerivedFrom", "Class", V, "PlanVersionSourceShape"),
        ("plan/p/version/bad", "prov:wasRevisionOf", "Class", V, "PlanVersionRevisionShape"),
        ("plan/p/version/bad", "prov:wasRevisionOf", "MaxCount", V, "PlanVersionRevisionShape"),
        ("plan/p/version/empty", "dcterms:isVersionOf", "MinCount", V, "PlanVersionOfShape"),
        ("plan/p/version/empty", "dcterms:title", "MinCount", V, "PlanVersionTitleShape"),
        ("plan/p/version/empty", "pg:includesStep", "MinCount", V, "PlanVersionStepShape"),
        ("plan/p/version/empty", "pg:versionStatus", "MinCount", V, "PlanVersionStatusShape"),
        ("plan/p/version/empty", "prov:wasDerivedFrom", "MinCount", V, "PlanVersionSourceShape"),
    ],
    "SourceSpanShape": [
        ("source/doc/lines/0-2", "pg:document", "Class", V, "SourceSpanDocumentShape"),
        ("source/doc/lines/0-2", "pg:startLine", "MinInclusive", V, "SourceSpanStartLineShape"),
        ("source/doc/lines/1-3", "pg:endLine", "MaxCount", V, "SourceSpanEndLineShape"),
        ("source/doc/lines/1-3", "pg:startLine", "Datatype", V, "SourceSpanStartLineShape"),
        ("source/doc/lines/9-4", "pg:startLine", "LessThanOrEquals", V, "SourceSpanStartLineShape"),
        ("source/doc/lines/empty", "pg:document", "MinCount", V, "SourceSpanDocumentShape"),
        ("source/doc/lines/empty", "pg:endLine", "MinCount", V, "SourceSpanEndLineShape"),
        ("source/doc/lines/empty", "pg:startLine", "MinCount", V, "SourceSpanStartLineShape"),
    ],
    "PartyShape": [
        ("party/kh", "pg:countryCode", "Pattern", V, "PartyCountryCodeShape"),
        ("party/kh", "skos:prefLabel", "MaxCount", V, "PartyPrefLabelShape"),
        ("party/xxx", "pg:countryCode", "MinCount", V, "PartyCountryCodeShape"),
        ("party/xxx", "skos:prefLabel", "MinCount", V, "PartyPrefLabelShape"),
    ],
    "AgencyShape": [
        ("agency/khm/bad", "skos:altLabel", "MinLength", V, "AgencyAltLabelShape"),
        ("agency/khm/bad", "pg:agencyKind", "In", V, "AgencyKindShape"),
        ("agency/khm/bad", "org:subOrganizationOf", "Class", V, "AgencyParentShape"),
        ("agency/khm/bad", "org:subOrganizationOf", "MaxCount", V, "AgencyParentShape"),
        ("agency/khm/bad", "pg:ledBy", "Class", V, "AgencyLedByShape"),
        ("agency/khm/bad", "pg:ledBy", "MaxCount", V, "AgencyLedByShape"),
        (
            "agency/khm/bad",
            "pg:qualifiedLeadership",
            "Class",
            V,
            "AgencyQualifiedLeadershipShape",
        ),
        ("agency/khm/bad", "pg:party", "Class", V, "AgencyPartyShape"),
        ("agency/khm/bad", "pg:party", "MaxCount", V, "AgencyPartyShape"),
        ("agency/khm/bad", "skos:prefLabel", "MaxCount", V, "AgencyPrefLabelShape"),
        ("agency/khm/empty", "pg:agencyKind", "MinCount", V, "AgencyKindShape"),
        ("agency/khm/empty", "skos:prefLabel", "MinCount", V, "AgencyPrefLabelShape"),
    ],
    "LeadershipShape": [
        ("agency/khm/mosvy/leadership/1", "pg:leader", "Class", V, "LeadershipLeaderShape"),
        ("agency/khm/mosvy/leadership/1", "pg:leader", "MaxCount", V, "LeadershipLeaderShape"),
        (
            "agency/khm/mosvy/leadership/1",
            "prov:wasDerivedFrom",
            "Class",
            V,
            "LeadershipSourceShape",
        ),
        ("agency/khm/ncct/leadership/1", "pg:leader", "MinCount", V, "LeadershipLeaderShape"),
        (
            "agency/khm/ncct/leadership/1",
            "prov:wasDerivedFrom",
            "MinCount",
            V,
            "LeadershipSourceShape",
        ),
    ],
    "OrganizationChangeShape": [
        *[
            ("agency/khm/mosvy/history/1", path, component, V, shape)
            for path, component, shape in (
                ("dcterms:date", "MaxCount", "OrganizationChangeDateShape"),
                ("dcterms:date", "Or", "OrganizationChangeDateShape"),
                ("org:originalOrganization", "Class", "OrganizationChangeOriginalShape"),
                ("org:originalOrganization", "MaxCount", "OrganizationChangeOriginalShape"),
                ("org:resultingOrganization", "Class", "OrganizationChangeResultingShape"),
                ("pg:changeKind", "In", "OrganizationChangeKindShape"),
                ("pg:statedBySource", "Datatype", "OrganizationChangeStatedShape"),
                ("prov:wasDerivedFrom", "Class", "OrganizationChangeSourceShape"),
            )
        ],
        *[
            ("agency/khm/ncct/history/1", path, "MinCount", V, shape)
            for path, shape in (
                ("org:resultingOrganization", "OrganizationChangeResultingShape"),
                ("pg:changeKind", "OrganizationChangeKindShape"),
                ("pg:statedBySource", "OrganizationChangeStatedShape"),
                ("prov:wasDerivedFrom", "OrganizationChangeSourceShape"),
            )
        ],
    ],
    "CommitmentShape": [
        *[
            ("plan/p/activity/1.1/commitment/crossed", path, component, V, shape)
            for path, component, shape in (
                ("pg:activity", "Class", "CommitmentActivityShape"),
                ("pg:agency", "Or", "CommitmentAgencyShape"),
                ("complex", "MaxCount", "CommitmentForShape"),
                ("pg:mentionText", "MinLength", "CommitmentMentionTextShape"),
                ("pg:onBehalfOf", "Class", "CommitmentOnBehalfOfShape"),
                ("pg:role", "In", "CommitmentRoleShape"),
                ("pg:section", "Class", "CommitmentSectionShape"),
                ("prov:wasDerivedFrom", "Class", "CommitmentSourceShape"),
                ("pg:uncertain", "Datatype", "CommitmentUncertainShape"),
                ("pg:year", "Datatype", "CommitmentYearShape"),
            )
        ],
        (
            "plan/p/activity/1.1/commitment/doubled",
            "pg:agency",
            "MaxCount",
            V,
            "CommitmentAgencyShape",
        ),
        ("plan/p/activity/1.1/commitment/doubled", "pg:role", "In", V, "CommitmentRoleShape"),
        (
            "plan/p/activity/1.1/commitment/doubled",
            "pg:uncertain",
            "MaxCount",
            V,
            "CommitmentUncertainShape",
        ),
        *[
            ("plan/p/activity/1.1/commitment/empty", path, "MinCount", V, shape)
            for path, shape in (
                ("pg:agency", "CommitmentAgencyShape"),
                ("complex", "CommitmentForShape"),
                ("pg:mentionText", "CommitmentMentionTextShape"),
                ("pg:role", "CommitmentRoleShape"),
                ("prov:wasDerivedFrom", "CommitmentSourceShape"),
            )
        ],
    ],
    "StepShape": [
        # both steps numbered 1.1 in plan p
        ("plan/p/activity/1.1", "pg:number", "SPARQL", V, "StepNumberShape"),
        ("plan/p/activity/1.1-again", "pg:number", "SPARQL", V, "StepNumberShape"),
        *[
            ("plan/p/activity/Q.9", path, component, V, shape)
            for path, component, shape in (
                ("pg:cites", "Class", "StepCitesShape"),
                ("dcterms:description", "MinLength", "StepDescriptionShape"),
                ("pg:indicator", "Class", "StepIndicatorShape"),
                ("pg:note", "Class", "StepNoteShape"),
                ("pg:number", "MinLength", "StepNumberShape"),
                ("pg:order", "Datatype", "StepOrderShape"),
                ("pg:output", "Class", "StepOutputShape"),
                ("pg:plan", "Class", "StepPlanShape"),
                ("pg:printedNumber", "Datatype", "StepPrintedNumberShape"),
                ("pg:quarter", "Pattern", "StepQuarterShape"),
                ("pg:section", "Class", "StepSectionShape"),
                ("pg:section", "MaxCount", "StepSectionShape"),
                ("prov:wasDerivedFrom", "Class", "StepSourceShape"),
                ("pg:target", "Class", "StepTargetShape"),
                ("pg:theme", "Class", "StepThemeShape"),
                ("pg:uncertain", "Datatype", "StepUncertainShape"),
                ("pg:year", "Datatype", "StepYearShape"),
            )
        ],
        # typed pg:Step and pg:WorkItem: still one result per missing property
        *[
            ("plan/p/activity/empty", path, "MinCount", V, shape)
            for path, shape in (
                ("dcterms:description", "StepDescriptionShape"),
                ("pg:number", "StepNumberShape"),
                ("pg:plan", "StepPlanShape"),
                ("prov:wasDerivedFrom", "StepSourceShape"),
            )
        ],
    ],
    "ActivityShape": [
        ("plan/p/activity/2.2", "complex", "MinCount", W, "ActivityCommitmentShape"),
        ("plan/p/activity/2.3", "pg:theme", "SPARQL", W, "ActivityThemeShape"),
    ],
    "OverlapShape": [
        # all members in one plan; score above 1; a word that is not a string
        ("overlap/one-plan", "pg:member", "SPARQL", V, "OverlapMemberShape"),
        ("overlap/one-plan", "pg:score", "MaxInclusive", V, "OverlapScoreShape"),
        ("overlap/one-plan", "pg:sharedWord", "Datatype", V, "OverlapWordShape"),
        ("overlap/one-plan", "pg:sharedYear", "Datatype", V, "OverlapYearShape"),
        ("overlap/one-plan", "pg:confidence", "In", V, "OverlapConfidenceShape"),
        # one member only, no score, no reason, a theme that is no concept
        ("overlap/empty", "pg:member", "MinCount", V, "OverlapMemberShape"),
        ("overlap/empty", "pg:member", "SPARQL", V, "OverlapMemberShape"),
        ("overlap/empty", "pg:reason", "MinCount", V, "OverlapReasonShape"),
        ("overlap/empty", "pg:score", "MinCount", V, "OverlapScoreShape"),
        ("overlap/empty", "pg:sharedAgency", "NodeKind", V, "OverlapAgencyShape"),
        ("overlap/empty", "pg:sharedTheme", "Class", V, "OverlapThemeShape"),
        ("overlap/empty", "pg:confidence", "MinCount", V, "OverlapConfidenceShape"),
    ],
    "KindOfWorkShape": [
        ("overlap/bad", "skos:prefLabel", "MinCount", V, "KindOfWorkLabelShape"),
        ("overlap/bad", "skos:definition", "MaxCount", V, "KindOfWorkDefinitionShape"),
        ("overlap/bad", "skos:inScheme", "In", V, "KindOfWorkSchemeShape"),
        ("overlap/bad", "skos:broader", "Class", V, "KindOfWorkBroaderShape"),
        ("overlap/bad", "pg:qualifiedMember", "MinCount", V, "KindOfWorkQualifiedMemberShape"),
        ("overlap/bad", "pg:qualifiedMember", "Class", V, "KindOfWorkQualifiedMemberShape"),
    ],
    "OverlapMemberNodeShape": [
        ("overlap/x/member/1", "pg:step", "MinCount", V, "OverlapMemberStepShape"),
        ("overlap/x/member/1", "pg:score", "MaxInclusive", V, "OverlapMemberScoreShape"),
        ("overlap/x/member/1", "pg:confidence", "In", V, "OverlapMemberConfidenceShape"),
        ("overlap/x/member/1", "pg:evidence", "MinCount", V, "OverlapMemberEvidenceShape"),
        ("overlap/x/member/2", "pg:step", "MaxCount", V, "OverlapMemberStepShape"),
        ("overlap/x/member/2", "pg:step", "Class", V, "OverlapMemberStepShape"),
        ("overlap/x/member/2", "pg:evidence", "MinLength", V, "OverlapMemberEvidenceShape"),
    ],
    "SubActivityShape": [
        ("plan/p/activity/1.1.b", "pg:subActivityOf", "MinCount", V, "SubActivityParentShape"),
        ("plan/p/activity/1.1.c", "pg:subActivityOf", "Class", V, "SubActivityParentShape"),
        ("plan/p/activity/1.1.c", "pg:subActivityOf", "MaxCount", V, "SubActivityParentShape"),
    ],
    "WorkItemShape": [
        ("plan/p/activity/W.2", "pg:serves", "Class", V, "WorkItemServesShape"),
    ],
    "TextRecordShape": [
        (
            "meeting/m/decision/1",
            "dcterms:description",
            "NodeKind",
            V,
            "TextRecordDescriptionShape",
        ),
        (
            "plan/p/activity/1.1/indicator/1",
            "dcterms:description",
            "MinLength",
            V,
            "TextRecordDescriptionShape",
        ),
        (
            "plan/p/activity/1.1/indicator/1",
            "prov:wasDerivedFrom",
            "Class",
            V,
            "TextRecordSourceShape",
        ),
        (
            "plan/p/activity/1.1/output/1",
            "dcterms:description",
            "MinCount",
            V,
            "TextRecordDescriptionShape",
        ),
        (
            "plan/p/activity/1.1/output/1",
            "prov:wasDerivedFrom",
            "MinCount",
            V,
            "TextRecordSourceShape",
        ),
        ("plan/p/note/1", "dcterms:description", "MaxCount", V, "TextRecordDescriptionShape"),
    ],
    "TargetShape": [
        ("plan/p/activity/1.1/target/1", path, component, V, shape)
        for path, component, shape in (
            ("pg:garbled", "Datatype", "TargetGarbledShape"),
            ("pg:periodLabel", "Datatype", "TargetPeriodLabelShape"),
            ("pg:unit", "MaxCount", "TargetUnitShape"),
            ("pg:value", "Datatype", "TargetValueShape"),
            ("pg:targetYear", "MaxCount", "TargetYearShape"),
        )
    ],
    "PlanOfActionShape": [
        *[
            ("plan/bad", path, component, V, shape)
            for path, component, shape in (
                ("pg:coordinator", "Or", "PlanOfActionCoordinatorShape"),
                ("prov:wasDerivedFrom", "Class", "PlanOfActionDerivedFromShape"),
                ("pg:generalObjective", "MaxCount", "PlanOfActionGeneralObjectiveShape"),
                ("pg:implements", "Class", "PlanOfActionImplementsShape"),
                ("pg:implements", "MaxCount", "PlanOfActionImplementsShape"),
                ("pg:meeting", "Class", "PlanOfActionMeetingShape"),
                ("pg:party", "Class", "PlanOfActionPartyShape"),
                # sh:equals: one result per value found on one side only
                ("pg:sourceDocument", "Equals", "PlanOfActionSourceDocumentShape"),
                ("pg:sourceDocument", "Equals", "PlanOfActionSourceDocumentShape"),
                # start year after end year
                ("pg:startYear", "SPARQL", "PlanOfActionStartYearShape"),
                ("pg:status", "In", "PlanOfActionStatusShape"),
                ("dcterms:title", "MaxCount", "PlanOfActionTitleShape"),
            )
        ],
        ("plan/empty", "pg:coordinator", "MinCount", W, "PlanOfActionHasCoordinatorShape"),
        *[
            ("plan/empty", path, "MinCount", V, shape)
            for path, shape in (
                ("prov:wasDerivedFrom", "PlanOfActionDerivedFromShape"),
                ("pg:endYear", "PlanOfActionEndYearShape"),
                ("pg:party", "PlanOfActionPartyShape"),
                ("pg:sourceDocument", "PlanOfActionSourceDocumentShape"),
                ("pg:startYear", "PlanOfActionStartYearShape"),
                ("pg:status", "PlanOfActionStatusShape"),
                ("dcterms:title", "PlanOfActionTitleShape"),
            )
        ],
        ("plan/untyped-years", "pg:endYear", "Datatype", V, "PlanOfActionEndYearShape"),
        ("plan/untyped-years", "pg:startYear", "Datatype", V, "PlanOfActionStartYearShape"),
    ],
    "AgreementShape": [
        ("agreement/bad", "pg:agreementKind", "Datatype", V, "AgreementKindShape"),
        ("agreement/bad", "pg:party", "Class", V, "AgreementPartyShape"),
        ("agreement/bad", "pg:signed", "Datatype", V, "AgreementSignedShape"),
        ("agreement/bad", "pg:signed", "MaxCount", V, "AgreementSignedShape"),
        ("agreement/empty", "pg:agreementKind", "MinCount", V, "AgreementKindShape"),
        ("agreement/empty", "pg:party", "MinCount", V, "AgreementPartyShape"),
        ("agreement/empty", "dcterms:title", "MinCount", V, "AgreementTitleShape"),
    ],
    "SectionShape": [
        *[
            ("plan/p/section/group-1", path, component, V, shape)
            for path, component, shape in (
                ("dcterms:description", "NodeKind", "SectionDescriptionShape"),
                ("pg:output", "Class", "SectionOutputShape"),
                ("pg:parentSection", "Class", "SectionParentShape"),
                ("pg:parentSection", "MaxCount", "SectionParentShape"),
                ("pg:plan", "Class", "SectionPlanShape"),
                ("pg:statedActivityCount", "MinInclusive", "SectionStatedActivityCountShape"),
                ("dcterms:title", "MaxCount", "SectionTitleShape"),
            )
        ],
        ("plan/p/section/strategy-1", "pg:plan", "MinCount", V, "SectionPlanShape"),
        ("plan/p/section/strategy-1", "prov:wasDerivedFrom", "MinCount", V, "SectionSourceShape"),
    ],
    "LegalInstrumentShape": [
        ("instrument/bad", "pg:correspondsTo", "Class", V, "LegalInstrumentCorrespondsToShape"),
        ("instrument/bad", "pg:correspondsTo", "MaxCount", V, "LegalInstrumentCorrespondsToShape"),
        ("instrument/bad", "pg:instrumentKind", "MaxCount", V, "LegalInstrumentKindShape"),
        ("instrument/bad", "dcterms:title", "MinCount", V, "LegalInstrumentTitleShape"),
    ],
    "MeetingShape": [
        ("meeting/bad", "pg:agendaItem", "Class", V, "MeetingAgendaItemShape"),
        ("meeting/bad", "pg:chair", "Class", V, "MeetingChairShape"),
        ("meeting/bad", "pg:decision", "Class", V, "MeetingDecisionShape"),
        ("meeting/bad", "pg:participant", "Class", V, "MeetingParticipantShape"),
        ("meeting/bad", "pg:startDate", "LessThanOrEquals", V, "MeetingStartDateShape"),
        ("meeting/bad-date", "pg:endDate", "Datatype", V, "MeetingEndDateShape"),
        ("meeting/untitled", "dcterms:title", "MinCount", V, "MeetingTitleShape"),
    ],
    "ParticipantShape": [
        ("meeting/m/participant/1", "pg:jobTitle", "MaxCount", V, "ParticipantJobTitleShape"),
        ("meeting/m/participant/1", "pg:organisation", "Or", V, "ParticipantOrganisationShape"),
        ("meeting/m/participant/1", "pg:party", "Class", V, "ParticipantPartyShape"),
        ("meeting/m/participant/1", "prov:wasDerivedFrom", "MinCount", V, "ParticipantSourceShape"),
    ],
}


def short(iri: str | None) -> str | None:
    if iri is None:
        return None
    for prefix, base in PREFIXES:
        if iri.startswith(base):
            return prefix + iri[len(base) :]
    return iri


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(ROOT / "shapes")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    g = Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        g.parse(path, format="turtle")
    return g


def data_graph(ontology: Graph, *files: Path, with_ontology: bool = True) -> Graph:
    g = Graph()
    if with_ontology:
        g += ontology
    g.parse(EXAMPLES / "base.ttl", format="turtle")
    for path in files:
        g.parse(path, format="turtle")
    return g


def outcome(report: Report) -> list[tuple[str, str | None, str, str, str]]:
    """The report as sorted (focus, path, component, severity, shape) tuples, duplicates kept."""
    return sorted(
        (
            short(r.focus),
            short(r.path),
            r.constraint.removesuffix("ConstraintComponent"),
            r.severity,
            short(r.shape).removeprefix("pgsh:"),
        )
        for r in report.results
    )


def targeted_node_shapes(shapes: Graph) -> list[str]:
    targets = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
    names = {
        str(s).removeprefix(str(PGSH))
        for s in shapes.subjects(RDF.type, SH.NodeShape)
        if any(shapes.value(s, t) is not None for t in targets)
    }
    return sorted(names)


def own_shapes(shapes: Graph, name: str) -> set[str]:
    """A node shape and its property shapes, by local name."""
    node = PGSH[name]
    return {name} | {str(p).removeprefix(str(PGSH)) for p in shapes.objects(node, SH.property)}


def test_every_shape_and_property_shape_is_named(shapes: Graph) -> None:
    for s in shapes.subjects(RDF.type, SH.NodeShape):
        assert isinstance(s, URIRef) and s.startswith(str(PGSH)), s
        assert shapes.value(s, RDFS.label) is not None, f"{s} has no rdfs:label"
        assert shapes.value(s, RDFS.comment) is not None, f"{s} has no rdfs:comment"
    for node, prop in shapes.subject_objects(SH.property):
        assert isinstance(prop, URIRef) and prop.startswith(str(PGSH)), (node, prop)
        assert shapes.value(prop, SH.message) is not None, f"{prop} has no sh:message"
        assert (prop, RDF.type, SH.PropertyShape) in shapes, prop


def test_every_targeted_shape_has_a_pass_and_a_fail_example(shapes: Graph) -> None:
    names = targeted_node_shapes(shapes)
    assert names == sorted(EXPECTED)
    examples = {p.name for p in EXAMPLES.glob("*.ttl")} - {"base.ttl"}
    assert examples == {f"{n}.{kind}.ttl" for n in names for kind in ("pass", "fail")}


def test_base_conforms_without_any_result(shapes: Graph, ontology: Graph) -> None:
    report = validate_graph(data_graph(ontology), shapes)
    assert outcome(report) == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_pass_example_gives_no_result(name: str, shapes: Graph, ontology: Graph) -> None:
    report = validate_graph(data_graph(ontology, EXAMPLES / f"{name}.pass.ttl"), shapes)
    assert outcome(report) == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fail_example_gives_exactly_the_expected_results(
    name: str, shapes: Graph, ontology: Graph
) -> None:
    report = validate_graph(data_graph(ontology, EXAMPLES / f"{name}.fail.ttl"), shapes)
    assert outcome(report) == sorted(EXPECTED[name])
    mine = own_shapes(shapes, name)
    assert {shape for *_, shape in outcome(report)} <= mine


def test_a_warning_alone_does_not_fail_validation(shapes: Graph, ontology: Graph) -> None:
    """An activity with no commitment is a fact about the plan, not a broken graph."""
    data = data_graph(ontology, EXAMPLES / "ActivityShape.fail.ttl")
    report = validate_graph(data, shapes)
    assert {r.severity for r in report.results} == {"Warning"}
    assert report.conforms
    # pySHACL itself: any result makes conforms False unless warnings are allowed.
    conforms, _, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True)
    assert conforms is False
    conforms, _, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    assert conforms is True


def test_a_violation_fails_validation_even_when_warnings_are_allowed(
    shapes: Graph, ontology: Graph
) -> None:
    data = data_graph(ontology, EXAMPLES / "PlanOfActionShape.fail.ttl")
    report = validate_graph(data, shapes)
    assert report.warnings and report.violations
    assert not report.conforms
    conforms, _, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    assert conforms is False


def test_subclass_instances_are_checked_as_steps(shapes: Graph, ontology: Graph) -> None:
    """A node typed only pg:SubActivity gets every pg:Step check (and the sub-activity one)."""
    extra = Graph().parse(
        data="""
        @prefix pg: <https://w3id.org/plangraph/ontology#> .
        <https://w3id.org/plangraph/id/plan/p/activity/9.a> a pg:SubActivity .
        """,
        format="turtle",
    )
    data = data_graph(ontology) + extra
    got = {
        (shape, component) for _, _, component, _, shape in outcome(validate_graph(data, shapes))
    }
    assert got == {
        ("StepPlanShape", "MinCount"),
        ("StepNumberShape", "MinCount"),
        ("StepDescriptionShape", "MinCount"),
        ("StepSourceShape", "MinCount"),
        ("SubActivityParentShape", "MinCount"),
    }


def test_pyshacl_follows_subclassof_in_the_data_graph_only() -> None:
    """Why the ontology is validated together with the data (inference none)."""
    shapes = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix pg: <https://w3id.org/plangraph/ontology#> .
        <urn:s> a sh:NodeShape ; sh:targetClass pg:Step ;
            sh:property [ sh:path pg:number ; sh:minCount 1 ] .
        """,
        format="turtle",
    )
    data = Graph().parse(
        data="""
        @prefix pg: <https://w3id.org/plangraph/ontology#> .
        <urn:a> a pg:SubActivity .
        """,
        format="turtle",
    )
    subclass = Graph().parse(
        data="""
        @prefix pg: <https://w3id.org/plangraph/ontology#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        pg:SubActivity rdfs:subClassOf pg:Step .
        """,
        format="turtle",
    )

    def conforms(data_graph: Graph, shapes_graph: Graph) -> bool:
        ok, _, _ = pyshacl.validate(
            data_graph, shacl_graph=shapes_graph, inference="none", advanced=True
        )
        return ok

    assert conforms(data, shapes)  # not targeted: the data does not say it is a step
    assert conforms(data, shapes + subclass)  # the shapes graph's subClassOf is not used
    assert not conforms(data + subclass, shapes)  # the data graph's is


def test_class_checks_need_the_ontology(shapes: Graph, ontology: Graph) -> None:
    """Without ontology/*.ttl, a pg:JointPlan is no pg:PlanOfAction and a pg:Area no pg:Section."""
    report = validate_graph(data_graph(ontology, with_ontology=False), shapes)
    assert {(r.constraint, short(r.path)) for r in report.violations} == {
        ("ClassConstraintComponent", "pg:plan"),
        ("ClassConstraintComponent", "pg:section"),
        ("ClassConstraintComponent", "pg:activity"),
    }


def test_lessthanorequals_cannot_compare_gyears() -> None:
    """Why the plan period is a SPARQL constraint: pyshacl 0.40 raises on gYear ordering."""
    shapes = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix pg: <https://w3id.org/plangraph/ontology#> .
        <urn:s> a sh:NodeShape ; sh:targetNode <urn:p> ;
            sh:property [ sh:path pg:startYear ; sh:lessThanOrEquals pg:endYear ] .
        """,
        format="turtle",
    )
    data = Graph().parse(
        data="""
        @prefix pg: <https://w3id.org/plangraph/ontology#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <urn:p> pg:startYear "2023"^^xsd:gYear ; pg:endYear "2022"^^xsd:gYear .
        """,
        format="turtle",
    )
    with pytest.raises(TypeError):
        pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True)
