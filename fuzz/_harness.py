"""Shared pieces of the fuzz targets (``fuzz/fuzz_*.py``), usable without atheris.

A target's ``TestOneInput(data)`` feeds the bytes to one parser of the project. A
:class:`plangraph.errors.PlangraphError` (any subclass) is the expected way to reject bad
input; any other exception escapes and is a crash. The regression tests
(tests/test_fuzz_regressions.py) import the targets and call ``TestOneInput`` directly, so
atheris is only needed to fuzz.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

try:
    import atheris
except ImportError:  # replaying inputs (tests) needs no atheris
    atheris = None

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"

_scratch: Path | None = None


def instrumented() -> contextlib.AbstractContextManager:
    """Instrument the ``plangraph`` imports for coverage when run as a fuzz target."""
    if atheris is None or not Path(sys.argv[0]).name.startswith("fuzz_"):
        return contextlib.nullcontext()
    return atheris.instrument_imports(include=["plangraph"])


def scratch_file(name: str, data: bytes) -> Path:
    """Write ``data`` to ``name`` (may have folders) in a private temporary folder (per process)."""
    global _scratch
    if _scratch is None:
        _scratch = Path(tempfile.mkdtemp(prefix="plangraph-fuzz-"))
        atexit.register(shutil.rmtree, _scratch, ignore_errors=True)
    path = _scratch / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@contextlib.contextmanager
def rejections() -> Iterator[None]:
    """Swallow the project's user errors: rejecting malformed input is the right answer."""
    from plangraph.errors import PlangraphError

    with contextlib.suppress(PlangraphError):
        yield


def corpus_files(target: str) -> list[Path]:
    """The seed inputs kept in fuzz/corpus/<target>/."""
    folder = CORPUS / target
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


class LayoutTarget:
    """Fuzz one document layout: the bytes become the document's text (checksum updated)."""

    def __init__(self, layout: str) -> None:
        self.layout = layout
        self._setup: tuple[object, object] | None = None

    def _load(self):
        if self._setup is None:
            from plangraph.paths import ProjectPaths
            from plangraph.sources.catalog import load_source_catalog
            from plangraph.sources.curation import load_curations

            paths = ProjectPaths()
            catalog = load_source_catalog(paths.catalog)
            document = next(d for d in catalog.documents if d.layout == self.layout)
            self._setup = (document, load_curations(paths.curation))
        return self._setup

    def seed_files(self) -> list[Path]:
        """The real source text of the layout (referenced, not copied into the corpus)."""
        document, _ = self._load()
        return [document.path]

    def test_one_input(self, data: bytes) -> None:
        from plangraph.sources.parsers import parse_document

        document, curations = self._load()
        path = scratch_file(document.file, data)
        fuzzed = dataclasses.replace(document, path=path, sha256=hashlib.sha256(data).hexdigest())
        with rejections():
            parse_document(fuzzed, curations)


def main(test_one_input: Callable[[bytes], None]) -> None:
    """Run ``test_one_input`` under atheris with libFuzzer's command-line options."""
    if atheris is None:
        sys.exit("atheris is not installed: pip install -e '.[fuzz]'")
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
