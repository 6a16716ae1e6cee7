"""A small pool of worker processes that run user queries, each with a time limit.

pyoxigraph cannot interrupt a running query from another Python thread, so a query that
must be stoppable runs in a worker process: it receives a query over a pipe and sends back
the serialised result. When the time limit passes, the worker is killed (SIGKILL), which
frees its CPU at once, and a fresh worker is started in the background; the request gets
:class:`~plangraph.errors.QueryTimeout`. Other requests keep being served by the other
workers (and the server's own fixed queries run in-process, not here).

One copy of the data: each pool has a *zygote*, a process (from the fork server) that loads
the dataset once (an :class:`~plangraph.store.embedded.EmbeddedStore`, the build-id check,
the extra graphs) and then, on request, forks (``os.fork()``) a worker that inherits the loaded
store copy-on-write and answers queries. Queries only read the store, but the engine writes
to its pages as it reads (measured, not traced: likely reference counts), so a worker's share
turns private over big queries: past a limit it retires with its answer and is replaced. A
replacement worker is a fork, ready in milliseconds, with no reload (:class:`Forker`, which
the reconciliation runner uses too). The worker's end of a socket pair reaches the pool over
the zygote's pipe (``SCM_RIGHTS``), with its pid; the pool kills a worker by pid and asks
the zygote, its parent, to reap it and report how it ended (an abort past the memory cap
becomes :class:`~plangraph.errors.QueryTooLarge`). Workers
die with the zygote (``PR_SET_PDEATHSIG``), the zygote with the fork server, the fork server
with the server. :meth:`QueryPool.start` with ``wait=False`` starts it all in the
background: a query waits for the first ready worker instead of the server waiting.

A pool serves one build: the zygote checks that the dataset it loaded has the pool's
``build_id`` (a zygote restarted after a crash must not pick up a newer build written into
the folder since; a server that reloads gives each build a private snapshot folder, see
server/live.py).
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
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.reduction import recv_handle, send_handle
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


def _set_name(name: bytes) -> None:
    """Name this process for ``ps``/``top`` (``/proc/PID/comm``): the zygote and its workers
    are otherwise indistinguishable copies of the fork server's command line."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(15, name[:15], 0, 0, 0)  # PR_SET_NAME


def _threads() -> int:
    """How many threads this process has (Linux): forking is only safe with one."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


def _load(folder: str, extra: tuple[tuple[str, bytes], ...], build_id: str | None) -> EmbeddedStore:
    """The dataset in ``folder`` plus the ``extra`` named graphs; refuse another build."""
    store = EmbeddedStore.from_folder(Path(folder))
    if build_id is not None and store.build_id != build_id:
        raise DatasetError(
            f"the dataset is build {store.build_id}, this pool serves build {build_id}",
            file=Path(folder),
        )
    for name, data in extra:
        store.add_graph(name, data)
    return store


class ForkJob:
    """What a zygote holds and what its forked workers do (picklable: it reaches the zygote
    through the fork server). :meth:`load` runs once, in the zygote; :meth:`serve` in each
    worker, on the loaded state inherited copy-on-write, until its pipe closes."""

    zygote_name = b"zygote"  # process names (/proc/PID/comm, at most 15 bytes)
    worker_name = b"worker"

    def load(self) -> object:
        raise NotImplementedError

    def serve(self, conn: Connection, state: object) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class _QueryJob(ForkJob):
    """The query pool's: the dataset in the zygote, queries in the workers."""

    folder: str
    extra: tuple[tuple[str, bytes], ...] = ()
    memory_mb: int = 0
    build_id: str | None = None
    retire_mb: float | None = None
    zygote_name = b"query-zygote"
    worker_name = b"query-worker"

    def load(self) -> EmbeddedStore:
        return _load(self.folder, self.extra, self.build_id)

    def serve(self, conn: Connection, state: object) -> None:
        assert isinstance(state, EmbeddedStore)
        _limit_memory(self.memory_mb)
        retire_mb = self.retire_mb
        if retire_mb is None:  # the default: what it shares with the zygote (a second copy)
            retire_mb = max(RETIRE_MIN_MB, _memory_mb("Rss") * RETIRE_SHARE)
        _serve(conn, state, self.memory_mb, retire_mb)


def _zygote_main(conn: Connection, job: ForkJob) -> None:
    """The zygote: ``job.load()`` once, then serve requests from its owner until the pipe
    closes: ``("fork",)`` forks a worker (answers ``("forked", pid)`` then passes the
    owner's end of the worker's socket pair), ``("wait", pid)`` reaps a worker the owner
    killed or saw die and answers ``("exit", exitcode)`` (negative: the signal, as
    multiprocessing).

    The zygote reaps only on request, so a worker's pid is never reused while the owner
    may still signal it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    _set_name(job.zygote_name)
    try:
        state = job.load()
    except PlangraphError as exc:
        conn.send(("error", type(exc), exc.message, _fields(exc)))
        return
    _give_back_memory()  # a compact heap before the workers share it
    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        if message[0] == "wait":
            try:
                _, status = os.waitpid(message[1], 0)
                code: int | None = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                code = None
            conn.send(("exit", code))
            continue
        threads = _threads()
        if threads != 1:  # a fork would copy locks held by other threads: refuse
            conn.send(("crash", f"the zygote has {threads} threads; it forks only with one"))
            continue
        ours, theirs = socket.socketpair()
        zygote = os.getpid()
        pid = os.fork()
        if pid == 0:  # the worker: it never returns into the zygote's loop
            try:
                conn.close()
                ours.close()
                _worker_child(Connection(theirs.detach()), job, state, zygote)
            finally:
                os._exit(0)
        theirs.close()
        conn.send(("forked", pid))
        send_handle(conn, ours.fileno(), 0)
        ours.close()


def _worker_child(conn: Connection, job: ForkJob, state: object, zygote: int) -> None:
    """A forked worker: die with the zygote, then do the job."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != zygote:  # the zygote died before the call: nobody will signal
        return
    _set_name(job.worker_name)
    job.serve(conn, state)


RETIRE_MIN_MB = 32.0
RETIRE_SHARE = 1.0  # private past what it inherited: a second copy, replaced


def _memory_mb(*fields: str) -> float:
    """The sum of ``fields`` of /proc/self/smaps_rollup, in MB (0 if unreadable)."""
    total = 0
    with contextlib.suppress(OSError), open("/proc/self/smaps_rollup") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in fields:
                total += int(rest.split()[0])
    return total / 1024


def _serve(conn: Connection, store: EmbeddedStore, memory_mb: int, retire_mb: float = 0.0) -> None:
    """A worker's loop: answer queries until the pipe closes.

    Reading the store writes to its pages (likely the engine's reference counts), so a worker's
    copy-on-write share of the zygote's memory turns private as it answers big queries.
    Past ``retire_mb`` of private memory besides the answer (checked before sending an
    answer that took 20 ms or more, or every 50th) the worker retires: its answer says so
    (``("ok", out, True)``) and it waits to be killed; the pool forks a fresh one
    (milliseconds) in its place. 0: never."""
    served = 0
    while True:
        try:
            req: QueryRequest | None = conn.recv()
        except (EOFError, OSError):
            return
        if req is None:
            return
        began = time.perf_counter()
        retire = False
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
            served += 1
            if retire_mb and (time.perf_counter() - began >= 0.02 or served % 50 == 0):
                private = _memory_mb("Private_Clean", "Private_Dirty") - len(out.body) / 2**20
                retire = private > retire_mb
            if len(out.body) > LARGE_RESULT:  # announce it: the server reads it off its loop
                conn.send(("large", len(out.body)))
            conn.send(("ok", out, retire))
            del out  # sent: free it before giving the memory back
        except PlangraphError as exc:
            retire = False  # the pool keeps a worker whose answer is an error
            conn.send(("error", type(exc), exc.message, _fields(exc)))
        except MemoryError:  # past the worker's address-space cap: the query's fault
            retire = False
            message = "the query needed more memory than a query worker may take"
            if memory_mb:
                message += f" ({memory_mb} MB)"
            conn.send(("error", QueryTooLarge, message, {"param": "query"}))
        except Exception as exc:  # a bug: report it, keep the worker
            retire = False
            conn.send(("crash", f"{type(exc).__name__}: {exc}"))
        _give_back_memory()
        if retire:  # the pool kills it on reading the answer
            with contextlib.suppress(EOFError, OSError):
                while conn.recv() is not None:
                    pass
            return


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


class Zygote:
    """The owner's end of a zygote process (thread-safe: one exchange at a time), started
    from the fork server; it dies with the fork server, its workers with it."""

    def __init__(self, ctx: multiprocessing.context.ForkServerContext, job: ForkJob) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_zygote_main,
            args=(child, job),
            daemon=True,
            name=job.zygote_name.decode(),
        )
        self.process.start()
        child.close()
        self._lock = threading.Lock()
        self.ready = False

    def wait_ready(self, timeout: float) -> None:
        if not self.conn.poll(timeout):
            self.kill()
            raise RuntimeError(f"the zygote did not start within {timeout} s")
        try:
            message = self.conn.recv()
        except (EOFError, OSError):
            self.kill()
            raise RuntimeError("the zygote died while starting") from None
        if message[0] == "error":
            self.kill()
            raise message[1](message[2], **message[3])
        self.ready = True

    def _ask(self, message: tuple, timeout: float = 10.0) -> tuple:
        self.conn.send(message)
        if not self.conn.poll(timeout):
            raise RuntimeError(f"the zygote did not answer within {timeout:g} s")
        answer: tuple = self.conn.recv()
        return answer

    def fork(self) -> ForkedWorker:
        """A new worker, forked from the loaded state."""
        with self._lock:
            answer = self._ask(("fork",))
            if answer[0] != "forked":
                raise RuntimeError(f"the zygote could not fork: {answer[1]}")
            fd = recv_handle(self.conn)
        return ForkedWorker(self, answer[1], Connection(fd))

    def reap(self, pid: int) -> int | None:
        """How the worker ``pid`` ended (it is dead or was killed); None if unknown."""
        with self._lock:
            return self._ask(("wait", pid))[1]

    def alive(self) -> bool:
        return self.ready and self.process.is_alive()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class ForkedWorker:
    """A forked worker: its pid (a child of the zygote) and the owner's end of its pipe."""

    def __init__(self, zygote: Zygote, pid: int, conn: Connection) -> None:
        self.zygote = zygote
        self.pid = pid
        self.conn = conn
        self.exitcode: int | None = None
        self._killed = False
        self._kill_lock = threading.Lock()  # close() and a respawn thread may both kill it

    def stop(self) -> None:
        """SIGKILL: its CPU is free at once (unreaped, the pid cannot be reused meanwhile)."""
        if not self._killed:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL, then have the zygote reap it (its exit status: :attr:`exitcode`)."""
        with self._kill_lock:
            if self._killed:
                return
            self.stop()
            self._killed = True
            with contextlib.suppress(OSError, EOFError, RuntimeError):
                self.exitcode = self.zygote.reap(self.pid)
            self.conn.close()


class Forker:
    """Forks workers of ``job`` from a zygote started on first use (or :meth:`start`) and
    started again if it died (a new one loads again). Thread-safe."""

    def __init__(
        self, ctx: multiprocessing.context.ForkServerContext, job: ForkJob, timeout: float = 120
    ) -> None:
        self._ctx = ctx
        self._job = job
        self._timeout = timeout
        self._zygote: Zygote | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.load_seconds: float | None = None  # the last zygote's start and load

    def zygote(self) -> Zygote:
        with self._lock:
            z = self._zygote
            if z is not None and z.alive():
                return z
            if z is not None:
                z.kill()
            if self._closed:
                raise RuntimeError("closed")
            t0 = time.perf_counter()
            z = self._zygote = Zygote(self._ctx, self._job)
            z.wait_ready(self._timeout)
            self.load_seconds = time.perf_counter() - t0
            return z

    def fork(self) -> ForkedWorker:
        """A new worker (one restart of a dead zygote is tried)."""
        z = self.zygote()
        try:
            return z.fork()
        except (EOFError, OSError, RuntimeError):  # the zygote died: one new try
            z.kill()
            return self.zygote().fork()

    def close(self) -> None:
        """Stop the zygote (its workers die with it; kill and reap them before)."""
        with self._lock:
            self._closed = True
            z, self._zygote = self._zygote, None
        if z is not None:
            with contextlib.suppress(OSError):
                z.conn.send(None)
            z.process.join(1)
            z.kill()


class QueryPool:
    """``size`` worker processes over the dataset in ``folder``; thread-safe.

    ``build_id``: the build the workers must load (None: whatever the folder holds).
    ``retire_mb``: a worker whose private memory grows past it is replaced by a fresh fork
    (None: the memory it shares with the zygote, at least 32 MB; 0: never)."""

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
        retire_mb: float | None = None,
    ) -> None:
        self.folder = folder
        self.retire_mb = retire_mb  # a worker's private MB past which it is replaced
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
        self._idle: queue.LifoQueue[ForkedWorker] = queue.LifoQueue()
        self._waiters: collections.deque[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = (
            collections.deque()
        )
        self._all: set[ForkedWorker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._started = threading.Event()
        self.start_error: BaseException | None = None
        self.respawn_error: str | None = None  # why the last replacement could not start
        self.startup_seconds: list[float] = []  # from start() to each first worker ready
        self.respawn_seconds: list[float] = []  # each replacement: from the kill to ready
        self._forker = Forker(
            self._ctx,
            _QueryJob(str(folder), self.extra, memory_mb, build_id, retire_mb),
        )

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
        """The zygote loads the dataset, then the workers are forked from it."""
        started = time.perf_counter()
        try:
            for _ in range(self.size):
                w = self._spawn()
                self.startup_seconds.append(time.perf_counter() - started)
                self._release(w)
        except Exception as exc:  # e.g. a dataset the zygote refuses, or closed meanwhile
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

    @property
    def load_seconds(self) -> float | None:
        """The zygote's start and dataset load, in seconds (None before)."""
        return self._forker.load_seconds

    def _spawn(self) -> ForkedWorker:
        """A new worker, forked from the zygote (one restart of a dead zygote is tried)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the query pool is closed")
        w = self._forker.fork()
        with self._lock:
            self._all.add(w)
            closed = self._closed
        if closed:  # closed while this one started: do not leave it behind
            w.kill()
            raise RuntimeError("the query pool is closed")
        return w

    def _release(self, w: ForkedWorker) -> None:
        """Give a free worker to the longest-waiting async request, else make it idle."""
        with self._lock:
            while self._waiters:
                loop, fut = self._waiters.popleft()
                if not fut.done():
                    loop.call_soon_threadsafe(self._deliver, fut, w)
                    return
            self._idle.put(w)

    def _deliver(self, fut: asyncio.Future, w: ForkedWorker) -> None:
        if fut.done():  # its request gave up meanwhile: the next one gets the worker
            self._release(w)
        else:
            fut.set_result(w)

    async def _acquire(self, limit: float) -> ForkedWorker:
        """An idle worker, waiting on the event loop (at most ``limit`` seconds)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                fut: asyncio.Future[ForkedWorker] = loop.create_future()
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

    def _replace(self, dead: ForkedWorker, reap: bool = False) -> None:
        """Kill a worker (its CPU is free at once) and start its replacement in the
        background. ``reap``: have the zygote reap it now (its exit status is wanted),
        else in the background with the replacement (not on the caller's event loop)."""
        dead.stop()
        if reap:
            dead.kill()
        with self._lock:
            self._all.discard(dead)
            if self._closed:
                dead.kill()
                return

        def start() -> None:
            t0 = time.perf_counter()
            dead.kill()
            try:
                w = self._spawn()
            except Exception as exc:  # e.g. the zygote died and the dataset is gone
                self.respawn_error = f"{exc}"
                return
            self.respawn_error = None
            self.respawn_seconds.append(time.perf_counter() - t0)
            self._release(w)

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

    def _died(self, w: ForkedWorker) -> QueryError:
        """The error for a query whose worker died under it (already replaced): the engine
        aborts when an allocation fails past the memory cap (SIGABRT), a 503 either way."""
        if self.memory_mb and w.exitcode == -signal.SIGABRT:
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
            self._replace(w, reap=True)
            raise self._died(w) from None
        self._done(w, message)
        return self._answer(message)

    def _done(self, w: ForkedWorker, message: tuple) -> None:
        """After its answer: the worker back to the pool, or replaced if it retires."""
        if message[0] == "ok" and len(message) > 2 and message[2]:
            self._replace(w)
        else:
            self._release(w)

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
                # uvloop's add_reader leaves the socket non-blocking: a large answer read in
                # a thread then failed half-way with EAGAIN, taken for a dead worker (503)
                os.set_blocking(fd, True)
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
            self._replace(w, reap=True)
            raise self._died(w) from None
        except asyncio.CancelledError:  # the request went away: finish (or stop) it aside
            if answered:
                self._done(w, message)
                raise
            threading.Thread(
                target=self._drain, args=(w, deadline), name="plangraph-query-drain", daemon=True
            ).start()
            raise
        self._done(w, message)
        return self._answer(message)

    def _drain(self, w: ForkedWorker, deadline: float) -> None:
        """Wait for the answer of an abandoned query, then give the worker back (or stop it
        at the time limit)."""
        try:
            if not w.conn.poll(max(0.0, deadline - time.monotonic())):
                self._replace(w)
                return
            message = w.conn.recv()
            if message[0] == "large":
                message = w.conn.recv()
        except (EOFError, OSError):
            self._replace(w)
            return
        self._done(w, message)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for w in workers:  # they hold nothing to save: SIGKILL, reaped by the zygote
            w.kill()
        self._forker.close()


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
