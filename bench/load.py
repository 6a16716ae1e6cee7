"""Concurrent load on a running plangraph server (not a test).

N clients (default 50) share one bounded asyncio httpx client (at most N connections) and
send requests back to back for a bounded time (default 600 s) on a mix of query classes:

    ld-turtle       GET /id/agency/khm/mosvy, Accept: text/turtle
    ld-html         GET /id/plan/{slug}, Accept: text/html (every plan)
    api-activities  GET /api/activities with filters (plan, party, agency, year, text)
    catalog         GET /api/queries/{name} (every catalog query, default parameters)
    sparql-agg      GET /sparql, aggregate SELECTs (COUNT ... GROUP BY)

It records per class the count, the errors (a non-2xx status or a transport error) and the
p50 / p95 latency of the answered requests, prints a table and writes bench/results/load.json
with the machine. Without --url it starts the server itself (tests.server_process
.running_server), which switches the rate limiter off (PLANGRAPH_RATE_PER_MINUTE=0): all
requests come from one IP, so this measures capacity, not the limiter. Against a server run
by `plangraph serve` with its default limits, most requests would be 429s (counted as errors).

    .venv/bin/python bench/load.py [--clients 50] [--seconds 600] [--url URL] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

Request = tuple[str, dict[str, str]]  # path with query string, headers
Maker = Callable[[random.Random], Request]

ACTIVITY_FILTERS = [
    "party=khm",
    "party=vnm",
    "agency=khm/mosvy",
    "year=2021",
    "text=training",
    "party=khm&year=2019&limit=20",
    "text=victim&offset=10&limit=10",
]

SPARQL_AGGREGATES = [
    "SELECT ?type (COUNT(*) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY DESC(?n)",
    "PREFIX pg: <https://w3id.org/plangraph/ontology#>\n"
    "SELECT ?plan (COUNT(?a) AS ?activities) WHERE { ?a a pg:Activity ; pg:plan ?plan }\n"
    "GROUP BY ?plan",
    "PREFIX pg: <https://w3id.org/plangraph/ontology#>\n"
    "SELECT ?year (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a pg:Activity ; pg:year ?year }\n"
    "GROUP BY ?year ORDER BY ?year",
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n) LIMIT 20",
]

# class -> weight in the mix
WEIGHTS = {"ld-turtle": 15, "ld-html": 15, "api-activities": 25, "catalog": 25, "sparql-agg": 20}


@dataclass
class ClassStats:
    count: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        lat = sorted(self.latencies_ms)
        return {
            "count": self.count,
            "errors": self.errors,
            "answered": len(lat),
            "p50_ms": round(percentile(lat, 50), 1) if lat else None,
            "p95_ms": round(percentile(lat, 95), 1) if lat else None,
            "max_ms": round(lat[-1], 1) if lat else None,
            "error_samples": self.error_samples,
        }


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def request_makers(plans: list[str], queries: list[str]) -> dict[str, Maker]:
    turtle = {"Accept": "text/turtle"}
    html = {"Accept": "text/html"}
    sparql_json = {"Accept": "application/sparql-results+json"}
    return {
        "ld-turtle": lambda rng: ("/id/agency/khm/mosvy", turtle),
        "ld-html": lambda rng: (f"/id/plan/{rng.choice(plans)}", html),
        "api-activities": lambda rng: (f"/api/activities?{rng.choice(ACTIVITY_FILTERS)}", {}),
        "catalog": lambda rng: (f"/api/queries/{rng.choice(queries)}", {}),
        "sparql-agg": lambda rng: (
            f"/sparql?query={quote(rng.choice(SPARQL_AGGREGATES))}",
            sparql_json,
        ),
    }


async def _client(
    http: httpx.AsyncClient,
    makers: dict[str, Maker],
    stats: dict[str, ClassStats],
    deadline: float,
    rng: random.Random,
) -> None:
    names, weights = list(WEIGHTS), list(WEIGHTS.values())
    while time.monotonic() < deadline:
        name = rng.choices(names, weights)[0]
        path, headers = makers[name](rng)
        s = stats[name]
        s.count += 1
        start = time.perf_counter()
        try:
            r = await http.get(path, headers=headers)
            await r.aread()
        except httpx.HTTPError as exc:
            s.errors += 1
            if len(s.error_samples) < 5:
                s.error_samples.append(f"{path}: {type(exc).__name__}: {exc}")
            continue
        elapsed = (time.perf_counter() - start) * 1000
        if r.is_success and r.content:
            s.latencies_ms.append(elapsed)
        else:
            s.errors += 1
            if len(s.error_samples) < 5:
                s.error_samples.append(f"{path}: HTTP {r.status_code}: {r.text[:200]}")


async def run_load(url: str, clients: int = 50, seconds: float = 600) -> dict[str, object]:
    """Run the mix against ``url``; returns the report (per-class figures under "classes")."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    timeout = httpx.Timeout(120, pool=None)  # the pool wait is bounded by the run itself
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as http:
        plans = [p["id"] for p in (await http.get("/api/plans?limit=1000")).json()["items"]]
        queries = [q["name"] for q in (await http.get("/api/queries")).json()["queries"]]
        makers = request_makers(plans, queries)
        for make in makers.values():  # warm-up: one of each class, outside the figures
            path, headers = make(random.Random(0))
            (await http.get(path, headers=headers)).raise_for_status()
        stats = {name: ClassStats() for name in WEIGHTS}
        start = time.monotonic()
        deadline = start + seconds
        await asyncio.gather(
            *(_client(http, makers, stats, deadline, random.Random(i)) for i in range(clients))
        )
        wall = time.monotonic() - start
    total = sum(s.count for s in stats.values())
    return {
        "url": url,
        "clients": clients,
        "seconds": seconds,
        "wall_seconds": round(wall, 2),
        "requests": total,
        "requests_per_second": round(total / wall, 1),
        "mix": WEIGHTS,
        "plans": plans,
        "catalog_queries": queries,
        "classes": {name: s.summary() for name, s in stats.items()},
    }


def machine() -> dict[str, object]:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "httpx": httpx.__version__,
    }


def table(report: dict[str, object]) -> str:
    lines = [f"{'class':<16}{'count':>8}{'errors':>8}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}"]
    classes: dict[str, dict[str, object]] = report["classes"]  # type: ignore[assignment]
    for name, c in classes.items():
        lines.append(
            f"{name:<16}{c['count']:>8}{c['errors']:>8}"
            f"{c['p50_ms'] or '-':>10}{c['p95_ms'] or '-':>10}{c['max_ms'] or '-':>10}"
        )
    lines.append(
        f"{report['requests']} requests in {report['wall_seconds']} s "
        f"({report['requests_per_second']}/s), {report['clients']} clients"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--url", help="a running server (default: start one, rate limits off)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/load.json")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0:
        parser.error("--clients and --seconds must be positive")
    if args.url:
        report = asyncio.run(run_load(args.url.rstrip("/"), args.clients, args.seconds))
        report["server"] = "given (--url); its rate limits, if any, apply"
    else:
        from tests.server_process import dataset_folder, running_server

        with running_server(ROOT, graph=dataset_folder()) as url:
            report = asyncio.run(run_load(url, args.clients, args.seconds))
        report["server"] = "started by bench/load.py (running_server: rate limits off)"
    report["machine"] = machine()
    print(table(report))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    classes: dict[str, dict[str, object]] = report["classes"]  # type: ignore[assignment]
    return 1 if any(c["errors"] for c in classes.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
