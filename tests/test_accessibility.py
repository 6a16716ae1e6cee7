"""Every kind of page, in Chromium, at a desktop and a phone width: axe-core finds no serious
or critical violation, and nothing scrolls sideways at 390 px.

axe-core is vendored (tests/vendor/axe-core/: the npm package's built axe.min.js, unchanged,
its MPL-2.0 licence, VERSION and SHA256SUMS; refresh.sh re-vendors it). It is injected into
the page under test (the context bypasses the page's CSP for that one script, nothing else).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.browser import require_chromium, shot

require_chromium()

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core"
PAGES = {
    "home": "/",
    "plan": "/id/plan/khm-npa-2011-2013",
    "activity": "/id/plan/vnm-khm-2020-2022/activity/4.1.1",
    "agency": "/id/agency/khm/mosvy",
    "agencies": "/agencies",
    "theme": "/id/theme/victim-identification",
    "themes": "/themes",
    "party": "/id/party/khm",
    "year": "/years/2021",
    "search": "/search?q=repatriation",
    "search-facets": "/search?q=training&plan=khm-npa-2011-2013&rollup=true",
    "overlaps": "/overlaps",
    "diff": "/diff?a=khm-tha-2023-2025/annex-3&b=khm-tha-2023-2025/annex-4",
    "plan-with-versions": "/id/plan/khm-tha-2023-2025",
    "network": "/network",
    "query": "/query",
    "source": "/sources/vnm-khm-jpa-2020-2022?lines=12-16",
    "contribute": "/contribute",
}
WIDTHS = {"desktop": 1366, "phone": 390}


def _axe_source() -> str:
    body = (AXE / "axe.min.js").read_bytes()
    expected = (AXE / "SHA256SUMS").read_text().split()[0]
    assert hashlib.sha256(body).hexdigest() == expected, "axe.min.js differs from SHA256SUMS"
    return body.decode()


@pytest.fixture(scope="module")
def axe_source() -> str:
    return _axe_source()


@pytest.mark.parametrize("width_name", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_accessibility_violation(
    browser, axe_source: str, server_url: str, name: str, width_name: str
) -> None:
    width = WIDTHS[width_name]
    context = browser.new_context(
        base_url=server_url, viewport={"width": width, "height": 900}, bypass_csp=True
    )
    try:
        page = context.new_page()
        response = page.goto(PAGES[name])
        assert response is not None and response.status == 200, PAGES[name]
        page.wait_for_load_state("networkidle")
        page.add_script_tag(content=axe_source)
        result = page.evaluate(
            """async () => {
                const r = await axe.run(document, {resultTypes: ['violations']});
                return r.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
            }"""
        )
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        shot(page, f"a11y-{name}-{width_name}")
    finally:
        context.close()
    assert not bad, f"{PAGES[name]} at {width} px: {bad}"
    assert scroll_width <= width, f"{PAGES[name]} scrolls sideways at {width} px: {scroll_width}"
