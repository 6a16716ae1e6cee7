"""Atomic publishing: a server that picks up a rebuilt dataset while it serves.

:class:`LiveApp` is the ASGI application ``plangraph serve`` runs. It holds the current
build: its store and the FastAPI app :func:`server.app.create_app` made over it. Each request
is handed whole to the build that is current when it starts, and every response (any route,
errors, 404s, 429s, pages) carries ``X-Plangraph-Build: <build id>`` of the build that
answered it, so a client never sees a mixture of two builds.

A watcher polls data/graph/ (the manifest and the N-Quads, every ``reload_interval``
seconds; ``plangraph serve`` also checks at once on SIGHUP). When they change it loads the
new build next to the old one: a private snapshot of its files (copies: a
later write into data/graph/ cannot reach the build being served), the store (a half-written or
inconsistent dataset is refused, and tried again when the files change), the app, its
lifespan (the query pool, whose workers load the snapshot and refuse any other build). Only
then is the pointer swapped; the old build finishes its in-flight requests (a bounded wait)
and is shut down. A reload that fails leaves the last good build serving; the failure is
logged and reported by /health as ``reload_error`` until a later reload succeeds.

A build that fails validation or collapses the triple count is never written
(:mod:`plangraph.graph.build`), so there is nothing for the watcher to see: the build command
reports it. A dataset written otherwise is checked here too: one with fewer than
``collapse_ratio`` x the served triples, or whose TriG does not match its manifest, is not
loaded (``reload_error``).

With a remote store (``--store sparql+http://...``) there is no watcher: the remote server's
data is published by ``plangraph publish``; the header carries the build id the remote store
reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio.to_thread

from plangraph.errors import DatasetError, PlangraphError
from plangraph.paths import MANIFEST, NQUADS, TRIG
from plangraph.settings import Settings
from plangraph.store.base import Store
from plangraph.store.embedded import EmbeddedStore
from plangraph.store.pool import QueryPool
from server.network_api import cached_metrics
from server.sparql import start_pool

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEADER = b"x-plangraph-build"
SNAPSHOT_PREFIX = "plangraph-build-"
log = logging.getLogger("plangraph.live")


# -- snapshots: a build's files, private to the server ----------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_stale_snapshots(tmp: Path | None = None) -> None:
    """Remove the snapshots left by servers that are gone (killed before they cleaned up)."""
    tmp = tmp or Path(tempfile.gettempdir())
    for d in tmp.glob(SNAPSHOT_PREFIX + "*"):
        pid = d.name.removeprefix(SNAPSHOT_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(d, ignore_errors=True)


def snapshot(folder: Path) -> Path:
    """A private folder with a copy of the build's N-Quads and manifest (and its TriG, the
    other download, when there). Copies, not hard links: a hard link shares the inode, so a
    write into data/graph/ (``truncate``, an editor saving in place) would change the files
    being served, and the query workers respawned from them. The caller removes it
    (:func:`shutil.rmtree`)."""
    dest = Path(tempfile.mkdtemp(prefix=f"{SNAPSHOT_PREFIX}{os.getpid()}-"))
    try:
        for name in (NQUADS, MANIFEST, TRIG):
            try:
                shutil.copyfile(folder / name, dest / name)
            except FileNotFoundError as exc:
                if name == TRIG:
                    continue
                raise DatasetError(
                    "no built dataset: run 'plangraph build' first", file=exc.filename
                ) from None
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return dest


def _check_trig(snap: Path) -> None:
    """The TriG download must be the build's own: its SHA-256 as the manifest lists it (a
    TriG left from the previous build would be served under the new build's header)."""
    trig = snap / TRIG
    if not trig.exists():
        return
    try:
        listed = json.loads((snap / MANIFEST).read_text(encoding="utf-8"))["files"][TRIG]
    except (ValueError, KeyError, TypeError):
        return  # a manifest that does not list it (older builds): nothing to compare
    if hashlib.sha256(trig.read_bytes()).hexdigest() != listed:
        raise DatasetError("the TriG does not match its build manifest (half-written?)", file=trig)


def load_snapshot(folder: Path) -> tuple[EmbeddedStore, Path]:
    """The store over a fresh snapshot of ``folder`` and the snapshot (refuses a missing,
    half-written or inconsistent dataset: :class:`DatasetError`)."""
    snap = snapshot(folder)
    try:
        return load_snapped(snap, folder), snap
    except BaseException:
        shutil.rmtree(snap, ignore_errors=True)
        raise


def load_snapped(snap: Path, folder: Path) -> EmbeddedStore:
    """The store over the snapshot ``snap`` of ``folder`` (errors name the file in
    ``folder``); the caller removes the snapshot on failure."""
    try:
        store = EmbeddedStore.from_folder(snap)
        _check_trig(snap)
        return store
    except DatasetError as exc:  # name the file in the folder, not in the snapshot
        name = Path(exc.file).name if exc.file else MANIFEST
        raise DatasetError(exc.message, file=folder / name) from None


def early_pool(settings: Settings, snap: Path) -> QueryPool | None:
    """The query workers over the snapshot ``snap``, started before the server loads its own
    copy (they load on the other core meanwhile: at 1M triples the first answer came 4 s
    sooner), with the build's network metrics when they are cached (else the build is
    served again once they are, see :meth:`LiveApp._start_metrics`). None for a snapshot
    without a readable manifest: loading it reports why."""
    try:
        build_id = json.loads((snap / MANIFEST).read_text(encoding="utf-8"))["build_id"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(build_id, str):
        return None
    return start_pool(settings, snap, build_id, cached_metrics(settings, build_id))


def _load_build(
    settings: Settings | None, folder: Path, make_app: Callable[..., Any]
) -> tuple[EmbeddedStore, Any, Path]:
    """Snapshot ``folder``, start its query workers (with ``settings``), load the store and
    make the app over both; nothing is left behind on failure."""
    snap = snapshot(folder)
    pool = None
    try:
        pool = early_pool(settings, snap) if settings is not None else None
        store = load_snapped(snap, folder)
        app = make_app(store, pool=pool) if pool is not None else make_app(store)
        if pool is not None and dict(pool.extra) != store.extra_graphs:
            # the metrics were cached between the two reads: the workers must have them too
            pool.close()
            pool = None
            app = make_app(store)
        return store, app, snap
    except BaseException:
        if pool is not None:
            pool.close()
        shutil.rmtree(snap, ignore_errors=True)
        raise


async def _discard(app: Any) -> None:
    """Close the query workers started for an app that will not be served."""
    pool = getattr(getattr(app, "state", None), "early_pool", None)
    if pool is not None:
        await anyio.to_thread.run_sync(pool.close)


def _metrics_main(folder: str, queries: str, cache: str) -> None:
    """The process that computes a build's network metrics into the cache (it dies with the
    server: :func:`plangraph.store.pool.die_with_parent`)."""
    from plangraph.network import write_metrics_cache
    from plangraph.store.pool import die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    write_metrics_cache(folder, queries, cache)


def remove_multiprocessing_tempdir() -> None:
    """Remove the ``pymp-*`` folder multiprocessing made for the fork server's socket. Its
    own clean-up runs at interpreter exit, which never comes: uvicorn re-raises SIGTERM
    after shutting down, and the default handler ends the process (every start left an
    empty folder in the temp directory). Runs that clean-up now, once (it is then no longer
    registered for the exit). Only for a process that ends with the server (``plangraph
    serve``): the fork server of any other process would lose its socket."""
    from multiprocessing import util

    for finalizer in list(util._finalizer_registry.values()):  # type: ignore[attr-defined]
        if getattr(finalizer, "_callback", None) is util._remove_temp_dir:  # type: ignore[attr-defined]
            finalizer()


def signature(folder: Path) -> tuple[tuple[int, int, int] | None, ...]:
    """What changes when a build is written (or half-written): the manifest's, the
    N-Quads' and the TriG's inode, size and modification time."""
    out: list[tuple[int, int, int] | None] = []
    for name in (MANIFEST, NQUADS, TRIG):
        try:
            st = os.stat(folder / name)
        except OSError:
            out.append(None)
        else:
            out.append((st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(out)


# -- what a retired build leaves behind ------------------------------------------------------------

# FastAPI (0.16x) keeps what it found out about each endpoint and dependency (a coroutine? a
# generator?) in module-level LRU caches of 4,096 entries, keyed by the function itself. An
# endpoint's closure holds what its router was made over (the store, the read model), so a
# retired build's store would stay in memory until thousands of later endpoints pushed it out
# (tens of reloads). Cleared when a build retires; FastAPI fills them again on use.
_FASTAPI_CALLABLE_CACHES = (
    "_is_gen_callable_cached",
    "_is_async_gen_callable_cached",
    "_is_coroutine_callable_cached",
)


def forget_endpoints() -> None:
    """Clear FastAPI's caches that hold endpoint functions (those it has; none is an error)."""
    from fastapi.dependencies import models

    for name in _FASTAPI_CALLABLE_CACHES:
        clear = getattr(getattr(models, name, None), "cache_clear", None)
        if clear is not None:
            clear()


# -- one build being served ---------------------------------------------------------------------


class Build:
    """A store, the app over it, its lifespan and the requests it is answering."""

    def __init__(self, store: Store, app: Any, snapshot: Path | None = None) -> None:
        self.store = store
        self.app = app
        self.snapshot = snapshot
        self.active = 0
        self.idle = asyncio.Event()
        self.state: dict[str, Any] | None = None
        self._stack: AsyncExitStack | None = None

    @property
    def build_id(self) -> str:
        return self.store.build_id

    async def start(self, wait: bool = False) -> None:
        """Run the app's lifespan start-up (the query pool starts in the background);
        ``wait``: until all its workers are ready (raise if one could not start)."""
        self._stack = AsyncExitStack()
        state = await self._stack.enter_async_context(self.app.router.lifespan_context(self.app))
        self.state = dict(state) if state else None
        pool = getattr(self.app.state, "query_pool", None)
        if wait and pool is not None:
            await anyio.to_thread.run_sync(pool.wait_started)

    async def stop(self) -> None:
        """Run the lifespan shut-down (closes the pool), remove the snapshot."""
        stack, self._stack = self._stack, None
        try:
            if stack is not None:
                await stack.aclose()
        finally:
            if self.snapshot is not None:
                shutil.rmtree(self.snapshot, ignore_errors=True)

    async def drained(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` s) until no request is in flight; True if none is."""
        if self.active == 0:
            return True
        self.idle.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle.wait(), timeout)
        return self.active == 0


# -- the ASGI application ------------------------------------------------------------------------


class LiveApp:
    """The ASGI app of ``plangraph serve``: dispatches each request to the current build.

    ``make_app(store)`` builds the FastAPI app over a store (:func:`server.app.create_app`);
    ``folder`` (an embedded store's data/graph/) is watched when ``interval`` > 0 or on
    SIGHUP (``sighup=True``: only where the event loop runs in the main thread)."""

    def __init__(
        self,
        build: Build,
        make_app: Callable[[Store], Any],
        *,
        folder: Path | None = None,
        interval: float = 0.0,
        drain_timeout: float = 60.0,
        sighup: bool = False,
        seen: tuple[Any, ...] | None = None,
        collapse_ratio: float = 0.0,
        owns_process: bool = False,
        settings: Settings | None = None,
    ) -> None:
        self.current = build
        # with settings, a reloaded build's query workers start before its store is loaded
        # (make_app is then called with ``pool=``, see :func:`early_pool`)
        self.settings = settings
        self.make_app = make_app
        self.folder = folder
        self.interval = interval
        self.drain_timeout = drain_timeout
        self.sighup = sighup
        self.collapse_ratio = collapse_ratio
        # the process ends with the server (plangraph serve): its temp folder goes at shut-down
        self.owns_process = owns_process
        self.reload_error: dict[str, Any] | None = None
        self.reloads = 0
        self._seen = seen if seen is not None else (signature(folder) if folder else None)
        self._wake: asyncio.Event | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._retiring: set[asyncio.Task[None]] = set()
        self._metrics: asyncio.Task[None] | None = None
        self._metrics_process: multiprocessing.process.BaseProcess | None = None
        self.metrics_error: str | None = None
        self._adopt(build)

    @classmethod
    def from_folder(
        cls,
        settings: Settings,
        make_app: Callable[[Store], Any],
        *,
        sighup: bool = False,
        owns_process: bool = False,
    ) -> LiveApp:
        """Serve the embedded dataset in settings.paths.graph (from a snapshot) and watch it."""
        folder = settings.paths.graph
        remove_stale_snapshots()
        seen = signature(folder)  # before the snapshot: a change after it is seen later
        store, app, snap = _load_build(settings, folder, make_app)
        return cls(
            Build(store, app, snap),
            make_app,
            folder=folder,
            interval=settings.reload_interval,
            drain_timeout=max(30.0, 3 * settings.query_timeout),
            sighup=sighup,
            seen=seen,
            collapse_ratio=settings.collapse_ratio,
            owns_process=owns_process,
            settings=settings,
        )

    def _adopt(self, build: Build) -> None:
        build.app.state.reload_report = self.report

    def report(self) -> dict[str, Any]:
        """What /health adds: the last failed reload, if the last attempt failed; the network
        metrics while they are computed aside, or why they could not be."""
        out: dict[str, Any] = {"reload_error": self.reload_error} if self.reload_error else {}
        if self._metrics is not None and not self._metrics.done():
            out["metrics"] = "computing"
        elif self.metrics_error:
            out["metrics_error"] = self.metrics_error
        return out

    # -- requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        build = self.current
        build.active += 1
        header = (HEADER, build.build_id.encode("latin-1"))

        async def send_with_build(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0].lower() != HEADER]
                headers.append(header)
                message = {**message, "headers": headers}
            await send(message)

        try:
            if build.state:
                scope = {**scope, "state": dict(build.state)}
            await build.app(scope, receive, send_with_build)
        finally:
            build.active -= 1
            if build.active == 0:
                build.idle.set()

    # -- lifespan

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"
        try:
            await self.current.start()
            self._start_metrics(self.current)
            self._wake = asyncio.Event()
            if self.folder is not None and (self.interval > 0 or self.sighup):
                self._watcher = asyncio.create_task(self._watch(), name="plangraph-watch")
            if self.sighup:
                with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
                    asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.wake)
        except BaseException as exc:
            await self._shutdown()
            await send({"type": "lifespan.startup.failed", "message": f"{exc}"})
            return
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        await self._shutdown()
        await send({"type": "lifespan.shutdown.complete"})

    async def _shutdown(self) -> None:
        await self._stop_metrics()
        if self.sighup:
            with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
                asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        for task in list(self._retiring):
            task.cancel()
        for task in list(self._retiring):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.current.stop()
        if self.owns_process:
            remove_multiprocessing_tempdir()

    # -- network metrics computed aside

    def _start_metrics(self, build: Build) -> None:
        """When ``build`` is served without its network metrics (not cached: a build written
        by another tool, or the cache removed), compute them in a process of its own (the
        server keeps answering), then serve the build again with them."""
        job = getattr(build.app.state, "metrics_job", None)
        if job is None or self.folder is None or self._metrics is not None:
            return
        self.metrics_error = None
        self._metrics = asyncio.create_task(
            self._compute_metrics(job, build.build_id), name="plangraph-metrics"
        )

    async def _compute_metrics(self, job: tuple[str, str, str], build_id: str) -> None:
        ctx = multiprocessing.get_context("forkserver")
        process = ctx.Process(target=_metrics_main, args=job, daemon=True, name="plangraph-metrics")
        process.start()
        self._metrics_process = process
        try:
            while process.exitcode is None:  # poll: no thread held for a minute
                await asyncio.sleep(0.2)
        finally:
            self._metrics_process = None
        if process.exitcode != 0:
            self.metrics_error = f"computing the network metrics failed (exit {process.exitcode})"
            log.warning("plangraph: %s; serving without them", self.metrics_error)
            self._metrics = None
            return
        try:  # /health says "computing" until the build is served with them
            await self.reload(same_build=True)
        except Exception as exc:
            self.metrics_error = f"the build with its network metrics was not loaded: {exc}"
            log.warning("plangraph: %s", self.metrics_error)
        finally:
            self._metrics = None
        if self.current.build_id != build_id:  # a newer build came meanwhile, without them
            self._start_metrics(self.current)

    async def _stop_metrics(self) -> None:
        task, self._metrics = self._metrics, None
        process = self._metrics_process
        if process is not None and process.exitcode is None:
            process.kill()
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- reloading

    def wake(self) -> None:
        """Check the folder now (SIGHUP), and try again a build that failed."""
        self._seen = None
        if self._wake is not None:
            self._wake.set()

    async def _watch(self) -> None:
        assert self._wake is not None
        while True:  # until cancelled at shut-down
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wake.wait(), self.interval if self.interval > 0 else None
                )
            self._wake.clear()
            try:
                await self.check()
            except Exception:  # a bug: keep watching, keep serving
                log.exception("plangraph: reload check failed")

    async def check(self) -> bool:
        """Load the folder's build if its files changed since the last attempt; True if a
        new build is now served."""
        assert self.folder is not None
        seen = signature(self.folder)
        if seen == self._seen:
            return False
        self._seen = seen  # one attempt per change: a refused dataset is retried when it changes
        try:
            return await self.reload()
        except Exception as exc:
            if signature(self.folder) != seen:  # caught in the middle of a write: next poll
                self._seen = None
                return False
            self.reload_error = {
                "message": exc.message if isinstance(exc, PlangraphError) else f"{exc}",
                "file": str(getattr(exc, "file", None) or self.folder),
                "time": datetime.now(UTC).replace(microsecond=0).isoformat(),
                "serving": self.current.build_id,
            }
            log.warning(
                "plangraph: the dataset in %s was not loaded (%s); still serving build %s",
                self.folder,
                self.reload_error["message"],
                self.current.build_id,
            )
            return False

    async def reload(self, same_build: bool = False) -> bool:
        """Load the folder's build and swap it in (raise, keeping the old one, on failure).
        ``same_build``: the build served again, from its own snapshot (its metrics are now
        cached), whatever the folder holds now."""
        assert self.folder is not None
        source = self.current.snapshot if same_build else self.folder
        assert source is not None
        if self.settings is not None:
            store, app, snap = await anyio.to_thread.run_sync(
                _load_build, self.settings, source, self.make_app
            )
            return await self._swap(store, app, snap, same_build)
        store, snap = await anyio.to_thread.run_sync(load_snapshot, source)
        return await self._swap(store, None, snap, same_build)

    async def _swap(self, store: EmbeddedStore, app: Any, snap: Path, same_build: bool) -> bool:
        """Serve the loaded build (``app``: made already, else made here) instead of the
        current one, once it can answer at full capacity."""
        assert self.folder is not None
        if store.build_id == self.current.build_id and not same_build:  # rebuilt, same bytes
            await _discard(app)
            shutil.rmtree(snap, ignore_errors=True)
            self.reload_error = None
            return False
        floor = self.collapse_ratio * self.current.store.triples
        if store.triples < floor:  # the build's own check, for datasets written otherwise
            await _discard(app)
            shutil.rmtree(snap, ignore_errors=True)
            raise DatasetError(
                f"the dataset has {store.triples} triples, fewer than "
                f"{self.collapse_ratio:g} x the {self.current.store.triples} served "
                "(a collapse?); not loaded",
                file=self.folder / MANIFEST,
            )
        if app is None:
            try:
                app = await anyio.to_thread.run_sync(self.make_app, store)
            except BaseException:
                shutil.rmtree(snap, ignore_errors=True)
                raise
        build = Build(store, app, snap)
        self._adopt(build)
        try:
            await build.start(wait=True)  # swapped in only when it can answer at full capacity
        except BaseException:
            await build.stop()
            raise
        old, self.current = self.current, build
        self.reload_error = None
        self.reloads += 1
        if old.build_id != build.build_id:
            await self._stop_metrics()  # the old build's: no longer wanted
        self._start_metrics(build)
        log.warning(
            "plangraph: now serving build %s (%s triples), was %s",
            build.build_id,
            store.triples,
            old.build_id,
        )
        task = asyncio.create_task(self._retire(old), name=f"plangraph-retire-{old.build_id}")
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)
        return True

    async def _retire(self, old: Build) -> None:
        """Let the old build finish its requests (bounded), then shut it down."""
        try:
            if not await old.drained(self.drain_timeout):
                log.warning(
                    "plangraph: build %s still had %d requests after %g s; closing it",
                    old.build_id,
                    old.active,
                    self.drain_timeout,
                )
        finally:
            await old.stop()
            forget_endpoints()  # and so the old build's store, once nothing else holds it
