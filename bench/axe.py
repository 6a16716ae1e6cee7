"""axe-core violations of every kind of page, by impact, at 1366 and 390 px.

The test (tests/test_accessibility.py) fails on any serious or critical violation; this
records every impact (minor and moderate too) per page and width, with the rules that fired,
on a server it starts. The vendored axe-core (tests/vendor/axe-core) is injected into each
page (the browser context bypasses the page's CSP for that one script).

    .venv/bin/python bench/axe.py

Writes bench/results/axe.json and prints a table.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import ARGS, CHROMIUM  # noqa: E402
from tests.server_process import running_server  # noqa: E402
from tests.test_accessibility import PAGES, WIDTHS, _axe_source  # noqa: E402

IMPACTS = ("critical", "serious", "moderate", "minor")


def main() -> None:
    from playwright.sync_api import sync_playwright

    axe = _axe_source()
    version = (ROOT / "tests" / "vendor" / "axe-core" / "VERSION").read_text().strip()
    results: dict[str, Any] = {}
    with running_server(ROOT) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        for name, path in PAGES.items():
            results[name] = {"path": path}
            for width_name, width in WIDTHS.items():
                context = browser.new_context(
                    base_url=url, viewport={"width": width, "height": 900}, bypass_csp=True
                )
                page = context.new_page()
                page.goto(path)
                page.wait_for_load_state("networkidle")
                page.add_script_tag(content=axe)
                found = page.evaluate(
                    """async () => (await axe.run(document)).violations.map(
                        v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))"""
                )
                context.close()
                counts = {i: sum(v["nodes"] for v in found if v["impact"] == i) for i in IMPACTS}
                results[name][width_name] = {"nodes": counts, "rules": found}
                print(
                    f"{name:14} {width:>5} px  "
                    + "  ".join(f"{i} {counts[i]}" for i in IMPACTS)
                    + (f"  ({', '.join(v['id'] for v in found)})" if found else "")
                )
        browser.close()
    out = ROOT / "bench" / "results" / "axe.json"
    out.write_text(json.dumps({"axe-core": version, "pages": results}, indent=1) + "\n")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
