"""The command line, run as a user runs it: a real process, its exit code and its stderr."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from plangraph.paths import ProjectPaths


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PLANGRAPH_ROOT": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "plangraph.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _fix_checksum(paths: ProjectPaths, file: str) -> None:
    path = paths.sources / file
    text = paths.catalog.read_text(encoding="utf-8")
    old = next(
        line
        for line in text.splitlines()
        if line.strip().startswith("sha256:") and _next_to(text, line, file)
    )
    new_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    paths.catalog.write_text(text.replace(old, f"    sha256: {new_sha}"), encoding="utf-8")


def _next_to(text: str, sha_line: str, file: str) -> bool:
    lines = text.splitlines()
    i = lines.index(sha_line)
    return any(f"file: {file}" in line for line in lines[max(0, i - 3) : i])


def _one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_missing_source_file(project_copy: ProjectPaths) -> None:
    (project_copy.sources / "chn-khm-joint-plan-2017-2019-draft.txt").unlink()
    line = _one_line_error(run(project_copy.root, "build"))
    assert line.startswith("plangraph build: ")
    assert "chn-khm-joint-plan-2017-2019-draft.txt: source file is missing" in line
    assert not project_copy.graph.exists()


def test_corrupted_table(project_copy: ProjectPaths) -> None:
    path = project_copy.sources / "vnm-khm-joint-plan-2020-2022.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[28] = lines[28].replace("\t", " ", 3)  # line 29 loses three of its cells
    path.write_text("\n".join(lines), encoding="utf-8")
    _fix_checksum(project_copy, path.name)
    line = _one_line_error(run(project_copy.root, "build"))
    assert f"{path}:29: table row with 4 cells, expected 7" in line
    assert not project_copy.graph.exists()


def test_unknown_agency(project_copy: ProjectPaths) -> None:
    text = project_copy.agencies.read_text(encoding="utf-8")
    project_copy.agencies.write_text(
        text.replace("name: Border Guard\n", "name: Border Guard Command\n"), encoding="utf-8"
    )
    line = _one_line_error(run(project_copy.root, "build"))
    source = project_copy.sources / "vnm-khm-joint-plan-2020-2022.txt"
    assert f"{source}:43: unknown agency 'Border Guard'" in line
    assert not project_copy.graph.exists()


def test_validate_without_dataset(project_copy: ProjectPaths) -> None:
    line = _one_line_error(run(project_copy.root, "validate"))
    assert "no built dataset" in line


def test_validate_reports_on_the_committed_dataset(paths: ProjectPaths) -> None:
    proc = run(paths.root, "validate")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("conforms: 0 violation(s)")
    assert "pgsh:ActivityCommitmentShape" in proc.stdout


def test_query(paths: ProjectPaths) -> None:
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?a a <https://w3id.org/plangraph/ontology#Activity> }"
    proc = run(paths.root, "query", q, "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "n"
    assert int(proc.stdout.splitlines()[1]) >= 42


def test_malformed_query(paths: ProjectPaths) -> None:
    line = _one_line_error(run(paths.root, "query", "SELECT WHERE {"))
    assert line.startswith("plangraph query: parameter 'query': malformed query")


def test_overlaps(paths: ProjectPaths) -> None:
    proc = run(paths.root, "overlaps", "--theme", "victim-identification", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    rows = proc.stdout.splitlines()
    assert rows[0].startswith("overlap,score,plan,number,activity")
    assert len(rows) >= 3  # one group with its members, one row per member
    strong = run(paths.root, "overlaps", "--confidence", "strong", "--format", "json")
    assert strong.returncode == 0, strong.stderr
    kinds = json.loads(strong.stdout)["items"]
    assert kinds and {k["confidence"] for k in kinds} == {"strong"}
    line = _one_line_error(run(paths.root, "overlaps", "--theme", "nope"))
    assert line == "plangraph overlaps: parameter 'theme': unknown theme 'nope'"


CUSTOM_COMPONENT = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://example.org/custom#> .

ex:HasLabelComponent a sh:ConstraintComponent ;
  sh:parameter [ sh:path ex:mustBeLabelled ; sh:datatype xsd:string ] ;
  sh:validator [ a sh:SPARQLAskValidator ; sh:message "not labelled {$mustBeLabelled}" ;
    sh:ask "ASK { $this <http://www.w3.org/2004/02/skos/core#prefLabel> $mustBeLabelled }" ] .

ex:MosvyShape a sh:NodeShape ;
  sh:targetNode <https://w3id.org/plangraph/id/agency/khm/mosvy> ;
  ex:mustBeLabelled "Ministry of Magic" .
"""


@pytest.mark.slow  # pyshacl over the whole dataset: about a minute
def test_validate_never_ignores_a_custom_constraint_component(
    paths: ProjectPaths, project_copy: ProjectPaths
) -> None:
    """SHACL-SPARQL custom components (sh:parameter, sh:validator) were silently ignored by the
    SPARQL engine: the dataset 'conformed'. Now the engine refuses and pyshacl checks them."""
    project_copy.graph.mkdir(parents=True)
    for f in paths.graph.iterdir():
        (project_copy.graph / f.name).write_bytes(f.read_bytes())
    (project_copy.shapes / "zz-custom.ttl").write_text(CUSTOM_COMPONENT, encoding="utf-8")
    proc = run(project_copy.root, "validate")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "validating with pyshacl instead" in proc.stderr
    assert proc.stdout.startswith("DOES NOT CONFORM: 1 violation(s)")
    assert "not labelled Ministry of Magic" in proc.stdout
