"""The HTTP edge (issue 21, item 3): requests/s with wrk of the no-op floor and of a point
lookup through /sparql, under each server set-up, in interleaved rounds (one server at a
time: each round starts a set-up, runs wrk, stops it). Not a test; prints a table and
writes results/http-edge.json.

    .venv/bin/python bench/http_edge.py --rounds 3 --seconds 10
    .venv/bin/python bench/http_edge.py --only noop-h11,noop-httptools --before /tmp/before
    .venv/bin/python bench/http_edge.py noop --port 8001 --http h11 --loop asyncio

Set-ups (``--only``, comma-separated):
- ``noop-h11``, ``noop-httptools``: bench/noop_app.py's app under uvicorn with h11 + asyncio,
  or httptools + uvloop; ``noop-guarded``: httptools + uvloop with plangraph's connection
  guard (server/http_guard.py);
- ``point-before``: ``plangraph serve`` from a checkout given by ``--before`` (e.g. main's
  code: ``git archive main | tar -x -C /tmp/before``), with this checkout's virtualenv;
- ``point``: ``plangraph serve`` of this checkout;
- ``noop-granian``, ``point-granian``: the same apps under granian (ASGI, uvloop, one
  worker), when granian is installed (``pip install granian``: not a dependency);
- ``point-2proc``: two ``plangraph serve`` processes accepting on one socket (``serve2``).

wrk: ``wrk -t2 -c8 -d{seconds}s --latency`` with ``Accept: application/sparql-results+json``
on /sparql. The rate limits are off (one client), as in bench/run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
PG = "https://w3id.org/plangraph/ontology#"
POINT = "SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}"  # bench/run.py's point lookup
JSON_RESULTS = "application/sparql-results+json"
SERVE_ENV = {
    "PLANGRAPH_RATE_PER_MINUTE": "0",
    "PLANGRAPH_RATE_BURST": "0",
    "PLANGRAPH_RATE_CONCURRENCY": "0",
}


def point_iri(graph: Path) -> str:
    """One activity of the corpus (a point lookup's subject), as bench/run.py picks it."""
    with open(graph / "plangraph.nq", encoding="utf-8") as fh:
        for line in fh:
            if f"<{PG}Activity>" in line:
                return line.split(" ", 1)[0].strip("<>")
    raise RuntimeError("no activity in the corpus")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree_rss_mb(pid: int) -> float:
    """RSS of ``pid`` and its descendants (MB)."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,rss="], capture_output=True, text=True)
    rows = [tuple(int(x) for x in line.split()) for line in out.stdout.splitlines() if line]
    children: dict[int, list[int]] = {}
    rss = {}
    for p, pp, r in rows:
        children.setdefault(pp, []).append(p)
        rss[p] = r
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total / 1024


@contextmanager
def started(
    cmd: list[str], ready: str, env: dict[str, str], cwd: Path
) -> Iterator[tuple[str, int]]:
    """The server's base URL and pid once ``ready`` answers 200; stopped afterwards."""
    port = free_port()
    cmd = [c.replace("{port}", str(port)) for c in cmd]
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd} exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if httpx.get(url + ready, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{cmd} did not answer")
            time.sleep(0.2)
        yield url, proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wrk(url: str, seconds: int, accept: str | None) -> dict[str, Any]:
    cmd = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency"]
    if accept:
        cmd += ["-H", f"Accept: {accept}"]
    text = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", text)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": round(float(p50.group(1)) * unit[p50.group(2)], 3) if p50 else None,
        "non_2xx": int(bad.group(1)) if bad else 0,
    }


def setups(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    py = sys.executable
    me = str(Path(__file__).resolve())
    point = "/sparql?query=" + quote(POINT.format(iri=point_iri(ROOT / "data" / "graph")))
    serve = [py, "-m", "plangraph.cli", "serve", "--port", "{port}"]
    out: dict[str, dict[str, Any]] = {
        "noop-h11": {
            "cmd": [py, me, "noop", "--port", "{port}", "--http", "h11", "--loop", "asyncio"]
        },
        "noop-httptools": {
            "cmd": [py, me, "noop", "--port", "{port}", "--http", "httptools", "--loop", "uvloop"]
        },
        "noop-guarded": {"cmd": [py, me, "noop", "--port", "{port}", "--guarded"]},
        "point": {"cmd": serve, "path": point},
        "noop-granian": {"cmd": granian("bench.noop_app:app", factory=False)},
        "point-granian": {
            "cmd": granian("bench.http_edge:plangraph_app", factory=True),
            "path": point,
        },
        "point-2proc": {"cmd": [py, me, "serve2", "--port", "{port}"], "path": point},
    }
    if args.before:
        before = Path(args.before).resolve()
        out["point-before"] = {
            "cmd": serve,
            "path": point,
            "cwd": before,
            "env": {"PYTHONPATH": str(before), "PLANGRAPH_ROOT": str(before)},
        }
    for s in out.values():
        s.setdefault("path", "/noop")
        s.setdefault("cwd", ROOT)
        s["env"] = {**SERVE_ENV, "PYTHONPATH": str(ROOT), **s.get("env", {})}
        s["ready"] = "/noop" if s["path"] == "/noop" else "/health"
        s["accept"] = None if s["path"] == "/noop" else JSON_RESULTS
    return out


def granian(target: str, factory: bool) -> list[str]:
    exe = str(Path(sys.executable).with_name("granian"))
    cmd = [exe, "--interface", "asgi", "--loop", "uvloop", "--workers", "1"]
    cmd += ["--host", "127.0.0.1", "--port", "{port}", "--log-level", "warning"]
    return [*cmd, *(["--factory"] if factory else []), target]


def plangraph_app() -> Any:
    """The app ``plangraph serve`` serves, built as cli._serve builds it (for granian)."""
    from dataclasses import replace
    from functools import partial

    from plangraph.settings import SERVE_RATE_DEFAULTS, Settings
    from plangraph.store.pool import prestart
    from server.app import create_app
    from server.limits import make_limiter
    from server.live import LiveApp

    prestart()
    settings = Settings.from_env()
    if not any(k.startswith("PLANGRAPH_RATE_") for k in os.environ):
        settings = replace(settings, **SERVE_RATE_DEFAULTS)  # type: ignore[arg-type]
    make_app = partial(create_app, settings, limiter=make_limiter(settings))
    return LiveApp.from_folder(settings, make_app, sighup=False, owns_process=True)


def serve_noop(args: argparse.Namespace) -> None:
    import uvicorn

    from bench.noop_app import app

    http: Any = args.http
    if args.guarded:  # as plangraph serve runs it, with the default settings' limits
        from plangraph.cli import request_head_bytes
        from plangraph.settings import Settings
        from server.http_guard import guarded_protocol

        s = Settings()
        http = guarded_protocol(
            s.head_timeout,
            s.body_timeout,
            s.max_connections,
            request_head_bytes(s.max_query_length),
        )
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        http=http,
        loop=args.loop,
        log_level="warning",
        timeout_keep_alive=75,
    )


def serve_two(args: argparse.Namespace) -> None:
    """Two ``plangraph serve`` processes accepting on one listening socket (bound here,
    inherited: the kernel hands each connection to one of them); each holds its own store
    and query workers."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(2048)
    sock.set_inheritable(True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "serve-child", "--fd"]
    procs = [subprocess.Popen([*cmd, str(sock.fileno())], pass_fds=[sock.fileno()]) for _ in "ab"]
    try:
        signal.sigwait({signal.SIGTERM, signal.SIGINT})
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(20)


def serve_child(args: argparse.Namespace) -> None:
    """``plangraph serve`` as the CLI runs it, on the inherited socket ``--fd``."""
    import uvicorn

    from plangraph.cli import main as cli

    sock = socket.socket(fileno=args.fd)

    def run(app: Any, **kw: Any) -> None:
        kw.pop("host"), kw.pop("port")
        uvicorn.Server(uvicorn.Config(app, **kw)).run(sockets=[sock])

    uvicorn.run = run  # type: ignore[assignment]
    cli(["serve"])


def bench(args: argparse.Namespace) -> None:
    every = setups(args)
    names = args.only.split(",") if args.only else list(every)
    rounds: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    for r in range(args.rounds):
        for name in names:
            s = every[name]
            with started(s["cmd"], s["ready"], s["env"], s["cwd"]) as (url, pid):
                wrk(url + s["path"], 2, s["accept"])  # warm-up
                res = wrk(url + s["path"], args.seconds, s["accept"])
                res["rss_mb"] = round(tree_rss_mb(pid), 1)
            rounds[name].append(res)
            print(f"round {r + 1} {name}: {res}", flush=True)
    summary = {
        n: {
            "rps_median": statistics.median(x["rps"] for x in rs),
            "rps": [x["rps"] for x in rs],
            "p50_ms": [x["p50_ms"] for x in rs],
            "rss_mb": [x["rss_mb"] for x in rs],
            "non_2xx": sum(x["non_2xx"] for x in rs),
        }
        for n, rs in rounds.items()
    }
    print("\nsetup               req/s (median)  rounds")
    for n, s in summary.items():
        print(f"{n:20s} {s['rps_median']:14.0f}  {s['rps']}  rss {s['rss_mb']}")
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        load = os.getloadavg()
        out.write_text(
            json.dumps({"seconds": args.seconds, "load": load, "setups": summary}, indent=1)
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd")
    n = sub.add_parser("noop")
    n.add_argument("--port", type=int, required=True)
    n.add_argument("--http", default="httptools")
    n.add_argument("--loop", default="uvloop")
    n.add_argument("--guarded", action="store_true", help="plangraph serve's protocol class")
    t = sub.add_parser("serve2")
    t.add_argument("--port", type=int, required=True)
    c = sub.add_parser("serve-child")
    c.add_argument("--fd", type=int, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--only", default="")
    parser.add_argument("--before", default="")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "http-edge.json"))
    args = parser.parse_args()
    if args.cmd == "noop":
        serve_noop(args)
    elif args.cmd == "serve2":
        serve_two(args)
    elif args.cmd == "serve-child":
        serve_child(args)
    else:
        bench(args)


if __name__ == "__main__":
    main()
