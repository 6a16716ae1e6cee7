"""The query pool on the real built dataset: the event-loop path (``arun``) gives exactly what
the thread path (``run``) gives, for small and large answers, and handles time limits,
cancelled requests and a busy pool without losing a worker."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json

import pytest

from plangraph.errors import QueryTimeout
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
