"""kill -9 of the server under load, then a restart: healthy again within 30 s, the same
build and the same answers, 0 errors afterwards. (Recovery time is printed, run with -s.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx

from plangraph.paths import ProjectPaths
from tests.server_process import free_port

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
