"""How the query pool's retire rule (issue 21, item 4) trades latency for memory.

A worker is a fork of the zygote: the first query that reads a page of the store copies it
(the engine writes to pages as it reads), so a fresh worker answers a big query about twice as
slowly as one that has answered it before. A worker whose private memory passes ``retire_mb``
is replaced by a fresh fork. This runs a few catalog queries (default parameters) on a pool of
one worker per threshold, and in-process on the engine, and prints the median milliseconds of
``--runs`` runs (the first run of each is the worker's first touch of those pages).

    .venv/bin/python bench/pool_retire.py --data /tmp/corpus-1000000 --retire 0,103,400
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plangraph.store.bindings import bind_values  # noqa: E402
from plangraph.store.embedded import EmbeddedStore  # noqa: E402
from plangraph.store.pool import QueryPool, QueryRequest  # noqa: E402
from plangraph.store.query_catalog import load_catalog  # noqa: E402

QUERIES = ("activities-per-year", "activity-sources", "plan-notes", "agency-mentions")


def timed(fn: Callable[[], object], runs: int) -> tuple[float, list[int]]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(times), 1), [round(t) for t in times]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "graph")
    parser.add_argument("--retire", default="0,103,400", help="thresholds in MB (0: never)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    catalog = load_catalog(ROOT / "queries")
    texts = {n: bind_values(catalog[n].text, catalog[n].bindings({})) for n in QUERIES}
    engine = EmbeddedStore.from_folder(args.data)
    for name, text in texts.items():
        print("in-process", name, *timed(lambda t=text, e=engine: e.query(t, ["json"]), args.runs))
    del engine
    for retire in (float(x) for x in args.retire.split(",")):
        pool = QueryPool(args.data, size=1, timeout=300, retire_mb=retire).start()
        try:
            for name, text in texts.items():
                run = pool.run
                request = QueryRequest(text, ("json",))
                figures = timed(lambda r=request, f=run: f(r), args.runs)  # type: ignore[misc]
                print(f"retire {retire:g} MB", name, *figures)
        finally:
            pool.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
