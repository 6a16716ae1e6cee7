"""Reconciliation batches in worker processes, each with a time limit.

Matching a name against every agency is pure-Python CPU work: one 500-character query can
take seconds, and a batch of 200 of them (valid per the Entity Reconciliation API) minutes.
Run in the server's process, a batch holds the event loop (every client waits) or, in a
thread, the interpreter lock. So each batch runs in a worker process of its own (at most
``workers`` at once, forked from the fork server the query pool uses): past ``timeout``
seconds the worker is killed, its CPU is free at once, and the request gets
:class:`~plangraph.errors.QueryTimeout` (503) naming the limit; a request that finds every
worker busy for that long gets :class:`~plangraph.errors.QueryBusy`. A worker answers many
batches; a killed one is replaced when next needed.

The batch is checked before it is sent (:func:`check_batch`): JSON nested deeper than
:data:`MAX_DEPTH` is refused with 400, so nothing recursive meets it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import signal
import threading
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any

from plangraph.errors import PlangraphError, QueryBusy, QueryError, QueryTimeout
from plangraph.store.pool import die_with_parent
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
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
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


class _Worker:
    def __init__(self, ctx: Any, reconciler: Reconciler) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main, args=(child, reconciler), daemon=True, name="plangraph-reconcile"
        )
        self.process.start()
        child.close()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class ReconcileRunner:
    """At most ``workers`` batches at once, each stopped after ``timeout`` seconds.
    Thread-safe; :meth:`run` blocks its thread (call it from a worker thread)."""

    def __init__(self, reconciler: Reconciler, workers: int = 2, timeout: float = 10.0) -> None:
        self.reconciler = reconciler
        self.timeout = timeout
        self._ctx = multiprocessing.get_context("forkserver")
        self._slots = threading.BoundedSemaphore(max(1, workers))
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False

    def _worker(self) -> _Worker:
        with contextlib.suppress(queue.Empty):
            return self._idle.get_nowait()
        w = _Worker(self._ctx, self.reconciler)
        with self._lock:
            self._all.add(w)
            closed = self._closed
        if closed:
            w.kill()
            raise QueryBusy("the server is shutting down", param="queries")
        return w

    def _discard(self, w: _Worker) -> None:
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
        for w in workers:
            with contextlib.suppress(OSError):
                w.conn.send(None)
            w.process.join(1)
            w.kill()
