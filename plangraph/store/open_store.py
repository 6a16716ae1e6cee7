"""Open the store a setting names: the embedded one or a remote SPARQL server."""

from __future__ import annotations

from pathlib import Path

from plangraph.store.embedded import EmbeddedStore
from plangraph.store.remote import RemoteAccess, RemoteStore


def open_store(
    url: str,
    folder: Path,
    *,
    access: RemoteAccess | None = None,
    timeout: float = 10.0,
) -> EmbeddedStore | RemoteStore:
    """``embedded``: the built dataset in ``folder``; ``sparql+http(s)://...``: that server."""
    if url == "embedded":
        return EmbeddedStore.from_folder(folder)
    return RemoteStore.from_url(url, access=access, timeout=timeout)
