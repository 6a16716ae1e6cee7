"""The README's screenshot tour, taken from a server it starts, in Debian's Chromium.

    .venv/bin/python docs/screenshots.py

Writes docs/images/*.png (1280 x 800, and one phone at 390 x 844). Run it after a change to
the pages the tour shows, and commit the images with that change.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import ARGS, CHROMIUM  # noqa: E402
from tests.server_process import running_server  # noqa: E402

OUT = ROOT / "docs" / "images"
TOUR = [
    # name, path, a selector to wait for (its text no longer "loading"), one to scroll to
    ("home", "/", None, None),
    (
        "search",
        "/search?q=repatriation&plan=khm-npa-2011-2013&plan=commit-srpa-2005-2007",
        None,
        None,
    ),
    ("theme", "/id/theme/victim-identification", None, None),
    ("agency", "/id/agency/khm/mosvy", None, None),
    ("network", "/network?party=khm&rollup=true", "#network-status", None),
    ("query", "/query?example=agency-commitments&agency=khm/mosvy", "#status", "#status"),
]


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with running_server(ROOT) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        for name, path, ready, scroll in TOUR:
            page = browser.new_page(base_url=url, viewport={"width": 1280, "height": 800})
            page.goto(path)
            page.wait_for_load_state("networkidle")
            if ready:
                page.wait_for_function(
                    f"!document.querySelector({ready!r}).textContent.includes('loading')"
                )
            if scroll:
                page.locator(scroll).evaluate("e => e.scrollIntoView({block: 'start'})")
            page.wait_for_timeout(500)
            page.screenshot(path=str(OUT / f"{name}.png"))
            page.close()
            print(f"docs/images/{name}.png  {url}{path}")
        phone = browser.new_page(base_url=url, viewport={"width": 390, "height": 844})
        phone.goto("/id/theme/repatriation-reintegration")
        phone.wait_for_load_state("networkidle")
        phone.screenshot(path=str(OUT / "phone-theme.png"))
        print("docs/images/phone-theme.png")
        browser.close()


if __name__ == "__main__":
    main()
