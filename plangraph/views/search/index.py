"""Searching one build's index: ranked hits, facet counts, agencies, CSV.

Ranking is SQLite FTS5's ``bm25()`` with the column weights of
:data:`plangraph.views.search.build.STEP_COLUMNS` (a step's own text weighs most, then its number,
outputs, indicators and targets, then its section title and notes), the hits of the query's
own words first and those found only through a longer word of a stem after them
(:mod:`plangraph.views.search.query`, ``exact`` on each hit); snippets and highlights
are FTS5's ``snippet()`` / ``highlight()``. Facets are plain SQL over ``step_facet``: a facet's
counts are taken over the steps that match the query and every *other* facet's selection (so
a facet never counts away its own alternatives), the usual faceted-search rule. Several
values of one facet mean either (``plan=a&plan=b``); different facets must all hold.

An empty query with or without facets browses: every step the facets keep, in plan order
and by number.
"""

from __future__ import annotations

import html
import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from plangraph.errors import QueryError
from plangraph.views.paging import Paged, to_csv, window
from plangraph.views.search.build import AGENT_COLUMNS, ALIAS_SEPARATOR, STEP_COLUMNS
from plangraph.views.search.query import PARAM, ParsedQuery, parse

# the facets a request selects by (``agency`` is counted as ``agency-rollup`` with rollup on)
FACETS = ("plan", "party", "agency", "theme", "year", "role", "kind")
DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
MAX_VALUES = 50  # values per facet parameter
AGENCY_HITS = 20  # agencies returned at most
SNIPPET_TOKENS = 40
_OPEN, _CLOSE = "\x02", "\x03"  # highlight marks: never in indexed text, escaped after
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")
CSV_COLUMNS = (
    "rank",
    "plan",
    "planLabel",
    "number",
    "kind",
    "text",
    "section",
    "score",
    "years",
    "themes",
    "agencies",
    "sources",
    "uri",
    "url",
)


def highlighted(text: str) -> str:
    """FTS5 output with the private marks as HTML: everything escaped except the marks."""
    return html.escape(text).replace(_OPEN, MARK_OPEN).replace(_CLOSE, MARK_CLOSE)


def parse_flag(value: str | bool | None, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise QueryError(f"{value!r} is not a yes/no value (true, false, 1, 0)", param=name)


@dataclass(frozen=True)
class Selection:
    """The facet values a request selects (validated), facet -> values; ``rollup``: count
    agencies into their top-most parent body."""

    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rollup: bool = False

    def table(self, facet: str) -> str:
        """The ``step_facet.facet`` a request facet is read from."""
        return "agency-rollup" if facet == "agency" and self.rollup else facet

    def chosen(self, facet: str) -> tuple[str, ...]:
        return self.values.get(facet, ())

    def to_json(self) -> dict[str, Any]:
        return {**{f: list(self.chosen(f)) for f in FACETS}, "rollup": self.rollup}


@dataclass
class Result(Paged):
    query: ParsedQuery | None
    selection: Selection
    total: int
    limit: int
    offset: int
    items: list[dict[str, Any]]
    facets: dict[str, list[dict[str, Any]]]
    agencies: list[dict[str, Any]]
    agency_total: int


Ranked = tuple[int, float | None, bool | None]  # step id, score, found by the words themselves


def _weights(columns: Sequence[tuple[str, float]]) -> str:
    return ", ".join(str(w) for _, w in columns)


class SearchIndex:
    """The search index of one build (an SQLite database in memory), safe to share between
    threads. It holds no reference to the store it was built from."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._lock = threading.Lock()
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        self.build_id: str = meta["build_id"]
        self.vocabulary: frozenset[str] = frozenset(
            w for (w,) in db.execute("SELECT word FROM words")
        )
        self.step_count: int = db.execute("SELECT count(*) FROM steps").fetchone()[0]
        self.labels: dict[str, dict[str, str]] = {}
        self.orders: dict[str, dict[str, int]] = {}
        for facet, value, label, order in db.execute(
            "SELECT facet, value, label, ord FROM facet_value"
        ):
            self.labels.setdefault(facet, {})[value] = label
            self.orders.setdefault(facet, {})[value] = order
        self.roots: dict[str, str] = dict(db.execute("SELECT key, root FROM agents").fetchall())
        self.plans = [
            {"id": i, "uri": iri, "label": label}
            for i, iri, label in db.execute("SELECT id, iri, label FROM plans ORDER BY ord")
        ]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- requests -----------------------------------------------------------------------

    def selection(
        self, values: Mapping[str, Iterable[str] | None], rollup: str | bool | None = None
    ) -> Selection:
        """Facet parameters (name -> raw values) checked against the index's own identifiers;
        an unknown name or value is a :class:`QueryError` naming the parameter."""
        flag = parse_flag(rollup, "rollup")
        out: dict[str, tuple[str, ...]] = {}
        for name, raw in values.items():
            if name not in FACETS:
                raise QueryError(f"unknown facet (one of: {', '.join(FACETS)})", param=name)
            chosen: list[str] = []
            for item in raw or ():
                value = item.strip()
                if name == "party":
                    value = value.lower().removeprefix("party/")
                if value == "":
                    continue
                known = self.labels.get(name, {})
                if value not in known:
                    shown = value if len(value) <= 80 else value[:80] + "…"
                    raise QueryError(f"no {name} {shown!r} in the index", param=name)
                if name == "agency" and flag:
                    value = self.roots.get(value, value)
                if value not in chosen:
                    chosen.append(value)
            if len(chosen) > MAX_VALUES:
                raise QueryError(f"more than {MAX_VALUES} values", param=name)
            if chosen:
                out[name] = tuple(chosen)
        return Selection(out, flag)

    def parse(self, q: str | None) -> ParsedQuery | None:
        return parse(q or "", self.vocabulary)

    def search(
        self,
        q: str | None = None,
        selection: Selection | None = None,
        *,
        limit: int | None = None,
        offset: int | None = None,
        max_limit: int = MAX_LIMIT,
        min_limit: int = 1,
    ) -> Result:
        """One page of hits for ``q`` under ``selection``, with every facet's counts and the
        agencies whose names match ``q``."""
        selection = selection or Selection()
        limit, offset = window(
            limit, offset, default=DEFAULT_LIMIT, least=min_limit, most=max_limit
        )
        parsed = self.parse(q)
        with self._lock:
            try:
                ranked = self._ranked(parsed, selection)
                page = ranked[offset : offset + limit]
                items = self._items(parsed, page, offset)
                facets = {f: self._facet(parsed, selection, f) for f in FACETS}
                agencies, agency_total = self._agencies(parsed)
            except sqlite3.OperationalError as exc:  # an expression FTS5 still refuses
                raise QueryError(f"cannot search for this: {exc}", param=PARAM) from None
        return Result(
            parsed, selection, len(ranked), limit, offset, items, facets, agencies, agency_total
        )

    def all_hits(self, q: str | None = None, selection: Selection | None = None) -> list[dict]:
        """Every hit of the result set, in order (for CSV), without snippets."""
        selection = selection or Selection()
        parsed = self.parse(q)
        with self._lock:
            try:
                ranked = self._ranked(parsed, selection)
                return self._items(parsed, ranked, 0, snippets=False)
            except sqlite3.OperationalError as exc:
                raise QueryError(f"cannot search for this: {exc}", param=PARAM) from None

    # -- SQL ----------------------------------------------------------------------------

    def _filters(
        self, selection: Selection, skip: str | None = None
    ) -> tuple[list[str], list[object]]:
        """``step IN (...)`` conditions for every selected facet but ``skip``."""
        sql: list[str] = []
        args: list[object] = []  # sqlite parameters, joined with the callers' own
        for facet in FACETS:
            chosen = selection.chosen(facet)
            if facet == skip or not chosen:
                continue
            sql.append(
                "s.id IN (SELECT step FROM step_facet WHERE facet = ? "
                "AND value IN (SELECT value FROM json_each(?)))"
            )
            args.extend([selection.table(facet), json.dumps(list(chosen))])
        return sql, args

    def _ranked(self, parsed: ParsedQuery | None, selection: Selection) -> list[Ranked]:
        """(step id, score, exact) of every hit, best first: the hits of the words themselves
        (``exact``), then those found only through a longer word of a stem, each by BM25
        (browsing: in plan and number order, score and exact None)."""
        where, args = self._filters(selection)
        if parsed is None:
            sql = "SELECT s.id, NULL, NULL FROM steps s"
            order = "s.ord"
        else:
            exact = "1"
            head: list[object] = []
            if parsed.strict != parsed.expression:
                exact = "s.id IN (SELECT rowid FROM steps_fts WHERE steps_fts MATCH ?)"
                head.append(parsed.strict)
            sql = (
                f"SELECT s.id, m.rank, {exact} AS exact FROM steps s JOIN (SELECT rowid, "
                f"bm25(steps_fts, {_weights(STEP_COLUMNS)}) AS rank FROM steps_fts "
                "WHERE steps_fts MATCH ?) m ON m.rowid = s.id"
            )
            args = [*head, parsed.expression, *args]
            order = "exact DESC, m.rank, s.ord"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._db.execute(f"{sql} ORDER BY {order}", args).fetchall()
        return [
            (sid, -rank if rank is not None else None, bool(exact) if exact is not None else None)
            for sid, rank, exact in rows
        ]

    def _facet(
        self, parsed: ParsedQuery | None, selection: Selection, facet: str
    ) -> list[dict[str, Any]]:
        """Counts of one facet's values over the hits under every other facet's selection;
        values with no hit are left out unless selected."""
        table = selection.table(facet)
        where, args = self._filters(selection, skip=facet)
        sql = "SELECT f.value, count(*) FROM step_facet f JOIN steps s ON s.id = f.step"
        if parsed is not None:
            where.insert(0, "s.id IN (SELECT rowid FROM steps_fts WHERE steps_fts MATCH ?)")
            args = [parsed.expression, *args]
        sql += " WHERE " + " AND ".join(["f.facet = ?", *where]) + " GROUP BY f.value"
        args = [table, *args]
        counts = dict(self._db.execute(sql, args).fetchall())
        chosen = set(selection.chosen(facet))
        labels = self.labels.get(table, {})
        orders = self.orders.get(table, {})
        out = [
            {
                "value": value,
                "label": labels.get(value, value),
                "count": counts.get(value, 0),
                "selected": value in chosen,
            }
            for value in sorted(set(counts) | chosen)
        ]
        if facet == "year":
            out.sort(key=lambda v: v["value"])
        elif facet in ("plan", "kind"):
            out.sort(key=lambda v: (orders.get(v["value"], 0), v["value"]))
        else:
            out.sort(key=lambda v: (-v["count"], v["label"].casefold(), v["value"]))
        return out

    def _items(
        self,
        parsed: ParsedQuery | None,
        page: Sequence[Ranked],
        offset: int,
        snippets: bool = True,
    ) -> list[dict[str, Any]]:
        if not page:
            return []
        ids = json.dumps([sid for sid, _, _ in page])
        steps = {
            r[0]: r
            for r in self._db.execute(
                "SELECT s.id, s.iri, s.url, s.plan, p.label, s.number, s.printed_number, s.kind, "
                "s.text, s.section FROM steps s JOIN plans p ON p.id = s.plan "
                "WHERE s.id IN (SELECT value FROM json_each(?))",
                [ids],
            )
        }
        facets: dict[int, dict[str, list[str]]] = {}
        for sid, facet, value in self._db.execute(
            "SELECT step, facet, value FROM step_facet WHERE step IN "
            "(SELECT value FROM json_each(?)) AND facet IN ('year', 'theme', 'agency') "
            "ORDER BY step, facet, value",
            [ids],
        ):
            facets.setdefault(sid, {}).setdefault(facet, []).append(value)
        spans: dict[int, list[dict[str, Any]]] = {}
        for sid, iri, doc, start, end in self._db.execute(
            'SELECT step, iri, document, start, "end" FROM step_span WHERE step IN '
            '(SELECT value FROM json_each(?)) ORDER BY step, document, start, "end"',
            [ids],
        ):
            spans.setdefault(sid, []).append(
                {
                    "uri": iri,
                    "document": doc,
                    "startLine": start,
                    "endLine": end,
                    "href": f"/sources/{doc}?lines={start}-{end}#L{start}",
                }
            )
        marked: dict[int, tuple[str, list[str]]] = {}
        if snippets and parsed is not None:
            columns = ", ".join(
                f"highlight(steps_fts, {i}, '{_OPEN}', '{_CLOSE}')"
                for i in range(len(STEP_COLUMNS))
            )
            for row in self._db.execute(
                f"SELECT rowid, snippet(steps_fts, -1, '{_OPEN}', '{_CLOSE}', '…', "
                f"{SNIPPET_TOKENS}), {columns} FROM steps_fts WHERE steps_fts MATCH ? "
                "AND rowid IN (SELECT value FROM json_each(?))",
                [parsed.expression, ids],
            ):
                matched = [
                    name
                    for (name, _), text in zip(STEP_COLUMNS, row[2:], strict=True)
                    if text and _OPEN in text
                ]
                marked[row[0]] = (row[1], matched)
        out = []
        for rank, (sid, score, exact) in enumerate(page, start=offset + 1):
            _, iri, url, plan, plan_label, number, printed, kind, text, section = steps[sid]
            f = facets.get(sid, {})
            snippet, matched = marked.get(sid, (None, []))
            item: dict[str, Any] = {
                "rank": rank,
                "uri": iri,
                "url": url,
                "plan": plan,
                "planLabel": plan_label,
                "number": number,
                "printedNumber": printed,
                "kind": kind,
                "text": text,
                "section": section,
                "score": round(score, 6) if score is not None else None,
                "exact": exact,
                "years": sorted(int(y) for y in f.get("year", [])),
                "themes": f.get("theme", []),
                "agencies": [
                    {"id": a, "label": self.labels.get("agency", {}).get(a, a)}
                    for a in f.get("agency", [])
                ],
                "sources": spans.get(sid, []),
            }
            if snippets:
                item["snippet"] = highlighted(snippet) if snippet else html.escape(text)
                item["matched"] = matched
            out.append(item)
        return out

    def _agencies(self, parsed: ParsedQuery | None) -> tuple[list[dict[str, Any]], int]:
        """Agencies and parties whose name or an alias matches, best first."""
        if parsed is None:
            return [], 0
        rows = self._db.execute(
            f"SELECT a.iri, a.key, a.url, a.type, a.label, a.aliases, a.party, a.kind_label, "
            f"a.parent, bm25(agents_fts, {_weights(AGENT_COLUMNS)}), "
            f"highlight(agents_fts, 0, '{_OPEN}', '{_CLOSE}'), "
            f"highlight(agents_fts, 1, '{_OPEN}', '{_CLOSE}') "
            "FROM agents_fts JOIN agents a ON a.id = agents_fts.rowid "
            "WHERE agents_fts MATCH ? ORDER BY bm25(agents_fts, "
            f"{_weights(AGENT_COLUMNS)}), a.label",
            [parsed.expression],
        ).fetchall()
        out = []
        for iri, key, url, kind, label, aliases, party, kind_label, parent, rank, hl, hla in rows[
            :AGENCY_HITS
        ]:
            out.append(
                {
                    "id": key,
                    "uri": iri,
                    "url": url,
                    "type": kind,
                    "label": label,
                    "labelHtml": highlighted(hl),
                    "aliases": [a for a in aliases.split(ALIAS_SEPARATOR) if a],
                    "matchedAliases": [
                        highlighted(a) for a in hla.split(ALIAS_SEPARATOR) if _OPEN in a
                    ],
                    "party": (party or "").rsplit("/", 1)[-1] or None,
                    "kind": kind_label,
                    "parent": self._key(parent),
                    "score": round(-rank, 6),
                }
            )
        return out, len(rows)

    def _key(self, iri: str | None) -> str | None:
        if not iri:
            return None
        row = self._db.execute("SELECT key FROM agents WHERE iri = ?", [iri]).fetchone()
        return row[0] if row else None


def hits_csv(items: Iterable[Mapping[str, Any]]) -> str:
    """Hits as CSV (RFC 4180, CRLF): plain columns, lists joined with '; ', sources as
    ``document:start-end``."""
    return to_csv(items, CSV_COLUMNS, span_lines=True)
