"""Where the project's files are: the inputs, the built dataset's files and the cache.

The root is passed down from settings, never guessed twice. No heavy imports: serving a
dataset reads its file names here without importing the build pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent

# the files of a built dataset, in data/graph/
NQUADS = "plangraph.nq"
TRIG = "plangraph.trig"
MANIFEST = "build.json"


def cache_folder(graph: Path) -> Path:
    """The cache folder of the dataset folder ``graph`` (data/graph/ -> data/cache/): files
    derived per build id (network metrics, the search index), beside the build's own files and
    not part of the build."""
    return graph.parent / "cache"


@dataclass(frozen=True)
class ProjectPaths:
    root: Path = PACKAGE_ROOT

    @property
    def sources(self) -> Path:
        return self.root / "data" / "sources"

    @property
    def catalog(self) -> Path:
        return self.sources / "catalog.yaml"

    @property
    def agencies(self) -> Path:
        return self.root / "data" / "agencies.yaml"

    @property
    def curation(self) -> Path:
        return self.root / "data" / "curation"

    @property
    def overlaps(self) -> Path:
        """The overlap detector's inputs (the lexicon of equivalent phrases)."""
        return self.root / "data" / "overlaps"

    @property
    def graph(self) -> Path:
        return self.root / "data" / "graph"

    @property
    def ontology(self) -> Path:
        return self.root / "ontology"

    @property
    def shapes(self) -> Path:
        return self.root / "shapes"

    @property
    def queries(self) -> Path:
        return self.root / "queries"
