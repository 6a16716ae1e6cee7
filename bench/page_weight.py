"""Page weight and time, with and without compression, on a server it starts.

For each page (and the data the page loads): the bytes on the wire and the median time of
``--runs`` requests, once with ``Accept-Encoding: identity`` (what every page cost before
compression) and once with ``gzip``; also the page with everything it loads (its scripts,
styles and data requests, as Chromium fetches them) when Chromium is there.

    .venv/bin/python bench/page_weight.py [--runs 20]

Writes bench/results/page-weight.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.server_process import running_server  # noqa: E402

PAGES = {
    "home": "/",
    "national plan": "/id/plan/khm-npa-2011-2013",
    "agency (MoSVY)": "/id/agency/khm/mosvy",
    "overlaps": "/overlaps",
    "network": "/network",
    "network data": "/api/network",
    "search": "/search?q=repatriation",
    "source text": "/sources/khm-npa-2011-2013?lines=100-120",
    "query": "/query",
}


def measure(client: httpx.Client, path: str, encoding: str, runs: int) -> dict[str, Any]:
    times, size, status = [], 0, 0
    for _ in range(runs + 1):
        request = client.build_request("GET", path, headers={"Accept-Encoding": encoding})
        t0 = time.perf_counter()
        response = client.send(request, stream=True)
        body = b"".join(response.iter_raw())
        elapsed = (time.perf_counter() - t0) * 1000
        response.close()
        size, status = len(body), response.status_code
        times.append(elapsed)
    times = times[1:]  # the first request warms caches
    return {"status": status, "bytes": size, "ms_p50": round(statistics.median(times), 2)}


def with_assets(url: str, path: str) -> dict[str, int] | None:
    """Bytes the browser transfers for the page and everything it loads (gzip on)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path("/usr/bin/chromium").exists():
        return None
    total = {"requests": 0, "bytes": 0}
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = b.new_page()

        def done(request: Any) -> None:
            sizes = request.sizes()
            total["requests"] += 1
            total["bytes"] += sizes["responseBodySize"] + sizes["responseHeadersSize"]

        page.on("requestfinished", done)
        page.goto(url + path)
        page.wait_for_load_state("networkidle")
        b.close()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with running_server(ROOT) as url, httpx.Client(base_url=url, timeout=60) as client:
        build = client.get("/health").json()["build"]
        for name, path in PAGES.items():
            plain = measure(client, path, "identity", args.runs)
            packed = measure(client, path, "gzip", args.runs)
            row = {"path": path, "identity": plain, "gzip": packed}
            row["ratio"] = round(packed["bytes"] / plain["bytes"], 3) if plain["bytes"] else None
            row["with_assets_gzip"] = with_assets(url, path)
            results[name] = row
            print(
                f"{name:16} {plain['bytes']:>9,} B {plain['ms_p50']:>7.1f} ms  ->  "
                f"{packed['bytes']:>8,} B {packed['ms_p50']:>7.1f} ms  ({row['ratio']})"
                + (
                    f"  page+assets {row['with_assets_gzip']['bytes']:,} B in "
                    f"{row['with_assets_gzip']['requests']} requests"
                    if row["with_assets_gzip"]
                    else ""
                )
            )
    out = ROOT / "bench" / "results" / "page-weight.json"
    out.write_text(json.dumps({"build": build, "runs": args.runs, "pages": results}, indent=1))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
