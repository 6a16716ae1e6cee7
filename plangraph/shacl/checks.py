"""The compiled form of a shapes graph: per node shape, its focus nodes as a SPARQL group and
the checks of each property shape, ready for :mod:`plangraph.shacl.runner`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class ValueCheck:
    """One constraint on each value node: SPARQL flags ``bad`` (a result for sure) and
    ``check`` (decide in Python with ``python_ok``)."""

    component: str
    bad: str
    check: str = "false"
    python_ok: Callable[[object], bool] | None = None
    alternatives: list[list[ValueCheck]] | None = None  # sh:or


@dataclass
class PropertyCheck:
    shape: str
    node_shape: str
    severity: str
    message: str
    path: str  # SPARQL
    path_text: str | None  # Result.path
    simple_path: str | None  # the property, for a path that is one
    is_property: bool = True
    min_count: int | None = None
    max_count: int | None = None
    values: list[ValueCheck] = field(default_factory=list)
    equals: list[str] = field(default_factory=list)
    less_than_or_equals: list[str] = field(default_factory=list)
    sparql: list[SparqlCheck] = field(default_factory=list)


@dataclass
class SparqlCheck:
    node: str
    query: str
    message: str | None
    is_property: bool


@dataclass
class NodeShapeCheck:
    shape: str
    focus: str  # SPARQL group binding ?this to each focus node once
    properties: list[PropertyCheck] = field(default_factory=list)


@dataclass
class CompiledShapes:
    shapes: list[NodeShapeCheck]

    @property
    def queries(self) -> int:
        n = 0
        for s in self.shapes:
            for p in s.properties:
                n += (p.min_count is not None or p.max_count is not None) + bool(p.values)
                n += len(p.equals) + len(p.less_than_or_equals) + len(p.sparql)
        return n
