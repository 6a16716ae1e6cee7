"""Atomic publishing (server/live.py): the real server rebuilt under load, in a project copy.

Every response carries ``X-Plangraph-Build``; what it says is consistent with that build (its
/health triple count and SPARQL COUNT); each client sees the old build, then the new one, never
back; a build that fails validation or collapses the triple count, or a half-written dataset,
leaves the last good build serving. (Counts are printed, run with -s.)
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from plangraph import network as nw
from plangraph.paths import MANIFEST, NQUADS, ProjectPaths, cache_folder
from plangraph.store.embedded import EmbeddedStore
from tests.conftest import ROOT
from tests.server_process import PROCESSES, comm, descendants, parent, running, running_server

pytestmark = pytest.mark.slow

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
METRICS_BUILD = (
    "SELECT ?b WHERE { GRAPH <https://w3id.org/plangraph/graph/metrics> "
    "{ ?a <https://w3id.org/plangraph/ontology#buildId> ?b } }"
)
IMPOSSIBLE_SHAPE = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix pg: <https://w3id.org/plangraph/ontology#> .
<urn:test:ImpossibleShape> a sh:NodeShape ; sh:targetClass pg:JointPlan ;
  sh:property [ sh:path pg:doesNotExist ; sh:minCount 1 ] .
"""
CLIENTS = 4
PACE = 0.01  # seconds between two requests of a client
LOAD_SECONDS = 5.0  # load while a failing build runs (a failing validation takes ~1 min)


def manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


def run_build(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plangraph.cli", "build"],
        env={**os.environ, "PLANGRAPH_ROOT": str(root), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def build_under_load(
    url: str, root: Path, **env: str
) -> tuple[subprocess.CompletedProcess[str], tuple[Load, Load]]:
    """Run a build while the server is under load (at most LOAD_SECONDS of it), then load
    the server again for a second after the build has ended."""
    args = [sys.executable, "-m", "plangraph.cli", "build"]
    with subprocess.Popen(
        args,
        env={**os.environ, "PLANGRAPH_ROOT": str(root), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        with Load(url) as during:
            wait_until(lambda: proc.poll() is not None, LOAD_SECONDS)
        out, err = proc.communicate(timeout=600)
    with Load(url) as after:
        time.sleep(1)
    return subprocess.CompletedProcess(args, proc.returncode, out, err), (during, after)


class Load:
    """``CLIENTS`` threads, each with its own connection, sending a mix of requests (one
    every ``PACE`` s) until stopped (or 20,000 each); records every response's build header
    and what it said."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stop = threading.Event()
        self.sent = 0
        self.errors: list[str] = []
        self.sequences: list[list[str]] = [[] for _ in range(CLIENTS)]
        self.health: dict[str, set[int]] = {}  # build -> /health triples seen
        self.counts: dict[str, set[int]] = {}  # build -> SPARQL COUNT seen
        self.statuses: Counter[int] = Counter()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._client, args=(i,)) for i in range(CLIENTS)]

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self._threads:
            t.join(60)

    def seen(self) -> set[str]:
        """The builds every client has answered from last."""
        with self._lock:
            return {s[-1] for s in self.sequences if s}

    def _note(self, i: int, r: httpx.Response, expected: int) -> str | None:
        build = r.headers.get("x-plangraph-build")
        with self._lock:
            self.sent += 1
            self.statuses[r.status_code] += 1
            if r.status_code != expected:
                self.errors.append(f"{r.request.url.path}: {r.status_code} {r.text[:200]}")
            if not build:
                self.errors.append(f"{r.request.url.path}: no X-Plangraph-Build header")
                return None
            seq = self.sequences[i]
            if not seq or seq[-1] != build:
                seq.append(build)
        return build

    def _client(self, i: int) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as c:
            for n in range(20_000):  # bounded; paced, so the builds get the CPU they need
                if self.stop.wait(PACE):
                    return
                try:
                    kind = n % 5
                    if kind == 0:
                        r = c.get("/health")
                        build = self._note(i, r, 200)
                        if build and r.status_code == 200:
                            body = r.json()
                            with self._lock:
                                if body["build"] != build:
                                    self.errors.append(f"/health {body['build']} under {build}")
                                self.health.setdefault(build, set()).add(body["triples"])
                    elif kind == 1:
                        r = c.get(
                            "/sparql", params={"query": COUNT}, headers={"accept": "text/csv"}
                        )
                        build = self._note(i, r, 200)
                        if build and r.status_code == 200:
                            with self._lock:
                                self.counts.setdefault(build, set()).add(int(r.text.split()[-1]))
                    elif kind == 2:
                        self._note(i, c.get("/api/plans"), 200)
                    elif kind == 3:
                        self._note(i, c.get("/"), 200)
                    else:
                        self._note(i, c.get("/no/such/page"), 404)
                except httpx.HTTPError as exc:
                    with self._lock:
                        self.errors.append(f"{type(exc).__name__}: {exc}")

    def report(self, what: str) -> str:
        switches = sum(len(s) - 1 for s in self.sequences)
        return (
            f"{what}: {self.sent} requests from {CLIENTS} clients, statuses "
            f"{dict(sorted(self.statuses.items()))}, {switches} build switches, "
            f"{len(self.errors)} errors"
        )


def wait_until(check, limit: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return False


@pytest.fixture
def served_copy(project_copy: ProjectPaths) -> Iterator[tuple[ProjectPaths, str]]:
    """The project copy with the committed dataset, served by the real server."""
    shutil.copytree(ROOT / "data" / "graph", project_copy.graph)
    env = {"PLANGRAPH_RELOAD_INTERVAL": "0.3", "PLANGRAPH_QUERY_WORKERS": "3"}
    with running_server(project_copy.root, env=env) as url:
        yield project_copy, url


def test_answers_right_after_start_then_with_the_metrics(project_copy: ProjectPaths) -> None:
    """A build whose network metrics are not cached (the copy has no data/cache/) is answered
    at once, without them, while a process of its own computes them; then the same build is
    served again with them (issue 21, item 5)."""
    paths = project_copy
    shutil.copytree(ROOT / "data" / "graph", paths.graph)
    built = manifest(paths.graph)
    cached = nw.metrics_cache_file(
        cache_folder(paths.graph), built["build_id"], paths.queries / "network"
    )
    plain = EmbeddedStore.from_folder(paths.graph)
    without = plain.select(COUNT)[0]["n"]
    states: list[dict] = []
    with (
        running_server(paths.root, settled=False) as url,
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        first = c.get("/sparql", params={"query": COUNT}, headers={"accept": "text/csv"})

        def computed() -> bool:
            states.append(c.get("/health").json())
            return "metrics" not in states[-1]

        assert wait_until(computed, 120), states[-1]
        r = c.get("/sparql", params={"query": COUNT}, headers={"accept": "text/csv"})
    assert first.status_code == 200 and first.headers["x-plangraph-build"] == built["build_id"]
    assert cached.exists()  # computed aside and kept for the next start
    assert nw.add_metrics_graph(plain, paths.queries / "network", cache=cache_folder(paths.graph))
    expected = plain.select(COUNT)[0]["n"]
    assert int(expected) > int(without)
    assert first.text.split()[-1] in {without, expected}  # one build or the other, never a mix
    assert r.status_code == 200 and r.headers["x-plangraph-build"] == built["build_id"]
    assert r.text.split()[-1] == expected
    for health in states:
        assert health["status"] == "ok" and health["build"] == built["build_id"], health
        assert health.get("metrics", "computing") == "computing", health
    last = states[-1]
    assert set(last) == {"status", "build", "triples", "query_workers", "of"}, last


def test_a_server_started_on_a_build_with_cached_metrics_has_them_at_once(
    project_copy: ProjectPaths,
) -> None:
    """``plangraph build`` caches the metrics: the first answer already counts them."""
    shutil.copytree(ROOT / "data" / "graph", project_copy.graph)
    built = manifest(project_copy.graph)
    queries = project_copy.queries / "network"
    nw.write_metrics_cache(
        str(project_copy.graph), str(queries), str(cache_folder(project_copy.graph))
    )
    store = EmbeddedStore.from_folder(project_copy.graph)
    assert nw.add_metrics_graph(store, queries, cache=cache_folder(project_copy.graph))
    expected = store.select(COUNT)[0]["n"]
    with running_server(project_copy.root) as url, httpx.Client(base_url=url, timeout=30) as c:
        health = c.get("/health").json()
        r = c.get("/sparql", params={"query": COUNT}, headers={"accept": "text/csv"})
    assert "metrics" not in health and health["build"] == built["build_id"], health
    assert r.status_code == 200 and r.text.split()[-1] == expected


def test_rebuild_under_load_is_atomic(served_copy: tuple[ProjectPaths, str]) -> None:
    paths, url = served_copy
    old = manifest(paths.graph)
    old_nq = (paths.graph / NQUADS).read_bytes()
    themes = paths.curation / "themes.yaml"
    original_themes = themes.read_text(encoding="utf-8")

    # (1) a real rebuild that changes the data: one reviewed theme less
    start, end = original_themes.index("\nadd:\n"), original_themes.index("\nremove:")
    themes.write_text(
        original_themes[:start] + "\nadd: []\n" + original_themes[end:], encoding="utf-8"
    )
    with Load(url) as load:
        assert wait_until(lambda: load.seen() == {old["build_id"]}, 30)
        done = run_build(paths.root)
        new = manifest(paths.graph)
        switched = wait_until(lambda: load.seen() == {new["build_id"]}, 60)
        time.sleep(1)
    print("\n" + load.report("rebuild"))
    assert done.returncode == 0, done.stderr
    assert new["build_id"] != old["build_id"] and new["triples"] != old["triples"]
    assert switched, load.sequences
    assert load.errors == []
    for seq in load.sequences:
        assert seq == [old["build_id"], new["build_id"]]  # old, then new, once
    assert load.health == {old["build_id"]: {old["triples"]}, new["build_id"]: {new["triples"]}}
    assert set(load.counts) == {old["build_id"], new["build_id"]}
    for built in (old, new):  # its own triples, and once its metrics are in, those as well
        counts = load.counts[built["build_id"]]
        assert min(counts) >= built["triples"] and len(counts - {built["triples"]}) <= 1, counts
    assert load.counts[old["build_id"]] != load.counts[new["build_id"]]
    with httpx.Client(base_url=url, timeout=30) as c:
        # the new build may be served before its metrics (the watcher can see it before
        # `plangraph build` has cached them): they are computed aside, then served
        assert wait_until(lambda: "metrics" not in c.get("/health").json(), 120)
        r = c.get("/sparql", params={"query": METRICS_BUILD}, headers={"accept": "text/csv"})
        assert r.text.split()[-1] == new["build_id"]  # the metrics graph of the new build
        assert "reload_error" not in c.get("/health").json()
    assert nw.metrics_cache_file(
        cache_folder(paths.graph), new["build_id"], paths.queries / "network"
    ).exists()

    # (2) a build that fails validation, (3) one that collapses the triple count: nothing is
    # written, the server keeps serving the last good build (under load while the build
    # runs, at most LOAD_SECONDS, and again after it ended)
    (paths.shapes / "impossible.ttl").write_text(IMPOSSIBLE_SHAPE, encoding="utf-8")
    failed, loads = build_under_load(url, paths.root)
    assert failed.returncode != 0 and "nothing was written" in failed.stderr
    (paths.shapes / "impossible.ttl").unlink()
    # a valid build (the original inputs, 5 triples more) and a collapse ratio it falls
    # below: no input of this project makes a valid build of half the triples
    themes.write_text(original_themes, encoding="utf-8")
    collapsed, more = build_under_load(url, paths.root, PLANGRAPH_COLLAPSE_RATIO="1.5")
    assert collapsed.returncode != 0 and "nothing was written" in collapsed.stderr
    assert "triples" in collapsed.stderr
    assert manifest(paths.graph) == new
    for what, load in zip(("failed validation", "collapsed"), (loads, more), strict=True):
        for part, phase in zip(load, ("during the build", "after it"), strict=True):
            print(part.report(f"{what}, {phase}"))
            assert part.sent > 0
            assert part.errors == []
            for seq in part.sequences:
                assert seq == [new["build_id"]]

    # (4) a half-written dataset (the N-Quads replaced, the manifest not): refused and
    # reported, the last good build keeps serving; put back, the report goes away
    good_nq = (paths.graph / NQUADS).read_bytes()
    tmp = paths.graph / ".half-written"
    tmp.write_bytes(old_nq)
    os.replace(tmp, paths.graph / NQUADS)
    with Load(url) as load, httpx.Client(base_url=url, timeout=30) as c:
        reported = wait_until(lambda: "reload_error" in c.get("/health").json(), 15)
        time.sleep(1)
        health = c.get("/health").json()
    print(load.report("half-written"))
    assert reported
    assert health["build"] == new["build_id"] and health["status"] == "ok"
    assert "half-written" in health["reload_error"]["message"]
    assert health["reload_error"]["file"] == str(paths.graph / NQUADS)
    assert health["reload_error"]["time"]
    for seq in load.sequences:
        assert seq == [new["build_id"]]
    assert load.errors == []
    tmp.write_bytes(good_nq)
    os.replace(tmp, paths.graph / NQUADS)
    with httpx.Client(base_url=url, timeout=30) as c:
        assert wait_until(lambda: "reload_error" not in c.get("/health").json(), 15)
        assert c.get("/health").json()["build"] == new["build_id"]


def synthetic_build(folder: Path, drop: int = 1) -> dict:
    """Write a different, consistent dataset into ``folder`` the way a build does (N-Quads,
    then the manifest, each replaced atomically): the committed one less ``drop`` lines."""
    import hashlib

    lines = (folder / NQUADS).read_bytes().splitlines(keepends=True)
    nq = b"".join(lines[:-drop])
    built = {**manifest(folder), "build_id": hashlib.sha256(nq).hexdigest()[:16]}
    built["triples"] = len(lines) - drop
    for name, data in ((NQUADS, nq), (MANIFEST, json.dumps(built).encode())):
        (folder / f".{name}.tmp").write_bytes(data)
        os.replace(folder / f".{name}.tmp", folder / name)
    return built


def test_sighup_reloads_when_polling_is_off(project_copy: ProjectPaths) -> None:
    shutil.copytree(ROOT / "data" / "graph", project_copy.graph)
    old = manifest(project_copy.graph)
    env = {"PLANGRAPH_RELOAD_INTERVAL": "0", "PLANGRAPH_QUERY_WORKERS": "2"}
    with (
        running_server(project_copy.root, env=env) as url,
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        new = synthetic_build(project_copy.graph)
        time.sleep(1.5)
        assert c.get("/health").json()["build"] == old["build_id"]  # not watched
        PROCESSES[url].send_signal(signal.SIGHUP)
        assert wait_until(lambda: c.get("/health").json()["build"] == new["build_id"], 30)
        r = c.get("/sparql", params={"query": COUNT}, headers={"accept": "text/csv"})
        assert r.headers["x-plangraph-build"] == new["build_id"]
        assert c.get("/health").json()["triples"] == new["triples"]


def test_metrics_cache_is_per_build(tmp_path: Path) -> None:
    """The cached metrics graph is used for its own build only: another build id computes
    (and caches) its own; a file that does not name its build is not trusted."""
    graph, queries = ROOT / "data" / "graph", ROOT / "queries" / "network"
    nq = (graph / NQUADS).read_bytes()
    first = EmbeddedStore.from_rdf(nq, "nquads", build_id="aaaaaaaaaaaaaaaa")
    second = EmbeddedStore.from_rdf(nq, "nquads", build_id="bbbbbbbbbbbbbbbb")
    body = nw.metrics_ntriples(first, queries, cache=tmp_path)
    cached = nw.metrics_cache_file(tmp_path, first.build_id, queries)
    assert cached.read_bytes() == body and b'"aaaaaaaaaaaaaaaa"' in body
    assert nw.metrics_ntriples(first, queries, cache=tmp_path) == body  # read, not computed
    other = nw.metrics_ntriples(second, queries, cache=tmp_path)
    assert b'"bbbbbbbbbbbbbbbb"' in other and b'"aaaaaaaaaaaaaaaa"' not in other
    assert nw.metrics_cache_file(tmp_path, second.build_id, queries).exists()
    cached.write_bytes(other)  # a file under the wrong name: computed again
    assert b'"aaaaaaaaaaaaaaaa"' in nw.metrics_ntriples(first, queries, cache=tmp_path)
    assert nw.add_metrics_graph(second, queries, cache=tmp_path)
    assert nw.METRICS_GRAPH in second.graphs()


def test_reload_keeps_rate_limit_budgets(project_copy: ProjectPaths) -> None:
    """Every build gets its own app, but one limiter: a client over budget before a reload
    is still over budget after it (a reload is not a way around the limit)."""
    shutil.copytree(ROOT / "data" / "graph", project_copy.graph)
    env = {
        "PLANGRAPH_RELOAD_INTERVAL": "0",
        "PLANGRAPH_QUERY_WORKERS": "2",
        "PLANGRAPH_RATE_PER_MINUTE": "1",  # a token a minute: none comes back meanwhile
        "PLANGRAPH_RATE_BURST": "3",
    }
    ask = {"query": "ASK {}"}
    with (
        running_server(project_copy.root, env=env) as url,
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        assert [c.get("/sparql", params=ask).status_code for _ in range(4)] == [200] * 3 + [429]
        new = synthetic_build(project_copy.graph)
        PROCESSES[url].send_signal(signal.SIGHUP)
        assert wait_until(lambda: c.get("/health").json()["build"] == new["build_id"], 30)
        r = c.get("/sparql", params=ask)
        assert r.status_code == 429, r.text
        assert r.headers["x-plangraph-build"] == new["build_id"]  # the new build's app said it


def test_a_write_into_the_served_files_cannot_break_the_build(project_copy: ProjectPaths) -> None:
    """``truncate -s 0 data/graph/plangraph.nq`` while serving (issue 20, item 2): the served
    build is a private copy, so downloads still send its bytes, killed workers respawn and
    answer, and /health reports the unloadable dataset in data/graph/."""
    shutil.copytree(ROOT / "data" / "graph", project_copy.graph)
    good = (project_copy.graph / NQUADS).read_bytes()
    old = manifest(project_copy.graph)
    env = {
        "PLANGRAPH_RELOAD_INTERVAL": "0.3",
        "PLANGRAPH_QUERY_WORKERS": "2",
        "PLANGRAPH_QUERY_TIMEOUT": "1",
    }
    cartesian = (Path(__file__).parent / "data" / "adversarial" / "cartesian-count.rq").read_text()
    with (
        running_server(project_copy.root, env=env) as url,
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        # the build is served again once its metrics are computed (the copy has no cache)
        assert wait_until(lambda: "metrics" not in c.get("/health").json(), 120)
        before = c.get("/sparql", params={"query": COUNT}, headers={"accept": "text/csv"}).text
        os.truncate(project_copy.graph / NQUADS, 0)  # in place: same inode
        assert wait_until(lambda: "reload_error" in c.get("/health").json(), 15)
        health = c.get("/health").json()
        assert health["build"] == old["build_id"]
        assert health["reload_error"]["serving"] == old["build_id"]
        r = c.get(f"/downloads/{NQUADS}")
        assert r.status_code == 200 and r.content == good
        assert r.headers["x-plangraph-build"] == old["build_id"]
        # both workers are killed at the time limit and respawn from the private copy
        for _ in range(2):
            assert c.get("/sparql", params={"query": cartesian}).status_code == 503
        counts = [
            c.get("/sparql", params={"query": COUNT}, headers={"accept": "text/csv"})
            for _ in range(4)
        ]
        assert [r.status_code for r in counts] == [200] * 4, [r.text for r in counts]
        assert all(r.text == before for r in counts)


def test_a_collapsed_or_mismatched_dataset_is_not_loaded(project_copy: ProjectPaths) -> None:
    """Issue 20, item 10: a reload accepted any self-consistent dataset (a 50-triple build
    was served; the collapse check existed only in ``plangraph build``), and the TriG
    download could be the old build's under the new build's header. Both are refused now
    and reported by /health; the last good build keeps serving."""
    import hashlib

    shutil.copytree(ROOT / "data" / "graph", project_copy.graph)
    folder = project_copy.graph
    old = manifest(folder)
    old_trig = (folder / "plangraph.trig").read_bytes()
    env = {"PLANGRAPH_RELOAD_INTERVAL": "0.3", "PLANGRAPH_QUERY_WORKERS": "2"}
    with (
        running_server(project_copy.root, env=env) as url,
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        lines = (folder / NQUADS).read_bytes().splitlines(keepends=True)
        synthetic_build(folder, drop=len(lines) - 50)  # consistent, 50 triples
        assert wait_until(lambda: "reload_error" in c.get("/health").json(), 15)
        health = c.get("/health").json()
        assert health["build"] == old["build_id"]
        assert "50 triples" in health["reload_error"]["message"], health

        # a consistent new build whose TriG was not written yet: the old one is on disk
        nq = b"".join(lines[:-1])
        built = {
            **old,
            "build_id": hashlib.sha256(nq).hexdigest()[:16],
            "triples": len(lines) - 1,
            "files": {
                NQUADS: hashlib.sha256(nq).hexdigest(),
                "plangraph.trig": hashlib.sha256(b"the new build's TriG").hexdigest(),
            },
        }
        for name, data in ((NQUADS, nq), (MANIFEST, json.dumps(built).encode())):
            (folder / f".{name}.tmp").write_bytes(data)
            os.replace(folder / f".{name}.tmp", folder / name)
        assert wait_until(
            lambda: "TriG" in c.get("/health").json().get("reload_error", {}).get("message", ""),
            15,
        )
        r = c.get("/downloads/plangraph.trig")
        assert r.headers["x-plangraph-build"] == old["build_id"] and r.content == old_trig
        # the TriG arrives: the new build is served, with its own TriG
        (folder / ".trig.tmp").write_bytes(b"the new build's TriG")
        os.replace(folder / ".trig.tmp", folder / "plangraph.trig")
        assert wait_until(lambda: c.get("/health").json()["build"] == built["build_id"], 30)
        r = c.get("/downloads/plangraph.trig")
        assert r.headers["x-plangraph-build"] == built["build_id"]
        assert r.content == b"the new build's TriG"


def test_workers_respawn_without_the_files_and_health_degrades_without_the_zygote(
    project_copy: ProjectPaths, tmp_path: Path
) -> None:
    """Issue 21, item 4: workers are forks of a zygote that loaded the dataset once, so with
    the private snapshot emptied behind the server's back, workers stopped at the time limit
    are replaced and answer (nothing is reloaded). Issue 20, item 2: when no worker can
    start (here: the zygote is killed, its workers die with it, and a new zygote cannot load
    the missing files), /health says 503 "degraded" and why."""
    shutil.copytree(ROOT / "data" / "graph", project_copy.graph)
    env = {
        "PLANGRAPH_RELOAD_INTERVAL": "0",
        "PLANGRAPH_QUERY_WORKERS": "2",
        "PLANGRAPH_QUERY_TIMEOUT": "1",
        "TMPDIR": str(tmp_path),
    }
    cartesian = (Path(__file__).parent / "data" / "adversarial" / "cartesian-count.rq").read_text()
    with (
        running_server(project_copy.root, env=env) as url,
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        health = c.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert wait_until(lambda: c.get("/health").json()["query_workers"] == 2, 30)
        # the build is served again once its metrics are computed: then from its snapshot
        assert wait_until(lambda: "metrics" not in c.get("/health").json(), 120)
        assert wait_until(lambda: len(list(tmp_path.glob("plangraph-build-*"))) == 1, 30)
        before = c.get("/sparql", params={"query": COUNT}, headers={"accept": "text/csv"}).text
        (snap,) = tmp_path.glob("plangraph-build-*")
        (snap / NQUADS).unlink()
        for _ in range(2):  # both workers stopped at the time limit; forked again
            assert c.get("/sparql", params={"query": cartesian}).status_code == 503
        counts = [
            c.get("/sparql", params={"query": COUNT}, headers={"accept": "text/csv"})
            for _ in range(4)
        ]
        assert [r.status_code for r in counts] == [200] * 4, [r.text for r in counts]
        assert all(r.text == before for r in counts)
        assert c.get("/health").json()["query_workers"] == 2

        tree = descendants(PROCESSES[url].pid)
        (zygote,) = [p for p in tree if comm(p) == "query-zygote"]
        workers = [p for p in tree if comm(p) == "query-worker"]
        assert len(workers) == 2 and all(parent(p) == zygote for p in workers)
        os.kill(zygote, signal.SIGKILL)
        assert wait_until(lambda: not any(running(p) for p in [zygote, *workers]), 10)
        for _ in range(2):  # each meets a dead worker; a new zygote cannot load the files
            assert c.get("/sparql", params={"query": COUNT}).status_code == 503
        assert wait_until(lambda: c.get("/health").status_code == 503, 30)
        body = c.get("/health").json()
        assert body["status"] == "degraded" and body["query_workers"] == 0
        assert "no query worker can start" in body["error"], body


def test_agency_page_says_the_metrics_are_being_computed(project_copy: ProjectPaths) -> None:
    """While a build is served before its metrics are computed, an agency page says so
    (instead of "not in the network's default view"), and /health says "computing"."""
    from plangraph.settings import Settings
    from server.app import create_app

    shutil.copytree(ROOT / "data" / "graph", project_copy.graph)
    settings = Settings(root=project_copy.root, query_workers=1)
    pending = create_app(
        settings, EmbeddedStore.from_folder(project_copy.graph), defer_metrics=True
    )
    assert pending.state.metrics_job == (
        str(project_copy.graph),
        str(project_copy.queries / "network"),
        str(cache_folder(project_copy.graph)),
    )
    page = agency_page(pending)
    assert 'id="network-pending"' in page and 'id="network-none"' not in page
    assert 'id="network-metrics"' not in page
    ready = create_app(settings, EmbeddedStore.from_folder(project_copy.graph))
    assert getattr(ready.state, "metrics_job", None) is None  # computed here (not deferred)
    page = agency_page(ready)
    assert 'id="network-metrics"' in page and 'id="network-pending"' not in page


def agency_page(app: object) -> str:
    """MoSVY's page from ``app`` over ASGI (in a thread of its own: a browser test's event loop
    may still be running in this one)."""
    got: list[str] = []

    async def fetch() -> None:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/id/agency/khm/mosvy")
            assert r.status_code == 200, r.text[:300]
            got.append(r.text)

    thread = threading.Thread(target=asyncio.run, args=(fetch(),))
    thread.start()
    thread.join(60)
    assert got, "no page"
    return got[0]
