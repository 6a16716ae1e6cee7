"""Compiled shapes run on pyoxigraph: the same :class:`Report` as pyshacl, faster.

The queries of :mod:`plangraph.shacl.compiler` run on an in-memory pyoxigraph store holding
the dataset's triples. The result is, result for result, the one pyshacl (inference none, the
reference: tests/test_shacl_sparql.py compares the two) gives: same severity, source shape,
focus node, path (``"complex"`` for a path that is not one property), constraint component,
message and value. Values only Python can decide are decided the way pyshacl does
(:mod:`plangraph.shacl.pyshacl_semantics`).

Entry points (``shapes`` may be a folder, a graph or :class:`CompiledShapes`):

* :func:`sparql_validate_nquads` ``(data: bytes, shapes) -> Report`` -- N-Quads bytes (the
  built ``data/graph/plangraph.nq``); the triples of all graphs are loaded into one graph,
  as :func:`plangraph.shacl.loading.union` does for pyshacl.
* :func:`validate_store` ``(store, shapes) -> Report`` -- an already loaded
  ``pyoxigraph.Store``; its default graph is taken as the union of all graphs.
* :func:`validate_rdflib` ``(data: rdflib.Graph | rdflib.Dataset, shapes) -> Report``.

Known differences from pyshacl, none of which the built dataset can show: Oxigraph stores a
well-formed typed literal in canonical form ("01"^^xsd:integer is read back as "1"), so sh:value
of a non-string literal is mapped back to the source's spelling only for results on a single
property path when the source is known (N-Quads or rdflib input, not a bare store:
:mod:`plangraph.shacl.originals`), and sh:minLength/sh:maxLength/sh:pattern see the canonical
spelling of such literals; blank nodes have different labels; a FILTER on ``$this`` inside a
nested group of a SPARQL constraint sees ``$this`` unbound.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import XSD

from plangraph.shacl.checks import (
    CompiledShapes,
    NodeShapeCheck,
    PropertyCheck,
    SparqlCheck,
    ValueCheck,
)
from plangraph.shacl.compiler import compile_shapes
from plangraph.shacl.loading import load_nquads, load_rdflib, load_shapes
from plangraph.shacl.originals import Originals
from plangraph.shacl.pyshacl_semantics import SURELY_WELL_FORMED, ltoe_violates
from plangraph.shacl.report import Report, Result
from plangraph.shacl.terms import to_rdflib

PREFIXES = (
    "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n"
)


def _text(term: object) -> str:
    return term.value if isinstance(term, (ox.NamedNode, ox.BlankNode, ox.Literal)) else str(term)


def _flags(checks: list[ValueCheck], prefix: str) -> list[tuple[str, str, str]]:
    """(variable suffix, bad expression, check expression) of every atomic check."""
    out = []
    for i, c in enumerate(checks):
        if c.alternatives is not None:
            for j, alt in enumerate(c.alternatives):
                out.extend(_flags(alt, f"{prefix}{i}_{j}_"))
        else:
            out.append((f"{prefix}{i}", c.bad, c.check))
    return out


def _might_fail(checks: list[ValueCheck], prefix: str) -> str:
    parts = []
    for i, c in enumerate(checks):
        if c.alternatives is None:
            parts.append(f"?b{prefix}{i} || ?c{prefix}{i}")
        else:
            sure = []
            for j, alt in enumerate(c.alternatives):
                members = [
                    f"!?b{prefix}{i}_{j}_{k} && !?c{prefix}{i}_{j}_{k}" for k in range(len(alt))
                ]
                sure.append("(" + (" && ".join(members) or "true") + ")")
            parts.append("!(" + (" || ".join(sure) or "false") + ")")
    return " || ".join(f"({p})" for p in parts) or "false"


def _is_true(row: ox.QuerySolution, var: str) -> bool:
    term = row[var]
    return term is not None and term.value == "true"


def _value_results(checks: list[ValueCheck], row: ox.QuerySolution, prefix: str) -> list[str]:
    """The components of ``checks`` that the value of ``row`` violates (in order)."""
    failed = []
    v = None
    for i, c in enumerate(checks):
        name = f"{prefix}{i}"
        if c.alternatives is None:
            if _is_true(row, f"b{name}"):
                failed.append(c.component)
            elif _is_true(row, f"c{name}"):
                v = to_rdflib(row["v"]) if v is None else v
                assert c.python_ok is not None
                if not c.python_ok(v):
                    failed.append(c.component)
            continue
        passed = False
        for j, alt in enumerate(c.alternatives):
            ok = True
            for k, member in enumerate(alt):
                flag = f"{name}_{j}_{k}"
                if _is_true(row, f"b{flag}"):
                    ok = False
                elif _is_true(row, f"c{flag}"):
                    v = to_rdflib(row["v"]) if v is None else v
                    assert member.python_ok is not None
                    ok = ok and member.python_ok(v)
                if not ok:
                    break
            if ok:
                passed = True
                break
        if not passed:
            failed.append(c.component)
    return failed


class _Run:
    def __init__(self, store: ox.Store, union: bool, originals: Originals | None) -> None:
        self.store = store
        self.union = union
        self.originals = originals
        self.results: list[Result] = []

    def select(self, query: str) -> Iterable[ox.QuerySolution]:
        solutions = self.store.query(PREFIXES + query, use_default_graph_as_union=self.union)
        assert isinstance(solutions, ox.QuerySolutions)  # every compiled query is a SELECT
        return solutions

    def add(
        self,
        p: PropertyCheck,
        focus: object,
        component: str,
        value: object | None,
        message: str | None = None,
        path: str | None = None,
    ) -> None:
        self.results.append(
            Result(
                severity=p.severity,
                shape=p.shape,
                focus=_text(focus),
                path=path if path is not None else p.path_text,
                constraint=component,
                message=p.message if message is None else message,
                value=None if value is None else self.value_text(p, focus, value),
            )
        )

    def value_text(self, p: PropertyCheck, focus: object, value: object) -> str:
        if (
            isinstance(value, ox.Literal)
            and not value.language
            and value.datatype.value != str(XSD.string)
            and self.originals is not None
            and p.simple_path is not None
            and isinstance(focus, ox.NamedNode)
        ):
            found = self.originals.lookup(focus.value, p.simple_path, value)
            if found is not None:
                return found
        return _text(value)

    def cardinality(self, node: NodeShapeCheck, p: PropertyCheck) -> None:
        tests = []
        if p.min_count is not None:
            tests.append(f"?n < {p.min_count}")
        if p.max_count is not None:
            tests.append(f"?n > {p.max_count}")
        q = (
            "SELECT ?this ?n WHERE { { SELECT ?this (COUNT(DISTINCT ?v) AS ?n) WHERE { "
            f"{node.focus} OPTIONAL {{ ?this {p.path} ?v }} }} GROUP BY ?this }} "
            f"FILTER({' || '.join(tests)}) }}"
        )
        for row in self.select(q):
            n = int(row["n"].value)
            if p.min_count is not None and n < p.min_count:
                self.add(p, row["this"], "MinCountConstraintComponent", None)
            if p.max_count is not None and n > p.max_count:
                self.add(p, row["this"], "MaxCountConstraintComponent", None)

    def values(self, node: NodeShapeCheck, p: PropertyCheck) -> None:
        flags = _flags(p.values, "")
        binds = " ".join(
            f"BIND(COALESCE({bad or 'false'}, false) AS ?b{name}) "
            f"BIND(COALESCE({check}, true) AS ?c{name})"
            for name, bad, check in flags
        )
        projection = " ".join(f"?b{name} ?c{name}" for name, _, _ in flags)
        q = (
            f"SELECT DISTINCT ?this ?v {projection} WHERE {{ {node.focus} ?this {p.path} ?v . "
            f"{binds} FILTER({_might_fail(p.values, '')}) }}"
        )
        for row in self.select(q):
            for component in _value_results(p.values, row, ""):
                self.add(p, row["this"], component, row["v"])

    def equals(self, node: NodeShapeCheck, p: PropertyCheck, other: str) -> None:
        q = (
            f"SELECT DISTINCT ?this ?v WHERE {{ {node.focus} "
            f"{{ ?this {p.path} ?v FILTER NOT EXISTS {{ ?this <{other}> ?v }} }} UNION "
            f"{{ ?this <{other}> ?v FILTER NOT EXISTS {{ ?this {p.path} ?v }} }} }}"
        )
        for row in self.select(q):
            self.add(p, row["this"], "EqualsConstraintComponent", row["v"])

    def less_than_or_equals(self, node: NodeShapeCheck, p: PropertyCheck, other: str) -> None:
        date = SURELY_WELL_FORMED[XSD.date]
        sure = (
            "(isNumeric(?v) && isNumeric(?o) && ?v <= ?o)"
            f" || (sameTerm(DATATYPE(?v), xsd:date) && sameTerm(DATATYPE(?o), xsd:date)"
            f" && {date} && {date.replace('?v', '?o')} && ?v <= ?o)"
            " || (sameTerm(DATATYPE(?v), xsd:string) && sameTerm(DATATYPE(?o), xsd:string)"
            " && ?v <= ?o)"
        )
        q = (
            f"SELECT DISTINCT ?this ?v ?o WHERE {{ {node.focus} ?this {p.path} ?v . "
            f"?this <{other}> ?o . FILTER(!COALESCE({sure}, false)) }}"
        )
        for row in self.select(q):
            if ltoe_violates(to_rdflib(row["v"]), to_rdflib(row["o"])):
                self.add(p, row["this"], "LessThanOrEqualsConstraintComponent", row["v"])

    def sparql(self, p: PropertyCheck, c: SparqlCheck) -> None:
        seen = set()
        solutions = self.select(c.query)
        names = [v.value for v in solutions.variables]  # type: ignore[attr-defined]
        for row in solutions:
            bound = {n: row[n] for n in names if row[n] is not None}
            this = bound.pop("this")
            path = bound.pop("path", None)
            value = bound.pop("value", None)
            key = (this, path, value, tuple(sorted((k, str(t)) for k, t in bound.items())))
            if key in seen:
                continue
            seen.add(key)
            if value is None and not c.is_property:
                value = this
            template = c.message if c.message is not None else p.message
            fdict = {k: _text(t) for k, t in bound.items()}
            fdict["this"] = _text(this)
            if path is not None:
                fdict["path"] = _text(path)
            if value is not None:
                fdict["value"] = _text(value)
            message = template
            for var, val in fdict.items():
                message = re.sub(f"{{[?$]{var}}}", val, message)
            path_text = None
            if path is not None:
                path_text = path.value if isinstance(path, ox.NamedNode) else "complex"
            self.add(p, this, "SPARQLConstraintComponent", value, message=message, path=path_text)


def validate_store(
    store: ox.Store,
    shapes: CompiledShapes | Graph | Path,
    *,
    union: bool = True,
    originals: Originals | None = None,
) -> Report:
    """Validate the triples of ``store`` (with ``union``: of all its graphs; without: of its
    default graph) against ``shapes``."""
    compiled = _compiled(shapes)
    run = _Run(store, union, originals)
    for node in compiled.shapes:
        for p in node.properties:
            if p.min_count is not None or p.max_count is not None:
                run.cardinality(node, p)
            if p.values:
                run.values(node, p)
            for other in p.equals:
                run.equals(node, p, other)
            for other in p.less_than_or_equals:
                run.less_than_or_equals(node, p, other)
            for c in p.sparql:
                run.sparql(p, c)
    if union:
        count = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
        triples = int(next(iter(run.select(count)))["n"].value)
    else:
        triples = len(store)
    report = Report(results=sorted(run.results), triples=triples)
    return report


def _compiled(shapes: CompiledShapes | Graph | Path) -> CompiledShapes:
    if isinstance(shapes, CompiledShapes):
        return shapes
    if isinstance(shapes, Path):
        shapes = load_shapes(shapes)
    return compile_shapes(shapes)


def sparql_validate_nquads(data: bytes, shapes: CompiledShapes | Graph | Path) -> Report:
    """Validate N-Quads bytes (all graphs together) against ``shapes`` (e.g. Path("shapes"))."""
    return validate_store(
        load_nquads(data), shapes, union=False, originals=Originals.of_nquads(data)
    )


def validate_rdflib(data: Graph | Dataset, shapes: CompiledShapes | Graph | Path) -> Report:
    """Validate an rdflib graph, or all graphs of an rdflib dataset together."""
    if isinstance(data, Dataset):
        ds = data
        originals = Originals(
            lambda s, p: (q[2] for q in ds.quads((URIRef(s), URIRef(p), None, None)))
        )
    else:
        originals = Originals.of_graph(data)
    return validate_store(load_rdflib(data), shapes, union=False, originals=originals)
