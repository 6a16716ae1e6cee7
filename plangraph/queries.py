"""The query catalog: the only module that reads queries/*.rq.

Each file starts with header comments::

    # title: Plans by party and period
    # question: Which plans are there, for which parties and years?
    # param: party (iri) the party, e.g. <https://w3id.org/plangraph/id/party/khm>
    # tags: plans, parties

Parameters are bound with a VALUES clause appended by the engine (never pasted into the
query text by string concatenation of request values).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import QueryError

_HEADER = re.compile(r"^#\s*(title|question|param|tags)\s*:\s*(.*)$")
_PARAM = re.compile(r"^(\w+)\s+\((\w+)\)\s*(.*)$")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class CatalogQuery:
    name: str
    title: str
    question: str
    text: str
    params: tuple[Param, ...] = ()
    tags: tuple[str, ...] = field(default_factory=tuple)


def load_query(path: Path) -> CatalogQuery:
    meta: dict[str, list[str]] = {}
    text = path.read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if m:
            meta.setdefault(m.group(1), []).append(m.group(2).strip())
    for key in ("title", "question"):
        if key not in meta:
            raise QueryError(f"missing '# {key}:' header", file=path, line=1)
    params = []
    for raw in meta.get("param", []):
        m = _PARAM.match(raw)
        if not m:
            raise QueryError(f"bad '# param:' header {raw!r}", file=path)
        params.append(Param(*m.groups()))
    tags = tuple(t.strip() for t in ",".join(meta.get("tags", [])).split(",") if t.strip())
    return CatalogQuery(
        name=path.stem,
        title=meta["title"][0],
        question=" ".join(meta["question"]),
        text=text,
        params=tuple(params),
        tags=tags,
    )


def load_catalog(folder: Path) -> dict[str, CatalogQuery]:
    return {p.stem: load_query(p) for p in sorted(folder.glob("*.rq"))}
