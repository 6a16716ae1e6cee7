"""The query catalog: the only module that reads queries/*.rq.

Each file starts with header comments::

    # title: Plans by party and period
    # question: Which plans are there, for which parties and years?
    # param: party (iri, optional) the party, e.g. https://w3id.org/plangraph/id/party/khm
    # param: agency (iri, default=https://w3id.org/plangraph/id/agency/khm/mosvy) the agency
    # tags: plans, parties

A parameter is one of the types ``iri``, ``string``, ``integer``, ``year``. It is
*required* (no marker: a request must give it), *optional* (``, optional``: left unbound
when not given, so the query answers for every value) or has a *default*
(``, default=VALUE``: bound to that value when not given). Values are checked against their
type (:meth:`CatalogQuery.bindings`) and bound with a trailing VALUES clause built from the
engine's terms by the store, never pasted into the query text. A parameter is always a
variable of the query's outer level (a group key when the query aggregates).

``queries/*.rq`` is the public catalog; ``queries/meta/*.rq`` are the server's own queries
(service description, VoID statistics) and are not listed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from plangraph.errors import QueryError
from plangraph.store.bindings import BindingValue, Iri, TypedLiteral, bind_values
from plangraph.store.guard import query_form

_HEADER = re.compile(r"^#\s*(title|question|param|tags)\s*:\s*(.*)$")
_PARAM = re.compile(r"^(\w+)\s+\((\w+)(?:\s*,\s*(optional|default=[^)]*))?\)\s*(.*)$")
_IRI = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
_INTEGER = re.compile(r"^[+-]?\d{1,18}$")
_YEAR = re.compile(r"^\d{4}$")
XSD = "http://www.w3.org/2001/XMLSchema#"
TYPES = ("iri", "string", "integer", "year")
MAX_STRING = 500


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    description: str
    required: bool = True
    default: str | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "name": self.name,
            "type": self.type,
            "description": self.description,
            "required": self.required,
        }
        if self.default is not None:
            out["default"] = self.default
        return out


def parse_value(param: Param, raw: str) -> BindingValue:
    """A request value checked against its parameter's type, as a value to bind."""
    value = raw.strip()
    if param.type == "iri":
        value = value.removeprefix("<").removesuffix(">")
        if not _IRI.match(value):
            raise QueryError(f"{raw!r} is not an http(s) IRI", param=param.name)
        return Iri(value)
    if param.type == "integer":
        if not _INTEGER.match(value):
            raise QueryError(f"{raw!r} is not an integer", param=param.name)
        return TypedLiteral(str(int(value)), XSD + "integer")
    if param.type == "year":
        if not _YEAR.match(value):
            raise QueryError(f"{raw!r} is not a year (four digits)", param=param.name)
        return TypedLiteral(value, XSD + "gYear")
    if len(raw) > MAX_STRING:
        raise QueryError(f"longer than {MAX_STRING} characters", param=param.name)
    return TypedLiteral(raw, XSD + "string")


@dataclass(frozen=True)
class CatalogQuery:
    name: str
    title: str
    question: str
    text: str
    params: tuple[Param, ...] = ()
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def form(self) -> str:
        """``select``, ``ask``, ``construct`` or ``describe``."""
        return query_form(self.text) or "select"

    def bindings(self, values: Mapping[str, str]) -> dict[str, BindingValue]:
        """Request values (name -> raw text) checked and typed; defaults filled in.

        Unknown names, missing required parameters and values of the wrong type raise
        :class:`QueryError` naming the parameter.
        """
        known = {p.name: p for p in self.params}
        for name in values:
            if name not in known:
                expected = ", ".join(known) or "none"
                raise QueryError(
                    f"unknown parameter of query {self.name!r} (parameters: {expected})",
                    param=name,
                )
        out: dict[str, BindingValue] = {}
        for p in self.params:
            raw = values.get(p.name)
            if raw is None or raw == "":
                if p.default is not None:
                    raw = p.default
                elif p.required:
                    raise QueryError(f"required by query {self.name!r}", param=p.name)
                else:
                    continue
            out[p.name] = parse_value(p, raw)
        return out

    def bound_text(self, values: Mapping[str, str], *, first_in_where: bool = False) -> str:
        """The query text with the request values bound, exactly as a store runs it.

        The values are checked by :meth:`bindings` (the same errors, naming the parameter)
        and bound by :func:`plangraph.store.bindings.bind_values`: a trailing VALUES clause, as the
        embedded store binds them, or with ``first_in_where`` a VALUES block first in the
        WHERE clause, as :class:`plangraph.store.remote.RemoteStore` binds them. The text runs on
        any SPARQL 1.1 endpoint and answers the rows ``/api/queries/{name}`` answers.
        """
        return bind_values(self.text, self.bindings(values), first_in_where=first_in_where)

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "title": self.title,
            "question": self.question,
            "form": self.form,
            "params": [p.to_json() for p in self.params],
            "tags": list(self.tags),
        }


def _param(raw: str, path: Path) -> Param:
    m = _PARAM.match(raw)
    if not m:
        raise QueryError(f"bad '# param:' header {raw!r}", file=path)
    name, kind, marker, description = m.groups()
    if kind not in TYPES:
        raise QueryError(f"parameter {name!r}: unknown type {kind!r} (one of {TYPES})", file=path)
    param = Param(name, kind, description.strip())
    if marker == "optional":
        param = Param(name, kind, param.description, required=False)
    elif marker:
        default = marker.removeprefix("default=").strip()
        param = Param(name, kind, param.description, required=False, default=default)
        parse_value(param, default)  # a default must be a valid value of its type
    return param


def load_query(path: Path) -> CatalogQuery:
    meta: dict[str, list[str]] = {}
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[: exc.start].count(b"\n") + 1
        raise QueryError(f"not valid UTF-8 ({exc.reason})", file=path, line=bad) from None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if m:
            meta.setdefault(m.group(1), []).append(m.group(2).strip())
    for key in ("title", "question"):
        if key not in meta:
            raise QueryError(f"missing '# {key}:' header", file=path, line=1)
    params = tuple(_param(raw, path) for raw in meta.get("param", []))
    tags = tuple(t.strip() for t in ",".join(meta.get("tags", [])).split(",") if t.strip())
    return CatalogQuery(
        name=path.stem,
        title=meta["title"][0],
        question=" ".join(meta["question"]),
        text=text,
        params=params,
        tags=tags,
    )


def load_catalog(folder: Path) -> dict[str, CatalogQuery]:
    """The public catalog: every ``*.rq`` directly in ``folder``, by name."""
    return {p.stem: load_query(p) for p in sorted(folder.glob("*.rq"))}


def load_meta(folder: Path) -> dict[str, CatalogQuery]:
    """The server's own queries in ``folder/meta`` (not part of the public catalog)."""
    return load_catalog(folder / "meta")
