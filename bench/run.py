"""The benchmark suite (not a test): build, store, engine, HTTP, throughput, baselines and
analysis, on the real dataset and on seeded synthetic corpora (bench/scale.py's generator).

Every figure is the median of repeated runs with min and max (HTTP: p50 and p95). Ratios
are computed pair by pair within this one run (see bench/README.md). Printed as tables and
written with the machine and the versions to bench/results/bench.json (quick mode:
bench/results/bench-quick.json).

    .venv/bin/python bench/run.py            # the whole suite (make bench), < 20 minutes
    .venv/bin/python bench/run.py --quick    # every section at tiny sizes (make bench-quick)

Quick mode checks that the suite runs; it never fails on a ratio, only on a crash.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing as mp
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import httpx  # noqa: E402

from tests.server_process import stop  # noqa: E402

SECTIONS = (
    "machine",
    "build",
    "store",
    "engine",
    "formulations",
    "http",
    "throughput",
    "peers",
    "analysis",
    "targets",
)
PG = "https://w3id.org/plangraph/ontology#"
JSON_RESULTS = "application/sparql-results+json"
# The same SPARQL text on every server: one class each (README: "how to read")
POINT = "SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}"
AGGREGATE_QUERY = "activities-per-year"  # a catalog query: GROUP BY + COUNT
LISTING = (
    f"PREFIX pg: <{PG}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "SELECT ?plan ?label WHERE { ?plan a pg:PlanOfAction ; rdfs:label ?label } "
    "ORDER BY ?label LIMIT 100"
)
FORMULATIONS = ROOT / "bench" / "formulations"


# -- statistics ---------------------------------------------------------------------------


def stats(values: list[float], digits: int = 3) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return {
        "median": round(statistics.median(ordered), digits),
        "min": round(ordered[0], digits),
        "max": round(ordered[-1], digits),
        "p95": round(p95, digits),
        "n": len(ordered),
    }


def repeat(fn: Callable[[], Any], runs: int, budget: float, warm: bool = True) -> list[float]:
    """Milliseconds of ``fn`` over up to ``runs`` runs (at least 2, then until ``budget`` s)."""
    if warm:
        fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < runs and (len(times) < 2 or time.perf_counter() - start < budget):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return times


def exponent(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of log(seconds) on log(size): cost grows as size**slope."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y and y > 0]
    if len(pts) < 2:
        return None
    mx = statistics.fmean(x for x, _ in pts)
    my = statistics.fmean(y for _, y in pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return round(sum((x - mx) * (y - my) for x, y in pts) / den, 2) if den else None


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def rss_kb(field: str = "VmRSS") -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


# -- child processes (a query that runs away is killed, not waited for) -----------------------


def _child_main(conn: Any, target: str, args: tuple) -> None:
    try:
        globals()[target](conn, *args)
    except Exception:
        conn.send(("crash", traceback.format_exc()))


def in_child(
    target: str,
    args: tuple,
    on_message: Callable[[tuple], bool],
    timeout: float | Callable[[], float],
) -> str:
    """Run ``target(conn, *args)`` in a fresh process; feed each message to ``on_message``
    (which returns True when done). Returns "ok", "timeout" (no message for ``timeout`` s,
    or ``timeout()`` s: the child is killed) or "crash"."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child_main, args=(child, target, args), daemon=True)
    proc.start()
    child.close()
    try:
        while True:
            if not parent.poll(timeout() if callable(timeout) else timeout):
                return "timeout"
            try:
                msg = parent.recv()
            except EOFError:
                return "crash"
            if msg[0] == "crash":
                print(msg[1], file=sys.stderr)
                return "crash"
            if on_message(msg):
                return "ok"
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(10)
        parent.close()


def _engine_child(conn, engine: str, nq: str, queries: list, runs: int, budget: float) -> None:
    """Load ``nq`` into ``engine`` (RSS measured here), then time each query."""
    base = rss_kb()
    started = time.perf_counter()
    if engine == "pyoxigraph":
        import pyoxigraph as ox

        from plangraph.store.embedded import EmbeddedStore
        from plangraph.store.results import ROWS

        st = ox.Store()
        st.load(Path(nq).read_bytes(), ox.RdfFormat.N_QUADS)
        store = EmbeddedStore(st, "bench", len(st))

        def run(text: str) -> int:  # the rows as the catalog API answers them (its format)
            return store.query(text, ROWS).count or 0

    else:
        from rdflib import Dataset

        ds = Dataset(default_union=True)
        ds.parse(nq, format="nquads")

        def run(text: str) -> int:
            return sum(1 for _ in ds.query(text))

    conn.send(("loaded", time.perf_counter() - started, (rss_kb("VmHWM") - base) / 1024))
    for name, text in queries:
        try:
            t = time.perf_counter()
            rows = run(text)
            conn.send(("warm", name, (time.perf_counter() - t) * 1000))
            times = repeat(lambda text=text: run(text), runs, budget, warm=False)
            conn.send(("query", name, times, rows))
        except Exception as exc:
            conn.send(("error", name, f"{type(exc).__name__}: {exc}"[:300]))
    conn.send(("done",))


def engine_run(
    engine: str, nq: Path, queries: list[tuple[str, str]], runs: int, budget: float, timeout: float
) -> dict[str, Any]:
    """Load time, memory and per-query times of one engine on one corpus; a query that takes
    longer than ``timeout`` is recorded as such and the rest go on in a fresh process."""
    out: dict[str, Any] = {"queries": {}}
    remaining = list(queries)
    first = True
    current: dict[str, Any] = {}
    while first or remaining:
        current["wait"] = max(timeout, 600)  # the load first

        def on(msg: tuple) -> bool:
            nonlocal first
            if msg[0] == "loaded":
                if first:
                    out["load_s"] = round(msg[1], 3)
                    out["rss_mb"] = round(msg[2], 1)
                first = False
                current["wait"] = timeout
            elif msg[0] == "warm":  # then up to 2 more runs, or the time budget
                current["wait"] = timeout + budget + 3 * msg[2] / 1000
            elif msg[0] == "query":
                out["queries"][msg[1]] = {**stats(msg[2]), "rows": msg[3]}
                remaining.pop(0)
                current["wait"] = timeout
            elif msg[0] == "error":
                out["queries"][msg[1]] = {"error": msg[2]}
                remaining.pop(0)
                current["wait"] = timeout
            return msg[0] == "done"

        status = in_child(
            "_engine_child",
            (engine, str(nq), remaining, runs, budget),
            on,
            lambda: current["wait"],
        )
        if status == "ok":
            break
        if first:
            out["error"] = f"load: {status}"
            break
        if remaining:  # the query that was running when the child was stopped
            out["queries"][remaining.pop(0)[0]] = {"timeout_s": timeout}
    return out


def _disk_open_child(conn, path: str, iri: str, runs: int) -> None:
    import pyoxigraph as ox

    opens, firsts = [], []
    for _ in range(runs):
        t = time.perf_counter()
        store = ox.Store.read_only(path)
        opened = time.perf_counter()
        rows = list(store.query(POINT.format(iri=iri)))
        firsts.append((time.perf_counter() - opened) * 1000)
        opens.append((opened - t) * 1000)
        del store
    conn.send(("done", opens, firsts, len(rows)))


def _build_disk_store(conn, nq: str, path: str) -> None:
    import pyoxigraph as ox

    t = time.perf_counter()
    store = ox.Store(path)
    store.bulk_load(path=nq, format=ox.RdfFormat.N_QUADS)
    store.optimize()
    store.flush()
    n = len(store)
    del store
    conn.send(("done", time.perf_counter() - t, n))


def _analysis_child(conn, folder: str) -> None:
    from plangraph import network as nw
    from plangraph.analysis.overlaps.detect import detect_items, lexicon_for
    from plangraph.store.embedded import EmbeddedStore

    store = EmbeddedStore.from_folder(Path(folder))
    t = time.perf_counter()
    data = nw.load(store, ROOT / "queries" / "network")
    net = nw.network(data)
    conn.send(("network", time.perf_counter() - t, net.graph.number_of_nodes()))
    t = time.perf_counter()
    items = overlap_items(store)
    t_items = time.perf_counter() - t
    t = time.perf_counter()
    det = detect_items(items, None, lexicon_for(ROOT))
    conn.send(
        ("overlaps", time.perf_counter() - t, t_items, len(items), det.candidates, det.all_pairs)
    )


OVERLAP_ITEMS = """
PREFIX pg: <https://w3id.org/plangraph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?plan ?number ?text (GROUP_CONCAT(DISTINCT STR(?theme)) AS ?themes)
       (GROUP_CONCAT(DISTINCT STR(?agency)) AS ?agencies)
       (GROUP_CONCAT(DISTINCT STR(?year)) AS ?years)
WHERE {
  ?a a pg:Activity ; pg:plan ?plan ; pg:number ?number .
  OPTIONAL { ?a dcterms:description ?text }
  OPTIONAL { ?a pg:theme ?theme }
  OPTIONAL { ?a pg:year ?year }
  OPTIONAL { ?c pg:activity ?a ; pg:agency ?agency }
}
GROUP BY ?plan ?number ?text
"""


def overlap_items(store: Any) -> list:
    """The overlap detector's items read from any store (the synthetic corpora have no
    records, only RDF)."""
    from plangraph.analysis.overlaps.detect import Item

    items = []
    for r in store.select(OVERLAP_ITEMS):
        items.append(
            Item(
                plan=r["plan"],
                number=r["number"],
                kind="activity",
                text=r.get("text", ""),
                themes=frozenset(r.get("themes", "").split()),
                agencies=frozenset(r.get("agencies", "").split()),
                parties=frozenset(),
                years=frozenset(int(y[:4]) for y in r.get("years", "").split()),
            )
        )
    return sorted(items, key=lambda i: i.key)


# -- servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(
    cmd: list[str], ready: str, env: dict[str, str] | None = None, timeout: float = 600
) -> Iterator[tuple[str, float]]:
    """Start ``cmd``; yield (base URL, seconds until ``ready`` answered 200)."""
    port = free_port()
    cmd = [c.replace("{port}", str(port)) for c in cmd]
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"{cmd[:4]} exited: {log.read().decode()[-2000:]}")
            try:
                if httpx.get(url + ready, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"{cmd[:4]} not ready within {timeout} s")
            time.sleep(0.01)
        up = time.perf_counter() - started
        if cmd is PLANGRAPH_SERVE or "plangraph.cli" in cmd:
            settle(url, 900)  # its metrics computed aside, if not cached
        wait_idle(proc.pid, 180)  # background start-up (query workers) done before measuring
        yield url, up
    finally:
        stop(proc)
        log.close()


def _tree_cpu(root: int) -> float:
    """CPU seconds used so far by process ``root`` and all its descendants."""
    cpu: dict[int, float] = {}
    tree = tree_pids(root, cpu)
    return sum(cpu.get(p, 0.0) for p in tree)


def tree_pids(root: int, cpu: dict[int, float] | None = None) -> set[int]:
    """Process ``root`` and all its descendants (``cpu``: filled with each one's CPU s)."""
    parents: dict[int, int] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        if cpu is not None:
            cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    tree, frontier = {root}, [root]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parents.items() if pp == p and c not in tree]
        tree.update(kids)
        frontier.extend(kids)
    return tree


def tree_memory(root: int) -> dict[str, Any]:
    """RSS (VmRSS) and PSS (smaps_rollup) of process ``root`` and all its descendants, MB:
    forked workers share pages, which RSS counts once per process and PSS divides."""
    rss = pss = 0
    pids = tree_pids(root)
    for pid in pids:
        with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as fh:
            rss += next((int(x.split()[1]) for x in fh if x.startswith("VmRSS:")), 0)
        with contextlib.suppress(OSError), open(f"/proc/{pid}/smaps_rollup") as fh:
            pss += sum(int(x.split()[1]) for x in fh if x.startswith("Pss:"))
    return {"rss_mb": round(rss / 1024, 1), "pss_mb": round(pss / 1024, 1), "processes": len(pids)}


def wait_idle(pid: int, timeout: float, window: float = 0.5, busy: float = 0.05) -> float:
    """Wait until the process tree of ``pid`` uses under ``busy`` of a core over ``window``
    seconds (its background start-up is over); seconds waited."""
    started = time.perf_counter()
    last = _tree_cpu(pid)
    while time.perf_counter() - started < timeout:
        time.sleep(window)
        now = _tree_cpu(pid)
        if now - last < busy * window:
            break
        last = now
    return time.perf_counter() - started


def plangraph_env(folder: Path | None, tmp: Path, workers: int | None = None) -> dict[str, str]:
    """The environment of ``plangraph serve`` on ``folder`` (None: the project's data/graph/;
    a corpus gets a root of its own with a private data/cache/), nothing capped."""
    from tests.server_process import root_with_graph

    root = ROOT
    if folder is not None:
        root = tmp / f"root-{folder.name}"
        if not root.exists():
            root.mkdir()
            root_with_graph(ROOT, folder, root)
    env = {
        "PLANGRAPH_ROOT": str(root),
        "PLANGRAPH_QUERY_TIMEOUT": "120",
        "PLANGRAPH_MAX_ROWS": "100000000",  # the same rows as in-process: nothing capped
        "PLANGRAPH_MAX_RESULT_MB": "100000",
        # one client measuring: the per-client rate limits of `plangraph serve` are off
        "PLANGRAPH_RATE_PER_MINUTE": "0",
        "PLANGRAPH_RATE_BURST": "0",
        "PLANGRAPH_RATE_CONCURRENCY": "0",
        "PLANGRAPH_WORKER_MEMORY_MB": "0",  # the 1M corpus is larger than the default cap
    }
    if workers:
        env["PLANGRAPH_QUERY_WORKERS"] = str(workers)
    return env


PLANGRAPH_SERVE = [sys.executable, "-m", "plangraph.cli", "serve", "--port", "{port}"]


def settle(url: str, timeout: float) -> float:
    """Wait until a plangraph server serves its build with the network metrics (a corpus
    whose metrics are not cached is answered at once without them while they are computed
    aside, then served again: server/live.py); seconds waited. Other servers: 0."""
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        try:
            if "metrics" not in httpx.get(url + "/health", timeout=10).json():
                break
        except (httpx.HTTPError, ValueError):
            break  # not a plangraph server
        time.sleep(0.2)
    return time.perf_counter() - began


def plangraph_server(folder: Path | None, tmp: Path, triples: int = 0):
    """``plangraph serve`` on ``folder`` (None: the project's data/graph/); past 200k triples
    with 2 query workers instead of the default 5 (each loads the corpus: time and memory)."""
    env = plangraph_env(folder, tmp, 2 if triples > 200_000 else None)
    return server(PLANGRAPH_SERVE, "/health", env)


def noop_server(http: str = "h11"):
    """The no-op floor: bench/noop_app.py under uvicorn with ``http`` = "h11" (asyncio loop,
    plangraph serve's stack until now) or "httptools" (with uvloop)."""
    loop = "uvloop" if http == "httptools" else "asyncio"
    return server(
        [
            sys.executable,
            str(ROOT / "bench" / "noop_app.py"),
            "--port",
            "{port}",
            "--http",
            http,
            "--loop",
            loop,
        ],
        "/noop",
    )


def rdflib_endpoint_server(nq: Path):
    exe = Path(sys.executable).with_name("rdflib-endpoint")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "rdflib_endpoint"]
    return server(  # rdflib-endpoint 0.6 answers SPARQL at "/"
        [*cmd, "serve", str(nq), "--host", "127.0.0.1", "--port", "{port}"],
        "/?query=" + quote("ASK {}"),
        timeout=300,
    )


def http_latency(client: httpx.Client, url: str, runs: int, budget: float, headers=None):
    def get() -> None:
        r = client.get(url, headers=headers)
        if r.status_code != 200:
            raise RuntimeError(f"{url[:120]}: {r.status_code} {r.text[:300]}")

    return stats(repeat(get, runs, budget))


def recorded(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """``fn(*args)``, or the error it raised (a 503: a query worker died) as the figure."""
    try:
        return fn(*args)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"[-400:]}


def throughput(url: str, seconds: float, connections: int, accept: str | None) -> dict[str, Any]:
    """Requests per second and latency under ``connections`` concurrent keep-alive clients:
    wrk when installed (and not --no-wrk), else a bounded asyncio httpx client."""
    if shutil.which("wrk") and not ARGS.no_wrk:
        cmd = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
        cmd += ["--timeout", "60s"]
        if accept:
            cmd += ["-H", f"Accept: {accept}"]
        out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 90)
        text = out.stdout
        rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
        p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", text)
        total = re.search(r"(\d+) requests in", text)
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
        unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}
        return {
            "tool": "wrk",
            "rps": float(rps.group(1)) if rps else 0.0,
            "p50_ms": round(float(p50.group(1)) * unit[p50.group(2)], 3) if p50 else None,
            "requests": int(total.group(1)) if total else 0,
            "errors": int(bad.group(1)) if bad else 0,
        }
    return asyncio.run(_async_throughput(url, seconds, connections, accept))


async def _async_throughput(url: str, seconds: float, connections: int, accept: str | None):
    times: list[float] = []
    errors = 0
    headers = {"Accept": accept} if accept else {}
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                r = await client.get(url, headers=headers)
                times.append((time.perf_counter() - t) * 1000)
                errors += r.status_code != 200

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - start
    return {
        "tool": "httpx",
        "rps": round(len(times) / elapsed, 1),
        "p50_ms": stats(times)["median"] if times else None,
        "requests": len(times),
        "errors": errors,
    }


# -- the sections -------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    versions = {}
    for dist in (
        "pyoxigraph",
        "oxigraph",
        "rdflib",
        "pyshacl",
        "fastapi",
        "starlette",
        "uvicorn",
        "httptools",
        "uvloop",
    ):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[dist] = metadata.version(dist)
    with contextlib.suppress(metadata.PackageNotFoundError):
        versions["rdflib-endpoint"] = metadata.version("rdflib-endpoint")
    wrk = shutil.which("wrk")
    if wrk:
        versions["wrk"] = subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout[:40]
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "versions": versions,
    }


def build_section(runs: int, validation: bool = True, reference: bool = True) -> dict[str, Any]:
    """The build's stages on the real data, each timed on its own (seconds)."""
    from plangraph.graph.build import analyse, parse_all, serialize_nquads, serialize_trig
    from plangraph.graph.mapping import to_dataset
    from plangraph.paths import ProjectPaths
    from plangraph.shacl.validate import validate_dataset
    from plangraph.sources.catalog import load_source_catalog
    from plangraph.sources.curation import load_curations
    from plangraph.sources.registry import load_registry

    paths = ProjectPaths(ROOT)
    stages: dict[str, list[float]] = {
        k: [] for k in ("ingest", "analysis", "mapping", "validation", "serialization")
    }
    same = None
    for _ in range(runs):
        t = time.perf_counter()
        catalog = load_source_catalog(paths.catalog)
        registry = load_registry(paths.agencies)
        curations = load_curations(paths.curation)
        plans = parse_all(catalog, registry, curations)
        stages["ingest"].append(time.perf_counter() - t)
        t = time.perf_counter()
        tagging, overlaps = analyse(paths, plans, registry)
        stages["analysis"].append(time.perf_counter() - t)
        t = time.perf_counter()
        ds = to_dataset(plans, registry, catalog, curations, paths.ontology, tagging, overlaps)
        stages["mapping"].append(time.perf_counter() - t)
        t = time.perf_counter()
        report = validate_dataset(ds, paths.shapes) if validation else None
        if validation:
            stages["validation"].append(time.perf_counter() - t)
        t = time.perf_counter()
        nquads = serialize_nquads(ds)
        serialize_trig(ds)
        stages["serialization"].append(time.perf_counter() - t)
        same = nquads == (paths.graph / "plangraph.nq").read_bytes()
    out: dict[str, Any] = {"runs": runs, "unit": "s"}
    out["stages"] = {k: stats(v) for k, v in stages.items()}
    out["total_median_s"] = round(sum(s.get("median", 0) for s in out["stages"].values()), 3)
    out["validation_engine"] = "SPARQL-compiled shapes on pyoxigraph (plangraph.shacl.runner)"
    out["conforms"] = report.conforms if report else "not run (quick mode)"
    out["shacl"] = shacl_section(paths, runs) if reference else {"note": "not run (quick mode)"}
    out["results"] = len(report.results) if report else None
    out["matches_committed_dataset"] = same
    return out


def shacl_section(paths: Any, runs: int) -> dict[str, Any]:
    """The built N-Quads validated by pyshacl (inference none; once, it is slow) and by the
    SPARQL-compiled shapes (``runs`` times), each including its own parse and load: seconds,
    the ratio, and whether the two reports are identical."""
    from plangraph.shacl.validate import validate_nquads

    data = (paths.graph / "plangraph.nq").read_bytes()
    t = time.perf_counter()
    reference = validate_nquads(data, paths.shapes, engine="pyshacl")
    pyshacl_s = time.perf_counter() - t
    times, report = [], None
    for _ in range(runs):
        t = time.perf_counter()
        report = validate_nquads(data, paths.shapes, engine="sparql")
        times.append(time.perf_counter() - t)
    sparql = stats(times)
    assert report is not None
    out = {
        "pyshacl_s": round(pyshacl_s, 3),
        "sparql_s": sparql,
        "ratio": ratio(sparql["median"], pyshacl_s),
        "identical_results": sorted(report.results) == sorted(reference.results),
        "results": len(reference.results),
    }
    print(
        f"SHACL on the real data: pyshacl {out['pyshacl_s']} s, SPARQL-compiled "
        f"{sparql['median']} s (x{out['ratio']}), identical results: {out['identical_results']}"
    )
    return out


def catalog_queries() -> list[tuple[str, str, bool]]:
    """(name, text with default parameters bound, is an aggregate) for every catalog query."""
    from plangraph.store.bindings import bind_values
    from plangraph.store.query_catalog import load_catalog

    out = []
    for name, q in load_catalog(ROOT / "queries").items():
        text = bind_values(q.text, q.bindings({}))
        aggregate = bool(re.search(r"\b(GROUP BY|COUNT\s*\()", q.text, re.I))
        out.append((name, text, aggregate))
    return out


def formulation_queries() -> list[tuple[str, str]]:
    """bench/formulations/{query}--{variant}.rq: other formulations of a catalog query."""
    from plangraph.store.bindings import bind_values
    from plangraph.store.query_catalog import load_catalog

    catalog = load_catalog(ROOT / "queries")
    out = []
    for path in sorted(FORMULATIONS.glob("*--*.rq")):
        name = path.stem.split("--")[0]
        if name in catalog:
            text = bind_values(path.read_text(encoding="utf-8"), catalog[name].bindings({}))
            out.append((f"{path.stem}", text))
    return out


# -- the run ------------------------------------------------------------------------------


def sizes_of(spec: str) -> list[int]:
    return [int(float(x)) for x in spec.split(",") if x.strip()]


def make_corpus(triples: int, folder: Path) -> int:
    from scale import generate, write_dataset  # bench/scale.py: the shared generator

    folder.mkdir(parents=True)
    lines = generate(triples, seed=ARGS.seed)
    write_dataset(lines, folder)
    return len(lines)


def table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    print(f"\n== {title}")
    cells = [[str(c) for c in header]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for i, r in enumerate(cells):
        print(
            "  ".join(
                c.rjust(w) if i and j else c.ljust(w)
                for j, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )


def main() -> int:
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, few runs")
    parser.add_argument("--sizes", help="synthetic corpus sizes (triples), comma-separated")
    parser.add_argument("--http-sizes", help="sizes served over HTTP (default: all)")
    parser.add_argument("--rdflib-max", type=int, help="largest size run on rdflib's engine")
    parser.add_argument("--compare-size", type=int, help="corpus for the rdflib-endpoint runs")
    parser.add_argument("--runs", type=int, help="repetitions per measurement")
    parser.add_argument("--seconds", type=float, help="duration of each throughput run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--peer-sizes",
        help="synthetic sizes for the peers section, beside the real data (default: 100k and 1M"
        " of --sizes, else all; quick: the tiny corpus only)",
    )
    parser.add_argument(
        "--plangraph-startup", type=float, default=900, help="peers: s to wait for plangraph"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-wrk", action="store_true", help="use the async httpx client")
    parser.add_argument("--out", type=Path)
    ARGS = parser.parse_args()
    quick = ARGS.quick
    sizes = sizes_of(ARGS.sizes or ("20000" if quick else "100000,300000,1000000"))
    compare = ARGS.compare_size or (sizes[0] if quick else 100_000)
    # through HTTP up to 300k triples (a server on the 1M corpus spends minutes computing
    # its network metrics at start-up; the engine's in-process times cover 1M)
    http_sizes = (
        sizes_of(ARGS.http_sizes) if ARGS.http_sizes else [n for n in sizes if n <= 300_000]
    )
    http_sizes = sorted(set(http_sizes) | {compare})
    peer_sizes = (
        sizes_of(ARGS.peer_sizes)
        if ARGS.peer_sizes
        else [n for n in sizes if n in (100_000, 1_000_000)] or sizes
    )
    peer_names = [str(n) for n in peer_sizes] if quick else ["real", *map(str, peer_sizes)]
    # rdflib's engine takes seconds to minutes per query past the real data: all catalog
    # queries on the real data, three on the quick corpus
    rdflib_max = ARGS.rdflib_max or 30_000
    runs = ARGS.runs or (3 if quick else 15)
    budget = 0.5 if quick else 2.0
    seconds = ARGS.seconds or (1.0 if quick else 5.0)
    out_path = ARGS.out or ROOT / "bench" / "results" / f"bench{'-quick' if quick else ''}.json"
    began = time.perf_counter()
    report: dict[str, Any] = {"mode": "quick" if quick else "full", "seed": ARGS.seed}
    report["machine"] = machine()
    print(f"plangraph bench ({report['mode']}): {report['machine']['platform']}")

    # -- build ------------------------------------------------------------------------
    report["build"] = build_section(1 if quick else 3, reference=not quick)
    b = report["build"]
    table(
        "build stages on the real data (s)",
        ["stage", "median", "min", "max"],
        [[k, v.get("median"), v.get("min"), v.get("max")] for k, v in b["stages"].items()],
    )

    with tempfile.TemporaryDirectory(prefix="plangraph-bench-") as tmpdir:
        tmp = Path(tmpdir)
        corpora: dict[str, tuple[Path, int]] = {}
        real = ROOT / "data" / "graph"
        corpora["real"] = (real, json.loads((real / "build.json").read_text())["triples"])
        for n in sorted(set(sizes) | {compare} | set(peer_sizes)):
            t = time.perf_counter()
            folder = tmp / f"corpus-{n}"
            count = make_corpus(n, folder)
            corpora[f"{n}"] = (folder, count)
            print(f"corpus {n}: {count} quads in {time.perf_counter() - t:.1f} s")
        names = ["real", *[str(n) for n in sizes]]
        queries = catalog_queries()
        plain = [(n, t) for n, t, _ in queries]
        aggregates = {n for n, _, a in queries if a}

        # -- store load and engine times ----------------------------------------------
        report["store"] = {"load": [], "open_on_disk": None}
        report["engine"] = {}
        for name in names:
            folder, count = corpora[name]
            nq = folder / "plangraph.nq"
            ox_run = engine_run("pyoxigraph", nq, plain, runs, budget, 120)
            report["engine"][name] = {"triples": count, "pyoxigraph": ox_run["queries"]}
            report["store"]["load"].append(
                {"corpus": name, "triples": count, "engine": "pyoxigraph", **_load(ox_run)}
            )
            if count <= rdflib_max * 1.05 or (name == "real" and not quick):
                # quick mode: three queries (the suite runs); full: all, 30 s each at most
                subset = [(n, t) for n, t in plain if n in ("plans", AGGREGATE_QUERY, "plan-notes")]
                rd = engine_run(
                    "rdflib", nq, subset if quick else plain, max(2, runs // 3), budget, 20
                )
                report["engine"][name]["rdflib"] = rd["queries"]
                report["store"]["load"].append(
                    {"corpus": name, "triples": count, "engine": "rdflib", **_load(rd)}
                )
            print(f"engine {name}: done ({time.perf_counter() - began:.0f} s)")
        if str(compare) not in names or (
            corpora[str(compare)][1] > rdflib_max * 1.05 and not quick
        ):
            nq = corpora[str(compare)][0] / "plangraph.nq"
            for engine in ("pyoxigraph", "rdflib"):
                run = engine_run(engine, nq, [], 1, 0, 60)
                report["store"]["load"].append(
                    {
                        "corpus": str(compare),
                        "triples": corpora[str(compare)][1],
                        "engine": engine,
                        **_load(run),
                    }
                )
        table(
            "store load",
            ["corpus", "triples", "engine", "load s", "RSS MB"],
            [
                [r["corpus"], r["triples"], r["engine"], r.get("load_s"), r.get("rss_mb")]
                for r in report["store"]["load"]
            ],
        )
        big = max(names[1:], key=lambda n: corpora[n][1]) if len(names) > 1 else "real"
        report["store"]["open_on_disk"] = disk_open(corpora[big], tmp, 3 if quick else 10)
        d = report["store"]["open_on_disk"]
        print(f"on-disk store ({d['triples']} triples): open {d['open_ms']} ms")
        eng_rows = []
        for name in names:
            e = report["engine"][name]
            for q, _, _ in queries:
                o = e["pyoxigraph"].get(q, {})
                r = e.get("rdflib", {}).get(q, {})
                eng_rows.append(
                    [
                        name,
                        q,
                        o.get("rows"),
                        o.get("median", _why(o)),
                        o.get("min"),
                        o.get("max"),
                        r.get("median", _why(r)),
                        ratio(r.get("median"), o.get("median")),
                    ]
                )
        table(
            "catalog queries in-process (ms)",
            ["corpus", "query", "rows", "oxigraph", "min", "max", "rdflib", "x"],
            eng_rows,
        )

        # -- formulations -------------------------------------------------------------
        # the real data and the middle synthetic corpus (two old variants take minutes at
        # 1M: each is stopped after 20 s and reported as such)
        synthetic = names[1:]
        middle = [synthetic[len(synthetic) // 2]] if synthetic else []
        report["formulations"] = formulations(corpora, ["real", *middle], runs, budget)

        # -- HTTP ---------------------------------------------------------------------
        report["http"] = {}
        with noop_server() as (noop_url, noop_up), httpx.Client(timeout=300) as client:
            report["noop_startup_s"] = round(noop_up, 3)  # the floor of any FastAPI app
            for name in ["real", *[str(n) for n in http_sizes]]:
                folder, count = corpora[name]
                with plangraph_server(None if name == "real" else folder, tmp, count) as (
                    url,
                    up,
                ):
                    h: dict[str, Any] = {"triples": count, "startup_s": round(up, 3)}
                    h["noop"] = http_latency(client, noop_url + "/noop", runs * 4, budget)
                    h["health"] = http_latency(client, url + "/health", runs * 4, budget)
                    h["queries"] = {}
                    for q, _, _ in queries:
                        try:
                            h["queries"][q] = http_latency(
                                client, f"{url}/api/queries/{q}", runs, budget
                            )
                        except Exception as exc:
                            h["queries"][q] = {"error": str(exc)[:300]}
                    h["interleaved"] = interleaved(client, url, folder, queries, runs)
                    iri = point_iri(folder)
                    h["sparql"] = {
                        cls: recorded(
                            http_latency,
                            client,
                            sparql_url(url, text),
                            runs * 2,
                            budget,
                            {"Accept": JSON_RESULTS},
                        )
                        for cls, text in (("point", POINT.format(iri=iri)), ("listing", LISTING))
                    }
                    report["http"][name] = h
                    if name == str(compare):  # throughput and the baselines, same server
                        report["throughput"] = compare_servers(
                            corpora[name], name, url, noop_url, client, runs, budget, seconds
                        )
                rows = [
                    [
                        name,
                        q,
                        v.get("median", _why(v)),
                        v.get("p95"),
                        report["engine"]
                        .get(name, {})
                        .get("pyoxigraph", {})
                        .get(q, {})
                        .get("median"),
                    ]
                    for q, v in h["queries"].items()
                ]
                print(
                    f"\nserver {name}: ready in {up:.2f} s; no-op p50 {h['noop']['median']} ms, "
                    f"/health p50 {h['health']['median']} ms, point p50 "
                    f"{h['sparql']['point'].get('median', _why(h['sparql']['point']))} ms"
                )
                table(
                    f"catalog through HTTP, {name} (ms)",
                    ["corpus", "query", "p50", "p95", "in-process"],
                    rows,
                )

        # -- peers: Oxigraph's own server, rdflib-endpoint, the no-op floors --------------
        t = time.perf_counter()
        report["peers"] = peers(
            corpora,
            peer_names,
            tmp,
            queries,
            {
                "runs": runs,
                "budget": budget,
                "seconds": seconds,
                # quick: rdflib-endpoint runs in the throughput section, not here (its
                # slowest catalog queries take seconds each)
                "rdflib_max": 0 if quick else rdflib_max,
                "slow_s": 3.0,
                "pg_timeout": ARGS.plangraph_startup,
            },
        )
        report["peers"]["elapsed_s"] = round(time.perf_counter() - t, 1)

        # -- analysis -----------------------------------------------------------------
        report["analysis"] = analysis(corpora, names, 300 if quick else 420)

    report["targets"] = targets(report, aggregates)
    issue21 = done_when(report)
    report["targets"] += issue21
    table(
        "issue 21, done when (plangraph beside Oxigraph's own server, this run)",
        ["target", "measured", "op", "limit", "met", "note"],
        [[o["target"], o["measured"], o["op"], o["limit"], o["met"], o["note"]] for o in issue21],
    )
    report["elapsed_s"] = round(time.perf_counter() - began, 1)
    missing = [s for s in SECTIONS if s not in report]
    assert not missing, missing
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(report, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"\n-> {out_path} ({report['elapsed_s']} s)")
    return 0


def interleaved(client, url: str, folder: Path, queries, runs: int):
    """Each catalog query through HTTP and in this process on the same corpus, request by
    request in turn (same moment, same machine state): p50 of each. The separate-phase figures
    compare a fresh engine process with a server measured minutes later."""
    import pyoxigraph as ox

    from plangraph.store.embedded import EmbeddedStore
    from plangraph.store.results import ROWS

    nq = folder / "plangraph.nq"
    st = ox.Store()
    st.load(nq.read_bytes(), ox.RdfFormat.N_QUADS)
    local = EmbeddedStore(st, "bench", len(st))
    out: dict[str, Any] = {}
    for q, text, _ in queries:
        http_ms: list[float] = []
        local_ms: list[float] = []
        started = time.perf_counter()
        for i in range(runs):
            t = time.perf_counter()
            client.get(f"{url}/api/queries/{q}").raise_for_status()
            http_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            local.query(text, ROWS)
            local_ms.append((time.perf_counter() - t) * 1000)
            if i >= 2 and time.perf_counter() - started > 2:
                break
        out[q] = {"http": stats(http_ms), "inproc": stats(local_ms)}
    return out


def _load(run: dict[str, Any]) -> dict[str, Any]:
    return {k: run.get(k) for k in ("load_s", "rss_mb", "error") if k in run}


def _why(stat: dict[str, Any]) -> str:
    if "timeout_s" in stat:
        return f">{stat['timeout_s']}s"
    return "error" if "error" in stat else ""


def sparql_url(base: str, query: str, path: str = "/sparql") -> str:
    return f"{base}{path}?query={quote(query)}"


def point_iri(folder: Path) -> str:
    """One activity of the corpus (a point lookup's subject)."""
    with open(folder / "plangraph.nq", encoding="utf-8") as fh:
        for line in fh:
            if f"<{PG}Activity>" in line:
                return line.split(" ", 1)[0].strip("<>")
    raise RuntimeError("no activity in the corpus")


def disk_open(corpus: tuple[Path, int], tmp: Path, runs: int) -> dict[str, Any]:
    folder, count = corpus
    path = tmp / "disk-store"
    built: dict[str, Any] = {}
    in_child(
        "_build_disk_store",
        (str(folder / "plangraph.nq"), str(path)),
        lambda m: built.update(seconds=m[1], triples=m[2]) or True,
        900,
    )
    got: dict[str, Any] = {}
    status = in_child(
        "_disk_open_child",
        (str(path), point_iri(folder), runs),
        lambda m: got.update(opens=m[1], firsts=m[2], rows=m[3]) or True,
        300,
    )
    opens = stats(got.get("opens", []))
    return {
        "triples": built.get("triples", count),
        "bulk_load_s": round(built.get("seconds", 0), 2),
        "status": status,
        "open_ms": opens.get("median"),
        "open": opens,
        "first_point_query": stats(got.get("firsts", [])),
        "how": "pyoxigraph Store.read_only(path) in a fresh process, page cache warm",
    }


def formulations(corpora, names, runs, budget) -> dict[str, Any]:
    """Each catalog query against its other formulations (bench/formulations/), per corpus:
    the catalog's one over the fastest."""
    variants = formulation_queries()
    if not variants:
        return {}
    from plangraph.store.bindings import bind_values
    from plangraph.store.query_catalog import load_catalog

    catalog = load_catalog(ROOT / "queries")
    bases = sorted({v.split("--")[0] for v, _ in variants})
    qs = [(b, bind_values(catalog[b].text, catalog[b].bindings({}))) for b in bases] + variants
    out: dict[str, Any] = {}
    rows = []
    for name in names:
        folder, count = corpora[name]
        res = engine_run("pyoxigraph", folder / "plangraph.nq", qs, runs, budget, 20)["queries"]
        per: dict[str, Any] = {}
        for b in bases:
            mine = {k: v for k, v in res.items() if k == b or k.startswith(b + "--")}
            timed = {k: v["median"] for k, v in mine.items() if "median" in v}
            fastest = min(timed, key=timed.get) if timed else None
            per[b] = {
                "catalog_ms": timed.get(b),
                "variants": mine,
                "fastest": fastest,
                "catalog_over_fastest": ratio(timed.get(b), timed.get(fastest))
                if b in timed
                else None,
            }
            rows.append([name, b, _fmt(mine.get(b)), fastest, per[b]["catalog_over_fastest"]])
        out[name] = {"triples": count, "queries": per}
    table(
        "formulations (ms): catalog query vs the fastest alternative",
        ["corpus", "query", "catalog", "fastest", "catalog/fastest"],
        rows,
    )
    return out


def _fmt(stat: dict[str, Any] | None) -> Any:
    if not stat:
        return None
    return stat.get("median", _why(stat))


def compare_servers(corpus, name, url, noop_url, client, runs, budget, seconds):
    """Sequential p50 and throughput under concurrency on the same corpus: plangraph's
    /sparql, rdflib-endpoint's /sparql, and the no-op floor."""
    from plangraph.store.query_catalog import load_catalog

    folder, count = corpus
    agg_text = load_catalog(ROOT / "queries")[AGGREGATE_QUERY].text
    texts = {
        "point": POINT.format(iri=point_iri(folder)),
        "aggregate": agg_text,
        "listing": LISTING,
    }
    out: dict[str, Any] = {
        "corpus": name,
        "triples": count,
        "connections": ARGS.connections,
        "seconds": seconds,
        "servers": {},
    }
    out["servers"]["noop"] = {
        "latency": http_latency(client, noop_url + "/noop", runs * 4, budget),
        "throughput": throughput(noop_url + "/noop", seconds, ARGS.connections, None),
    }
    res: dict[str, Any] = {}
    for cls, text in texts.items():
        u = sparql_url(url, text)
        try:
            res[cls] = {
                "latency": http_latency(client, u, runs * 2, budget, {"Accept": JSON_RESULTS}),
                "throughput": throughput(u, seconds, ARGS.connections, JSON_RESULTS),
            }
        except Exception as exc:  # a 503 (a query worker died): recorded, the suite goes on
            res[cls] = {"error": f"{type(exc).__name__}: {exc}"[-400:]}
    out["servers"]["plangraph"] = res
    try:
        with rdflib_endpoint_server(folder / "plangraph.nq") as (url, up):
            res = {"startup_s": round(up, 2)}
            for cls, text in texts.items():
                u = sparql_url(url, text, "/")
                lat = http_latency(
                    client, u, max(3, runs // 3), budget * 2, {"Accept": JSON_RESULTS}
                )
                # a slow server: run long enough for every connection to finish a few
                # requests (else 0 answered and no ratio), at most 30 s
                span = min(30.0, max(seconds, 3 * ARGS.connections * lat["median"] / 1000))
                res[cls] = {
                    "latency": lat,
                    "throughput": throughput(u, span, ARGS.connections, JSON_RESULTS),
                }
            out["servers"]["rdflib-endpoint"] = res
    except Exception as exc:  # not installed: say so (the in-process rdflib engine remains)
        out["servers"]["rdflib-endpoint"] = {"error": str(exc)[:500]}
    rows = []
    for srv, res in out["servers"].items():
        if srv == "noop":
            rows.append(
                [
                    srv,
                    "noop",
                    res["latency"]["median"],
                    res["latency"]["p95"],
                    res["throughput"]["rps"],
                    res["throughput"]["p50_ms"],
                ]
            )
            continue
        for cls in texts:
            r = res.get(cls, {})
            rows.append(
                [
                    srv,
                    cls,
                    r.get("latency", {}).get("median"),
                    r.get("latency", {}).get("p95"),
                    r.get("throughput", {}).get("rps"),
                    r.get("throughput", {}).get("p50_ms"),
                ]
            )
    table(
        f"servers on the {name} corpus ({count} triples), {ARGS.connections} connections",
        ["server", "query", "p50 ms", "p95 ms", "req/s", "loaded p50 ms"],
        rows,
    )
    return out


def analysis(corpora, names, timeout) -> dict[str, Any]:
    """Network metrics and overlap detection per corpus (seconds), and how they grow."""
    out: dict[str, Any] = {"runs": []}
    for name in names:
        folder, count = corpora[name]
        row: dict[str, Any] = {"corpus": name, "triples": count}

        def on(msg: tuple, row=row) -> bool:
            if msg[0] == "network":
                row["network_s"] = round(msg[1], 3)
                row["agencies"] = msg[2]
                return False
            row.update(
                overlaps_s=round(msg[1], 3),
                items_s=round(msg[2], 3),
                items=msg[3],
                candidate_pairs=msg[4],
                all_pairs=msg[5],
            )
            return True

        row["status"] = in_child("_analysis_child", (str(folder),), on, timeout)
        out["runs"].append(row)
    synthetic = [r for r in out["runs"] if r["corpus"] != "real"]
    out["exponent"] = {
        "network": exponent([(r["triples"], r.get("network_s")) for r in synthetic]),
        "overlaps": exponent([(r["triples"], r.get("overlaps_s")) for r in synthetic]),
        "candidate_pairs": exponent([(r["triples"], r.get("candidate_pairs")) for r in synthetic]),
    }
    table(
        "analysis (s)",
        ["corpus", "triples", "network", "overlaps", "items", "candidates", "all pairs", "status"],
        [
            [
                r["corpus"],
                r["triples"],
                r.get("network_s"),
                r.get("overlaps_s"),
                r.get("items"),
                r.get("candidate_pairs"),
                r.get("all_pairs"),
                r["status"],
            ]
            for r in out["runs"]
        ],
    )
    print(f"growth exponents (time ~ triples**k, synthetic sizes): {out['exponent']}")
    return out


def targets(report: dict[str, Any], aggregates: set[str]) -> list[dict[str, Any]]:
    """Every target of issue 10 with its measured ratio (pair by pair within this run)."""
    out: list[dict[str, Any]] = []

    def add(target: str, measured: float | None, limit: float, higher_is_better: bool, note=""):
        met = None
        if measured is not None:
            met = measured >= limit if higher_is_better else measured <= limit
        out.append(
            {
                "target": target,
                "measured": measured,
                "limit": limit,
                "op": ">=" if higher_is_better else "<=",
                "met": met,
                "note": note,
            }
        )

    # aggregate catalog queries through HTTP vs engine + floor, worst case per corpus
    for name, h in report.get("http", {}).items():
        eng = report["engine"].get(name, {}).get("pyoxigraph", {})
        noop = h["noop"]["median"]
        worst = None
        for q in aggregates:
            hp, ep = h["queries"].get(q, {}).get("median"), eng.get(q, {}).get("median")
            r = ratio(hp, (ep + noop) if ep is not None else None)
            if r is not None and (worst is None or r > worst[1]):
                worst = (q, r)
        add(
            f"aggregate catalog queries via HTTP p50 / (in-process + no-op p50), {name}, "
            "worst query",
            worst[1] if worst else None,
            1.25,
            False,
            worst[0] if worst else "",
        )
        worst = None
        for q in aggregates:
            il = h.get("interleaved", {}).get(q, {})
            hp, ep = il.get("http", {}).get("median"), il.get("inproc", {}).get("median")
            r = ratio(hp, (ep + noop) if ep is not None else None)
            if r is not None and (worst is None or r > worst[1]):
                worst = (q, r)
        add(
            f"same, HTTP and in-process interleaved request by request, {name}, worst query",
            worst[1] if worst else None,
            1.25,
            False,
            worst[0] if worst else "",
        )
    t = report.get("throughput", {}).get("servers", {})
    pg, rd, noop = t.get("plangraph", {}), t.get("rdflib-endpoint", {}), t.get("noop", {})

    def lat(s, c):
        return s.get(c, {}).get("latency", {}).get("median")

    def rps(s, c):
        return s.get(c, {}).get("throughput", {}).get("rps")

    corpus = report.get("throughput", {}).get("corpus")
    add(
        f"aggregate p50: rdflib-endpoint / plangraph ({corpus})",
        ratio(lat(rd, "aggregate"), lat(pg, "aggregate")),
        15,
        True,
    )
    add(
        f"aggregate throughput: plangraph / rdflib-endpoint ({corpus})",
        ratio(rps(pg, "aggregate"), rps(rd, "aggregate")),
        20,
        True,
    )
    add(
        f"point lookup throughput: plangraph / rdflib-endpoint ({corpus})",
        ratio(rps(pg, "point"), rps(rd, "point")),
        4,
        True,
    )
    add(
        f"point lookup p50 / no-op p50 ({corpus})",
        ratio(lat(pg, "point"), noop.get("latency", {}).get("median")),
        2,
        False,
    )
    add(
        f"point lookup throughput / no-op throughput ({corpus})",
        ratio(rps(pg, "point"), noop.get("throughput", {}).get("rps")),
        0.45,
        True,
    )
    real = report.get("http", {}).get("real", {})
    add(
        "start-up: plangraph serve on the real dataset to first 200 (s)",
        real.get("startup_s"),
        1.0,
        False,
        f"the no-op FastAPI app: {report.get('noop_startup_s')} s",
    )
    d = report["store"].get("open_on_disk") or {}
    add(f"on-disk store open ({d.get('triples')} triples), ms", d.get("open_ms"), 50, False)
    shacl = report["build"].get("shacl", {})
    same = shacl.get("identical_results")
    add(
        "SHACL validation: SPARQL-compiled on the engine / pyshacl (inference none), real data",
        shacl.get("ratio"),
        0.2,
        False,
        f"identical results: {same}" if same is not None else shacl.get("note", ""),
    )
    worst = None
    for name, f in report.get("formulations", {}).items():
        for q, v in f["queries"].items():
            r = v.get("catalog_over_fastest")
            if r is not None and (worst is None or r > worst[1]):
                worst = (f"{q} @ {name}", r)
    add(
        "catalog query / fastest formulation found, worst",
        worst[1] if worst else None,
        2,
        False,
        worst[0] if worst else "",
    )
    runs = report.get("analysis", {}).get("runs", [])
    largest = max(runs, key=lambda r: r["triples"]) if runs else {}
    finished = largest.get("status") == "ok"
    add(
        f"network + overlaps finish on the largest corpus ({largest.get('triples')} triples)",
        1.0 if finished else 0.0,
        1.0,
        True,
        f"exponents {report.get('analysis', {}).get('exponent')}",
    )
    table(
        "targets",
        ["target", "measured", "op", "limit", "met", "note"],
        [[o["target"], o["measured"], o["op"], o["limit"], o["met"], o["note"]] for o in out],
    )
    return out


# -- peers: the same engine behind Oxigraph's own server (issue 21) -------------------------

OXIGRAPH = Path(sys.executable).with_name("oxigraph")
# the corpora of issue 21's "Done when" lines, by the name this run gives them
DONE_WHEN_CORPORA = {"25k": "real", "100k": "100000", "1M": "1000000"}


@contextlib.contextmanager
def peer_server(
    cmd: list[str],
    first: str,
    env: dict[str, str] | None = None,
    ready: str | None = None,
    prepare: Callable[[str], None] | None = None,
    timeout: float = 600,
) -> Iterator[dict[str, Any]]:
    """Start ``cmd``; the seconds from the process start to the first 200 of ``first`` (a real
    query; after ``prepare(url)`` once ``ready`` answers 200: the data loaded by HTTP, its
    time included). Yields {url, pid, startup_s, idle_wait_s}."""
    port = free_port()
    cmd = [c.replace("{port}", str(port)) for c in cmd]
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
    )
    try:
        waiting = ready if prepare else None
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"{Path(cmd[0]).name} {cmd[1:3]} exited: {log.read()[-1500:]!r}")
            try:
                if waiting is not None:
                    if httpx.get(url + waiting, timeout=5).status_code == 200:
                        assert prepare is not None
                        prepare(url)
                        waiting = None
                else:
                    got = httpx.get(url + first, headers={"Accept": JSON_RESULTS}, timeout=30)
                    if got.status_code == 200:
                        break
            except httpx.HTTPError:
                pass
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"{Path(cmd[0]).name} {cmd[1:3]}: no answer within {timeout} s")
            time.sleep(0.01)
        up = time.perf_counter() - started
        metrics = settle(url, timeout) if "plangraph.cli" in cmd else 0.0
        idle = wait_idle(proc.pid, 180)  # background start-up over before measuring
        yield {
            "url": url,
            "pid": proc.pid,
            "startup_s": round(up, 3),
            "metrics_wait_s": round(metrics, 1),  # plangraph: its metrics computed aside
            "idle_wait_s": round(idle, 1),
        }
    finally:
        stop(proc)
        log.close()


def _post_nquads(nq: Path) -> Callable[[str], None]:
    def post(url: str) -> None:
        with open(nq, "rb") as fh:
            r = httpx.post(
                url + "/store",
                content=fh.read(),
                headers={"Content-Type": "application/n-quads"},
                timeout=1800,
            )
        r.raise_for_status()

    return post


def result_rows(body: bytes) -> int:
    """Rows of a SPARQL JSON result (SELECT bindings; ASK: 1)."""
    data = json.loads(body)
    if "boolean" in data:
        return 1
    return len(data["results"]["bindings"])


def peer_catalog(
    servers: dict[str, dict[str, Any]], queries, runs: int, budget: float, slow_s: float
) -> dict[str, Any]:
    """Every catalog query (default parameters bound, the same text everywhere) against every
    server in interleaved rounds on kept-alive connections; rows checked against plangraph's
    (else Oxigraph in memory): a mismatch is an error, not a figure. p50 per server and query."""
    out: dict[str, dict[str, Any]] = {s: {} for s in servers}
    order = list(servers)
    for q, text, _ in queries:
        active: list[str] = []
        rows: dict[str, int] = {}
        times: dict[str, list[float]] = {}
        for s in order:
            srv = servers[s]
            u = sparql_url(srv["url"], text, srv["path"])
            try:
                t = time.perf_counter()
                r = srv["client"].get(u, headers={"Accept": JSON_RESULTS})
                warm = (time.perf_counter() - t) * 1000
                if r.status_code != 200:
                    raise RuntimeError(f"{r.status_code} {r.text[:200]}")
                rows[s] = result_rows(r.content)
            except Exception as exc:
                out[s][q] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
                continue
            if warm / 1000 > slow_s:  # one run only: too slow for rounds
                out[s][q] = {**stats([warm]), "rows": rows[s], "note": "one run (slow)"}
            else:
                active.append(s)
                times[s] = []
        ref = rows.get("plangraph", rows.get("oxigraph-memory"))
        for s in list(rows):
            if rows[s] != ref:
                out[s][q] = {"error": f"rows {rows[s]} != {ref} (plangraph's)"}
                if s in active:
                    active.remove(s)
        started = time.perf_counter()
        for i in range(runs):
            turn = active[i % len(active) :] + active[: i % len(active)] if active else []
            for s in turn:
                srv = servers[s]
                u = sparql_url(srv["url"], text, srv["path"])
                try:
                    t = time.perf_counter()
                    r = srv["client"].get(u, headers={"Accept": JSON_RESULTS})
                    times[s].append((time.perf_counter() - t) * 1000)
                    if r.status_code != 200:
                        raise RuntimeError(f"{r.status_code} {r.text[:200]}")
                except Exception as exc:  # recorded, not timed
                    out[s][q] = {"error": f"round {i}: {type(exc).__name__}: {exc}"[:300]}
                    active.remove(s)
            if i >= 2 and time.perf_counter() - started > budget:
                break
        for s in active:
            out[s][q] = {**stats(times[s]), "rows": rows[s]}
    return out


def peer_ratios(catalog: dict[str, Any], peer: str) -> dict[str, Any]:
    """plangraph p50 / ``peer`` p50 per query, with the median and the worst."""
    mine, theirs = catalog.get("plangraph", {}), catalog.get(peer, {})
    per = {}
    for q, v in mine.items():
        r = ratio(v.get("median"), theirs.get(q, {}).get("median"))
        if r is not None:
            per[q] = r
    errors = sorted(q for q in set(mine) | set(theirs) if q not in per)
    worst = max(per, key=per.get) if per else None
    return {
        "per_query": per,
        "median": round(statistics.median(per.values()), 3) if per else None,
        "worst": per.get(worst) if worst else None,
        "worst_query": worst,
        "queries": len(per),
        "not_compared": errors,
    }


def point_lookups(client: httpx.Client, url: str, opts: dict[str, Any]) -> dict[str, Any]:
    """Sequential p50, then requests/s under wrk (a slow server: long enough for every
    connection to finish a few requests, at most 30 s)."""
    lat = http_latency(client, url, opts["runs"] * 2, opts["budget"], {"Accept": JSON_RESULTS})
    span = min(30.0, max(opts["seconds"], 3 * ARGS.connections * lat["median"] / 1000))
    return {"latency": lat, "throughput": throughput(url, span, ARGS.connections, JSON_RESULTS)}


def peers_corpus(corpus: tuple[Path, int], name: str, tmp: Path, queries, opts: dict[str, Any]):
    """One corpus: plangraph, Oxigraph in memory and on disk, rdflib-endpoint (small corpora)
    and the two no-op floors, all up at once: start-up to first answer, the catalog round,
    the process tree's memory after it, point lookups under wrk."""
    folder, count = corpus
    nq = folder / "plangraph.nq"
    point = POINT.format(iri=point_iri(folder))
    out: dict[str, Any] = {"triples": count, "servers": {}}
    specs: list[tuple[str, Callable[[], Any], str]] = []
    specs.append(
        (
            "oxigraph-memory",
            lambda: peer_server(
                [str(OXIGRAPH), "serve", "--bind", "127.0.0.1:{port}", "--union-default-graph"],
                "/query?query=" + quote(point),
                ready="/query?query=" + quote("ASK {}"),
                prepare=_post_nquads(nq),
            ),
            "/query",
        )
    )
    disk = tmp / f"oxigraph-{name}"

    def on_disk():
        if not disk.exists():
            t = time.perf_counter()
            done = subprocess.run(
                [str(OXIGRAPH), "load", "--location", str(disk), "--file", str(nq)],
                capture_output=True,
                text=True,
                timeout=1800,
            )
            if done.returncode:
                raise RuntimeError(f"oxigraph load: {done.stderr[-800:]}")
            out["oxigraph_disk_load_s"] = round(time.perf_counter() - t, 2)
        return peer_server(
            [
                str(OXIGRAPH),
                "serve-read-only",
                "--location",
                str(disk),
                "--bind",
                "127.0.0.1:{port}",
                "--union-default-graph",
            ],
            "/query?query=" + quote(point),
        )

    specs.append(("oxigraph-disk", on_disk, "/query"))
    if count <= opts["rdflib_max"] * 1.05:
        exe = Path(sys.executable).with_name("rdflib-endpoint")
        rd = [str(exe)] if exe.exists() else [sys.executable, "-m", "rdflib_endpoint"]
        specs.append(
            (
                "rdflib-endpoint",
                lambda: peer_server(
                    [*rd, "serve", str(nq), "--host", "127.0.0.1", "--port", "{port}"],
                    "/?query=" + quote(point),
                    timeout=300,
                ),
                "/",
            )
        )
    else:
        out["servers"]["rdflib-endpoint"] = {
            "skipped": f"{count} triples > --rdflib-max {opts['rdflib_max']} (quick: 0): its"
            " engine takes seconds to minutes per catalog query"
        }
    # as shipped (default query workers), the corpus in a root of its own; its data/cache/
    # (network metrics per build) is warm when an earlier section served the corpus
    env = plangraph_env(None if name == "real" else folder, tmp)
    cache = Path(env["PLANGRAPH_ROOT"]) / "data" / "cache"
    out["plangraph_cache"] = "warm" if cache.is_dir() and any(cache.iterdir()) else "cold"
    specs.append(
        (
            "plangraph",
            lambda: peer_server(
                PLANGRAPH_SERVE, "/sparql?query=" + quote(point), env, timeout=opts["pg_timeout"]
            ),
            "/sparql",
        )
    )
    servers: dict[str, dict[str, Any]] = {}
    with contextlib.ExitStack() as stack:
        for srv, start, path in specs:  # one at a time: each start-up alone on the machine
            try:
                got = stack.enter_context(start())
            except Exception as exc:
                out["servers"][srv] = {"skipped": f"did not start: {exc}"[:800]}
                print(f"peers {name}: {srv} skipped: {str(exc)[:300]}")
                continue
            client = stack.enter_context(httpx.Client(timeout=300))
            servers[srv] = {**got, "path": path, "client": client}
            out["servers"][srv] = {
                k: got[k] for k in ("startup_s", "metrics_wait_s", "idle_wait_s")
            }
            print(f"peers {name}: {srv} answered in {got['startup_s']} s")
        catalog = peer_catalog(servers, queries, opts["runs"], opts["budget"], opts["slow_s"])
        for srv, s in servers.items():
            out["servers"][srv]["catalog"] = catalog[srv]
            out["servers"][srv]["memory"] = tree_memory(s["pid"])  # after the catalog round
        for srv, s in servers.items():
            u = sparql_url(s["url"], point, s["path"])
            try:
                out["servers"][srv]["point"] = point_lookups(s["client"], u, opts)
            except Exception as exc:  # recorded: the other servers go on
                out["servers"][srv]["point"] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    for http in ("h11", "httptools"):
        key = "noop-h11" if http == "h11" else "noop-httptools-uvloop"
        try:
            with noop_server(http) as (url, up), httpx.Client(timeout=60) as client:
                out["servers"][key] = {
                    "startup_s": round(up, 3),
                    "point": {
                        "latency": http_latency(
                            client, url + "/noop", opts["runs"] * 4, opts["budget"]
                        ),
                        "throughput": throughput(
                            url + "/noop", opts["seconds"], ARGS.connections, None
                        ),
                    },
                }
        except Exception as exc:
            out["servers"][key] = {"skipped": str(exc)[:500]}
    out["ratios"] = {
        p: peer_ratios(catalog, p) for p in servers if p != "plangraph" and "plangraph" in servers
    }
    return out


def peers(corpora, names, tmp: Path, queries, opts: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "how": "the same catalog query texts (default parameters bound) on every server, "
        "interleaved rounds, kept-alive connections; start-up = process start to the first "
        "200 of a point lookup (Oxigraph in memory: serve, POST the N-Quads to /store, query); "
        "memory = the process tree after the catalog round",
        "connections": ARGS.connections,
        "corpora": {},
    }
    if not OXIGRAPH.exists():
        out["error"] = f"{OXIGRAPH} missing: install the bench extra"
        return out
    for name in names:
        began = time.perf_counter()
        out["corpora"][name] = peers_corpus(corpora[name], name, tmp, queries, opts)
        out["corpora"][name]["elapsed_s"] = round(time.perf_counter() - began, 1)
        c = out["corpora"][name]
        srvs = c["servers"]
        rows = []
        for srv, v in srvs.items():
            r = c["ratios"].get(srv, {})
            rows.append(
                [
                    srv,
                    v.get("startup_s"),
                    v.get("memory", {}).get("rss_mb"),
                    v.get("memory", {}).get("pss_mb"),
                    v.get("point", {}).get("latency", {}).get("median"),
                    v.get("point", {}).get("throughput", {}).get("rps"),
                    r.get("median"),
                    r.get("worst"),
                    r.get("worst_query"),
                    (v.get("skipped") or "")[:60],
                ]
            )
        table(
            f"peers on the {name} corpus ({c['triples']} triples, {ARGS.connections} connections;"
            f" {c['elapsed_s']} s)",
            [
                "server",
                "start s",
                "RSS MB",
                "PSS MB",
                "point p50",
                "point req/s",
                "pg/peer p50 median",
                "worst",
                "worst query",
                "skipped",
            ],
            rows,
        )
    return out


def done_when(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 21's "Done when" lines, each with its measured ratio from this run's peers
    (quick mode: every line on the tiny corpus, to exercise the code, not to judge)."""
    corpora = report.get("peers", {}).get("corpora", {})
    out: list[dict[str, Any]] = []

    def where(*labels: str) -> list[tuple[str, dict[str, Any] | None]]:
        if report.get("mode") == "quick":
            return [(f"{k} (quick)", c) for k, c in corpora.items()] or [("quick", None)]
        return [(label, corpora.get(DONE_WHEN_CORPORA[label])) for label in labels]

    def add(target: str, measured: float | None, limit: float, higher: bool, note: str = ""):
        met = None if measured is None else (measured >= limit if higher else measured <= limit)
        out.append(
            {
                "target": target,
                "measured": measured,
                "limit": limit,
                "op": ">=" if higher else "<=",
                "met": met,
                "note": note,
                "issue": 21,
            }
        )

    def srv(c: dict[str, Any] | None, name: str) -> dict[str, Any]:
        return (c or {}).get("servers", {}).get(name, {})

    def why(c: dict[str, Any] | None, *names: str) -> str:
        if c is None:
            return "corpus not in this run"
        skipped = [f"{n}: {srv(c, n)['skipped'][:80]}" for n in names if "skipped" in srv(c, n)]
        return "; ".join(skipped)

    for label, c in where("25k", "100k", "1M"):
        r = (c or {}).get("ratios", {}).get("oxigraph-memory", {})
        note = why(c, "plangraph", "oxigraph-memory") or (
            f"median {r.get('median')}, worst {r.get('worst_query')}"
        )
        add(
            f"catalog p50 plangraph / Oxigraph in memory, every query, {label}",
            r.get("worst"),
            1.1,
            False,
            note,
        )
        if r.get("not_compared"):  # an error or a row mismatch: not "every query"
            out[-1]["met"] = False
            out[-1]["note"] += f"; not compared (error or rows differ): {r['not_compared']}"
    for label, c in where("25k", "100k", "1M"):

        def rps(name: str, c=c) -> float | None:  # non-2xx answers: no figure
            t = srv(c, name).get("point", {}).get("throughput", {})
            return None if t.get("errors") else t.get("rps")

        bad = [
            f"{n}: {srv(c, n)['point'].get('error') or srv(c, n)['point']['throughput']['errors']}"
            " errors"
            for n in ("plangraph", "oxigraph-memory", "noop-httptools-uvloop")
            if srv(c, n).get("point", {}).get("error")
            or srv(c, n).get("point", {}).get("throughput", {}).get("errors")
        ]
        note = "; ".join([why(c, "plangraph", "oxigraph-memory"), *bad]).strip("; ")
        add(
            f"point lookup req/s plangraph / Oxigraph in memory, {label}",
            ratio(rps("plangraph"), rps("oxigraph-memory")),
            0.5,
            True,
            note or f"{rps('plangraph')} / {rps('oxigraph-memory')}",
        )
        add(
            f"point lookup req/s plangraph / no-op floor (httptools + uvloop), {label}",
            ratio(rps("plangraph"), rps("noop-httptools-uvloop")),
            1.0,
            True,
            note
            or f"{rps('plangraph')} / {rps('noop-httptools-uvloop')}; h11 floor {rps('noop-h11')}",
        )
    for label, c in where("25k", "1M"):
        pg, ox = srv(c, "plangraph").get("startup_s"), srv(c, "oxigraph-memory").get("startup_s")
        add(
            f"start-up to first answer plangraph / Oxigraph in memory (load included), {label}",
            ratio(pg, ox),
            2,
            False,
            why(c, "plangraph", "oxigraph-memory") or f"{pg} s / {ox} s",
        )
    for label, c in where("100k", "1M"):
        pg, ox = srv(c, "plangraph").get("memory", {}), srv(c, "oxigraph-memory").get("memory", {})
        add(
            f"process-tree RSS plangraph / Oxigraph in memory, {label}",
            ratio(pg.get("rss_mb"), ox.get("rss_mb")),
            2,
            False,
            why(c, "plangraph", "oxigraph-memory")
            or f"{pg.get('rss_mb')} / {ox.get('rss_mb')} MB;"
            f" PSS {pg.get('pss_mb')} / {ox.get('pss_mb')} MB",
        )
    return out


ARGS: argparse.Namespace

if __name__ == "__main__":
    raise SystemExit(main())
