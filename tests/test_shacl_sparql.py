"""The SPARQL engine (plangraph.shacl.compiler, .runner) against pyshacl, the reference.

Both must give the same report, result for result: on the built dataset, on every example
of tests/shapes/ and on copies of real plans with a few triples deleted or corrupted. No
test measures time (bench/ does).
"""

from __future__ import annotations

import random
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, XSD, Dataset, Graph, Literal, Namespace, URIRef

from plangraph.shacl.compiler import compile_shapes
from plangraph.shacl.loading import load_shapes, union
from plangraph.shacl.reference import validate_graph
from plangraph.shacl.report import Report
from plangraph.shacl.runner import sparql_validate_nquads, validate_rdflib
from plangraph.shacl.shapes_graph import UnsupportedShape
from plangraph.shacl.terms import to_rdflib
from plangraph.shacl.validate import validate_dataset

from .test_shapes import EXAMPLES, EXPECTED, data_graph

ROOT = Path(__file__).resolve().parent.parent
NQ = ROOT / "data" / "graph" / "plangraph.nq"
SH = Namespace("http://www.w3.org/ns/shacl#")


def same(a: Report, b: Report) -> None:
    assert sorted(a.results) == sorted(b.results)
    assert a.triples == b.triples
    assert a.conforms == b.conforms


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(ROOT / "shapes")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    g = Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        g.parse(path, format="turtle")
    return g


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    ds = Dataset()
    for q in ox.parse(NQ.read_bytes(), ox.RdfFormat.N_QUADS):
        s, p, o, g = (to_rdflib(t) for t in (q.subject, q.predicate, q.object, q.graph_name))
        ds.graph(g).add((s, p, o))
    return ds


def test_every_shape_compiles(shapes: Graph) -> None:
    compiled = compile_shapes(shapes)
    properties = {p.shape for s in compiled.shapes for p in s.properties}
    assert properties == {str(o) for o in shapes.objects(None, SH.property)}


def test_the_built_dataset_gives_pyshacls_report(shapes: Graph, dataset: Dataset) -> None:
    reference = validate_graph(union(dataset), shapes)
    assert reference.results  # the warnings of the real plans
    same(sparql_validate_nquads(NQ.read_bytes(), shapes), reference)
    same(validate_rdflib(dataset, shapes), reference)
    same(validate_dataset(dataset, ROOT / "shapes", engine="sparql"), reference)


@pytest.mark.parametrize("kind", ["fail", "pass"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_examples_give_pyshacls_report(
    name: str, kind: str, shapes: Graph, ontology: Graph
) -> None:
    data = data_graph(ontology, EXAMPLES / f"{name}.{kind}.ttl")
    reference = validate_graph(data, shapes)
    assert bool(reference.results) == (kind == "fail")
    same(validate_rdflib(data, shapes), reference)


def test_the_base_example_and_missing_ontology_give_pyshacls_report(
    shapes: Graph, ontology: Graph
) -> None:
    for data in (data_graph(ontology), data_graph(ontology, with_ontology=False)):
        same(validate_rdflib(data, shapes), validate_graph(data, shapes))


# every value component, on values that pass and fail it (the examples of tests/shapes/ use
# only the components the project's shapes use)
COMPONENTS = [
    "sh:class pg:C",
    "sh:datatype xsd:integer",
    "sh:datatype xsd:date",
    "sh:nodeKind sh:IRI",
    "sh:nodeKind sh:BlankNodeOrLiteral",
    "sh:minLength 2",
    "sh:maxLength 3",
    'sh:pattern "^AB"',
    'sh:pattern "^ab" ; sh:flags "i"',
    'sh:in ( "a" <urn:b> 3 )',
    "sh:minInclusive 2",
    "sh:maxInclusive 4",
    "sh:minExclusive 2",
    "sh:maxExclusive 5",
    'sh:minInclusive "2020-01-01"^^xsd:date',
    'sh:maxExclusive "m"',
    'sh:or ( [ sh:datatype xsd:integer ; sh:maxInclusive 3 ] [ sh:pattern "^x" ] )',
]
COMPONENT_DATA = """
    @prefix pg: <https://w3id.org/plangraph/ontology#> .
    @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
    <urn:a> a pg:C ; pg:p "ab", "abcd", "xyz", "AbC", "a", "x"@en, 1, 2, 3, 5, 6, 4.5,
        "01"^^xsd:integer, "abc"^^xsd:integer, "2019-12-31"^^xsd:date, "2020-06-01"^^xsd:date,
        <urn:b>, <urn:c> .
    <urn:b> a pg:C .
"""


@pytest.mark.parametrize("body", COMPONENTS)
def test_each_value_component_gives_pyshacls_report(body: str) -> None:
    text = f"""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix pg: <https://w3id.org/plangraph/ontology#> .
        @prefix pgsh: <https://w3id.org/plangraph/shapes#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        pgsh:Node a sh:NodeShape ; sh:targetClass pg:C ; sh:property pgsh:Prop .
        pgsh:Prop a sh:PropertyShape ; sh:path pg:p ; {body} ; sh:message "m" .
    """
    shapes = Graph().parse(data=text, format="turtle")
    data = Graph().parse(data=COMPONENT_DATA, format="turtle")
    reference = validate_graph(data, shapes)
    assert reference.results  # some values fail each component
    assert len(reference.results) < 18  # and some pass
    same(validate_rdflib(data, shapes), reference)


UNSUPPORTED = [
    "sh:path pg:p ; sh:hasValue pg:x",
    "sh:path pg:p ; sh:node pgsh:Other",
    "sh:path pg:p ; sh:uniqueLang true",
    "sh:path pg:p ; sh:qualifiedValueShape [ sh:class pg:C ] ; sh:qualifiedMinCount 1",
    "sh:path [ sh:fancyPath pg:p ]",
    "sh:path pg:p ; sh:or ( [ sh:node pgsh:Other ] )",
    'sh:path pg:p ; sh:sparql [ sh:select "SELECT $this WHERE { $this $PATH ?v } LIMIT 1" ]',
    'sh:path pg:p ; sh:sparql [ sh:select "SELECT ?v WHERE { $this $PATH ?v }" ]',
    'sh:path pg:p ; sh:sparql [ sh:select "SELECT (COUNT(?v) AS ?n) WHERE { $this $PATH ?v }" ]',
]


@pytest.mark.parametrize("body", UNSUPPORTED)
def test_an_unsupported_feature_raises_naming_the_shape(body: str) -> None:
    text = f"""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix pg: <https://w3id.org/plangraph/ontology#> .
        @prefix pgsh: <https://w3id.org/plangraph/shapes#> .
        pgsh:Node a sh:NodeShape ; sh:targetClass pg:C ; sh:property pgsh:Prop .
        pgsh:Prop a sh:PropertyShape ; {body} ; sh:message "m" .
    """
    with pytest.raises(UnsupportedShape, match="shapes#Prop>"):
        compile_shapes(Graph().parse(data=text, format="turtle"))


def test_a_node_shape_constraint_raises_naming_the_shape() -> None:
    text = """
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix pg: <https://w3id.org/plangraph/ontology#> .
        <urn:shape> a sh:NodeShape ; sh:targetClass pg:C ; sh:closed true .
    """
    with pytest.raises(UnsupportedShape, match="<urn:shape>: the node-shape constraint"):
        compile_shapes(Graph().parse(data=text, format="turtle"))


# -- mutations of real plans ---------------------------------------------------------------

# The smallest real plans with the registry and the ontology: pyshacl takes seconds on them
# (a minute and a half on the whole dataset).
GRAPHS = ("ontology", "registry", "chn-khm-jpa-2017-2019")


def corrupt(rng: random.Random, g: Graph, triple: tuple, nodes: list) -> None:
    s, p, o = triple
    kind = rng.randrange(9)
    g.remove(triple)
    if kind == 0:
        return  # deleted
    replacement = [
        lambda: rng.choice(nodes),  # another node: wrong class, wrong kind
        lambda: Literal(""),
        lambda: Literal("abc", datatype=XSD.integer),
        lambda: Literal("2020-13-45", datatype=XSD.date),
        lambda: Literal("-3", datatype=XSD.integer),
        lambda: Literal(str(o) + " ", lang="en") if isinstance(o, Literal) else Literal("x"),
        lambda: Literal("1999", datatype=XSD.gYear),
        lambda: None,  # a second value
    ][kind - 1]()
    if replacement is None:
        g.add(triple)
        g.add((s, p, rng.choice(nodes)))
    else:
        g.add((s, p, replacement))


@pytest.fixture(scope="module")
def plans(dataset: Dataset) -> Graph:
    g = Graph()
    for s, p, o, c in dataset.quads((None, None, None, None)):
        if str(c).rsplit("/", 1)[-1] in GRAPHS:
            g.add((s, p, o))
    return g


@pytest.mark.parametrize("seed", range(20))
def test_corrupted_plans_give_pyshacls_report(seed: int, plans: Graph, shapes: Graph) -> None:
    rng = random.Random(seed)
    g = Graph()
    g += plans
    triples = sorted(t for t in g if not str(t[1]).startswith(str(RDF)) or t[1] == RDF.type)
    plan_triples = [t for t in triples if "/id/plan/" in str(t[0]) or t[1] == RDF.type]
    nodes = sorted({t[0] for t in plan_triples})
    for triple in rng.sample(plan_triples, rng.randint(1, 6)):
        if triple in g:
            corrupt(rng, g, triple, nodes)
    reference = validate_graph(g, shapes)
    same(validate_rdflib(g, shapes), reference)


def test_validate_dataset_falls_back_to_pyshacl_on_an_unsupported_shape(
    tmp_path: Path, plans: Graph, caplog: pytest.LogCaptureFixture
) -> None:
    """A shape without sh:message (pyshacl's generic messages): checked, by pyshacl."""
    for path in (ROOT / "shapes").glob("*.ttl"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "extra.ttl").write_text(
        """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix pg: <https://w3id.org/plangraph/ontology#> .
<urn:test:Extra> a sh:NodeShape ; sh:targetClass pg:JointPlan ;
  sh:property [ sh:path pg:doesNotExist ; sh:minCount 1 ] .
""",
        encoding="utf-8",
    )
    with pytest.raises(
        UnsupportedShape, match=r"<urn:test:Extra> sh:property .* without sh:message"
    ):
        compile_shapes(load_shapes(tmp_path))
    ds = Dataset()
    for t in plans:
        ds.graph(URIRef("urn:g")).add(t)
    report = validate_dataset(ds, tmp_path, engine="sparql")
    assert "validating with pyshacl instead" in caplog.text
    assert "https://w3id.org/plangraph/ontology#doesNotExist" in {r.path for r in report.violations}
