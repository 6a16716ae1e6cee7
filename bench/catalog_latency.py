"""Latency of every catalog query through HTTP (not a test).

Starts the real server (``plangraph serve``) on the built dataset, runs each catalog query
through ``GET /api/queries/{name}`` (default parameters) 20 times after one warm-up, prints
median / min / max milliseconds and the row count, and writes
``bench/results/catalog-latency.json``.

    .venv/bin/python bench/catalog_latency.py [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from plangraph.paths import ProjectPaths  # noqa: E402
from plangraph.store.query_catalog import load_catalog  # noqa: E402
from tests.server_process import running_server  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/catalog-latency.json")
    args = parser.parse_args()
    paths = ProjectPaths(ROOT)
    catalog = load_catalog(paths.queries)
    build = json.loads((paths.graph / "build.json").read_text(encoding="utf-8"))
    results = []
    with running_server(paths.root) as url, httpx.Client(base_url=url, timeout=60) as client:
        for name, query in catalog.items():
            client.get(f"/api/queries/{name}").raise_for_status()  # warm-up
            times = []
            rows = 0
            for _ in range(args.runs):
                start = time.perf_counter()
                r = client.get(f"/api/queries/{name}")
                times.append((time.perf_counter() - start) * 1000)
                r.raise_for_status()
                rows = r.json()["count"]
            results.append(
                {
                    "name": name,
                    "question": query.question,
                    "rows": rows,
                    "median_ms": round(statistics.median(times), 2),
                    "min_ms": round(min(times), 2),
                    "max_ms": round(max(times), 2),
                }
            )
    width = max(len(r["name"]) for r in results)
    print(f"{'query':{width}}  {'rows':>5}  {'median':>8}  {'min':>8}  {'max':>8}  (ms)")
    for r in results:
        print(
            f"{r['name']:{width}}  {r['rows']:>5}  {r['median_ms']:>8.2f}  "
            f"{r['min_ms']:>8.2f}  {r['max_ms']:>8.2f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "build_id": build.get("build_id"),
        "triples": build.get("triples"),
        "runs": args.runs,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "queries": results,
    }
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"-> {args.out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
