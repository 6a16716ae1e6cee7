"""Reading the project's Turtle files (ontology, themes, shapes) into rdflib graphs.

The one place they are parsed: a syntax error becomes a :class:`SourceError` naming the
file and line (never a parser exception), and nothing is fetched: rdflib's Turtle parser
follows no ``owl:imports`` and no ``@prefix`` IRI, and Turtle has no entities.
"""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Graph

from .errors import SourceError

_LINE = re.compile(r"line (\d+)")


def parse_turtle(graph: Graph, path: Path) -> Graph:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror}", file=path) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SourceError("not UTF-8", file=path, line=line) from None
    try:
        graph.parse(data=text, format="turtle", publicID=path.resolve().as_uri())
    except Exception as exc:  # rdflib raises BadSyntax, ValueError, TypeError, ...
        line = getattr(exc, "lines", None)
        if not isinstance(line, int):
            m = _LINE.search(str(exc))
            line = int(m.group(1)) if m else None
        else:
            line += 1  # BadSyntax counts lines from 0
        detail = " ".join(str(exc).split())[:300]
        raise SourceError(f"malformed Turtle: {detail}", file=path, line=line) from None
    return graph
