"""The build: deterministic, drift-checked against the committed dataset, all-or-nothing."""

from __future__ import annotations

import json

import pytest
from rdflib import RDF, Graph, Literal
from rdflib.namespace import PROV

from plangraph import ids
from plangraph.errors import ValidationFailed
from plangraph.graph.build import (
    MANIFEST,
    NQUADS,
    TRIG,
    BuildResult,
    analyse,
    build,
    is_stale,
    serialize_nquads,
    write,
)
from plangraph.graph.mapping import to_dataset
from plangraph.ids import PG
from plangraph.paths import ProjectPaths
from plangraph.shacl.loading import union


@pytest.fixture(scope="session")
def built(paths: ProjectPaths) -> BuildResult:
    return build(paths)


def test_committed_dataset_equals_a_fresh_build(built: BuildResult, paths: ProjectPaths) -> None:
    for name, data in built.files.items():
        committed = (paths.graph / name).read_bytes()
        assert committed == data, (
            f"data/graph/{name} is stale: run 'plangraph build' and review the diff"
        )
    assert not is_stale(paths)


def test_mapping_is_deterministic(
    built: BuildResult, paths: ProjectPaths, catalog, registry, curations
) -> None:
    tagging, overlaps = analyse(paths, built.plans, registry)
    again = to_dataset(built.plans, registry, catalog, curations, paths.ontology, tagging, overlaps)
    assert serialize_nquads(again) == built.files[NQUADS]


def test_one_named_graph_per_source_document(built: BuildResult, catalog) -> None:
    graphs = set(built.manifest["graphs"])
    for d in catalog.documents:
        assert str(ids.document_graph(d.slug)) in graphs
    assert str(ids.REGISTRY_GRAPH) in graphs and str(ids.ONTOLOGY_GRAPH) in graphs


def test_dataset_conforms(built: BuildResult) -> None:
    assert built.report.conforms
    assert built.report.violations == []


def _graph(built: BuildResult) -> Graph:
    return union(built.dataset)


def test_vnm_khm_activity_in_the_graph(built: BuildResult) -> None:
    act = ids.activity("vnm-khm-2020-2022", "3.1.1")
    quads = built.dataset.quads(
        (act, RDF.type, PG.Activity, ids.document_graph("vnm-khm-jpa-2020-2022"))
    )
    assert len(list(quads)) == 1
    g = _graph(built)
    assert (act, PG.plan, ids.plan("vnm-khm-2020-2022")) in g
    commitments = set(g.subjects(PG.activity, act))
    assert {g.value(c, PG.agency) for c in commitments} == {
        ids.agency("vnm/mps-immigration"),
        ids.agency("khm/mosvy-dahtvr"),
        ids.agency("khm/commit-task-force"),
    }


def test_every_activity_and_commitment_has_a_span(built: BuildResult) -> None:
    g = _graph(built)
    for cls in (PG.Activity, PG.Commitment, PG.SubActivity):
        nodes = set(g.subjects(RDF.type, cls))
        assert nodes
        for n in nodes:
            spans = list(g.objects(n, PROV.wasDerivedFrom))
            assert spans, n
            for sp in spans:
                assert g.value(sp, PG.startLine) is not None, sp


def test_same_agency_same_uri_across_plans(built: BuildResult) -> None:
    g = _graph(built)
    tf = ids.agency("khm/commit-task-force")
    plans = {g.value(g.value(c, PG.activity), PG.plan) for c in g.subjects(PG.agency, tf)}
    assert {ids.plan("vnm-khm-2020-2022"), ids.plan("khm-npa-2011-2013")} <= plans


def test_uncertain_commitment_marked(built: BuildResult) -> None:
    g = _graph(built)
    act = ids.activity("chn-khm-2017-2019", "III.4")
    uncertain = {
        str(g.value(c, PG.mentionText))
        for c in g.subjects(PG.activity, act)
        if (c, PG.uncertain, Literal(True)) in g
    }
    assert uncertain == {"Ministry of Interior Cambodia", "Embassies"}


def test_manifest(built: BuildResult, paths: ProjectPaths) -> None:
    manifest = json.loads(built.files[MANIFEST])
    assert manifest["plans"]["vnm-khm-2020-2022"] == 19
    assert manifest["plans"]["chn-khm-2017-2019"] == 23
    assert manifest["triples"] == sum(manifest["graphs"].values())
    assert set(manifest["files"]) == {NQUADS, TRIG}


def test_violation_stops_the_build_and_writes_nothing(project_copy: ProjectPaths) -> None:
    (project_copy.shapes / "impossible.ttl").write_text(
        """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix pg: <https://w3id.org/plangraph/ontology#> .
<urn:test:ImpossibleShape> a sh:NodeShape ; sh:targetClass pg:JointPlan ;
  sh:property [ sh:path pg:doesNotExist ; sh:minCount 1 ] .
""",
        encoding="utf-8",
    )
    with pytest.raises(ValidationFailed) as err:
        result = build(project_copy)
        write(result, project_copy.graph)
    assert "nothing was written" in str(err.value)
    assert "urn:test:ImpossibleShape" in str(err.value) or "doesNotExist" in str(err.value)
    assert not project_copy.graph.exists()
