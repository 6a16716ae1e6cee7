"""Reconciliation batches in worker processes, each with a time limit.

Matching a name against every agency is pure-Python CPU work: one 500-character query can
take seconds, and a batch of 200 of them (valid per the Entity Reconciliation API) minutes.
Run in the server's process, a batch holds the event loop (every client waits) or, in a
thread, the interpreter lock. So each batch runs in a worker process of its own (at most
``workers`` at once): past ``timeout`` seconds the worker is killed, its CPU is free at once,
and the request gets :class:`~plangraph.errors.QueryTimeout` (503) naming the limit; a
request that finds every worker busy for that long gets :class:`~plangraph.errors.QueryBusy`.
A worker answers many batches; a killed one is replaced when next needed. The workers are
forked from a zygote holding the reconciler, the query pool's life cycle
(:class:`plangraph.store.pool.Forker`): started with the first batch, it dies with the
server, its workers with it.

The batch is checked before it is sent (:func:`check_batch`): JSON nested deeper than
:data:`MAX_DEPTH` is refused with 400, so nothing recursive meets it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from plangraph.errors import PlangraphError, QueryBusy, QueryError, QueryTimeout
from plangraph.store.pool import ForkedWorker, Forker, ForkJob
from plangraph.views.reconcile import Reconciler

MAX_DEPTH = 16  # a batch is {"q0": {"properties": [{"pid": ..., "v": [...]}]}}: depth 5

Batch = dict[str, dict[str, list[dict[str, Any]]]]


def check_batch(queries: object, max_depth: int = MAX_DEPTH) -> None:
    """Refuse JSON nested deeper than ``max_depth`` (iteratively: no recursion to exhaust)."""
    todo: list[tuple[object, int]] = [(queries, 1)]
    while todo:
        value, depth = todo.pop()
        if depth > max_depth:
            raise QueryError(f"queries nested deeper than {max_depth} levels", param="queries")
        if isinstance(value, Mapping):
            todo.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            todo.extend((v, depth + 1) for v in value)


def _worker_main(conn: Connection, reconciler: Reconciler) -> None:
    while True:
        try:
            queries = conn.recv()
        except (EOFError, OSError):
            return
        if queries is None:
            return
        try:
            conn.send(("ok", reconciler.reconcile_batch(queries)))
        except PlangraphError as exc:
            conn.send(("error", type(exc), exc.message, exc.param))
        except Exception as exc:  # a bug: report it, keep the worker
            conn.send(("crash", f"{type(exc).__name__}: {exc}"))


@dataclass(frozen=True)
class _ReconcileJob(ForkJob):
    reconciler: Reconciler
    zygote_name = b"recon-zygote"
    worker_name = b"recon-worker"

    def load(self) -> Reconciler:
        return self.reconciler

    def serve(self, conn: Connection, state: object) -> None:
        assert isinstance(state, Reconciler)
        _worker_main(conn, state)


class ReconcileRunner:
    """At most ``workers`` batches at once, each stopped after ``timeout`` seconds.
    Thread-safe; :meth:`run` blocks its thread (call it from a worker thread)."""

    def __init__(self, reconciler: Reconciler, workers: int = 2, timeout: float = 10.0) -> None:
        self.reconciler = reconciler
        self.timeout = timeout
        self._ctx = multiprocessing.get_context("forkserver")
        self._slots = threading.BoundedSemaphore(max(1, workers))
        self._idle: queue.LifoQueue[ForkedWorker] = queue.LifoQueue()
        self._all: set[ForkedWorker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._forker = Forker(self._ctx, _ReconcileJob(reconciler), timeout=60)

    def _worker(self) -> ForkedWorker:
        with contextlib.suppress(queue.Empty):
            return self._idle.get_nowait()
        try:
            w = self._forker.fork()
        except RuntimeError:
            if self._closed:
                raise QueryBusy("the server is shutting down", param="queries") from None
            raise
        with self._lock:
            self._all.add(w)
            closed = self._closed
        if closed:
            w.kill()
            raise QueryBusy("the server is shutting down", param="queries")
        return w

    def _discard(self, w: ForkedWorker) -> None:
        w.kill()
        with self._lock:
            self._all.discard(w)

    def run(self, queries: object) -> Batch:
        """The batch's answer (:meth:`Reconciler.reconcile_batch`), within the time limit."""
        check_batch(queries)
        deadline = time.monotonic() + self.timeout
        if not self._slots.acquire(timeout=self.timeout):
            raise QueryBusy(
                f"every reconciliation worker stayed busy for {self.timeout:g} s; try again later",
                param="queries",
            )
        try:
            w = self._worker()
            try:
                w.conn.send(queries)
                if not w.conn.poll(max(0.5, deadline - time.monotonic())):
                    self._discard(w)
                    raise QueryTimeout(
                        f"reconciliation stopped after the time limit of {self.timeout:g} s; "
                        "send fewer or shorter queries per batch",
                        param="queries",
                    )
                message = w.conn.recv()
            except (EOFError, OSError):
                self._discard(w)
                raise QueryBusy(
                    "the reconciliation worker died; try again", param="queries"
                ) from None
            self._idle.put(w)
        finally:
            self._slots.release()
        if message[0] == "ok":
            answer: Batch = message[1]
            return answer
        if message[0] == "error":
            raise message[1](message[2], param=message[3])
        raise RuntimeError(f"reconciliation worker failed: {message[1]}")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for w in workers:  # they hold nothing to save: SIGKILL, reaped by the zygote
            w.kill()
        self._forker.close()
