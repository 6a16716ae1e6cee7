"""Lighthouse scores of every kind of page, desktop and mobile, on a server it starts.

Lighthouse (npm, pinned in bench/lighthouse/package.json; `make lighthouse` installs it there
with `npm ci`) drives Debian's Chromium (/usr/bin/chromium). For each page and form factor it
records the four category scores (performance, accessibility, best practices, SEO, 0-100) and
the page's transfer size and largest contentful paint as Lighthouse measured them (mobile is
Lighthouse's simulated slow 4G and mid-range phone; desktop its desktop preset).

    .venv/bin/python bench/lighthouse.py

Writes bench/results/lighthouse.json and prints a table.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.server_process import running_server  # noqa: E402

LIGHTHOUSE = ROOT / "bench" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
PAGES = {
    "home": "/",
    "plan": "/id/plan/khm-npa-2011-2013",
    "activity": "/id/plan/vnm-khm-2020-2022/activity/4.1.1",
    "agency": "/id/agency/khm/mosvy",
    "theme": "/id/theme/victim-identification",
    "search": "/search?q=repatriation",
    "overlaps": "/overlaps",
    "network": "/network",
    "query": "/query",
}
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --no-first-run"
)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def run(url: str, form_factor: str, out: Path) -> dict[str, Any]:
    cmd = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        f"--chrome-flags={CHROME_FLAGS}",
        "--output=json",
        f"--output-path={out}",
        "--only-categories=" + ",".join(CATEGORIES),
    ]
    if form_factor == "desktop":
        cmd.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": "/usr/bin/chromium"}
    subprocess.run(cmd, check=True, env=env, timeout=300, capture_output=True)
    report = json.loads(out.read_text())
    audits = report["audits"]
    return {
        **{c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES},
        "transfer_bytes": audits["total-byte-weight"]["numericValue"],
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "failed_accessibility_audits": sorted(
            a["id"]
            for a in audits.values()
            if a.get("scoreDisplayMode") == "binary"
            and a.get("score") == 0
            and a["id"] in {r["id"] for r in report["categories"]["accessibility"]["auditRefs"]}
        ),
    }


def main() -> None:
    if not LIGHTHOUSE.exists():
        sys.exit("Lighthouse is not installed: run `make lighthouse` (npm ci in bench/lighthouse)")
    results: dict[str, Any] = {}
    with running_server(ROOT) as url, tempfile.TemporaryDirectory() as tmp:
        for name, path in PAGES.items():
            results[name] = {"path": path}
            for form_factor in ("desktop", "mobile"):
                scores = run(url + path, form_factor, Path(tmp) / f"{name}-{form_factor}.json")
                results[name][form_factor] = scores
                print(
                    f"{name:9} {form_factor:7} "
                    + " ".join(f"{c[:4]} {scores[c]:>3}" for c in CATEGORIES)
                    + f"  {scores['transfer_bytes']:>9,.0f} B  LCP {scores['lcp_ms']:>5} ms"
                    + (
                        f"  failed: {', '.join(scores['failed_accessibility_audits'])}"
                        if scores["failed_accessibility_audits"]
                        else ""
                    )
                )
    version = json.loads((LIGHTHOUSE.parent.parent / "lighthouse" / "package.json").read_text())
    out = ROOT / "bench" / "results" / "lighthouse.json"
    out.write_text(
        json.dumps({"lighthouse": version["version"], "pages": results}, indent=1) + "\n"
    )
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
