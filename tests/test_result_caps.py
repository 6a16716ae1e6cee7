"""Issue 21, item 1: SELECT results written by the engine and cut at the row and byte caps say
the same as the Python writer: a prefix of the full answer, valid, with the right count and
truncated flag, within the caps. Random answers with literals that look like the cut marks
(newlines, ``},{"``, ``<result>``, commas and quotes), every format, several caps."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable

import pyoxigraph as ox
import pytest

from plangraph.store.results import Solutions, answer_output

VALUES = [
    '"x\\nq\\r\\ny,{\\"},{\\"<result>"',
    "UNDEF",
    "<http://e/x>",
    '"1"^^<http://www.w3.org/2001/XMLSchema#integer>',
    '"a,b"@en',
    '"plain text here"',
    '"},{}"',
    '"</result>\\t"',
]
PARSERS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "tsv": ox.QueryResultsFormat.TSV,
}
STORE = ox.Store()


def _solutions(query: str, engine: bool) -> Solutions:
    answer = STORE.query(query)
    assert isinstance(answer, ox.QuerySolutions)
    names = [v.value for v in answer.variables]
    again: Callable[[], Solutions] = lambda: _solutions(query, engine=False)  # noqa: E731
    return Solutions(
        names,
        ([s[v] for v in names] for s in answer),
        engine=answer if engine else None,
        again=again if engine else None,
    )


def _rows(fmt: str, body: bytes) -> list[tuple[object, ...]]:
    if fmt == "csv":
        return [tuple(r) for r in list(csv.reader(io.StringIO(body.decode())))[1:]]
    return [tuple(s) for s in ox.parse_query_results(body, PARSERS[fmt])]


@pytest.mark.parametrize("fmt", ["json", "xml", "tsv", "csv"])
def test_engine_written_results_keep_the_caps_exact(fmt: str) -> None:
    rng = random.Random(2)
    checked = 0
    for _ in range(60):
        rows = [[rng.choice(VALUES) for _ in range(2)] for _ in range(rng.randint(0, 12))]
        data = " ".join("(" + " ".join(r) + ")" for r in rows)
        query = f"SELECT ?a ?b WHERE {{ VALUES (?a ?b) {{ {data} }} }}"
        if fmt == "csv":  # lexical values: the Python writer's CSV is the reference
            want = _rows(fmt, answer_output(_solutions(query, False), [fmt], None, None).body)
        else:  # the engine's own solutions, term for term
            want = [tuple(s) for s in STORE.query(query)]  # type: ignore[union-attr]
        for max_rows in (None, 0, 1, 3, 20):
            for max_bytes in (None, 60, 150, 300, 700, 100_000):
                if max_rows is not None and max_bytes is None:
                    continue
                out = answer_output(_solutions(query, True), [fmt], max_rows, max_bytes)
                got = _rows(fmt, out.body)
                assert out.count == len(got), (max_rows, max_bytes, out.body)
                assert got == want[: len(got)], (max_rows, max_bytes, out.body)
                assert out.truncated == (len(got) < len(want)), (max_rows, max_bytes)
                if max_rows is not None:
                    assert len(got) <= max_rows
                if max_bytes is not None:
                    assert len(out.body) <= max_bytes or out.count == 0, (len(out.body), max_bytes)
                checked += 1
    assert checked == 60 * 26  # 5 row caps x 6 byte caps, less a row cap alone (4)
