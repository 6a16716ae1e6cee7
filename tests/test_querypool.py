"""The query pool on the real built dataset: the event-loop path (``arun``) gives exactly what
the thread path (``run``) gives, for small and large answers, and handles time limits,
cancelled requests and a busy pool without losing a worker."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from plangraph.errors import QueryError, QueryTimeout, QueryTooLarge
from plangraph.store.pool import LARGE_RESULT, QueryPool, QueryRequest
from plangraph.store.results import ROWS

from .conftest import ROOT

GRAPH = ROOT / "data" / "graph"

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
ALL = (  # no blank nodes: their labels differ between workers
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(!isBlank(?s) && !isBlank(?o)) } ORDER BY ?s ?p ?o"
)
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def run(coro):
    """``asyncio.run`` in a thread of its own: the session's browser (Playwright) may keep an
    event loop running in the main thread, where ``asyncio.run`` refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        return ex.submit(asyncio.run, coro).result()


@pytest.fixture(scope="module")
def pool():
    p = QueryPool(GRAPH, size=2, timeout=30).start()
    yield p
    p.close()


def idle_workers(pool: QueryPool, want: int, seconds: float = 30.0) -> int:
    """The idle worker count once it reaches ``want`` (or after ``seconds``)."""

    async def wait() -> int:
        for _ in range(int(seconds / 0.05)):
            if pool._idle.qsize() >= want:
                break
            await asyncio.sleep(0.05)
        return pool._idle.qsize()

    return run(wait())


def test_event_loop_path_equals_thread_path(pool: QueryPool) -> None:
    request = QueryRequest(COUNT, ("json",))
    threaded = pool.run(request)
    looped = run(pool.arun(request))
    assert looped.body == threaded.body
    assert json.loads(looped.body)["results"]["bindings"][0]["n"]["value"] != "0"


def test_large_answer_is_read_whole(pool: QueryPool) -> None:
    request = QueryRequest(ALL, ("json",))
    threaded = pool.run(request)
    looped = run(pool.arun(request))
    assert len(looped.body) > LARGE_RESULT  # the answer that is read off the loop
    assert looped.body == threaded.body
    assert looped.count == threaded.count == len(json.loads(looped.body)["results"]["bindings"])


def test_large_answer_is_read_whole_on_uvloop(pool: QueryPool) -> None:
    """``plangraph serve`` runs on uvloop, whose add_reader leaves the worker's socket
    non-blocking: the large answer, read in a thread, failed half-way with EAGAIN and was
    answered 503 "the query worker died" (issue 21)."""
    import uvloop

    request = QueryRequest(ALL, ("json",))
    threaded = pool.run(request)
    for _ in range(3):  # each time on a socket that add_reader has watched
        looped = uvloop.run(pool.arun(request))
        assert len(looped.body) > LARGE_RESULT and looped.body == threaded.body


def test_rows_format_is_the_plain_catalog_shape(pool: QueryPool) -> None:
    out = run(pool.arun(QueryRequest(COUNT, (ROWS,))))
    doc = json.loads(out.body)
    assert doc["columns"] == ["n"]
    assert int(doc["rows"][0]["n"]) > 20000


def test_time_limit_stops_the_query_and_the_pool_recovers(pool: QueryPool) -> None:
    with pytest.raises(QueryTimeout):
        run(pool.arun(QueryRequest(SLOW, ("json",)), timeout=0.5))
    assert idle_workers(pool, 2) == 2  # the killed worker was replaced
    assert run(pool.arun(QueryRequest(COUNT, ("json",)))).count == 1


def test_cancelled_request_gives_its_worker_back(pool: QueryPool) -> None:
    async def cancel_one() -> None:
        task = asyncio.create_task(pool.arun(QueryRequest(ALL, ("json",))))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(cancel_one())
    assert idle_workers(pool, 2) == 2
    assert run(pool.arun(QueryRequest(COUNT, ("json",)))).count == 1


def test_busy_pool_queues_in_a_thread(pool: QueryPool) -> None:
    async def many() -> list[bytes]:
        outs = await asyncio.gather(*(pool.arun(QueryRequest(COUNT, ("json",))) for _ in range(8)))
        return [o.body for o in outs]

    bodies = run(many())
    assert len(set(bodies)) == 1 and len(bodies) == 8
    assert idle_workers(pool, 2) == 2


def ppid(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def gone(pid: int, seconds: float = 10.0) -> bool:
    """Whether ``pid`` ended (exited or a zombie) within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] in "ZX":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_replacement_is_forked_without_reloading(tmp_path: Path) -> None:
    """Issue 21, item 4: the dataset is loaded once, by the zygote; a worker killed at the time
    limit is replaced by a fork of it in milliseconds. With the dataset's files removed after
    the start, the replacement still answers (nothing is read again), the same answer."""
    folder = tmp_path / "graph"
    shutil.copytree(GRAPH, folder)
    p = QueryPool(folder, size=2, timeout=30).start()
    try:
        before = p.run(QueryRequest(COUNT, ("json",))).body
        shutil.rmtree(folder)
        for _ in range(2):  # both workers stopped and replaced
            with pytest.raises(QueryTimeout):
                run(p.arun(QueryRequest(SLOW, ("json",)), timeout=0.5))
        assert idle_workers(p, 2) == 2
        assert len(p.respawn_seconds) == 2 and max(p.respawn_seconds) < 1.0, p.respawn_seconds
        assert p.run(QueryRequest(COUNT, ("json",))).body == before
        assert p.health() == {"query_workers": 2, "of": 2}
    finally:
        p.close()


def test_workers_are_children_of_the_zygote_and_die_with_it(tmp_path: Path) -> None:
    """Each worker is a fork of the pool's zygote (its parent) and dies with it; a pool whose
    zygote is gone and cannot load the dataset again reports it (``/health``: degraded)."""
    folder = tmp_path / "graph"
    shutil.copytree(GRAPH, folder)
    p = QueryPool(folder, size=2, timeout=30).start()
    try:
        zygote = p._forker.zygote().process.pid
        pids = [w.pid for w in p._all]
        assert len(pids) == 2 and all(ppid(pid) == zygote for pid in pids)
        for pid in [zygote, *pids]:
            assert len(os.listdir(f"/proc/{pid}/task")) == 1  # forks from one thread only
        shutil.rmtree(folder)
        os.kill(zygote, signal.SIGKILL)
        assert all(gone(pid) for pid in pids), "a worker outlived its zygote"
        for _ in range(2):  # each query meets a dead worker; no new zygote can load
            with pytest.raises(QueryError):
                p.run(QueryRequest(COUNT, ("json",)))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "error" not in p.health():
            time.sleep(0.05)
        health = p.health()
        assert health["query_workers"] == 0
        assert "no built dataset" in str(health["error"]), health
    finally:
        p.close()


def test_a_worker_grown_private_is_replaced_and_its_query_answered() -> None:
    """Reading the store writes to its pages (the engine's reference counts), so a worker's
    shared copy turns private as it answers big queries. Past ``retire_mb`` of private memory
    it retires: here the only worker retires with its big answer and the next queries are
    answered by its replacements (new pids), the same as before, on both paths."""
    p = QueryPool(GRAPH, size=1, timeout=30, retire_mb=1).start()
    try:
        (old,) = [w.pid for w in p._all]
        first = p.run(QueryRequest(ALL, ("json",)))
        assert p.run(QueryRequest(COUNT, ("json",))).count == 1
        assert run(p.arun(QueryRequest(ALL, ("json",)))).body == first.body
        assert run(p.arun(QueryRequest(COUNT, ("json",)))).count == 1
        assert old not in [w.pid for w in p._all] and gone(old)
        assert len(p.respawn_seconds) >= 2, p.respawn_seconds
    finally:
        p.close()


def test_an_aborted_worker_is_query_too_large() -> None:
    """The engine aborts a worker (SIGABRT) when an allocation fails past its memory cap. The
    pool is not the worker's parent: the zygote reaps it and reports the exit status, so the
    query still gets 503 query-too-large (here the abort is sent by hand mid-query)."""
    p = QueryPool(GRAPH, size=1, timeout=30, memory_mb=1024).start()
    try:
        (w,) = list(p._all)
        timer = threading.Timer(0.5, os.kill, (w.pid, signal.SIGABRT))
        timer.start()
        with pytest.raises(QueryTooLarge, match="1024 MB"):
            p.run(QueryRequest(SLOW, ("json",)))
        timer.join()
        assert w.exitcode == -signal.SIGABRT
        assert run(p.arun(QueryRequest(COUNT, ("json",)))).count == 1
    finally:
        p.close()
