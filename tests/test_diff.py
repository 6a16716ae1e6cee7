"""Plan versions and diffs: the library on the real dataset, the CLI as a real process, the
API and the page over real HTTP, a reader's journey in a real browser, and the release note
between two builds.

The Annex 3 / Annex 4 expectations were read off data/sources/khm-tha-meeting-2023-01.txt:
Annex 3 (lines 220-307) has the thirteen actions 1.1-1.4, 2.1-2.5 and 3.1-3.4; Annex 4 (lines
308-313) is a quarterly schedule whose activities are the "•" bullets; it names no agency.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from plangraph.paths import ProjectPaths
from plangraph.store.embedded import EmbeddedStore
from plangraph.views.diff import TEXT_MATCH, Diff, DiffReader, diff, similarity
from plangraph.views.release_note import compare_builds, release_note

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "data" / "sources" / "khm-tha-meeting-2023-01.txt"
PLAN = "https://w3id.org/plangraph/id/plan/khm-tha-2023-2025"
A3, A4 = "khm-tha-2023-2025/annex-3", "khm-tha-2023-2025/annex-4"
PRINTED_ANNEX3 = ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "2.5"]
PRINTED_ANNEX3 += ["3.1", "3.2", "3.3", "3.4"]
PG = "https://w3id.org/plangraph/ontology#"


def source_lines() -> list[str]:
    return SOURCE.read_text(encoding="utf-8").splitlines()


def annex4_bullets() -> int:
    lines = source_lines()
    start = next(i for i, t in enumerate(lines) if t.startswith("Annex 4"))
    return sum(t.count("•") for t in lines[start:])


@pytest.fixture(scope="module")
def store(paths: ProjectPaths) -> EmbeddedStore:
    return EmbeddedStore.from_folder(paths.graph)


@pytest.fixture(scope="module")
def reader(store: EmbeddedStore, paths: ProjectPaths) -> DiffReader:
    return DiffReader(store, paths.queries / "diff")


@pytest.fixture(scope="module")
def annexes(reader: DiffReader) -> Diff:
    return diff(reader, A3, A4)


def count(store: EmbeddedStore, where: str) -> int:
    rows = store.select(
        f"PREFIX pg: <{PG}> PREFIX prov: <http://www.w3.org/ns/prov#> "
        f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"
    )
    return int(rows[0]["n"])


# -- the versions in the graph -------------------------------------------------------------


def test_the_minutes_print_two_drafts_the_second_revising_the_first(reader: DiffReader) -> None:
    versions = reader.versions_of(PLAN)
    assert [(v.slug, v.title, v.status) for v in versions] == [
        (A3, "Proposed Draft Plan of Action", "draft"),
        (A4, "Final Version of Draft Plan of Action", "draft"),
    ]
    a3, a4 = versions
    assert a3.revision_of is None and a4.revision_of == a3.iri
    lines = source_lines()
    # each version's lines start at its annex heading
    assert lines[a3.spans[0].start - 1].startswith("Annex 3 – Proposed Draft Plan of Action")
    assert lines[a4.spans[-1].start - 1].startswith("Annex 4 - Final Version of Draft")
    # and the minutes say Annex 4 is the final version of the draft
    said = next(s for s in a4.spans if s.start == s.end)
    assert (
        "final version of the draft Plan of Action is attached in Annex 4" in lines[said.start - 1]
    )


def test_no_other_plan_has_versions_the_china_plan_stays_a_draft(reader: DiffReader) -> None:
    plans = [s for s in reader.sides() if s.kind == "plan"]
    assert len(plans) == 5
    assert {s.plan for s in reader.sides() if s.kind == "version"} == {PLAN}
    china = reader.side("chn-khm-2017-2019", "a")
    assert china.status == "draft"


def test_each_version_holds_only_steps_of_its_plan(store: EmbeddedStore) -> None:
    outside = count(
        store,
        "?v a pg:PlanVersion ; <http://purl.org/dc/terms/isVersionOf> ?p ; "
        "pg:includesStep ?s . FILTER NOT EXISTS { ?s pg:plan ?p }",
    )
    assert outside == 0
    # the two versions together hold every step of the plan, none twice
    held = count(store, f"?v pg:includesStep ?s . ?s pg:plan <{PLAN}>")
    steps = count(store, f"?s a pg:Step ; pg:plan <{PLAN}>")
    assert held == steps == len(PRINTED_ANNEX3) + annex4_bullets()


# -- Annex 3 vs Annex 4 ----------------------------------------------------------------------


def test_annex3_vs_annex4_in_numbers(annexes: Diff, store: EmbeddedStore) -> None:
    steps = annexes.counts["steps"]
    # Annex 4 keeps no action of Annex 3: its schedule is new wording throughout
    assert [c.a.number for c in annexes.of("removed") if c.a] == PRINTED_ANNEX3
    assert steps["removed"] == 13
    assert steps["added"] == annex4_bullets() == 8
    assert steps["changed"] == steps["unchanged"] == 0
    # every commitment of Annex 3 goes with its action; Annex 4 names no agency
    a3_commitments = count(
        store,
        f"<{PLAN}/version/annex-3> pg:includesStep ?s . ?c a pg:Commitment ; pg:activity ?s",
    )
    a4_commitments = count(
        store,
        f"<{PLAN}/version/annex-4> pg:includesStep ?s . ?c a pg:Commitment ; pg:activity ?s",
    )
    assert a4_commitments == 0
    assert annexes.counts["commitments"] == {"added": 0, "removed": a3_commitments, "changed": 0}


def test_no_pair_of_annex_texts_is_alike_enough_to_match(reader: DiffReader, annexes: Diff) -> None:
    a3, a4 = reader.side(A3, "a"), reader.side(A4, "b")
    best = max(similarity(x.text, y.text) for x in reader.steps(a3) for y in reader.steps(a4))
    assert 0 < best < TEXT_MATCH
    # each step of one side only names the most alike step of the other side, and how alike
    nearest = [c.nearest for c in annexes.steps]
    assert all(n is not None and n[1] < TEXT_MATCH for n in nearest)
    assert max(n[1] for n in nearest if n is not None) == best
    for c in annexes.steps:
        one, (other, score) = (c.a or c.b), c.nearest  # type: ignore[misc]
        assert one is not None and score == similarity(one.text, other.text)


def test_a_removed_and_an_added_step_checked_against_the_source(annexes: Diff) -> None:
    lines = source_lines()
    removed = {c.a.number: c for c in annexes.of("removed") if c.a}
    step = removed["3.1"]
    assert step.a is not None
    (span,) = step.a.spans
    assert "3.1 Develop a guideline for processing compensation claims" in lines[span.start - 1]
    # "МоЈ" responsible (Cyrillic look-alikes as printed), "MoJ and justice group" partners
    roles = {(c.agency.rsplit("/", 1)[-1], c.roles("a")) for c in step.commitments}
    assert roles == {
        ("moj", "implementing-partner, responsible"),
        ("justice-group", "implementing-partner"),
    }
    assert {c.status for c in step.commitments} == {"removed"}
    added = {c.b.number: c for c in annexes.of("added") if c.b}
    last = added["y3-q4.2"]
    assert last.b is not None and last.b.text == "Develop POA #2 (2026 – 2028)"
    assert last.b.quarters == ("2025-Q4",)
    assert "• Develop POA #2 (2026 – 2028)" in lines[last.b.spans[0].start - 1]
    assert not last.commitments


def test_a_plan_diffed_with_another_matches_by_number(reader: DiffReader) -> None:
    d = diff(reader, "vnm-khm-2020-2022", "https://w3id.org/plangraph/id/plan/chn-khm-2017-2019")
    total_a = len(reader.steps(reader.side("vnm-khm-2020-2022", "a")))
    s = d.counts["steps"]
    assert s["removed"] + s["changed"] + s["unchanged"] == total_a
    assert all(c.matched_by in ("number", "text") for c in d.steps if c.a and c.b)


# -- the command line ----------------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plangraph.cli", "diff", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PLANGRAPH_ROOT": str(ROOT)},
        timeout=300,
    )


def test_cli_text_and_json_agree_with_the_library(annexes: Diff) -> None:
    text = run(A3, A4)
    assert text.returncode == 0, text.stderr
    assert "steps: 8 added, 13 removed, 0 changed, 0 unchanged" in text.stdout
    assert re.search(r"^- 3\.1 \[khm-tha-meeting-2023-01, line 295\] Develop", text.stdout, re.M)
    js = run("--json", A3, A4)
    assert js.returncode == 0, js.stderr
    body = json.loads(js.stdout)
    assert body["counts"] == annexes.counts
    assert body["b"]["revisionOf"] == body["a"]["uri"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((A3, "no-such-plan"), "parameter 'b': no plan or plan version 'no-such-plan'"),
        (("a b", A4), "parameter 'a': 'a b' is neither a plan slug"),
        ((A3, A3), "parameter 'b': a and b are the same"),
        (("--builds", "/nonexistent/old", "data/graph"), "parameter 'OLD': not a folder"),
    ],
)
def test_cli_bad_argument_exit_2_one_line(args: tuple[str, ...], message: str) -> None:
    proc = run(*args)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr


# -- two builds: the release note ------------------------------------------------------------


def test_release_note_between_two_builds(tmp_path: Path, paths: ProjectPaths) -> None:
    """An older build made from this one: a step's text and one of its agencies' role
    changed, a step gone, a step renumbered, a step's year changed, the versions absent. The
    note says exactly that."""
    step = "https://w3id.org/plangraph/id/plan/vnm-khm-2020-2022/activity/"
    desc = "<http://purl.org/dc/terms/description>"
    old_lines = []
    for line in (paths.graph / "plangraph.nq").read_text(encoding="utf-8").splitlines():
        subject = line.split(" ", 1)[0]
        if subject.startswith(f"<{step}1.1.2>") or subject.startswith(f"<{step}1.1.2/"):
            continue  # step 1.1.2 and its commitments, outputs... did not exist
        if "/version/" in subject or "/version/" in line.split(" ")[2]:
            continue  # nor did the versions
        if line.startswith(f"<{step}1.1.1> {desc} "):
            line = (
                f'<{step}1.1.1> {desc} "Identify the points of contact." '
                + line.rsplit(" ", 2)[-2]
                + " ."
            )
        if line.startswith(f"<{step}1.2.1> <{PG}number> "):
            line = line.replace('"1.2.1"', '"9.9.9"')
        if line.startswith(
            f"<{step}1.1.1/commitment/responsible-khm-commit-task-force> <{PG}role>"
        ):
            line = line.replace("/role/responsible>", "/role/support>")
        if line.startswith(f"<{step}1.3.1> <{PG}year> "):
            line = line.replace('"2020"', '"2019"')
        old_lines.append(line)
    old = tmp_path / "old"
    old.mkdir()
    (old / "plangraph.nq").write_text("\n".join(old_lines) + "\n", encoding="utf-8")

    bd = compare_builds(old, paths.graph, paths.queries / "diff")
    assert {s.slug for s in bd.added} == {A3, A4} and not bd.removed
    vk = next(p for p in bd.plans if p.b.slug == "vnm-khm-2020-2022")
    changed = {c.b.number: c for c in vk.of("changed") if c.b}
    assert [f.field for f in changed["1.1.1"].fields] == ["text"]
    assert changed["1.1.1"].fields[0].before == "Identify the points of contact."
    (role,) = changed["1.1.1"].commitments
    assert (role.status, role.what, role.roles("a"), role.roles("b")) == (
        "changed",
        ("role",),
        "support",
        "responsible",
    )
    assert [(f.field, f.before, f.after) for f in changed["1.3.1"].fields] == [
        ("years", "2019", "2020")
    ]
    assert changed["1.2.1"].matched_by == "text" and changed["1.2.1"].similarity == 1.0
    assert [f.field for f in changed["1.2.1"].fields] == ["number"]
    assert [c.b.number for c in vk.of("added") if c.b] == ["1.1.2"]
    assert all(p.counts["steps"]["changed"] == 0 for p in bd.plans if p is not vk)

    proc = run("--builds", str(old), str(paths.graph))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == release_note(bd)
    assert f"- added version `{A3}`" in proc.stdout
    assert "- changed 1.1.1: text, 1 agency" in proc.stdout
    assert "- changed 1.3.1: years" in proc.stdout
    assert "- changed 9.9.9 → 1.2.1" in proc.stdout
    assert "- added 1.1.2: Have consensus of communicating mechanism" in proc.stdout


# -- over HTTP -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(server_url: str):
    with httpx.Client(base_url=server_url, timeout=60) as c:
        yield c


def test_api_json_and_csv(client: httpx.Client, annexes: Diff) -> None:
    params = {"a": A3, "b": A4}
    body = client.get("/api/diff", params=params).json()
    assert body["counts"] == annexes.counts
    removed = [s for s in body["steps"] if s["status"] == "removed"]
    assert [s["a"]["number"] for s in removed] == PRINTED_ANNEX3
    assert removed[0]["a"]["spans"][0]["href"].startswith("/sources/khm-tha-meeting-2023-01?")
    r = client.get("/api/diff.csv", params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    steps = [row for row in rows if row["what"] == "step"]
    assert len(steps) == 13 + 8
    gone = [row for row in rows if row["what"] == "commitment" and row["status"] == "removed"]
    assert (
        sum(len(row["role_a"].split(", ")) for row in gone)
        == annexes.counts["commitments"]["removed"]
    )


@pytest.mark.parametrize(
    ("params", "status", "param"),
    [
        ({"a": A3, "b": "nope"}, 404, "b"),
        ({"a": "<bad iri>", "b": A4}, 400, "a"),
        ({"a": A3, "b": A3}, 400, "b"),
    ],
)
def test_api_bad_arguments(client: httpx.Client, params: dict, status: int, param: str) -> None:
    r = client.get("/api/diff", params=params)
    assert r.status_code == status, r.text
    assert r.json()["param"] == param


def test_the_same_diff_over_a_remote_store(
    server_url: str, paths: ProjectPaths, annexes: Diff
) -> None:
    """Read through SPARQL only: over the server's own /sparql endpoint as a remote store,
    the diff is the same as on the embedded store (no publication record there: its default
    graph is the whole dataset)."""
    from plangraph.store.remote import RemoteStore

    remote = DiffReader(
        RemoteStore(f"{server_url}/sparql", timeout=60, load=False), paths.queries / "diff"
    )
    assert diff(remote, A3, A4).to_json() == annexes.to_json()


def test_plan_page_links_only_plans_with_versions(client: httpx.Client) -> None:
    page = client.get("/id/plan/khm-tha-2023-2025", headers={"accept": "text/html"}).text
    assert 'class="compare-link"' in page
    other = client.get("/id/plan/vnm-khm-2020-2022", headers={"accept": "text/html"}).text
    assert "compare-link" not in other


# -- in a browser ----------------------------------------------------------------------------


def test_journey_compare_versions_and_follow_a_change_to_the_source(
    browser, server_url: str
) -> None:
    from tests.browser import shot, watched_page

    with watched_page(browser, server_url, width=390, height=844) as page:
        page.goto("/id/plan/khm-tha-2023-2025")
        page.get_by_role("link", name="compare with the other version").click()
        page.wait_for_url(re.compile(r"/diff\?"))
        assert page.locator("#step-counts").inner_text() == (
            "8 added, 13 removed, 0 changed, 0 unchanged"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "diff-phone")
        change = page.locator("article.change-removed", has_text="3.1 ")
        assert "processing compensation claims" in change.inner_text()
        assert "Ministry of Justice: implementing-partner, responsible" in change.inner_text()
        assert change.locator("ul.commitments a.src").count() >= 2  # each with its lines
        change.get_by_role(
            "link", name=re.compile(r"^A: khm-tha-meeting-2023-01, line 295")
        ).click()
        page.wait_for_url(re.compile(r"/sources/khm-tha-meeting-2023-01\?lines=295-295"))
        marked = page.locator("pre.source .line.hl")
        assert "3.1 Develop a guideline for processing compensation claims" in (
            marked.first.inner_text()
        )
        # the download links answer
        page.go_back()
        href = page.locator("#diff-csv").get_attribute("href")
        assert href is not None
        r = httpx.get(server_url + href)
        assert r.status_code == 200 and r.text.startswith("status,what,number_a")
