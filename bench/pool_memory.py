"""Query pool memory and start-up: one code tree against another, in the same run.

For each dataset (``25k`` = the project's data/graph/, or a bench/scale.py corpus folder):

- ``plangraph serve``'s whole process tree (the server and every descendant: fork server,
  query workers, zygote): RSS (VmRSS, counts a shared page in every process) and PSS
  (``/proc/PID/smaps_rollup``, a shared page split between its sharers: what the tree really
  takes), once the tree has settled after start-up and again after a few big queries on
  every worker; each query worker's USS (private pages) and PSS then;
- the server's start to ``/health`` and to a settled tree (after a first start that fills
  the corpus's network-metrics cache, so that every measured start finds it);
- the pool alone, in a process of its own (``QueryPool(...).start()``): seconds from start to
  every worker ready, and from a worker killed at the time limit to its replacement ready.

``--code DIR`` runs another checkout's code (e.g. ``git archive main | tar -x -C DIR``) with
this checkout's data: ``PYTHONPATH=DIR``. Run it with nothing else busy; e.g.::

    python bench/pool_memory.py --code /tmp/main-code --code . --data 25k,/tmp/corpus-100000
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # after PYTHONPATH: --code decides which plangraph

from tests.server_process import descendants  # noqa: E402 (after the path)

BIG = [  # answers of several MB: pages of the store are read, none written
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 200000",
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?o ?q ?x } GROUP BY ?p",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 100000",
]
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    return [pid, *sorted(descendants(pid))]


def rollup(pid: int) -> dict[str, int]:
    """kB figures of /proc/PID/smaps_rollup (Rss, Pss, Private_Clean, Private_Dirty, ...)."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3 and parts[2] == "kB":
                    out[parts[0].rstrip(":")] = int(parts[1])
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    out["VmSize"] = int(line.split()[1])
        with open(f"/proc/{pid}/comm") as f:
            out["comm"] = f.read().strip()  # type: ignore[assignment]
    except OSError:
        pass
    return out


def snapshot(pid: int) -> dict[str, object]:
    procs = {p: rollup(p) for p in tree(pid)}
    procs = {p: r for p, r in procs.items() if "Rss" in r}
    mb = 1024
    return {
        "processes": len(procs),
        "rss_mb": round(sum(r["Rss"] for r in procs.values()) / mb, 1),
        "pss_mb": round(sum(r["Pss"] for r in procs.values()) / mb, 1),
        "each": [
            {
                "pid": p,
                "comm": r.get("comm"),
                "rss_mb": round(r["Rss"] / mb, 1),
                "pss_mb": round(r["Pss"] / mb, 1),
                "uss_mb": round((r["Private_Clean"] + r["Private_Dirty"]) / mb, 1),
                "vmsize_mb": round(r.get("VmSize", 0) / mb, 1),
            }
            for p, r in sorted(procs.items())
        ],
    }


def settled(pid: int, workers: int, limit: float) -> float:
    """Seconds until the tree has its workers and its RSS stops growing (1 % over 3 s)."""
    t0 = time.monotonic()
    last, since = -1.0, time.monotonic()
    while time.monotonic() - t0 < limit:
        snap = snapshot(pid)
        rss = float(snap["rss_mb"])  # type: ignore[arg-type]
        if abs(rss - last) > 0.01 * max(last, 1):
            last, since = rss, time.monotonic()
        elif time.monotonic() - since >= 3 and int(snap["processes"]) > workers:  # type: ignore[call-overload]
            return since - t0
        time.sleep(0.25)
    raise RuntimeError(f"the server's tree did not settle within {limit} s")


def serve(
    code: Path, data: Path | None, tmp: Path, workers: int, warm: bool = False
) -> dict[str, object]:
    """``plangraph serve`` of ``code`` on ``data``: tree memory after start-up and after
    big queries (the approach of bench/run.py's plangraph_server: a root whose data/graph/
    is the corpus, a private cache)."""
    from tests.server_process import free_port, root_with_graph

    root = ROOT
    if data is not None:
        root = tmp / f"root-{data.name}"
        if not root.exists():
            root.mkdir()
            root_with_graph(ROOT, data, root)
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(code),
        "PLANGRAPH_ROOT": str(root),
        "PLANGRAPH_QUERY_WORKERS": str(workers),
        "PLANGRAPH_QUERY_TIMEOUT": "120",
        "PLANGRAPH_MAX_ROWS": "100000000",
        "PLANGRAPH_RATE_PER_MINUTE": "0",
        "PLANGRAPH_RATE_BURST": "0",
        "PLANGRAPH_RATE_CONCURRENCY": "0",
        "PLANGRAPH_WORKER_MEMORY_MB": "0",
        "PLANGRAPH_RELOAD_INTERVAL": "0",
    }
    url = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "plangraph.cli", "serve", "--port", str(port)],
        env=env,
        cwd=code,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() - t0 > 900:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)
        healthy = time.monotonic() - t0
        if warm:  # only to fill the metrics cache: every measured start then finds it
            return {}
        settle = settled(proc.pid, workers, 900)
        idle = snapshot(proc.pid)

        def ask() -> None:
            with httpx.Client(base_url=url, timeout=300) as c:
                for q in BIG:
                    r = c.post("/sparql", data={"query": q}, headers={"accept": "text/csv"})
                    assert r.status_code == 200, (r.status_code, r.text[:200])

        threads = [threading.Thread(target=ask) for _ in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        time.sleep(1)
        return {
            "healthy_s": round(healthy, 2),
            "settled_s": round(healthy + settle, 2),
            "idle": idle,
            "after_queries": snapshot(proc.pid),
        }
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def pool_times(folder: Path, workers: int) -> dict[str, object]:
    """In this process (whatever code PYTHONPATH gives): the pool's start and a replacement."""
    from plangraph.errors import QueryTimeout
    from plangraph.store.pool import QueryPool, QueryRequest

    t0 = time.perf_counter()
    pool = QueryPool(folder, size=workers, timeout=120).start()
    started = time.perf_counter() - t0
    replace = []
    try:
        for _ in range(3):
            with contextlib.suppress(QueryTimeout):
                pool.run(QueryRequest(SLOW, ("json",)), timeout=0.3)
            t1 = time.perf_counter()
            while pool._idle.qsize() < workers and time.perf_counter() - t1 < 300:
                time.sleep(0.001)
            replace.append(round((time.perf_counter() - t1) * 1000, 1))
    finally:
        pool.close()
    import plangraph.store.pool as module

    return {"pool_module": module.__file__, "all_ready_s": round(started, 3), "replace_ms": replace}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", action="append", type=Path, help="a code tree (repeat)")
    parser.add_argument("--data", default="25k", help="25k or corpus folders, comma-separated")
    parser.add_argument("--workers", type=int, help="query workers (default 5; 2 past 200k)")
    parser.add_argument("--pool-only", type=Path, help=argparse.SUPPRESS)  # the child's mode
    parser.add_argument("--out", type=Path)
    parser.add_argument("--roots", type=Path, help="keep the corpora's roots (and caches) here")
    args = parser.parse_args()
    if args.pool_only is not None:
        print(json.dumps(pool_times(args.pool_only, args.workers)))
        return 0
    codes = [c.resolve() for c in args.code or [ROOT]]
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = args.roots or Path(tmp_dir)
        tmp.mkdir(parents=True, exist_ok=True)
        for name in args.data.split(","):
            data = None if name == "25k" else Path(name).resolve()
            folder = data or ROOT / "data" / "graph"
            triples = json.loads((folder / "build.json").read_text()).get("triples", 0)
            workers = args.workers or (2 if triples > 200_000 else 5)
            serve(codes[0], data, tmp, workers, warm=True)  # network metrics cached
            for code in codes:
                child = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--pool-only",
                        str(folder),
                        "--workers",
                        f"{workers}",
                    ],
                    env={**os.environ, "PYTHONPATH": str(code)},
                    cwd=code,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                row = {
                    "code": str(code),
                    "data": name,
                    "triples": triples,
                    "workers": workers,
                    **json.loads(child.stdout.strip().splitlines()[-1]),
                    **serve(code, data, tmp, workers),
                }
                results.append(row)
                idle, after = row["idle"], row["after_queries"]
                print(
                    f"{name} ({triples} triples, {workers} workers) {code}: "
                    f"pool ready {row['all_ready_s']} s, replace {row['replace_ms']} ms; "
                    f"tree RSS {idle['rss_mb']} MB PSS {idle['pss_mb']} MB idle, "  # type: ignore[index]
                    f"RSS {after['rss_mb']} MB PSS {after['pss_mb']} MB after queries",  # type: ignore[index]
                    flush=True,
                )
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
