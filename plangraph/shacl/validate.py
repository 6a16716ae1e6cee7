"""SHACL validation of the dataset: the entry points and the choice of engine.

Two engines give the same :class:`plangraph.shacl.report.Report`: ``"sparql"`` (the default,
used by the build and ``plangraph validate``), the shapes compiled to SPARQL and run on
pyoxigraph (:mod:`plangraph.shacl.compiler`, :mod:`plangraph.shacl.runner`), and
``"pyshacl"`` (inference none, :mod:`plangraph.shacl.reference`), the reference that
tests/test_shacl_sparql.py compares it with. When the shapes use a feature the SPARQL engine
cannot compile (it raises :class:`plangraph.shacl.shapes_graph.UnsupportedShape` naming the
shape), the ``"sparql"`` engine logs that error and validates with pyshacl instead: no shape
goes unchecked. The same happens when rdflib has rewritten an ill-typed literal of the data
(:func:`plangraph.shacl.loading.rewritten`): literals are checked as written.
"""

from __future__ import annotations

import logging
from pathlib import Path

from rdflib import Dataset, Graph

from plangraph.shacl.compiler import compile_shapes
from plangraph.shacl.loading import load_shapes, union
from plangraph.shacl.reference import validate_graph
from plangraph.shacl.report import Report
from plangraph.shacl.runner import sparql_validate_nquads, validate_rdflib
from plangraph.shacl.shapes_graph import UnsupportedShape

log = logging.getLogger(__name__)
ENGINES = ("sparql", "pyshacl")


def validate_graphs(data: Graph | Dataset, shapes: Graph) -> tuple[Report, str]:
    """Validate ``data`` (all graphs of a dataset together) against ``shapes`` with the SPARQL
    engine, or with pyshacl where it refuses: (the report, the engine that made it)."""
    try:
        return validate_rdflib(data, compile_shapes(shapes)), "sparql"
    except UnsupportedShape as err:
        log.warning("%s: validating with pyshacl instead", err)
        return validate_graph(union(data) if isinstance(data, Dataset) else data, shapes), "pyshacl"


def validate_dataset(ds: Dataset, shapes_folder: Path, engine: str = "sparql") -> Report:
    """Validate all graphs of ``ds`` together against the shapes in ``shapes_folder``."""
    if engine == "sparql":
        return validate_graphs(ds, load_shapes(shapes_folder))[0]
    if engine == "pyshacl":
        return validate_graph(union(ds), load_shapes(shapes_folder))
    raise ValueError(f"unknown SHACL engine {engine!r}: one of {', '.join(ENGINES)}")


def validate_nquads(data: bytes, shapes_folder: Path, engine: str = "sparql") -> Report:
    """Validate N-Quads bytes (all graphs together), e.g. the built plangraph.nq."""
    if engine == "sparql":
        try:
            compiled = compile_shapes(load_shapes(shapes_folder))
        except UnsupportedShape as err:
            log.warning("%s: validating with pyshacl instead", err)
            engine = "pyshacl"
        else:
            return sparql_validate_nquads(data, compiled)
    ds = Dataset()
    ds.parse(data=data, format="nquads")
    return validate_dataset(ds, shapes_folder, engine=engine)
