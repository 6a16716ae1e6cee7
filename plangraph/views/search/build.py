"""Building the search index of one build: read through SPARQL, written to one SQLite file.

The rows come from the queries in ``queries/search/*.rq`` (loaded like the catalog,
:func:`plangraph.store.query_catalog.load_catalog`), so the index is built the same way from the
embedded
store and from a remote one. The database (:data:`SCHEMA`) holds:

- ``steps`` and ``steps_fts``: every step (pg:Step: activities, sub-activities, work items,
  quarterly activities) with its number, text, section title and the text of its outputs,
  indicators, targets and notes, in an FTS5 table (Porter stemming over unicode61, diacritics
  removed) whose rowid is the step's id;
- ``agents`` and ``agents_fts``: every agency and party with its name and aliases;
- ``step_facet``: one row per (step, facet, value): its plan, the parties of its plan, the
  agencies committed to it (``agency``) and their top-most parent bodies
  (``agency-rollup``, as :func:`plangraph.network.filters.root_of` decides), its themes, years,
  commitment roles and its kind. Years are the step's own, else its parent step's (a
  sub-activity's), else its plan's period;
- ``facet_value``: every value a facet accepts (the graph's own identifiers), with a label;
- ``step_span``: the source lines of each step; ``words``: the folded words of every text
  (for spelling variants and compounds, :mod:`plangraph.views.search.query`); ``meta``: the build id
  and the index version.

The file is cached per build (:func:`cache_file`): written to a temporary file and renamed,
so a reader sees a whole file or none; a server restarted on the same build loads it instead of
building again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from plangraph.store.base import Store
from plangraph.store.query_catalog import CatalogQuery, load_catalog
from plangraph.views.numbering import number_key
from plangraph.views.search.query import words

VERSION = "1"  # bump when the schema or what is indexed changes
ID_BASE = "https://w3id.org/plangraph/id/"
PG = "https://w3id.org/plangraph/ontology#"
TOKENIZE = "porter unicode61 remove_diacritics 2"
# the FTS5 columns of a step, in order, and their BM25 weights
STEP_COLUMNS = (
    ("number", 8.0),
    ("text", 10.0),
    ("section", 2.0),
    ("outputs", 5.0),
    ("indicators", 4.0),
    ("targets", 4.0),
    ("notes", 2.0),
)
AGENT_COLUMNS = (("label", 4.0), ("aliases", 2.0))
STEP_KINDS = {
    PG + "Activity": ("activity", "Activity", 0),
    PG + "SubActivity": ("sub-activity", "Sub-activity", 1),
    PG + "WorkItem": ("work-item", "Work item", 2),
    PG + "QuarterlyActivity": ("quarterly-activity", "Quarterly activity", 3),
}
FACETS = ("plan", "party", "agency", "agency-rollup", "theme", "year", "role", "kind")
_CACHE_PREFIX = "search-"
_CACHE_KEPT = 4  # index files of this many builds are kept in the cache folder

SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE plans (
  id TEXT PRIMARY KEY, iri TEXT NOT NULL, label TEXT NOT NULL, ord INTEGER NOT NULL
);
CREATE TABLE steps (
  id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, url TEXT, plan TEXT NOT NULL,
  number TEXT, printed_number TEXT, kind TEXT NOT NULL, text TEXT NOT NULL,
  section TEXT NOT NULL, ord INTEGER NOT NULL
);
CREATE VIRTUAL TABLE steps_fts USING fts5(
  {", ".join(name for name, _ in STEP_COLUMNS)}, tokenize = '{TOKENIZE}'
);
CREATE TABLE agents (
  id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, key TEXT NOT NULL, url TEXT,
  type TEXT NOT NULL, label TEXT NOT NULL, aliases TEXT NOT NULL, party TEXT,
  kind TEXT, kind_label TEXT, parent TEXT, root TEXT NOT NULL
);
CREATE VIRTUAL TABLE agents_fts USING fts5(
  {", ".join(name for name, _ in AGENT_COLUMNS)}, tokenize = '{TOKENIZE}'
);
CREATE TABLE step_facet (
  facet TEXT NOT NULL, value TEXT NOT NULL, step INTEGER NOT NULL,
  PRIMARY KEY (facet, value, step)
) WITHOUT ROWID;
CREATE INDEX step_facet_by_step ON step_facet (step, facet);
CREATE TABLE facet_value (
  facet TEXT NOT NULL, value TEXT NOT NULL, label TEXT NOT NULL, ord INTEGER NOT NULL,
  PRIMARY KEY (facet, value)
) WITHOUT ROWID;
CREATE TABLE step_span (
  step INTEGER NOT NULL, iri TEXT NOT NULL, document TEXT NOT NULL,
  start INTEGER NOT NULL, "end" INTEGER NOT NULL
);
CREATE INDEX step_span_by_step ON step_span (step);
CREATE TABLE words (word TEXT PRIMARY KEY) WITHOUT ROWID;
"""
ALIAS_SEPARATOR = "\n"


def tail(iri: str | None, prefix: str) -> str:
    """What follows ``ID_BASE + prefix`` in a data IRI ("" if it does not start so)."""
    head = ID_BASE + prefix
    return iri[len(head) :] if iri and iri.startswith(head) else ""


def local_path(iri: str | None) -> str | None:
    """The server path of a data IRI (``https://w3id.org/plangraph/id/x`` -> ``/id/x``)."""
    return "/id/" + iri[len(ID_BASE) :] if iri and iri.startswith(ID_BASE) else None


def agent_key(iri: str) -> str:
    """An agent's identifier in the API: ``khm/mosvy`` for an agency, ``party/khm`` for a
    party (as /api/activities?agency= takes it)."""
    return tail(iri, "agency/") or (f"party/{tail(iri, 'party/')}" if tail(iri, "party/") else iri)


def _year(value: str | None) -> int | None:
    text = (value or "")[:4]
    return int(text) if text.isdigit() else None


def _clean(text: str | None) -> str:
    """Text as indexed: the two control characters that mark highlights never occur in it."""
    return (text or "").replace("\x02", " ").replace("\x03", " ")


# -- reading the graph --------------------------------------------------------------------


@dataclass
class Step:
    iri: str
    kind: str
    plan: str  # slug
    number: str
    printed_number: str | None
    text: str
    section: str
    parent: str | None
    # field -> (item IRI, text): outputs, indicators, targets, notes
    fields: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    spans: list[tuple[str, str, int, int]] = field(default_factory=list)
    facets: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


@dataclass
class Agent:
    iri: str
    type: str  # "agency" or "party"
    label: str
    aliases: list[str]
    party: str | None
    parent: str | None
    kind: str | None
    kind_label: str | None


class Plan(TypedDict):
    """A plan as the index reads it: slug, IRI, label, period and its parties (code -> name)."""

    id: str
    iri: str
    label: str
    start: int | None
    end: int | None
    parties: dict[str, str]


@dataclass
class Graph:
    """What the index is built from: the rows of the search queries, grouped."""

    plans: list[Plan]
    steps: list[Step]
    agents: dict[str, Agent]
    labels: dict[str, dict[str, str]]  # facet -> value -> label (themes, roles)


def _select(store: Store, queries: Mapping[str, CatalogQuery], name: str) -> list[dict[str, str]]:
    return store.select(queries[name].text)


def read_graph(store: Store, folder: Path) -> Graph:
    """Read everything the index holds from ``store`` with the queries in ``folder``."""
    q = load_catalog(folder)
    plans: dict[str, Plan] = {}
    for r in _select(store, q, "plans"):
        slug = tail(r["plan"], "plan/") or r["plan"]
        plan = plans.setdefault(
            slug,
            {
                "id": slug,
                "iri": r["plan"],
                "label": r["label"],
                "start": _year(r.get("startYear")),
                "end": _year(r.get("endYear")),
                "parties": {},
            },
        )
        if r.get("party"):
            code = tail(r["party"], "party/") or r["party"]
            plan["parties"][code] = r.get("partyLabel") or code.upper()
    ordered = sorted(plans.values(), key=lambda p: (p["start"] or 0, p["label"]))

    steps: dict[str, Step] = {}
    for r in _select(store, q, "steps"):
        if r["step"] in steps or r["kind"] not in STEP_KINDS:
            continue
        steps[r["step"]] = Step(
            iri=r["step"],
            kind=STEP_KINDS[r["kind"]][0],
            plan=tail(r["plan"], "plan/") or r["plan"],
            number=r.get("number") or "",
            printed_number=r.get("printedNumber"),
            text=_clean(r.get("description")),
            section=_clean(r.get("sectionLabel")),
            parent=r.get("parent"),
        )
    for r in _select(store, q, "step-texts"):
        if (s := steps.get(r["step"])) is not None:
            s.fields[r["field"]].append((r["item"], _clean(r["text"])))
    for r in _select(store, q, "step-spans"):
        if (s := steps.get(r["step"])) is not None:
            doc = tail(r["document"], "source/") or r["document"]
            s.spans.append((r["span"], doc, int(r["start"]), int(r["end"])))
    for r in _select(store, q, "step-themes"):
        if (s := steps.get(r["step"])) is not None:
            s.facets["theme"].add(r["theme"].rstrip("/").rsplit("/", 1)[-1])
    own_years: dict[str, set[str]] = defaultdict(set)
    for r in _select(store, q, "step-years"):
        if (y := _year(r["year"])) is not None:
            own_years[r["step"]].add(str(y))

    agents: dict[str, Agent] = {}
    for r in _select(store, q, "agents"):
        a = agents.get(r["agent"])
        if a is None:
            a = agents[r["agent"]] = Agent(
                iri=r["agent"],
                type="party" if r["type"] == PG + "Party" else "agency",
                label=_clean(r.get("label")) or r["agent"],
                aliases=[],
                party=r.get("party"),
                parent=r.get("parent"),
                kind=r.get("kind"),
                kind_label=r.get("kindLabel"),
            )
        alias = _clean(r.get("altLabel"))
        if alias and alias not in a.aliases and alias != a.label:
            a.aliases.append(alias)
    for a in agents.values():  # in one order whatever order the store answers in
        a.aliases.sort()
    for r in _select(store, q, "step-commitments"):
        if (s := steps.get(r["step"])) is not None:
            s.facets["agency"].add(r["agency"])
            s.facets["role"].add(tail(r["role"], "role/") or r["role"])

    labels: dict[str, dict[str, str]] = {"theme": {}, "role": {}}
    for r in _select(store, q, "concepts"):
        facet = "theme" if r["scheme"].endswith("/theme") else "role"
        value = r["concept"].rstrip("/").rsplit("/", 1)[-1]
        labels[facet][value] = r.get("label") or value

    for s in steps.values():  # years: own, else the parent step's, else the plan's period
        years, seen, at = own_years.get(s.iri, set()), {s.iri}, s
        while not years and at.parent and at.parent not in seen and at.parent in steps:
            seen.add(at.parent)
            at = steps[at.parent]
            years = own_years.get(at.iri, set())
        of = plans.get(s.plan)
        if not years and of and of["start"] and of["end"]:
            years = {str(y) for y in range(of["start"], of["end"] + 1)}
        s.facets["year"] = set(years)
        s.facets["plan"] = {s.plan}
        s.facets["party"] = set(of["parties"]) if of else set()
        s.facets["kind"] = {s.kind}
    order = {p["id"]: i for i, p in enumerate(ordered)}
    ordered_steps = sorted(
        steps.values(), key=lambda s: (order.get(s.plan, len(order)), number_key(s.number), s.iri)
    )
    return Graph(ordered, ordered_steps, agents, labels)


def root_of(agents: Mapping[str, Agent], iri: str) -> str:
    """The top-most parent body of an agency (itself if it has none), as
    :func:`plangraph.network.filters.root_of` decides: follow org:subOrganizationOf while the parent
    is a known agent, stopping where a cycle would close."""
    seen = {iri}
    while (agent := agents.get(iri)) is not None and agent.parent in agents:
        if agent.parent in seen:
            break
        iri = agent.parent  # type: ignore[assignment]
        seen.add(iri)
    return iri


# -- writing the database -----------------------------------------------------------------


def _words(texts: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for t in texts:
        out.update(words(t))
    return out


def build_database(graph: Graph, build_id: str) -> sqlite3.Connection:
    """The index of ``graph`` as an in-memory SQLite database."""
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.executescript(SCHEMA)
    db.executemany("INSERT INTO meta VALUES (?, ?)", [("build_id", build_id), ("version", VERSION)])
    db.executemany(
        "INSERT INTO plans VALUES (?, ?, ?, ?)",
        [(p["id"], p["iri"], p["label"], i) for i, p in enumerate(graph.plans)],
    )
    values: dict[tuple[str, str], tuple[str, int]] = {}  # (facet, value) -> (label, order)
    for i, p in enumerate(graph.plans):
        values[("plan", str(p["id"]))] = (str(p["label"]), i)
    agents = graph.agents
    for a in agents.values():
        if a.type == "party":
            code = tail(a.iri, "party/") or a.iri
            values[("party", code)] = (a.label, 0)
    for p in graph.plans:  # a plan's party not typed pg:Party in the graph still counts
        for code, label in p["parties"].items():
            values.setdefault(("party", code), (label, 0))
    for a in agents.values():
        values[("agency", agent_key(a.iri))] = (a.label, 0)
        root = root_of(agents, a.iri)
        values[("agency-rollup", agent_key(root))] = (agents[root].label, 0)
    for facet in ("theme", "role"):
        for value, label in graph.labels[facet].items():
            values[(facet, value)] = (label, 0)
    for _, (value, label, order) in STEP_KINDS.items():
        values[("kind", value)] = (label, order)

    texts: list[str] = []
    step_rows, fts_rows, facet_rows, span_rows = [], [], [], []
    for sid, s in enumerate(graph.steps, start=1):
        step_rows.append(
            (
                sid,
                s.iri,
                local_path(s.iri),
                s.plan,
                s.number,
                s.printed_number,
                s.kind,
                s.text,
                s.section,
                sid,
            )
        )
        cells = {
            "number": " ".join(x for x in (s.number, s.printed_number) if x),
            "text": s.text,
            "section": s.section,
            **{
                name: "\n".join(text for _, text in sorted(s.fields.get(name, [])))
                for name in ("outputs", "indicators", "targets", "notes")
            },
        }
        fts_rows.append((sid, *(cells[name] for name, _ in STEP_COLUMNS)))
        texts.extend(cells.values())
        for facet, found in s.facets.items():
            for value in found:
                if facet == "agency":
                    key = agent_key(value)
                    facet_rows.append(("agency", key, sid))
                    facet_rows.append(("agency-rollup", agent_key(root_of(agents, value)), sid))
                    if ("agency", key) not in values:  # committed but not typed as an agent
                        values[("agency", key)] = (key, 0)
                        values[("agency-rollup", key)] = (key, 0)
                    continue
                facet_rows.append((facet, value, sid))
                if (facet, value) not in values:
                    values[(facet, value)] = (value, 0)
        for span_iri, doc, start, end in s.spans:
            span_rows.append((sid, span_iri, doc, start, end))
    db.executemany("INSERT INTO steps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", step_rows)
    marks = ", ".join("?" for _ in range(len(STEP_COLUMNS) + 1))
    db.executemany(
        f"INSERT INTO steps_fts (rowid, {', '.join(n for n, _ in STEP_COLUMNS)}) VALUES ({marks})",
        fts_rows,
    )
    db.executemany("INSERT OR IGNORE INTO step_facet VALUES (?, ?, ?)", facet_rows)
    db.executemany("INSERT INTO step_span VALUES (?, ?, ?, ?, ?)", span_rows)

    agent_rows, agent_fts = [], []
    for aid, a in enumerate(sorted(agents.values(), key=lambda a: a.iri), start=1):
        aliases = ALIAS_SEPARATOR.join(a.aliases)
        root = agent_key(root_of(agents, a.iri))
        key, url = agent_key(a.iri), local_path(a.iri)
        agent_rows.append(
            (
                aid,
                a.iri,
                key,
                url,
                a.type,
                a.label,
                aliases,
                a.party,
                a.kind,
                a.kind_label,
                a.parent,
                root,
            )
        )
        agent_fts.append((aid, a.label, aliases))
        texts.extend((a.label, aliases))
    db.executemany("INSERT INTO agents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", agent_rows)
    db.executemany("INSERT INTO agents_fts (rowid, label, aliases) VALUES (?, ?, ?)", agent_fts)
    db.executemany(
        "INSERT INTO facet_value VALUES (?, ?, ?, ?)",
        [(f, v, label, order) for (f, v), (label, order) in sorted(values.items())],
    )
    db.executemany("INSERT INTO words VALUES (?)", [(w,) for w in sorted(_words(texts))])
    db.execute("INSERT INTO steps_fts (steps_fts) VALUES ('optimize')")
    db.execute("INSERT INTO agents_fts (agents_fts) VALUES ('optimize')")
    db.commit()
    return db


# -- the cache ------------------------------------------------------------------------------


def cache_file(cache: Path, build_id: str, queries: Path) -> Path:
    """Where the index of build ``build_id`` is cached: the name carries the build id and a
    digest of what else the index depends on (the search queries, :data:`VERSION`), so a new
    build or new queries never read a stale file."""
    h = hashlib.sha256(VERSION.encode())
    for f in sorted(queries.glob("*.rq")):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in build_id)[:64]
    return cache / f"{_CACHE_PREFIX}{safe}-{h.hexdigest()[:12]}.sqlite"


def write_cache(path: Path, db: sqlite3.Connection) -> bool:
    """Write ``db`` to ``path`` atomically (a temporary file in the same folder, renamed) and
    prune the files of old builds; True if written. A read-only folder is no error: the index
    is built again next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(db.serialize())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        old = sorted(
            (f for f in path.parent.glob(f"{_CACHE_PREFIX}*.sqlite") if f != path),
            key=lambda f: f.stat().st_mtime,
            reverse=True,
        )
        for f in old[_CACHE_KEPT - 1 :]:
            f.unlink(missing_ok=True)
    except OSError:
        return False
    return True


def read_cache(path: Path, build_id: str) -> sqlite3.Connection | None:
    """The cached index of ``build_id`` at ``path`` loaded into memory, or None when there is
    none or it is not a whole index of that build and version."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    db = sqlite3.connect(":memory:", check_same_thread=False)
    try:
        db.deserialize(data)
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("build_id") != build_id or meta.get("version") != VERSION:
            raise sqlite3.DatabaseError("another build or version")
        db.execute("SELECT count(*) FROM steps_fts WHERE steps_fts MATCH 'a'").fetchone()
    except sqlite3.Error:
        with contextlib.suppress(sqlite3.Error):
            db.close()
        return None
    return db
