"""Quality of the full-text search on the real dataset: recall against grep, and the top 10.

For each query of :data:`tests.test_search.RECALL_QUERIES` it prints how many steps a grep
finds (every word's stem, as a regular expression over the step's full text: number, text,
section title, outputs, indicators, targets, notes; read through SPARQL, not from the
index), how many the search returns, the recall (the share of the grep's steps the search
returns) and the search's top 10 (number and the first 100 characters), so a person can
judge the precision of the top 10; then the time to build the index and to answer each query
(in process: a page of 20 hits with facets, the median of 20 runs, and a page of 1000 hits,
the median of 5). Run:

    .venv/bin/python bench/search_quality.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plangraph.store.embedded import EmbeddedStore  # noqa: E402
from plangraph.views.search import build_index  # noqa: E402
from plangraph.views.search.build import build_database, read_graph  # noqa: E402
from tests.test_search import RECALL_QUERIES, grep_steps, step_texts  # noqa: E402

# a costly query: 32 three-letter prefixes of common words, OR'd
STRESS = [
    f"{w}*"
    for w in (
        *("vic", "tra", "pol", "bor", "pla", "dev", "nat", "sup", "wom", "chi", "coo"),
        *("inf", "cap", "off", "law", "imp", "wor", "reg", "dat", "rep", "gov", "age", "ser"),
        *("rev", "min", "awa", "com", "pre", "pro", "par", "mon", "eva"),
    )
]


def main() -> int:
    store = EmbeddedStore.from_folder(ROOT / "data" / "graph")
    index = build_index(store, ROOT / "queries" / "search")
    texts = step_texts(store)
    print(f"build {store.build_id}: {len(texts)} steps")
    for query, patterns in RECALL_QUERIES.items():
        expected = grep_steps(texts, patterns)
        hits = index.all_hits(query)
        found = {h["uri"] for h in hits}
        recall = len(expected & found) / len(expected) if expected else 1.0
        print()
        print(f"== {query!r}: grep {len(expected)}, hits {len(hits)}, recall {recall:.2f}")
        print(f"   grep: {' AND '.join(patterns)}; search: {index.parse(query).expression}")
        for missed in sorted(expected - found):
            print(f"   MISSED {missed}")
        for h in hits[:10]:
            text = " ".join(h["text"].split())
            mark = "" if h["exact"] else " (longer word of a stem)"
            print(f"   {h['rank']:>2}. {h['plan']} {h['number']}: {text[:100]}{mark}")
    print()
    started = time.perf_counter()
    graph = read_graph(store, ROOT / "queries" / "search")
    read = time.perf_counter() - started
    db = build_database(graph, store.build_id)
    built = time.perf_counter() - started - read
    print(
        f"index: read through SPARQL {read:.3f} s, written {built:.3f} s, "
        f"{len(db.serialize()) / 1e6:.1f} MB ({len(graph.steps)} steps, {len(graph.agents)} agents)"
    )
    for query in [*RECALL_QUERIES, None, "tra*", " OR ".join(STRESS)]:
        for limit in (20, 1000):
            times = []
            for _ in range(20 if limit == 20 else 5):
                started = time.perf_counter()
                index.search(query, limit=limit)
                times.append(time.perf_counter() - started)
            shown = query if query is None or len(query) < 40 else query[:37] + "..."
            print(
                f"search {shown!r}, {limit} hits a page: "
                f"{statistics.median(times) * 1000:.1f} ms (median of {len(times)})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
