"""Start the real server (``plangraph serve``) in a subprocess on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

PROCESSES: dict[str, subprocess.Popen[str]] = {}  # url -> the server process


def tree_rss_mb(pid: int) -> float:
    """Resident memory (VmRSS) of a process and all its descendants, in MB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    total, todo, seen = 0, [pid], set()
    while todo and len(seen) < 10_000:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo.extend(children.get(p, []))
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry))
    out: set[int] = set()
    todo = [pid]
    while todo and len(out) < 1000:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def parent(pid: int) -> int:
    """The parent pid of ``pid`` (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


def comm(pid: int) -> str:
    """The process's name (``/proc/PID/comm``): query workers and their zygote set theirs."""
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def root_with_graph(root: Path, graph: Path, dest: Path) -> Path:
    """A project root like ``root`` whose data/graph/ is ``graph`` (symlinks, nothing copied).

    data/cache/ (files derived per build: metrics, the search index) is shared with ``root``
    only when ``graph`` is root's own dataset; another dataset (a synthetic corpus) gets a
    private one, so serving it never writes into the checkout's cache."""
    for child in root.iterdir():
        if child.name not in ("data", ".venv", ".git"):
            (dest / child.name).symlink_to(child)
    (dest / "data").mkdir()
    own = graph.resolve() == (root / "data" / "graph").resolve()
    for child in (root / "data").iterdir():
        if child.name == "graph" or (child.name == "cache" and not own):
            continue
        (dest / "data" / child.name).symlink_to(child)
    (dest / "data" / "graph").symlink_to(graph)
    return dest


@contextlib.contextmanager
def running_server(
    root: Path,
    *args: str,
    env: dict[str, str] | None = None,
    graph: Path | None = None,
    settled: bool = True,
) -> Iterator[str]:
    """``graph``: serve this dataset folder instead of root/data/graph (e.g. a dev build).
    ``settled``: wait until the build is served with its network metrics too (a dataset
    whose metrics are not cached is served first without them: server/live.py), so a test
    sees one steady build; False: yield as soon as /health answers."""
    if graph is not None:
        with (
            tempfile.TemporaryDirectory() as tmp,
            running_server(
                root_with_graph(root, graph, Path(tmp)), *args, env=env, settled=settled
            ) as url,
        ):
            yield url
        return
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "plangraph.cli", "serve", "--port", str(port), *args],
        # rate limits off unless a test sets them (the tests hit the server hard from one IP)
        env={
            **os.environ,
            "PLANGRAPH_ROOT": str(root),
            "PLANGRAPH_RATE_PER_MINUTE": "0",
            **(env or {}),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    PROCESSES[url] = proc
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stdout.read() if proc.stdout else ''}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 60 s")
            time.sleep(0.1)
        deadline = time.monotonic() + 180
        while settled and "metrics" in httpx.get(f"{url}/health", timeout=10).json():
            if time.monotonic() > deadline:
                raise RuntimeError("the server's network metrics were not ready within 180 s")
            time.sleep(0.1)
        yield url
    finally:
        PROCESSES.pop(url, None)
        stop(proc)
        if proc.stdout:
            proc.stdout.close()


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it has not exited within 10 s; reaped either way."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def dataset_folder() -> Path | None:
    """The dataset the server tests serve: PLANGRAPH_TEST_GRAPH if set (e.g. a development
    build while data/graph/ is being rebuilt), else None (the project's data/graph/)."""
    folder = os.environ.get("PLANGRAPH_TEST_GRAPH")
    return Path(folder) if folder else None


def assert_error(
    response: httpx.Response, status: int, kind: str, param: str | None = None
) -> dict:
    """The project's JSON error shape: {"error": kind, "message": ..., "param": ...}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == kind, body
    assert isinstance(body["message"], str) and body["message"]
    if param is not None:
        assert body.get("param") == param, body
    return body
