"""Where the metrics graph of a build is cached (data/cache/, one file per build id) and how it
is written: atomically, old builds' files pruned."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

METRICS_CACHE_VERSION = "2"  # bump when the metrics or their RDF change
_CACHE_KEPT = 4  # metrics files of this many builds are kept in the cache folder


def metrics_cache_file(cache: Path, build_id: str, queries: Path) -> Path:
    """Where the metrics graph of build ``build_id`` is cached: the name carries the build
    id and a digest of what else the metrics depend on (the network queries, this code's
    version), so a new build or new queries never read a stale file."""
    h = hashlib.sha256(METRICS_CACHE_VERSION.encode())
    for f in sorted(queries.glob("*.rq")):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return cache / f"metrics-{build_id}-{h.hexdigest()[:12]}.nt"


def write_cache(path: Path, data: bytes) -> None:
    """Write atomically (a reader sees the whole file or none); prune old builds' files.
    A read-only folder is no error: the metrics are computed again next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        old = sorted(
            (f for f in path.parent.glob("metrics-*.nt") if f != path),
            key=lambda f: f.stat().st_mtime,
            reverse=True,
        )
        for f in old[_CACHE_KEPT - 1 :]:
            f.unlink(missing_ok=True)
    except OSError:
        pass
