"""The contributor's map stays true: docs/architecture.md names every subpackage of the library
and of the server, and every module path the README and docs mention exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "docs" / "architecture.md"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PATH = re.compile(r"(?<![\w/.-])((?:plangraph|server)/[\w/.-]*\w)")


def subpackages() -> list[str]:
    found = []
    for top in ("plangraph", "server"):
        found.append(f"{top}/")
        for init in sorted((ROOT / top).rglob("__init__.py")):
            folder = init.parent.relative_to(ROOT).as_posix()
            if folder != top:
                found.append(folder + "/")
    return found


def test_every_subpackage_is_on_the_architecture_page() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    missing = [p for p in subpackages() if f"`{p}" not in text]
    assert not missing, f"docs/architecture.md does not name {missing}"


def test_every_path_the_docs_mention_exists() -> None:
    missing = []
    for doc in DOCS:
        for m in PATH.finditer(doc.read_text(encoding="utf-8")):
            path = m.group(1).rstrip(".")
            if not (ROOT / path).exists():
                missing.append(f"{doc.name}: {path}")
    assert not missing, missing
