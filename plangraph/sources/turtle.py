"""Reading the project's Turtle files (ontology, themes, shapes) into rdflib graphs.

The one place they are parsed: a syntax error becomes a :class:`SourceError` naming the
file and line (never a parser exception), and nothing is fetched: rdflib's Turtle parser
follows no ``owl:imports`` and no ``@prefix`` IRI, and Turtle has no entities.
"""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Graph

from plangraph.errors import SourceError

_LINE = re.compile(r"line (\d+)")
_PARSER = "notation3.py"  # rdflib.plugins.parsers.notation3, which reads Turtle


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
        lines = getattr(exc, "lines", None)  # BadSyntax's, not every exception's
        at: int | None
        if not isinstance(lines, int):
            m = _LINE.search(str(exc))
            at = int(m.group(1)) if m else _stopped_at(exc)
        else:
            at = lines + 1  # BadSyntax counts lines from 0
        detail = " ".join(str(exc).split())[:300]
        if not isinstance(exc, SyntaxError):  # an assert or index error inside the parser
            detail = f"the parser stopped here ({type(exc).__name__}: {detail})"
        raise SourceError(f"malformed Turtle: {detail}", file=path, line=at) from None
    return graph


def _stopped_at(exc: Exception) -> int | None:
    """The line rdflib's Turtle parser had reached when it failed without saying where (an
    ``assert`` or an index past the end of the input, not a BadSyntax): the position in the
    innermost frame of its parser that holds the input (``argstr``) and a position in it."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_filename.endswith(_PARSER):
            text = frame.f_locals.get("argstr")
            for name in ("j", "i"):  # j: where it was reading; i: where the term began
                pos = frame.f_locals.get(name)
                if isinstance(text, str) and isinstance(pos, int) and 0 <= pos <= len(text):
                    found = text.count("\n", 0, pos) + 1
                    break
        tb = tb.tb_next
    return found
