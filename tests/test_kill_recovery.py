"""kill -9 of the server under load, then a restart: healthy again within 30 s, the same
build and the same answers, 0 errors afterwards. (Recovery time is printed, run with -s.)"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from plangraph.paths import ProjectPaths
from tests.server_process import comm, descendants, free_port, parent, running

Q = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/plangraph/ontology#Activity> }"


def start(root: str, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "plangraph.cli", "serve", "--port", str(port)],
        env={**os.environ, "PLANGRAPH_ROOT": root, "PLANGRAPH_RATE_PER_MINUTE": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: its workers are killed with it
    )


def wait_healthy(url: str, limit: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return time.monotonic() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"not healthy within {limit} s")


def answers(c: httpx.Client) -> tuple[str, str, str]:
    r = c.get("/sparql", params={"query": Q}, headers={"accept": "text/csv"})
    assert r.status_code == 200
    return r.headers["x-plangraph-build"], r.text, c.get("/api/plans").text


def test_kill_9_under_load_then_restart(paths: ProjectPaths) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start(str(paths.root), port)
    try:
        wait_healthy(url, 60)
        with httpx.Client(base_url=url, timeout=30) as c:
            before = answers(c)
        stop = threading.Event()
        sent = [0]

        def load() -> None:
            with httpx.Client(base_url=url, timeout=5) as c:
                for _ in range(10_000):  # bounded
                    if stop.is_set():
                        return
                    try:
                        c.get("/sparql", params={"query": Q})
                        sent[0] += 1
                    except httpx.HTTPError:
                        pass

        threads = [threading.Thread(target=load) for _ in range(8)]
        for t in threads:
            t.start()
        time.sleep(2)
        assert sent[0] > 0
        os.killpg(proc.pid, signal.SIGKILL)  # the server and its query workers, no cleanup
        proc.wait(10)
        restarted = time.monotonic()
        proc = start(str(paths.root), port)
        recovery = wait_healthy(url, 30)
        stop.set()
        for t in threads:
            t.join(30)
        errors = 0
        with httpx.Client(base_url=url, timeout=30) as c:
            after = answers(c)
            for _ in range(50):
                r = c.get("/sparql", params={"query": Q}, headers={"accept": "text/csv"})
                errors += r.status_code != 200
        print(
            f"\nkill -9 under load ({sent[0]} requests sent): healthy again "
            f"{recovery:.1f} s after restart ({time.monotonic() - restarted:.1f} s total), "
            f"same build {after[0] == before[0]}, {errors} errors in 50 queries after"
        )
        assert after == before
        assert errors == 0
        assert recovery < 30
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)


def test_kill_9_leaves_no_worker_running(paths: ProjectPaths) -> None:
    """Issue 20, item 13: kill -9 of the server orphaned a worker running a query, which kept
    burning CPU with no limit. Now every query and reconciliation worker dies with it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "plangraph.cli", "serve", "--port", str(port)],
        env={
            **os.environ,
            "PLANGRAPH_ROOT": str(paths.root),
            "PLANGRAPH_RATE_PER_MINUTE": "0",
            "PLANGRAPH_QUERY_TIMEOUT": "60",
            "PLANGRAPH_QUERY_WORKERS": "2",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    left: set[int] = set()
    try:
        wait_healthy(url, 60)
        cartesian = (
            paths.root / "tests" / "data" / "adversarial" / "cartesian-count.rq"
        ).read_text()
        name = "ministry police social affairs " * 16  # 496 characters: ~1 s each
        batch = json.dumps({f"q{i}": {"query": name} for i in range(20)})

        def send(path: str, data: dict[str, str]) -> None:
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(url + path, data=data, timeout=10)

        threads = [
            threading.Thread(target=send, args=("/sparql", {"query": cartesian})),
            threading.Thread(target=send, args=("/reconcile", {"queries": batch})),
        ]
        for t in threads:
            t.start()
        time.sleep(2)
        tree = descendants(proc.pid)
        assert len(tree) >= 3, tree  # the fork server and the busy workers
        # the query workers are forks of one zygote (it holds the dataset), itself a child
        # of the fork server, and the reconciliation worker of another: all in the tree
        (zygote,) = [p for p in tree if comm(p) == "query-zygote"]
        workers = [p for p in tree if comm(p) == "query-worker"]
        assert len(workers) == 2 and all(parent(p) == zygote for p in workers), tree
        (recon,) = [p for p in tree if comm(p) == "recon-zygote"]  # the batch's, likewise
        assert any(comm(p) == "recon-worker" and parent(p) == recon for p in tree), tree
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(running(p) for p in tree):
            time.sleep(0.1)
        left = {p for p in tree if running(p)}
        names = {p: Path(f"/proc/{p}/cmdline").read_bytes()[:90] for p in left}
        assert not left, f"still running after kill -9 of the server: {names}"
        for t in threads:
            t.join(15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for p in left:  # only the server's own descendants, listed before it was killed
            with contextlib.suppress(OSError):
                os.kill(p, signal.SIGKILL)
