"""The worked examples of the README and docs/, run as a reader would, against the real server.

An example is a fenced ``python`` or ``sh`` block preceded by a marker line
``<!-- example: NAME expect="TEXT" -->``; it must exit 0 and print TEXT. The README's
``http://127.0.0.1:8000`` is replaced by the test server's address.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_EXAMPLE = re.compile(
    r'<!-- example: (?P<name>[\w-]+) expect="(?P<expect>[^"]+)" -->\s*\n'
    r"```(?P<lang>python|sh)\n(?P<code>.*?)\n```",
    re.DOTALL,
)
EXAMPLES = [
    {**m.groupdict(), "file": doc.name}
    for doc in DOCUMENTS
    for m in _EXAMPLE.finditer(doc.read_text(encoding="utf-8"))
]


def test_the_readme_has_examples_for_each_kind_of_user() -> None:
    names = {e["name"].split("-")[0] for e in EXAMPLES}
    assert {"researcher", "donor", "analyst"} <= names, names
    readme = {e["name"].split("-")[0] for e in EXAMPLES if e["file"] == "README.md"}
    assert {"researcher", "donor", "analyst"} <= readme, readme  # one quick start each


def test_example_names_are_unique() -> None:
    names = [e["name"] for e in EXAMPLES]
    assert len(names) == len(set(names)), names


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["name"] for e in EXAMPLES])
def test_example(example: dict[str, str], server_url: str, tmp_path: Path) -> None:
    code = example["code"].replace("http://127.0.0.1:8000", server_url)
    if example["lang"] == "python":
        cmd = [sys.executable, "-c", code]
    else:
        bin_dir = str(Path(sys.executable).parent)  # the venv's plangraph and python first
        code = f'export PATH="{bin_dir}:$PATH"\n{code}'
        # no pipefail: `curl … | head -2` is how a reader looks at a file, and curl exits 23
        # when head has closed the pipe before the body ended (a race, not a failure); a
        # command that fails leaves its expected output missing, which the assert below sees
        cmd = ["bash", "-eu", "-c", code]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=dict(os.environ)
    )
    assert proc.returncode == 0, proc.stderr
    assert example["expect"] in proc.stdout, proc.stdout[:2000]
