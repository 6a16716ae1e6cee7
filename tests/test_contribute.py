"""/contribute over real HTTP and in Chromium: upload a plan workbook, see the cell-level
report, a preview of the plan, download it as TriG; limits on size and zip bombs; the server
stores nothing."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from plangraph.paths import ProjectPaths
from plangraph.sources.workbook.reader import MAX_FILE_BYTES
from tests.browser import shot, watched_page

BOHOL = Path(__file__).parent / "data" / "workbook" / "bohol"
SLUG = "asean-bohol-tip-2017-2020"
PLAN = f"https://w3id.org/plangraph/id/plan/{SLUG}"
PG_PLAN = ox.NamedNode("https://w3id.org/plangraph/ontology#plan")


def bohol_zip(year: str | None = None) -> bytes:
    """The fixture as a zip of CSV files; ``year``: step 4.1's years (to break it)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(BOHOL.glob("*.csv")):
            text = f.read_text(encoding="utf-8")
            if year is not None and f.name == "Steps.csv":
                rows = list(csv.reader(text.splitlines()))
                rows[7][rows[0].index("years")] = year
                out = io.StringIO()
                csv.writer(out, lineterminator="\n").writerows(rows)
                text = out.getvalue()
            z.writestr(f.name, text)
    return buf.getvalue()


def _listing(paths: ProjectPaths) -> list[tuple[str, int]]:
    return sorted((str(p), p.stat().st_mtime_ns) for p in (paths.root / "data").rglob("*"))


def test_a_valid_workbook_is_checked_and_previewed(server_url: str, paths: ProjectPaths) -> None:
    before = _listing(paths)
    files = {"file": ("bohol.zip", bohol_zip(), "application/zip")}
    body = httpx.post(f"{server_url}/api/contribute", files=files, timeout=60).json()
    assert body["valid"] is True and body["problems"] == []
    assert body["plan"]["slug"] == SLUG
    assert (body["plan"]["steps"], body["plan"]["commitments"]) == (7, 12)
    assert _listing(paths) == before  # nothing stored


def test_a_broken_workbook_is_reported_at_its_cell(server_url: str) -> None:
    files = {"file": ("bohol.zip", bohol_zip(year="2031"), "application/zip")}
    body = httpx.post(f"{server_url}/api/contribute", files=files, timeout=60).json()
    assert body["valid"] is False
    assert body["problems"][0] == {
        "sheet": "Steps",
        "cell": "G8",
        "code": "year-outside-period",
        "message": "2031 is outside 2017–2020",
    }


def test_a_zip_bomb_is_refused_with_413(server_url: str) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("Steps.csv", b"0" * (200 * 1024 * 1024))
    files = {"file": ("bomb.zip", buf.getvalue(), "application/zip")}
    r = httpx.post(f"{server_url}/api/contribute", files=files, timeout=60)
    assert r.status_code == 413
    assert r.json()["problems"][0]["code"] == "too-large"


def test_an_upload_over_the_limit_is_refused_before_it_is_read(server_url: str) -> None:
    files = {"file": ("big.xlsx", b"\0" * (MAX_FILE_BYTES + 100 * 1024), "application/zip")}
    r = httpx.post(f"{server_url}/api/contribute", files=files, timeout=60)
    assert r.status_code == 413
    assert r.json()["param"] == "file"


def test_an_upload_without_a_file_is_a_400(server_url: str) -> None:
    r = httpx.post(f"{server_url}/api/contribute", data={"x": "1"}, timeout=60)
    assert r.status_code == 400 and r.json()["param"] == "file"


def test_a_file_that_is_not_a_workbook_is_a_400(server_url: str) -> None:
    files = {"file": ("plan.xlsx", b"not a spreadsheet", "application/octet-stream")}
    r = httpx.post(f"{server_url}/api/contribute", files=files, timeout=60)
    assert r.status_code == 400 and r.json()["problems"][0]["code"] == "unreadable"


@pytest.mark.parametrize("width", [1280, 390])
def test_contribute_page_upload_report_preview_trig(
    browser: object, server_url: str, tmp_path: Path, width: int
) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(bohol_zip(year="2031"))
    good = tmp_path / "bohol.zip"
    good.write_bytes(bohol_zip())
    with watched_page(browser, server_url, width=width) as page:
        page.goto("/")
        page.click("#contribute-link a")
        assert page.url.endswith("/contribute")
        # a broken workbook: the report names the cell
        page.set_input_files("#contribute-file", str(broken))
        page.click("#contribute-check")
        page.wait_for_selector("#contribute-result")
        row = page.inner_text(".contribute-report tbody tr")
        assert "Steps!G8" in row and "year-outside-period" in row and "2031 is outside" in row
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # a valid one: the preview
        page.set_input_files("#contribute-file", str(good))
        page.click("#contribute-check")
        page.wait_for_selector("#contribute-preview")
        preview = page.inner_text("#contribute-preview")
        assert "ASEAN Bohol TIP Work Plan 2017-2020" in preview
        assert "Train law enforcement officers" in preview
        assert "ASEAN Senior Officials Meeting on Transnational Crime (lead)" in preview
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"contribute-preview-{width}")
        # the plan page itself, over a store holding only this plan
        page.set_input_files("#contribute-file", str(good))
        page.click("#contribute-plan")
        page.wait_for_selector("h1")
        assert "ASEAN Bohol TIP Work Plan 2017-2020" in page.inner_text("h1")
        main = page.inner_text("main")
        assert "Exchange information on trafficking syndicates" in main
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"contribute-plan-page-{width}")
        page.go_back()
        page.wait_for_selector("#contribute-file")
        # the TriG download
        page.set_input_files("#contribute-file", str(good))
        with page.expect_download() as info:
            page.click("#contribute-trig")
        download = info.value
        assert download.suggested_filename == f"{SLUG}.trig"
        data = Path(download.path()).read_bytes()
        quads = list(ox.parse(data, format=ox.RdfFormat.TRIG))
        plan = ox.NamedNode(PLAN)
        assert any(q.subject == plan for q in quads)
        parts = {q.subject for q in quads if q.predicate == PG_PLAN and q.object == plan}
        assert len(parts) == 7 + 4  # the steps and the sections
