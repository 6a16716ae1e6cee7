"""The ontology (ontology/plangraph.ttl): it parses, declares and documents every pg: term the
shapes and the mapping use, states its alignments without importing anything, and holds the
role and agency-kind concept schemes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, PROV, SKOS

from plangraph.sources.model import ROLES
from plangraph.sources.registry import AGENCY_KINDS

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_FILE = ROOT / "ontology" / "plangraph.ttl"
PG = Namespace("https://w3id.org/plangraph/ontology#")
ID = Namespace("https://w3id.org/plangraph/id/")
PGSH = Namespace("https://w3id.org/plangraph/shapes#")
SH = Namespace("http://www.w3.org/ns/shacl#")
ORG = Namespace("http://www.w3.org/ns/org#")
PPLAN = Namespace("http://purl.org/net/p-plan#")
OA = Namespace("http://www.w3.org/ns/oa#")
TIME = Namespace("http://www.w3.org/2006/time#")

ONTOLOGY = URIRef("https://w3id.org/plangraph/ontology")
ROLE_SCHEME = ID["role"]
AGENCY_KIND_SCHEME = ID["agency-kind"]

# The vocabulary the mapping emits (the contract with plangraph/graph/mapping.py).
CLASSES = [
    "Agreement",
    "PlanOfAction",
    "JointPlan",
    "NationalPlan",
    "SubRegionalPlan",
    "Party",
    "Agency",
    "Step",
    "Activity",
    "SubActivity",
    "WorkItem",
    "QuarterlyActivity",
    "Commitment",
    "Section",
    "Area",
    "Objective",
    "Strategy",
    "ActivityGroup",
    "SpecificObjective",
    "ProjectProposalConcept",
    "PlanSection",
    "Output",
    "Indicator",
    "Target",
    "Note",
    "LegalInstrument",
    "Meeting",
    "Decision",
    "Participant",
    "CurationDecision",
    "SourceDocument",
    "SourceSpan",
    "Leadership",
    "OrganizationChange",
]
OBJECT_PROPERTIES = [
    "party",
    "implements",
    "plan",
    "section",
    "parentSection",
    "subActivityOf",
    "theme",
    "activity",
    "agency",
    "role",
    "onBehalfOf",
    "output",
    "indicator",
    "target",
    "note",
    "serves",
    "cites",
    "correspondsTo",
    "curation",
    "coordinator",
    "meeting",
    "chair",
    "participant",
    "agendaItem",
    "decision",
    "changes",
    "organisation",
    "agencyKind",
    "document",
    "sourceDocument",
    "ledBy",
    "qualifiedLeadership",
    "leader",
]
DATATYPE_PROPERTIES = [
    "status",
    "startYear",
    "endYear",
    "countryCode",
    "agreementKind",
    "signed",
    "number",
    "printedNumber",
    "order",
    "year",
    "quarter",
    "uncertain",
    "mentionText",
    "value",
    "targetYear",
    "periodLabel",
    "unit",
    "garbled",
    "noteKind",
    "instrumentKind",
    "place",
    "flag",
    "decisionText",
    "reason",
    "statedActivityCount",
    "generalObjective",
    "startDate",
    "endDate",
    "venue",
    "jobTitle",
    "fileName",
    "sha256",
    "originalFileName",
    "documentKind",
    "startLine",
    "endLine",
    "changeKind",
    "statedBySource",
]
DECLARATION_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


@pytest.fixture(scope="module")
def onto() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    g = Graph()
    for path in sorted((ROOT / "shapes").glob("*.ttl")):
        g.parse(path, format="turtle")
    return g


def declared(onto: Graph) -> set[URIRef]:
    return {
        s for t in DECLARATION_TYPES for s in onto.subjects(RDF.type, t) if isinstance(s, URIRef)
    }


def pg_terms_in(graph: Graph) -> set[URIRef]:
    """Every pg: IRI in a graph, including those written in SPARQL query strings."""
    terms: set[URIRef] = set()
    for triple in graph:
        for node in triple:
            if isinstance(node, URIRef) and node.startswith(str(PG)):
                terms.add(node)
            elif isinstance(node, Literal) and "pg:" in node:
                terms.update(PG[name] for name in re.findall(r"\bpg:(\w+)", str(node)))
    return terms


def test_header(onto: Graph) -> None:
    assert set(onto.subjects(RDF.type, OWL.Ontology)) == {ONTOLOGY}
    assert onto.value(ONTOLOGY, OWL.versionInfo) is not None
    assert onto.value(ONTOLOGY, OWL.versionIRI) is not None
    assert onto.value(ONTOLOGY, DCTERMS.title) is not None
    assert onto.value(ONTOLOGY, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert onto.value(ONTOLOGY, DCTERMS.creator) == Literal("plangraph")


def test_no_imports(onto: Graph) -> None:
    assert not list(onto.triples((None, OWL.imports, None)))


def test_the_contract_vocabulary_is_declared(onto: Graph) -> None:
    for name in CLASSES:
        assert (PG[name], RDF.type, OWL.Class) in onto, name
    for name in OBJECT_PROPERTIES:
        assert (PG[name], RDF.type, OWL.ObjectProperty) in onto, name
    for name in DATATYPE_PROPERTIES:
        assert (PG[name], RDF.type, OWL.DatatypeProperty) in onto, name


def test_every_pg_term_is_declared_labelled_and_commented(onto: Graph) -> None:
    terms = {t for t in declared(onto) if t.startswith(str(PG))}
    assert pg_terms_in(onto) <= terms, pg_terms_in(onto) - terms
    for term in terms:
        assert onto.value(term, RDFS.label) is not None, f"{term} has no rdfs:label"
        assert onto.value(term, RDFS.comment) is not None, f"{term} has no rdfs:comment"
    # each term is one kind of thing
    for term in terms:
        assert len(set(onto.objects(term, RDF.type)) & set(DECLARATION_TYPES)) == 1, term


def test_every_external_term_the_axioms_use_is_declared(onto: Graph) -> None:
    """A self-contained OWL 2 document: superclasses and superproperties are declared."""
    known = declared(onto)
    for prop in (RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range):
        for obj in onto.objects(None, prop):
            if isinstance(obj, URIRef) and not obj.startswith(str(XSD)):
                assert obj in known, f"{obj} is used in an axiom but not declared"


def test_every_pg_term_the_shapes_use_is_declared(onto: Graph, shapes: Graph) -> None:
    used = pg_terms_in(shapes)
    assert used, "no pg: term found in shapes/"
    assert used <= declared(onto), sorted(used - declared(onto))


def test_every_pg_term_the_mapping_uses_is_declared(onto: Graph) -> None:
    mapping = ROOT / "plangraph" / "graph" / "mapping.py"
    used = {PG[name] for name in re.findall(r"\bPG\.(\w+)", mapping.read_text(encoding="utf-8"))}
    assert used <= declared(onto), sorted(used - declared(onto))


def test_step_classes(onto: Graph) -> None:
    """Counting pg:Activity counts the numbered activities only."""
    for name in ("Activity", "SubActivity", "WorkItem", "QuarterlyActivity"):
        assert set(onto.objects(PG[name], RDFS.subClassOf)) == {PG.Step}, name
    for name in ("Area", "Objective", "Strategy", "ActivityGroup", "SpecificObjective"):
        assert (PG[name], RDFS.subClassOf, PG.Section) in onto
    for name in ("ProjectProposalConcept", "PlanSection"):
        assert (PG[name], RDFS.subClassOf, PG.Section) in onto
    for name in ("JointPlan", "NationalPlan", "SubRegionalPlan"):
        assert (PG[name], RDFS.subClassOf, PG.PlanOfAction) in onto


@pytest.mark.parametrize(
    ("subject", "predicate", "obj"),
    [
        (PG.Agency, RDFS.subClassOf, ORG.Organization),
        (PG.OrganizationChange, RDFS.subClassOf, ORG.ChangeEvent),
        (PG.ledBy, SKOS.relatedMatch, ORG.headOf),
        (PG.Party, SKOS.closeMatch, ORG.FormalOrganization),
        (PG.PlanOfAction, RDFS.subClassOf, PPLAN.Plan),
        (PG.PlanOfAction, RDFS.subClassOf, PROV.Plan),
        (PG.Step, RDFS.subClassOf, PPLAN.Step),
        (PG.plan, SKOS.closeMatch, PPLAN.isStepOfPlan),
        (PG.SourceDocument, RDFS.subClassOf, PROV.Entity),
        (PG.SourceSpan, RDFS.subClassOf, PROV.Entity),
        (PG.SourceSpan, SKOS.closeMatch, OA.TextPositionSelector),
        (PG.document, SKOS.closeMatch, OA.hasSource),
        (PG.sourceDocument, RDFS.subPropertyOf, PROV.wasDerivedFrom),
        (PG.startYear, SKOS.closeMatch, TIME.hasBeginning),
        (PG.endYear, SKOS.closeMatch, TIME.hasEnd),
        (PG.quarter, RDFS.seeAlso, TIME.GeneralDateTimeDescription),
        (PG.theme, RDFS.subPropertyOf, DCTERMS.subject),
        (PG.theme, RDFS.range, SKOS.Concept),
        (PG.role, RDFS.range, SKOS.Concept),
    ],
)
def test_alignment(onto: Graph, subject: URIRef, predicate: URIRef, obj: URIRef) -> None:
    assert (subject, predicate, obj) in onto


def test_source_span_says_it_counts_lines(onto: Graph) -> None:
    assert "lines, not characters" in str(onto.value(PG.SourceSpan, RDFS.comment))


def scheme_members(onto: Graph, scheme: URIRef) -> set[URIRef]:
    return set(onto.subjects(SKOS.inScheme, scheme))


@pytest.mark.parametrize(
    ("scheme", "names", "shape"),
    [
        (ROLE_SCHEME, ROLES, PGSH.CommitmentRoleShape),
        (AGENCY_KIND_SCHEME, AGENCY_KINDS, PGSH.AgencyKindShape),
    ],
)
def test_concept_scheme(
    onto: Graph, shapes: Graph, scheme: URIRef, names: tuple[str, ...], shape: URIRef
) -> None:
    assert (scheme, RDF.type, SKOS.ConceptScheme) in onto
    assert onto.value(scheme, SKOS.prefLabel) is not None
    expected = {URIRef(f"{scheme}/{name}") for name in names}
    assert scheme_members(onto, scheme) == expected
    assert set(onto.objects(scheme, SKOS.hasTopConcept)) == expected
    for concept in expected:
        assert (concept, RDF.type, SKOS.Concept) in onto, concept
        assert onto.value(concept, SKOS.prefLabel) is not None, concept
        assert onto.value(concept, SKOS.definition) is not None, concept
        assert str(onto.value(concept, SKOS.notation)) == str(concept).rsplit("/", 1)[-1]
    # the shape accepts exactly the scheme's concepts
    allowed = set(Collection(shapes, shapes.value(shape, SH["in"])))
    assert allowed == expected


def test_change_kinds_of_the_shape_are_the_registry_relations(shapes: Graph) -> None:
    from plangraph.sources.registry import HISTORY_RELATIONS

    allowed = Collection(shapes, shapes.value(PGSH.OrganizationChangeKindShape, SH["in"]))
    assert [str(v) for v in allowed] == list(HISTORY_RELATIONS)


# -- the action-theme scheme (ontology/themes.ttl) ---------------------------------------

THEME_SCHEME = ID["theme"]
DAC_SCHEME = ID["dac-purpose"]
PILLARS = {"prevention", "protection", "prosecution", "partnership"}


@pytest.fixture(scope="module")
def themes_graph() -> Graph:
    return Graph().parse(ROOT / "ontology" / "themes.ttl", format="turtle")


def test_theme_scheme_pillars_and_themes(themes_graph: Graph) -> None:
    g = themes_graph
    assert (THEME_SCHEME, RDF.type, SKOS.ConceptScheme) in g
    concepts = scheme_members(g, THEME_SCHEME)
    tops = set(g.objects(THEME_SCHEME, SKOS.hasTopConcept))
    assert tops == {URIRef(f"{THEME_SCHEME}/{p}") for p in PILLARS}
    assert len(concepts - tops) >= 14
    for c in concepts:
        assert (c, RDF.type, SKOS.Concept) in g, c
        assert g.value(c, SKOS.prefLabel) is not None, c
        assert len(str(g.value(c, SKOS.definition) or "")) > 20, c
        assert str(g.value(c, SKOS.notation)) == str(c).rsplit("/", 1)[-1]
        if c in tops:
            assert g.value(c, SKOS.broader) is None
            assert (c, SKOS.topConceptOf, THEME_SCHEME) in g
        else:
            assert g.value(c, SKOS.broader) in tops, f"{c} has no pillar"


def test_theme_alignments_point_to_sdg_targets_and_dac_codes(themes_graph: Graph) -> None:
    g = themes_graph
    dac = scheme_members(g, DAC_SCHEME)
    targets = set()
    for prop in (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch):
        for _, o in g.subject_objects(prop):
            if str(o).startswith("http://metadata.un.org/sdg/"):
                targets.add(str(o).rsplit("/", 1)[-1])
            else:
                assert o in dac, o
    assert {"5.2", "8.7", "16.2"} <= targets
    assert {str(g.value(c, SKOS.notation)) for c in dac} == {"15130", "15180", "15190"}
    for c in dac:
        assert g.value(c, SKOS.prefLabel) is not None


def test_classifier_covers_exactly_the_themes(themes_graph: Graph) -> None:
    from plangraph.analysis.themes import KEYWORDS, load_scheme

    scheme = load_scheme(ROOT / "ontology" / "themes.ttl")
    assert set(KEYWORDS) == {s for s, t in scheme.items() if t.pillar is not None}
    assert {t.pillar for t in scheme.values() if t.pillar} == PILLARS
