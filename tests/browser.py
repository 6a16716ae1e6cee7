"""Shared plumbing for the browser tests: Debian's Chromium driven by Playwright.

Chromium is /usr/bin/chromium (`.ci/run` installs it). Without it the browser tests skip,
except in CI (the CI variable set), where they must run. A watched page records console
errors, page errors (CSP violations among them) and any request that leaves the test server;
the fixture fails the test on any of them. Screenshots go to test-output/.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUT = Path(__file__).resolve().parent.parent / "test-output"


def require_chromium() -> Any:
    """The Playwright sync API, or a skip when Chromium is missing outside CI."""
    if not CHROMIUM.exists() and not os.environ.get("CI"):
        pytest.skip(
            "no /usr/bin/chromium (apt-get install chromium); required when CI is set",
            allow_module_level=True,
        )
    return pytest.importorskip("playwright.sync_api")


@contextlib.contextmanager
def launched() -> Iterator[Any]:
    sync_api = require_chromium()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def watched_page(browser: Any, url: str, width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A page on ``url`` whose console errors and outside requests fail the test."""
    context = browser.new_context(base_url=url, viewport={"width": width, "height": height})
    page = context.new_page()
    problems: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(url) else outside.append(r.url))
    page.problems = problems
    try:
        yield page
    finally:
        context.close()
    assert not outside, f"requests to other origins: {outside}"
    assert not problems, f"console errors / CSP violations: {problems}"


def shot(page: Any, name: str) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / name if name.endswith(".png") else OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
