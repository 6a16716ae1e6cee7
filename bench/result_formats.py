"""The SPARQL results serialisers (issue 21): the engine's own (pyoxigraph) beside the capped
Python path, on one store in-process: a SELECT of every quad of the built dataset (or the
N-Quads file given) in each results format, with the server's caps. Prints medians (ms)
and the ratio python / engine of the same run; asserts nothing about time.

    .venv/bin/python bench/result_formats.py [data/graph/plangraph.nq] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import pyoxigraph as ox

from plangraph.store.results import Solutions, answer_output

QUERY = "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("nquads", nargs="?", default="data/graph/plangraph.nq", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    store = ox.Store()
    store.load(path=args.nquads, format=ox.RdfFormat.N_QUADS)

    def solutions(engine: bool) -> Solutions:
        result = store.query(QUERY)
        assert isinstance(result, ox.QuerySolutions)
        names = [v.value for v in result.variables]
        rows = ([s[v] for v in names] for s in result)
        if not engine:
            return Solutions(names, rows)
        return Solutions(names, rows, engine=result, again=lambda: solutions(False))

    for fmt in ("json", "xml", "csv", "tsv"):
        times: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.runs):
            for engine in (True, False):
                start = time.perf_counter()
                out = answer_output(solutions(engine), [fmt], 100_000, 32 * 1024 * 1024)
                times[engine].append(time.perf_counter() - start)
        eng, py = statistics.median(times[True]), statistics.median(times[False])
        print(
            f"{fmt:5} rows {out.count:6}  engine {eng * 1000:7.1f} ms  "
            f"python {py * 1000:7.1f} ms  python/engine {py / eng:5.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
