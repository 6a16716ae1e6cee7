"""Abuse figures of issue 20, measured in one run on this machine (not a test).

Starts ``plangraph serve`` (tests.server_process.running_server) with the limits
``plangraph serve`` uses by default (rate limits on: 120 expensive requests a minute per
client, bursts of 60, 2 in flight; 5 query workers of at most 1024 MB; 10 s time limit),
then, one phase after another, each bounded in time, loopback only:

1. **floods**: for each expensive endpoint (/sparql with the adversarial corpus, the query
   catalog /api/queries/*, /api/network, /api/overlaps, /reconcile with batches of 10 long
   names, agency pages /id/agency/*), one client (127.0.0.1, 8 threads back to back) floods
   it for ``--seconds`` (30) while a second client (127.0.0.2) asks ``GET /api/plans`` every
   50 ms: that client's p50 / p95 / max and errors, and the flood's answers by status;
2. **memory**: the adversarial corpus plus the byte-heavy queries (40 rows of 1 MB, a
   GROUP_CONCAT of every literal x 200, nested CONCAT), from 4 client addresses x 2 threads
   for ``--seconds``: the peak RSS of the server's process tree (sampled every 0.2 s) beside
   the stated cap (3 GB);
3. **reconciliation**: one batch of 200 queries of 500 characters: wall time, the CPU time
   of the server's process tree meanwhile, its answer, and /health latency meanwhile;
4. **slow connections**: 1,000 connections each sending 370 KB of a request head that never
   ends: the tree's RSS growth, and how many are still open 15 s later.

Writes bench/results/abuse.json and prints a summary.

    .venv/bin/python bench/abuse.py [--seconds 30] [--out bench/results/abuse.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import socket
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.server_process import PROCESSES, running_server, tree_rss_mb  # noqa: E402

CORPUS = sorted((ROOT / "tests" / "data" / "adversarial").glob("*.rq"))
RSS_CAP_MB = 3 * 1024
TICK = os.sysconf("SC_CLK_TCK")


def doubled(times: int) -> str:
    binds = "".join(f"BIND(CONCAT(?x{i}, ?x{i}) AS ?x{i + 1}) " for i in range(times))
    return f'BIND("0123456789abcdef0123456789abcdef" AS ?x0) {binds}'


BYTE_HEAVY = [
    "SELECT ?i ?big WHERE { VALUES ?i { "
    + " ".join(str(i) for i in range(40))
    + " } "
    + doubled(15)
    + " BIND(CONCAT(STR(?i), ?x15) AS ?big) }",
    "SELECT (GROUP_CONCAT(STR(?o)) AS ?all) WHERE { VALUES ?v { "
    + " ".join(str(i) for i in range(200))
    + " } ?s ?p ?o FILTER(isLiteral(?o)) }",
    "SELECT (STRLEN(?x25) AS ?n) WHERE { " + doubled(25) + " }",
    "SELECT ?x22 WHERE { " + doubled(22) + " }",
]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * (len(values) - 1) + 0.5))] if values else 0.0


def long_name(rng: random.Random, length: int = 500) -> str:
    words = ["ministry", "interior", "national", "committee", "counter", "trafficking"]
    words += ["persons", "police", "department", "social", "affairs", "labour", "women"]
    return " ".join(rng.choice(words) for _ in range(120))[:length]


def tree_cpu_seconds(pid: int, seen: dict[int, float]) -> None:
    """Record the CPU seconds (user + system) of every process in ``pid``'s tree into
    ``seen`` (the largest value seen per pid: a killed worker keeps its last sample)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    todo, found = [pid], {pid}
    while todo and len(found) < 1000:
        for c in children.get(todo.pop(), []):
            if c not in found:
                found.add(c)
                todo.append(c)
    for p in found:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / TICK
        seen[p] = max(seen.get(p, 0.0), seconds)


class Sampler(threading.Thread):
    """RSS peak and CPU seconds of the server's tree, every 0.2 s (bounded)."""

    def __init__(self, pid: int, limit_s: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.limit_s = pid, limit_s
        self.peak = 0.0
        self.cpu: dict[int, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        end = time.monotonic() + self.limit_s
        while not self.stop.is_set() and time.monotonic() < end:
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            tree_cpu_seconds(self.pid, self.cpu)
            self.stop.wait(0.2)


def client(url: str, address: str, timeout: float = 60) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=url, timeout=timeout, transport=transport)


def probe(url: str, path: str, stop: float, waits: list[float], errors: list[str]) -> None:
    """The second client: GET ``path`` every 50 ms until ``stop``."""
    with client(url, "127.0.0.2") as c:
        for _ in range(100_000):
            if time.monotonic() > stop:
                return
            t0 = time.monotonic()
            try:
                r = c.get(path)
                if r.status_code != 200:
                    errors.append(f"{r.status_code}")
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
            waits.append(time.monotonic() - t0)
            time.sleep(0.05)


def flood(
    url: str, address: str, request: Callable[[httpx.Client, int], httpx.Response], stop: float
) -> Counter[str]:
    out: Counter[str] = Counter()
    with client(url, address) as c:
        for i in range(100_000):
            if time.monotonic() > stop:
                break
            try:
                out[str(request(c, i).status_code)] += 1
            except httpx.HTTPError as exc:
                out[type(exc).__name__] += 1
    return out


def run_phase(
    url: str,
    seconds: float,
    request: Callable[[httpx.Client, int], httpx.Response],
    addresses: list[str],
    threads: int,
) -> tuple[Counter[str], list[float], list[str]]:
    stop = time.monotonic() + seconds
    results: list[Counter[str]] = []
    lock = threading.Lock()

    def one(address: str) -> None:
        got = flood(url, address, request, stop)
        with lock:
            results.append(got)

    waits: list[float] = []
    errors: list[str] = []
    workers = [threading.Thread(target=one, args=(a,)) for a in addresses for _ in range(threads)]
    workers.append(threading.Thread(target=probe, args=(url, "/api/plans", stop, waits, errors)))
    for w in workers:
        w.start()
    for w in workers:
        w.join(seconds + 120)
    total: Counter[str] = Counter()
    for r in results:
        total.update(r)
    return total, waits, errors


def slow_connections(url: str, pid: int, count: int = 1000, watch: float = 15.0) -> dict:
    """``count`` connections each sending 370 KB of an unfinished request head: the tree's
    RSS growth and how many are still open after ``watch`` seconds."""
    port = int(url.rsplit(":", 1)[1])
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * (370 * 1024)
    before = peak = tree_rss_mb(pid)
    socks: list[socket.socket] = []
    errors = 0
    for i in range(count):
        try:
            s = socket.create_connection(("127.0.0.1", port), 5)
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError, BrokenPipeError, ConnectionResetError):
                s.send(head)
            socks.append(s)
        except OSError:
            errors += 1
        if i % 100 == 0:
            peak = max(peak, tree_rss_mb(pid))
    t0 = time.monotonic()
    while time.monotonic() - t0 < watch:
        peak = max(peak, tree_rss_mb(pid))
        time.sleep(0.5)
    still_open = 0
    for s in socks:
        try:
            s.recv(1)
        except BlockingIOError:
            still_open += 1
        except OSError:
            pass
        s.close()
    return {
        "connections": count,
        "head_bytes_each": len(head),
        "rss_before_mb": round(before),
        "rss_peak_mb": round(peak),
        "still_open_after_s": watch,
        "still_open": still_open,
        "connect_errors": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "abuse.json")
    args = parser.parse_args()
    env = {  # what `plangraph serve` uses when no PLANGRAPH_RATE_* is set
        "PLANGRAPH_RATE_PER_MINUTE": "120",
        "PLANGRAPH_RATE_BURST": "60",
        "PLANGRAPH_RATE_CONCURRENCY": "2",
    }
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "seconds": args.seconds,
        "settings": "plangraph serve defaults: 120/min, burst 60, 2 in flight; 5 workers "
        "of 1024 MB; 10 s time limit; 32 MB result cap",
    }
    with running_server(ROOT, env=env) as url:
        pid = PROCESSES[url].pid
        with httpx.Client(base_url=url, timeout=60) as c:
            agencies = [a["url"] for a in c.get("/api/agencies?limit=500").json()["items"]]
            catalog = [q["name"] for q in c.get("/api/queries").json()["queries"]]
            themes = [t["slug"] for t in c.get("/api/themes").json().get("items", [])][:5]
        corpus = [p.read_text() for p in CORPUS]
        rng = random.Random(20)
        batch = json.dumps({f"q{i}": {"query": long_name(rng)} for i in range(10)})
        floods: dict[str, Callable[[httpx.Client, int], httpx.Response]] = {
            "/sparql": lambda c, i: c.post("/sparql", data={"query": corpus[i % len(corpus)]}),
            "/api/queries": lambda c, i: c.get(f"/api/queries/{catalog[i % len(catalog)]}"),
            "/api/network": lambda c, i: c.get(
                "/api/network", params={"projection": ["agency", "party"][i % 2]}
            ),
            "/api/overlaps": lambda c, i: c.get(
                "/api/overlaps", params={"theme": themes[i % len(themes)]} if themes else {}
            ),
            "/reconcile": lambda c, i: c.post("/reconcile", data={"queries": batch}),
            "agency pages": lambda c, i: c.get(agencies[i % len(agencies)]),
        }
        report["floods"] = {}
        for name, request in floods.items():
            answers, waits, errors = run_phase(url, args.seconds, request, ["127.0.0.1"], 8)
            row = {
                "flood_answers": dict(answers),
                "api_plans_requests": len(waits),
                "api_plans_p50_ms": round(statistics.median(waits) * 1000, 1) if waits else None,
                "api_plans_p95_ms": round(pct(waits, 0.95) * 1000, 1),
                "api_plans_max_ms": round(max(waits, default=0) * 1000, 1),
                "api_plans_errors": len(errors),
            }
            report["floods"][name] = row
            print(f"flood {name}: {row}", flush=True)
            time.sleep(2)  # let the time-limited queries end before the next phase

        heavy = corpus + BYTE_HEAVY
        sampler = Sampler(pid, args.seconds + 60)
        sampler.start()
        addresses = ["127.0.0.1", "127.0.0.3", "127.0.0.4", "127.0.0.5"]
        answers, waits, errors = run_phase(
            url,
            args.seconds,
            lambda c, i: c.post("/sparql", data={"query": heavy[i % len(heavy)]}),
            addresses,
            2,
        )
        sampler.stop.set()
        sampler.join(5)
        report["memory"] = {
            "rss_peak_mb": round(sampler.peak),
            "stated_cap_mb": RSS_CAP_MB,
            "answers": dict(answers),
            "api_plans_p95_ms": round(pct(waits, 0.95) * 1000, 1),
            "api_plans_errors": len(errors),
        }
        print(f"memory: {report['memory']}", flush=True)
        time.sleep(12)

        big = json.dumps({f"q{i}": {"query": long_name(rng)} for i in range(200)})
        health: list[float] = []
        done = threading.Event()
        result: dict[str, Any] = {}

        def send() -> None:
            with client(url, "127.0.0.6", timeout=600) as c:
                t0 = time.monotonic()
                r = c.post("/reconcile", data={"queries": big})
                result["wall_s"] = round(time.monotonic() - t0, 2)
                result["status"] = r.status_code
                result["answer"] = r.text[:200]
            done.set()

        sampler = Sampler(pid, 660)
        sampler.start()
        time.sleep(0.5)
        before = sum(sampler.cpu.values())
        thread = threading.Thread(target=send)
        thread.start()
        with client(url, "127.0.0.2", timeout=60) as c:
            for _ in range(100_000):
                if done.is_set():
                    break
                t0 = time.monotonic()
                c.get("/health")
                health.append(time.monotonic() - t0)
                time.sleep(0.1)
        thread.join(600)
        time.sleep(0.5)
        sampler.stop.set()
        sampler.join(5)
        result["server_cpu_s"] = round(sum(sampler.cpu.values()) - before, 2)
        result["health_requests"] = len(health)
        result["health_p50_ms"] = round(statistics.median(health) * 1000, 1) if health else None
        result["health_max_ms"] = round(max(health, default=0) * 1000, 1)
        report["reconcile_200x500"] = result
        print(f"reconcile 200 x 500: {result}", flush=True)
        report["slow_connections"] = slow_connections(url, pid)
        print(f"slow connections: {report['slow_connections']}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
