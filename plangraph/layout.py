"""The names of a built dataset's files in data/graph/ and of its cache folder (no heavy imports).

Kept apart from :mod:`plangraph.build` (rdflib, pyshacl) so that serving a dataset does not
import the build pipeline.
"""

from pathlib import Path

NQUADS = "plangraph.nq"
TRIG = "plangraph.trig"
MANIFEST = "build.json"
# derived files keyed by build id (network metrics): data/cache/, beside data/graph/ (which
# holds the build's files only), not part of the build


def cache_folder(graph: Path) -> Path:
    """The cache folder of the dataset folder ``graph`` (data/graph/ -> data/cache/)."""
    return graph.parent / "cache"
