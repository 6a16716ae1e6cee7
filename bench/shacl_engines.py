"""plangraph's SHACL engines beside pyrudof (Rust SHACL, PyPI): speed on the real dataset and
coverage of the W3C SHACL test suite (tests/data/w3c-shacl). Not a test; writes
bench/results/shacl-engines.json.

    .venv/bin/pip install pyrudof   # not a dependency of plangraph
    .venv/bin/python bench/shacl_engines.py [--runs 5]

Speed: validate the built data/graph/plangraph.nq against shapes/*.ttl, median (min, max) of
``--runs`` runs, each engine on its own input path (load included): plangraph's SPARQL engine
(N-Quads bytes), pyshacl (rdflib dataset, parse excluded: it is the reference path), pyrudof
(N-Quads and the shapes as Turtle, native engine). Agreement: each engine's result count by
severity, compared with pyshacl's.

Coverage: every test of the suite's core and sparql parts; an engine's answer is right when its
results equal the expected ones on focus node, path (a non-IRI path counts as "complex"),
severity, constraint component, source shape and value, and sh:conforms agrees. Blank nodes
are compared as "_:" (pyrudof reads the files itself, so its labels differ), and a literal by
its lexical form. An error counts as "refused" (a sht:Failure test expects one).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import re
import statistics
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rdflib import Dataset  # noqa: E402

from plangraph.shacl.compiler import compile_shapes  # noqa: E402
from plangraph.shacl.loading import load_shapes, union  # noqa: E402
from plangraph.shacl.reference import validate_graph  # noqa: E402
from plangraph.shacl.runner import sparql_validate_nquads  # noqa: E402
from plangraph.shacl.shapes_graph import UnsupportedShape  # noqa: E402
from plangraph.shacl.validate import validate_graphs  # noqa: E402
from tests.w3c_shacl import report_rows, suite  # noqa: E402

NQ = ROOT / "data" / "graph" / "plangraph.nq"
OUT = ROOT / "bench" / "results" / "shacl-engines.json"
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]*$")


def _rudof() -> Any:
    import pyrudof

    return pyrudof.Rudof(pyrudof.RudofConfig())


def _norm(text: str | None, path: bool = False) -> str | None:
    if text is None:
        return None
    t = str(text)
    if t.startswith("_:") or re.fullmatch(r"n[0-9a-f]{32}b\d+|N[0-9a-f]{32}", t):
        return "_:"
    if t.startswith('"'):
        return t[1 : t.rindex('"')]
    if t.startswith("<") and t.endswith(">") and _IRI.match(t[1:-1]):
        t = t[1:-1]
    if path and not _IRI.match(t):
        return "complex"
    return t


def _local(t: str) -> str:
    """The local name of a severity or component (pyrudof prints a custom severity as
    ``Generic(<iri>)``)."""
    return re.split(r"[#/]", t.rstrip(")>"))[-1]


def _rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            (
                _norm(f),
                _norm(p, path=True) if p != "complex" else "complex",
                _local(str(s)),
                _local(str(c)),
                _norm(sh),
                _norm(v),
            )
            for f, p, s, c, sh, v in rows
        ),
        key=lambda r: tuple("" if x is None else x for x in r),
    )


def rudof_rows(data: Path, shapes: Path) -> tuple[bool, list[tuple[Any, ...]]]:
    r = _rudof()
    r.read_data(str(data), base=data.as_uri())
    r.read_shacl(str(shapes), base=shapes.as_uri())
    report = r.validate_shacl()
    rows = [
        (e.focus_node, e.path, e.severity, e.constraint_component, e.source_shape, e.value)
        for e in report
    ]
    return bool(report.conforms), rows


def coverage() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in ("core", "sparql"):
        counts: dict[str, Counter[str]] = {"plangraph": Counter(), "pyrudof": Counter()}
        wrong: dict[str, list[str]] = {"plangraph": [], "pyrudof": []}
        for t in suite(part):
            data, shapes, conforms, expected = t.load()
            want = _rows(expected)
            # plangraph: the SPARQL engine, or pyshacl where it refuses
            try:
                compile_shapes(shapes)
                engine = "sparql"
            except UnsupportedShape:
                engine = "reference"
            try:
                report, _ = validate_graphs(data, shapes)
                got = _rows(report_rows(report))
                ok = conforms is not None and got == want and (not got) == conforms
                verdict = f"{engine} right" if ok else f"{engine} WRONG"
            except Exception:  # any error is a refusal
                verdict = "refused" if conforms is not None else f"{engine} right"
            counts["plangraph"][verdict] += 1
            if "WRONG" in verdict:
                wrong["plangraph"].append(t.name)
            try:
                rconforms, rrows = rudof_rows(t.data, t.shapes)
                got = _rows(rrows)
                ok = conforms is not None and got == want and rconforms == conforms
                verdict = "right" if ok else "WRONG"
            except Exception:  # any error is a refusal
                verdict = "refused" if conforms is not None else "right"
            counts["pyrudof"][verdict] += 1
            if verdict == "WRONG":
                wrong["pyrudof"].append(t.name)
        out[part] = {
            "tests": len(suite(part)),
            "counts": {k: dict(v) for k, v in counts.items()},
            "wrong": wrong,
        }
    return out


def _timed(call: Callable[[], Any], runs: int) -> tuple[dict[str, float], Any]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - t0)
    return {
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
    }, result


def speed(runs: int) -> dict[str, Any]:
    import pyoxigraph as ox

    from plangraph.shacl.terms import to_rdflib

    data = NQ.read_bytes()
    shapes = load_shapes(ROOT / "shapes")
    compiled = compile_shapes(shapes)
    shapes_ttl = "\n".join(p.read_text() for p in sorted((ROOT / "shapes").glob("*.ttl")))
    out: dict[str, Any] = {"triples_nq_lines": data.count(b"\n")}

    sparql_time, sparql_report = _timed(lambda: sparql_validate_nquads(data, compiled), runs)
    out["plangraph-sparql"] = {
        **sparql_time,
        "by_severity": dict(Counter(r.severity for r in sparql_report.results)),
    }
    ds = Dataset()
    for q in ox.parse(data, ox.RdfFormat.N_QUADS):
        s, p, o, g = (to_rdflib(t) for t in (q.subject, q.predicate, q.object, q.graph_name))
        ds.graph(g).add((s, p, o))
    graph = union(ds)
    ref_time, ref_report = _timed(lambda: validate_graph(graph, shapes), max(1, runs // 2))
    out["pyshacl"] = {
        **ref_time,
        "by_severity": dict(Counter(r.severity for r in ref_report.results)),
    }

    def rudof_run() -> Any:
        import pyrudof

        r = _rudof()
        r.read_data(str(NQ), format=pyrudof.RDFFormat.NQuads)
        r.read_shacl(shapes_ttl)
        return r.validate_shacl()

    rudof_time, rudof_report = _timed(rudof_run, runs)
    out["pyrudof"] = {
        **rudof_time,
        "by_severity": dict(Counter(str(e.severity).rsplit("#", 1)[-1] for e in rudof_report)),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    import pyrudof

    result = {
        "machine": {"python": platform.python_version(), "cpu": platform.processor()},
        "versions": {"pyrudof": getattr(pyrudof, "__version__", "0.3.35")},
        "coverage": coverage(),
        "speed": speed(args.runs),
    }
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
