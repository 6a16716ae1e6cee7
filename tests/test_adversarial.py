"""Denial of service: the adversarial query corpus (tests/data/adversarial/*.rq).

Against a server with a 2 s query timeout, 5 query workers and at most 2 expensive requests
in flight per client:

- each query alone ends within timeout + 2 s with a non-200 answer, or a 200 explicitly
  marked truncated (X-Plangraph-Truncated: true) whose body parses in its format;
- the whole corpus, run concurrently and repeatedly from one client (127.0.0.1), never
  stops a second client (127.0.0.2) from getting ``ASK {}`` answered: 0 errors (its p50/p95
  are printed and written to test-output/adversarial.json; the house rule keeps wall-clock
  latency targets out of assertions — they are measured, see the closing notes and bench/);
- the server's memory (its process and all its query workers, VmRSS) stays under
  RSS_CAP_MB throughout; each worker's address space is capped by
  PLANGRAPH_WORKER_MEMORY_MB.

Figures are printed (run with -s to see them).
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from plangraph.paths import ProjectPaths
from tests.server_process import PROCESSES, running_server, tree_rss_mb

OUT = Path(__file__).resolve().parent.parent / "test-output"
CORPUS = sorted((Path(__file__).parent / "data" / "adversarial").glob("*.rq"))
TIMEOUT = 2.0
WORKER_MB = 1024  # each query worker's address-space cap
RSS_CAP_MB = 3 * 1024  # the stated cap for the server and all its workers together
ATTACK_SECONDS = 20.0


@pytest.fixture(scope="module")
def server(paths: ProjectPaths) -> Iterator[tuple[str, int]]:
    env = {
        "PLANGRAPH_QUERY_TIMEOUT": str(TIMEOUT),
        "PLANGRAPH_QUERY_WORKERS": "5",
        "PLANGRAPH_RATE_CONCURRENCY": "2",
        "PLANGRAPH_WORKER_MEMORY_MB": str(WORKER_MB),
    }
    with running_server(paths.root, env=env) as url:
        yield url, PROCESSES[url].pid


class RssSampler:
    """Samples the server tree's RSS every 0.2 s in a thread (bounded by ``limit_s``)."""

    def __init__(self, pid: int, limit_s: float = 300) -> None:
        self.pid, self.limit_s, self.peak = pid, limit_s, 0.0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        end = time.monotonic() + self.limit_s
        while not self._stop.is_set() and time.monotonic() < end:
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            self._stop.wait(0.2)

    def __enter__(self) -> RssSampler:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join(5)


def check_answer(name: str, r: httpx.Response) -> str:
    """Non-200, or a truncated 200 whose body parses; returns a short outcome."""
    if r.status_code != 200:
        assert r.status_code in (400, 429, 503), (name, r.status_code, r.text[:300])
        body = r.json()  # the one JSON error shape
        assert body["error"] and body["message"]
        return f"{r.status_code} {body['error']}"
    assert r.headers["x-plangraph-truncated"] == "true", (name, r.headers)
    media = r.headers["content-type"].split(";")[0]
    if media.endswith("json"):
        json.loads(r.content)
    else:
        fmt = ox.RdfFormat.from_media_type(media)
        assert fmt is not None, media
        list(ox.parse(r.content, fmt))
    return f"200 truncated ({r.headers['x-plangraph-rows']} rows)"


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 12


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_each_query_ends_in_time(server: tuple[str, int], path: Path) -> None:
    url, pid = server
    with RssSampler(pid) as rss:
        start = time.monotonic()
        r = httpx.post(url + "/sparql", data={"query": path.read_text()}, timeout=60)
        elapsed = time.monotonic() - start
    outcome = check_answer(path.stem, r)
    print(f"\n{path.stem}: {outcome} in {elapsed:.2f} s, server RSS peak {rss.peak:.0f} MB")
    assert elapsed <= TIMEOUT + 2, (path.stem, elapsed)
    assert rss.peak < RSS_CAP_MB
    # the server is healthy afterwards
    assert httpx.get(url + "/health", timeout=10).status_code == 200


def test_ask_keeps_answering_under_the_whole_corpus(server: tuple[str, int]) -> None:
    url, pid = server
    stop = time.monotonic() + ATTACK_SECONDS
    outcomes: list[tuple[str, int, float]] = []
    ask_times: list[float] = []
    ask_errors: list[str] = []
    lock = threading.Lock()

    def attack(path: Path) -> None:
        query = path.read_text()
        with httpx.Client(base_url=url, timeout=60) as c:
            for _ in range(1000):  # bounded; ends at ``stop``
                if time.monotonic() > stop:
                    return
                t0 = time.monotonic()
                r = c.post("/sparql", data={"query": query})
                dt = time.monotonic() - t0
                check_answer(path.stem, r)
                with lock:
                    outcomes.append((path.stem, r.status_code, dt))
                if r.status_code == 429:
                    time.sleep(0.1)

    def ask() -> None:
        transport = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(base_url=url, timeout=30, transport=transport) as c:
            for _ in range(100_000):
                if time.monotonic() > stop:
                    return
                t0 = time.monotonic()
                try:
                    r = c.get(
                        "/sparql",
                        params={"query": "ASK {}"},
                        headers={"accept": "application/sparql-results+json"},
                    )
                    ok = r.status_code == 200 and r.json()["boolean"] is True
                    if not ok:
                        ask_errors.append(f"{r.status_code} {r.text[:200]}")
                except httpx.HTTPError as exc:
                    ask_errors.append(repr(exc))
                ask_times.append(time.monotonic() - t0)
                time.sleep(0.05)

    threads = [threading.Thread(target=attack, args=(p,)) for p in CORPUS]
    threads.append(threading.Thread(target=ask))
    with RssSampler(pid) as rss:
        for t in threads:
            t.start()
        for t in threads:
            t.join(ATTACK_SECONDS + 120)
    assert not any(t.is_alive() for t in threads)
    ask_times.sort()
    p95 = ask_times[int(0.95 * (len(ask_times) - 1))]
    ran = [o for o in outcomes if o[1] != 429]
    slowest = max(o[2] for o in outcomes)
    print(
        f"\nattack {ATTACK_SECONDS:.0f} s: {len(outcomes)} corpus requests "
        f"({len(ran)} ran, {len(outcomes) - len(ran)} refused 429), slowest {slowest:.2f} s; "
        f"ASK {{}} x{len(ask_times)}: p50 {statistics.median(ask_times) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {ask_times[-1] * 1000:.0f} ms, "
        f"{len(ask_errors)} errors; server RSS peak {rss.peak:.0f} MB"
    )
    OUT.mkdir(exist_ok=True)
    (OUT / "adversarial.json").write_text(
        json.dumps(
            {
                "corpus_requests": len(outcomes),
                "refused_429": len(outcomes) - len(ran),
                "slowest_s": slowest,
                "ask_count": len(ask_times),
                "ask_p50_ms": statistics.median(ask_times) * 1000,
                "ask_p95_ms": p95 * 1000,
                "ask_errors": len(ask_errors),
                "rss_peak_mb": rss.peak,
            },
            indent=1,
        )
    )
    assert not ask_errors, ask_errors[:5]
    assert len(ask_times) >= 20
    assert slowest <= TIMEOUT + 2 + 2  # + the wait for a worker of this client's own
    assert rss.peak < RSS_CAP_MB


def doubled(times: int, var: str = "x") -> str:
    """BINDs that double a 32-character string ``times`` times: ``?{var}{times}``."""
    binds = "".join(f"BIND(CONCAT(?{var}{i}, ?{var}{i}) AS ?{var}{i + 1}) " for i in range(times))
    return f'BIND("0123456789abcdef0123456789abcdef" AS ?{var}0) {binds}'


GROUP_CONCAT_ALL = (
    "SELECT (GROUP_CONCAT(STR(?o)) AS ?all) WHERE { VALUES ?v { "
    + " ".join(str(i) for i in range(200))
    + " } ?s ?p ?o FILTER(isLiteral(?o)) }"
)
# ten times that: a string past 500 MB in the engine itself (which streams the 200-row one
# to its byte cap within 500 MB since it serialises results itself, issue 21)
GROUP_CONCAT_HUGE = GROUP_CONCAT_ALL.replace(
    " ".join(str(i) for i in range(200)), " ".join(str(i) for i in range(2000))
)


def test_result_bodies_are_capped_and_stay_valid(server: tuple[str, int]) -> None:
    """Item 6: a result had a row cap but no byte cap (one row of nested CONCAT was a 168 MB
    body). Bodies are cut at PLANGRAPH_MAX_RESULT_MB (32): rows past it are dropped, the body
    stays valid and says it was truncated."""
    url, pid = server
    cap = 32 * 1024 * 1024
    forty_rows = (
        "SELECT ?i ?big WHERE { VALUES ?i { "
        + " ".join(str(i) for i in range(40))
        + " } "
        + doubled(15)
        + " BIND(CONCAT(STR(?i), ?x15) AS ?big) }"
    )  # 40 rows of 1 MB
    with RssSampler(pid) as rss:
        for query, fmt in (
            (forty_rows, "json"),
            (forty_rows, "csv"),
            (forty_rows, "xml"),
            (GROUP_CONCAT_ALL, "json"),
            (
                "CONSTRUCT { ?s <urn:p> ?big } WHERE { ?s ?p ?o } LIMIT 40".replace(
                    "WHERE { ", "WHERE { " + doubled(15) + " BIND(?x15 AS ?big) "
                ),
                "ntriples",
            ),
        ):
            r = httpx.get(url + "/sparql", params={"query": query, "format": fmt}, timeout=60)
            assert r.status_code == 200, r.text[:300]
            assert r.headers["x-plangraph-truncated"] == "true", (fmt, len(r.content))
            assert len(r.content) <= cap
            rows = int(r.headers["x-plangraph-rows"])
            if query is forty_rows:
                assert 20 <= rows < 40, rows
                if fmt == "json":
                    assert len(json.loads(r.content)["results"]["bindings"]) == rows
                elif fmt == "csv":
                    assert r.content.count(b"\r\n") == rows + 1
            elif fmt == "ntriples":
                assert len(list(ox.parse(r.content, ox.RdfFormat.N_TRIPLES))) == rows
            else:
                assert json.loads(r.content)["head"]["vars"] == ["all"]
    print(f"\nbyte cap: server RSS peak {rss.peak:.0f} MB")
    assert rss.peak < RSS_CAP_MB


def test_a_query_past_the_memory_cap_is_a_503(paths: ProjectPaths) -> None:
    """Item 4: a worker's MemoryError was a 500 (the README promises 503). With 500 MB per
    worker, a GROUP_CONCAT over every literal x 2,000 rows runs out of memory: 503
    query-too-large, and the worker is replaced (the next query is answered)."""
    env = {"PLANGRAPH_WORKER_MEMORY_MB": "500", "PLANGRAPH_QUERY_WORKERS": "2"}
    with running_server(paths.root, env=env) as url, httpx.Client(base_url=url, timeout=60) as c:
        for fmt in ("json", "csv", "xml"):
            r = c.get("/sparql", params={"query": GROUP_CONCAT_HUGE, "format": fmt})
            assert r.status_code == 503, (fmt, r.status_code, r.text[:300])
            assert r.json()["error"] == "query-too-large", r.text
        for _ in range(3):
            r = c.get("/sparql", params={"query": "ASK {}", "format": "json"})
            assert r.status_code == 200 and r.json()["boolean"] is True
