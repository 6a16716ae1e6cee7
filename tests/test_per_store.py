"""What the server keeps per store (server/per_store.py) goes with the store.

A server that reloads its dataset (server/live.py) makes a new store and a new app for each
build; the old ones must be freed, with every value kept for them (the read model, the
overlap reader, the search index, the network rows, the query page's labels), or every
reload leaks a whole dataset. In-process (weak references to the stores are what is
checked), through LiveApp's own lifespan and reload, each build answering real requests
that make every value it keeps.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import os
import threading
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import anyio
import httpx
import pytest

from plangraph.paths import MANIFEST, NQUADS
from plangraph.settings import Settings
from plangraph.store.base import Store
from plangraph.store.embedded import EmbeddedStore
from server.app import create_app
from server.live import LiveApp
from server.per_store import PerStore, kept_names
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

RELOADS = 3
# every value a served build keeps, and a request that makes it
KEPT = {
    "graph_api": "/agencies",
    "overlap_reader": "/overlaps",
    "query_page_data": "/query",
    "network_data": "/api/network/options",
    "search_index": "/api/search?q=victim",
    "reconcile_services": "/reconcile",
}


def write_build(graph: Path, number: int) -> None:
    """The real dataset plus one triple of its own: another build (another build id)."""
    data = (ROOT / "data" / "graph" / NQUADS).read_bytes()
    data += f'<urn:plangraph-test:reload> <urn:plangraph-test:number> "{number}" .\n'.encode()
    manifest = json.loads((ROOT / "data" / "graph" / MANIFEST).read_text(encoding="utf-8"))
    manifest["build_id"] = hashlib.sha256(data).hexdigest()[:16]
    manifest["triples"] = manifest.get("triples", 0) + 1
    for name, body in ((NQUADS, data), (MANIFEST, json.dumps(manifest).encode())):
        (graph / f".{name}.tmp").write_bytes(body)
        os.replace(graph / f".{name}.tmp", graph / name)


@asynccontextmanager
async def lifespan(app: LiveApp) -> AsyncIterator[None]:
    """The ASGI lifespan as a server runs it: start-up, then shut-down."""
    inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()

    async def send(message: dict[str, str]) -> None:
        await outbox.put(message)

    task = asyncio.create_task(app({"type": "lifespan"}, inbox.get, send))
    await inbox.put({"type": "lifespan.startup"})
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    try:
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        assert (await outbox.get())["type"] == "lifespan.shutdown.complete"
        await task


def project(root: Path) -> Settings:
    """A project whose data/graph/ the test writes (queries and sources: the real ones)."""
    (root / "data" / "graph").mkdir(parents=True)
    (root / "data" / "sources").symlink_to(ROOT / "data" / "sources")
    (root / "queries").symlink_to(ROOT / "queries")
    write_build(root / "data" / "graph", 0)
    return Settings(root=root, query_workers=1, reload_interval=0)


def test_old_stores_are_collected_after_reloads(tmp_path: Path) -> None:
    settings = project(tmp_path)
    live = LiveApp.from_folder(settings, partial(create_app, settings))
    served: list[weakref.ref[Store]] = []
    snapshots: list[Path] = []

    async def run() -> None:
        transport = httpx.ASGITransport(app=live)
        async with lifespan(live), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            for number in range(1, RELOADS + 2):
                store = live.current.store
                for path in KEPT.values():
                    r = await c.get(path)
                    assert r.status_code == 200, (path, r.text[:200])
                    assert r.headers["x-plangraph-build"] == store.build_id
                assert kept_names(store) == set(KEPT)  # every value made for this build
                served.append(weakref.ref(store))
                assert live.current.snapshot is not None
                snapshots.append(live.current.snapshot)
                del store
                if number <= RELOADS:
                    write_build(settings.paths.graph, number)
                    assert await live.reload()
            with anyio.fail_after(60):  # the old builds retire (their snapshots removed)
                while any(s.exists() for s in snapshots[:-1]):
                    await asyncio.sleep(0.05)

    # in a thread of its own: a browser test's event loop may still be running in this one
    thread = threading.Thread(target=anyio.run, args=(run,))
    thread.start()
    thread.join(300)
    assert not thread.is_alive()
    assert len(served) == RELOADS + 1
    gc.collect()
    alive = [ref() is not None for ref in served]
    assert alive == [False] * RELOADS + [True], alive  # only the build served now is kept
    assert live.current.store is served[-1]()


def test_one_value_per_store_made_once_under_concurrent_first_requests() -> None:
    made: list[str] = []
    gate = threading.Barrier(8)

    def make(settings: Settings, store: object) -> object:
        made.append("value")
        return object()

    cache: PerStore[object] = PerStore("test_value", make)
    store = EmbeddedStore.from_rdf(b"<urn:s> <urn:p> <urn:o> .", fmt="nquads")
    other = EmbeddedStore.from_rdf(b"<urn:s> <urn:p> <urn:o> .", fmt="nquads")
    results: list[object] = []

    def ask() -> None:
        gate.wait()
        results.append(cache(Settings(), store))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1 and len({id(r) for r in results}) == 1
    assert cache(Settings(), other) is not results[0]  # another store, another value
    assert kept_names(store) == {"test_value"} == kept_names(other)
