"""A small pool of worker processes that run user queries, each with a time limit.

pyoxigraph cannot interrupt a running query from another Python thread, so a query that
must be stoppable runs in a worker process: each worker opens the dataset once (an
:class:`~plangraph.store.embedded.EmbeddedStore` of its own), receives a query over a pipe and sends
back the serialised result. When the time limit passes, the worker is killed (SIGKILL),
which frees its CPU at once, and a fresh worker is started in the background; the request
gets :class:`~plangraph.errors.QueryTimeout`. Other requests keep being served by the other
workers (and the server's own fixed queries run in-process, not here).

Workers are forked from a fork server that has pyoxigraph and the store imported already,
so a replacement is ready in tens of milliseconds plus the dataset load. :meth:`QueryPool.start`
with ``wait=False`` starts them in the background: a query waits for the first ready worker
instead of the server waiting for all of them.

A pool serves one build: each worker checks that the dataset it loaded has the pool's
``build_id`` (a respawned worker must not pick up a newer build written into the folder
since; a server that reloads gives each build a private snapshot folder, see server/live.py).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import multiprocessing
import os
import queue
import resource
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import anyio.to_thread

from plangraph.errors import (
    DatasetError,
    PlangraphError,
    QueryBusy,
    QueryError,
    QueryTimeout,
    QueryTooLarge,
)
from plangraph.store.bindings import BindingValue
from plangraph.store.embedded import EmbeddedStore
from plangraph.store.remote import RemoteStore
from plangraph.store.results import QueryOutput


@dataclass(frozen=True)
class QueryRequest:
    sparql: str
    formats: tuple[str, ...] = ()
    bindings: dict[str, BindingValue] = field(default_factory=dict)
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_rows: int | None = None
    max_bytes: int | None = None


LARGE_RESULT = 1 << 20  # bytes: a result body above this is read in a thread, not on the loop


PRELOAD = ["plangraph.store.pool"]  # what the fork server imports before forking workers


def prestart() -> None:
    """Start the fork server now, before the caller's own (slow) start-up: it boots and
    imports :data:`PRELOAD` on another core meanwhile, so the first worker is ready sooner.
    Returns at once (the fork server is a process of its own)."""
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(PRELOAD)
    forkserver.ensure_running()


def die_with_parent() -> None:
    """Have the kernel kill this worker when its parent, the fork server, dies (Linux).

    The fork server exits when no process holds its "alive" pipe any more; the server and
    every forked child hold one, so a worker running a query kept the fork server (and
    itself) alive after a ``kill -9`` of the server. A worker closes its copy (it never
    forks), so the server's death ends the fork server, and that ends every worker."""
    from multiprocessing import forkserver

    server = forkserver._forkserver  # the child's record of the fds it was given
    fd = getattr(server, "_forkserver_alive_fd", None)
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)
        server._forkserver_alive_fd = None  # type: ignore[attr-defined]
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        parent = os.getppid()
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the call: nobody will signal
            os._exit(1)


def _limit_memory(megabytes: int) -> None:
    """Cap this worker's address space: a query that would allocate past it fails (the
    engine aborts the worker; the pool answers 503 and starts a fresh one) instead of
    taking the machine's memory. 0 = no cap."""
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _worker_main(
    conn: Connection,
    folder: str,
    extra: tuple[tuple[str, bytes], ...] = (),
    memory_mb: int = 0,
    build_id: str | None = None,
) -> None:
    """A worker: open the dataset (plus ``extra`` named graphs), then answer queries until
    the pipe closes. ``build_id``: refuse a dataset of another build."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    _limit_memory(memory_mb)
    try:
        store = EmbeddedStore.from_folder(Path(folder))
        if build_id is not None and store.build_id != build_id:
            raise DatasetError(
                f"the dataset is build {store.build_id}, this pool serves build {build_id}",
                file=Path(folder),
            )
        for name, data in extra:
            store.add_graph(name, data)
    except PlangraphError as exc:
        conn.send(("error", type(exc), exc.message, _fields(exc)))
        return
    conn.send(("ready", store.build_id))
    while True:
        try:
            req: QueryRequest | None = conn.recv()
        except (EOFError, OSError):
            return
        if req is None:
            return
        try:
            out = store.query(
                req.sparql,
                req.formats,
                bindings=req.bindings,
                default_graphs=req.default_graphs,
                named_graphs=req.named_graphs,
                max_rows=req.max_rows,
                max_bytes=req.max_bytes,
            )
            if len(out.body) > LARGE_RESULT:  # announce it: the server reads it off its loop
                conn.send(("large", len(out.body)))
            conn.send(("ok", out))
            del out  # sent: free it before giving the memory back
        except PlangraphError as exc:
            conn.send(("error", type(exc), exc.message, _fields(exc)))
        except MemoryError:  # past the worker's address-space cap: the query's fault
            message = "the query needed more memory than a query worker may take"
            if memory_mb:
                message += f" ({memory_mb} MB)"
            conn.send(("error", QueryTooLarge, message, {"param": "query"}))
        except Exception as exc:  # a bug: report it, keep the worker
            conn.send(("crash", f"{type(exc).__name__}: {exc}"))
        _give_back_memory()


def _give_back_memory() -> None:
    """Return freed heap to the system after a query (glibc keeps it otherwise: an idle
    worker held ~1 GB after one big answer). Cheap when little was freed."""
    if not _LIBC:
        try:
            _LIBC.append(ctypes.CDLL("libc.so.6").malloc_trim)
        except (OSError, AttributeError):  # not glibc: nothing to do
            _LIBC.append(lambda pad: 0)
    _LIBC[0](0)


_LIBC: list[Callable[[int], int]] = []


def _fields(exc: PlangraphError) -> dict[str, object]:
    return {k: getattr(exc, k) for k in ("file", "line", "param", "position")}


class _Worker:
    def __init__(
        self,
        ctx: multiprocessing.context.ForkServerContext,
        folder: Path,
        extra: tuple[tuple[str, bytes], ...] = (),
        memory_mb: int = 0,
        build_id: str | None = None,
    ) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main,
            args=(child, str(folder), extra, memory_mb, build_id),
            daemon=True,
            name="plangraph-query",
        )
        self.process.start()
        child.close()

    def wait_ready(self, timeout: float) -> None:
        if not self.conn.poll(timeout):
            self.kill()
            raise RuntimeError(f"query worker did not start within {timeout} s")
        message = self.conn.recv()
        if message[0] == "error":
            self.kill()
            raise message[1](message[2], **message[3])

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class QueryPool:
    """``size`` worker processes over the dataset in ``folder``; thread-safe.

    ``build_id``: the build the workers must load (None: whatever the folder holds)."""

    def __init__(
        self,
        folder: Path,
        size: int = 2,
        timeout: float = 10.0,
        max_rows: int | None = None,
        extra_graphs: dict[str, bytes] | None = None,
        memory_mb: int = 0,
        build_id: str | None = None,
        max_bytes: int | None = None,
    ) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.memory_mb = memory_mb
        self.build_id = build_id
        self.extra = tuple(sorted((extra_graphs or {}).items()))
        self.size = max(1, size)
        self.timeout = timeout
        self.max_rows = max_rows
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(PRELOAD)
        # last in, first out: at low concurrency one worker answers most queries and its
        # caches stay warm (first in, first out went round all workers: each cold)
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._waiters: collections.deque[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = (
            collections.deque()
        )
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._started = threading.Event()
        self.start_error: BaseException | None = None
        self.respawn_error: str | None = None  # why the last replacement could not start
        self.startup_seconds: list[float] = []

    def start(self, wait: bool = True) -> QueryPool:
        """Start the workers. ``wait=False``: in the background (queries wait for the first
        ready worker; :meth:`wait_started` waits for all); else wait and raise the first
        start-up error."""
        if not wait:
            threading.Thread(
                target=self._start_all, name="plangraph-query-start", daemon=True
            ).start()
            return self
        self._start_all()
        return self.wait_started()

    def _start_all(self) -> None:
        """One worker first (it has the CPU to itself, so the first query is answered as
        soon as possible), then the others together."""
        try:
            for batch in (1, self.size - 1):
                workers = [self._spawn() for _ in range(batch)]
                for w, started in workers:
                    try:
                        self._ready(w, started)
                    except Exception as exc:
                        self.start_error = self.start_error or exc
                        w.kill()
                        with self._lock:
                            self._all.discard(w)
                if self.start_error is not None:  # e.g. a dataset the workers refuse
                    break
        except Exception as exc:  # could not even start a process (closed, no resources)
            self.start_error = self.start_error or exc
        finally:
            self._started.set()

    def wait_started(self, timeout: float = 120.0) -> QueryPool:
        """Wait until every worker of :meth:`start` is ready; raise its first error."""
        if not self._started.wait(timeout):
            raise RuntimeError(f"query workers did not start within {timeout:g} s")
        if self.start_error is not None:
            raise self.start_error
        return self

    def _spawn(self) -> tuple[_Worker, float]:
        started = time.perf_counter()
        with self._lock:
            if self._closed:
                raise RuntimeError("the query pool is closed")
        w = _Worker(self._ctx, self.folder, self.extra, self.memory_mb, self.build_id)
        with self._lock:
            self._all.add(w)
            closed = self._closed
        if closed:  # closed while this one started: do not leave it behind
            w.kill()
            raise RuntimeError("the query pool is closed")
        return w, started

    def _ready(self, w: _Worker, started: float) -> None:
        w.wait_ready(60)
        self.startup_seconds.append(time.perf_counter() - started)
        self._release(w)

    def _release(self, w: _Worker) -> None:
        """Give a free worker to the longest-waiting async request, else make it idle."""
        with self._lock:
            while self._waiters:
                loop, fut = self._waiters.popleft()
                if not fut.done():
                    loop.call_soon_threadsafe(self._deliver, fut, w)
                    return
            self._idle.put(w)

    def _deliver(self, fut: asyncio.Future, w: _Worker) -> None:
        if fut.done():  # its request gave up meanwhile: the next one gets the worker
            self._release(w)
        else:
            fut.set_result(w)

    async def _acquire(self, limit: float) -> _Worker:
        """An idle worker, waiting on the event loop (at most ``limit`` seconds)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                fut: asyncio.Future[_Worker] = loop.create_future()
                self._waiters.append((loop, fut))
        try:
            return await asyncio.wait_for(fut, limit)
        except TimeoutError:
            raise self._busy(limit) from None

    @staticmethod
    def _remaining(deadline: float, limit: float) -> float:
        """The query's share of the time limit: what waiting for a worker left of it (the
        limit covers both), but at least a second (or the limit) to run."""
        return max(deadline - time.monotonic(), min(1.0, limit))

    def _busy(self, limit: float) -> QueryBusy:
        if self.start_error is not None and self._started.is_set() and not self._all:
            return QueryBusy(f"no query worker could start: {self.start_error}", param="query")
        return QueryBusy(
            f"all {self.size} query workers stayed busy for {limit:g} s; try again later",
            param="query",
        )

    def _replace(self, dead: _Worker) -> None:
        """Kill a worker and start its replacement in the background."""
        dead.kill()
        with self._lock:
            self._all.discard(dead)
            if self._closed:
                return

        def start() -> None:
            try:
                w, started = self._spawn()
            except Exception as exc:
                self.respawn_error = f"{exc}"
                return
            try:
                self._ready(w, started)
                self.respawn_error = None
            except Exception as exc:  # e.g. the dataset can no longer be loaded
                self.respawn_error = f"{exc}"
                with self._lock:
                    self._all.discard(w)

        threading.Thread(target=start, name="plangraph-query-respawn", daemon=True).start()

    def health(self) -> dict[str, object]:
        """For /health: the workers alive or starting, of ``size``, and why none can start
        when that is so (``error``: the pool cannot answer a query)."""
        with self._lock:
            alive = len(self._all)
        out: dict[str, object] = {"query_workers": alive, "of": self.size}
        error = self.respawn_error or (f"{self.start_error}" if self.start_error else None)
        if alive == 0 and self._started.is_set() and error:
            out["error"] = f"no query worker can start: {error}"
        return out

    def _died(self, w: _Worker) -> QueryError:
        """The error for a query whose worker died under it (already replaced): the engine
        aborts when an allocation fails past the memory cap (SIGABRT), a 503 either way."""
        if self.memory_mb and w.process.exitcode == -signal.SIGABRT:
            return QueryTooLarge(
                "the query needed more memory than a query worker may take "
                f"({self.memory_mb} MB); it was stopped",
                param="query",
            )
        return QueryBusy("the query worker died; try again", param="query")

    def _capped(self, request: QueryRequest) -> QueryRequest:
        return QueryRequest(
            request.sparql,
            request.formats,
            request.bindings,
            request.default_graphs,
            request.named_graphs,
            self.max_rows if request.max_rows is None else request.max_rows,
            self.max_bytes if request.max_bytes is None else request.max_bytes,
        )

    @staticmethod
    def _answer(message: tuple) -> QueryOutput:
        if message[0] == "ok":
            return message[1]
        if message[0] == "error":
            raise message[1](message[2], **message[3])
        raise RuntimeError(f"query worker failed: {message[1]}")

    def run(self, request: QueryRequest, timeout: float | None = None) -> QueryOutput:
        """Run one query in a worker; blocks the calling thread (never call on the event loop)."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        request = self._capped(request)
        try:
            w = self._idle.get(timeout=limit)
        except queue.Empty:
            raise self._busy(limit) from None
        try:
            w.conn.send(request)
            if not w.conn.poll(self._remaining(deadline, limit)):
                self._replace(w)
                raise QueryTimeout(
                    f"query stopped after the time limit of {limit:g} s", param="query"
                )
            message = w.conn.recv()
            if message[0] == "large":
                message = w.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self._replace(w)
            raise self._died(w) from None
        self._release(w)
        return self._answer(message)

    async def arun(self, request: QueryRequest, timeout: float | None = None) -> QueryOutput:
        """:meth:`run` from async code, without a thread hop when a worker is idle: the
        request is sent and the answer awaited on the event loop (a reader on the worker's
        pipe, the time limit by ``asyncio.wait_for``); a large answer is read in a thread.
        With no idle worker it waits on the loop for the next one freed (first come, first
        served), at most the time limit."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        w = await self._acquire(limit)
        loop = asyncio.get_running_loop()
        answered = False
        try:
            w.conn.send(self._capped(request))
            fd = w.conn.fileno()
            readable = loop.create_future()

            def wake() -> None:
                if not readable.done():
                    readable.set_result(None)

            loop.add_reader(fd, wake)
            try:
                await asyncio.wait_for(readable, self._remaining(deadline, limit))
            finally:
                loop.remove_reader(fd)
            message = w.conn.recv()
            answered = True
            if message[0] == "large":  # (the thread read is not abandoned on cancellation)
                message = await anyio.to_thread.run_sync(w.conn.recv)
        except TimeoutError:
            self._replace(w)
            raise QueryTimeout(
                f"query stopped after the time limit of {limit:g} s", param="query"
            ) from None
        except (EOFError, OSError, BrokenPipeError):
            self._replace(w)
            raise self._died(w) from None
        except asyncio.CancelledError:  # the request went away: finish (or stop) it aside
            if answered:
                self._release(w)
                raise
            threading.Thread(
                target=self._drain, args=(w, deadline), name="plangraph-query-drain", daemon=True
            ).start()
            raise
        self._release(w)
        return self._answer(message)

    def _drain(self, w: _Worker, deadline: float) -> None:
        """Wait for the answer of an abandoned query, then give the worker back (or stop it
        at the time limit)."""
        try:
            if not w.conn.poll(max(0.0, deadline - time.monotonic())):
                self._replace(w)
                return
            if w.conn.recv()[0] == "large":
                w.conn.recv()
        except (EOFError, OSError):
            self._replace(w)
            return
        self._release(w)

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


class DirectRunner:
    """The pool's interface over a :class:`~plangraph.store.remote.RemoteStore`: no worker
    processes, each query goes straight to the remote server from a worker thread (never on
    the event loop); its time limit is the store's HTTP timeout."""

    def __init__(
        self, store: RemoteStore, max_rows: int | None = None, max_bytes: int | None = None
    ) -> None:
        self.store = store
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.startup_seconds: list[float] = []

    def start(self, wait: bool = True) -> DirectRunner:
        return self

    def wait_started(self, timeout: float = 120.0) -> DirectRunner:
        return self

    def run(self, request: QueryRequest, timeout: float | None = None) -> QueryOutput:
        return self.store.query(
            request.sparql,
            request.formats,
            bindings=request.bindings,
            default_graphs=request.default_graphs,
            named_graphs=request.named_graphs,
            max_rows=request.max_rows if request.max_rows is not None else self.max_rows,
            max_bytes=request.max_bytes if request.max_bytes is not None else self.max_bytes,
        )

    async def arun(self, request: QueryRequest, timeout: float | None = None) -> QueryOutput:
        return await anyio.to_thread.run_sync(self.run, request, timeout)

    def close(self) -> None:
        pass
