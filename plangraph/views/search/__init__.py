"""Full-text search with facets over every step and agency of a build (SQLite FTS5).

- :mod:`plangraph.views.search.query` parses what a user types into a safe FTS5 expression;
- :mod:`plangraph.views.search.build` reads the graph through SPARQL (``queries/search/*.rq``) and
  writes the index (one SQLite database), cached per build;
- :mod:`plangraph.views.search.index` answers searches: BM25-ranked hits with highlighted
  snippets, facet counts by plain SQL, matching agencies, CSV.

Why SQLite FTS5 (Python's standard library, no new dependency): Porter stemming, BM25
ranking with column weights, phrase and prefix queries, ``snippet()`` / ``highlight()``, and
the facets as plain SQL over the same file, which is what is cached per build.
"""

from __future__ import annotations

from pathlib import Path

from plangraph.store.base import Store
from plangraph.views.search.build import (
    build_database,
    cache_file,
    read_cache,
    read_graph,
    write_cache,
)
from plangraph.views.search.index import FACETS, Result, SearchIndex, Selection, hits_csv
from plangraph.views.search.query import ParsedQuery, parse

__all__ = [
    "FACETS",
    "ParsedQuery",
    "Result",
    "SearchIndex",
    "Selection",
    "build_index",
    "hits_csv",
    "open_index",
    "parse",
]


def build_index(store: Store, queries: Path) -> SearchIndex:
    """The index of ``store``'s build, built now (no cache)."""
    return SearchIndex(build_database(read_graph(store, queries), store.build_id))


def open_index(store: Store, queries: Path, cache: Path | None = None) -> SearchIndex:
    """The index of ``store``'s build: loaded from the cache folder ``cache`` when this build's
    index was written there before, else built from the store (and written there)."""
    path = cache_file(cache, store.build_id, queries) if cache is not None else None
    if path is not None and (db := read_cache(path, store.build_id)) is not None:
        return SearchIndex(db)
    db = build_database(read_graph(store, queries), store.build_id)
    if path is not None:
        write_cache(path, db)
    return SearchIndex(db)
