"""The agency registry (data/agencies.yaml) and the resolution of mentions to entries.

Resolution is exact on a normalised name: a mention resolves when its text, normalised
(case, whitespace, quotes, trailing punctuation), equals the canonical name or one alias of
exactly one entry, after narrowing by the mention's party where its context gives one.
Nothing is fuzzy-matched: every alias in the registry is a form seen in a source, so an
unknown form stops the build and is added by a person, who decides what it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from plangraph.errors import RegistryError
from plangraph.sources.model import AgencyMention, Plan
from plangraph.sources.yamlfile import Lines, Reading, read_mapping

AGENCY_KINDS = (
    "government",
    "ministry",
    "department",
    "police",
    "judiciary",
    "committee",
    "secretariat",
    "working-group",
    "task-force",
    "provincial-body",
    "embassy",
    "focal-point",
    "international-organisation",
    "ngo",
    "donor",
    "unspecified-group",
)

PARTY_PREFIX = "party/"

# History relations, read from the entry that records them: "established" (the body was set
# up; no target), "merged-into" / "renamed-to" / "replaced-by" (this body -> the target),
# "absorbed" (the target went into this body).
HISTORY_RELATIONS = ("established", "merged-into", "renamed-to", "replaced-by", "absorbed")

_SPAN = re.compile(r"^([a-z0-9][a-z0-9-]*):(\d+)(?:-(\d+))?$")
_DATE = re.compile(r"^\d{4}(-\d{2}-\d{2})?$")


def normalise(name: str) -> str:
    """The key names are compared by: case, spacing, quotes and end punctuation folded."""
    name = name.replace("’", "'").replace("‘", "'").replace("`", "'")
    name = name.replace("–", "-").replace("—", "-")
    name = re.sub(r"\s+", " ", name).strip().strip(".,;:-").strip()
    return name.casefold()


@dataclass(frozen=True)
class PartyEntry:
    id: str  # lower-case ISO 3166-1 alpha-3
    name: str
    country_code: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class SourceRef:
    """Lines of a source document that state a registry fact ("khm-npa-2011-2013:161-163")."""

    document: str
    start_line: int
    end_line: int

    def __str__(self) -> str:
        if self.start_line == self.end_line:
            return f"{self.document}:{self.start_line}"
        return f"{self.document}:{self.start_line}-{self.end_line}"


@dataclass(frozen=True)
class Leadership:
    """The body that leads an agency (a ministry leading a working group), and where it is said."""

    agency: str
    sources: tuple[SourceRef, ...]
    quote: str | None = None  # an exact excerpt of the cited lines (checked by the tests)
    note: str | None = None


@dataclass(frozen=True)
class HistoryEvent:
    """One change in an agency's life: set up, merged, renamed, replaced, absorbing another.

    ``stated`` is False where no source states the link (a curator's reading); ``reason``
    then says why it is recorded and what the sources do say.
    """

    relation: str  # one of HISTORY_RELATIONS
    target: str | None
    date: str | None  # "2009" or "2009-09-25", only where a source gives it
    sources: tuple[SourceRef, ...]
    stated: bool = True
    quote: str | None = None
    note: str | None = None
    reason: str | None = None

    def organisations(self, own: str) -> tuple[str | None, str]:
        """(original, resulting) organisation of the change recorded on entry ``own``."""
        if self.relation == "established":
            return (None, own)
        if self.relation == "absorbed":
            return (self.target, own)
        return (own, self.target or own)


@dataclass(frozen=True)
class AgencyEntry:
    id: str  # "{party}/{slug}" or "int/{slug}" for international bodies
    name: str
    party: str | None
    kind: str
    parent: str | None
    aliases: tuple[str, ...]
    line: int  # line of the entry in agencies.yaml, for error messages
    note: str | None = None
    led_by: Leadership | None = None
    history: tuple[HistoryEvent, ...] = ()


class _Where(TypedDict):
    """Where a mention is, as RegistryError's keyword arguments."""

    file: Path | str
    line: int


@dataclass
class Registry:
    path: Path
    parties: dict[str, PartyEntry]
    agencies: dict[str, AgencyEntry]
    party_relative_aliases: tuple[str, ...] = ()
    _index: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        index: dict[str, list[str]] = {}
        for p in self.parties.values():
            for name in (p.name, *p.aliases):
                key = normalise(name)
                if PARTY_PREFIX + p.id not in index.setdefault(key, []):
                    index[key].append(PARTY_PREFIX + p.id)
        for a in self.agencies.values():
            for name in (a.name, *a.aliases):
                key = normalise(name)
                if a.id not in index.setdefault(key, []):
                    index[key].append(a.id)
        self._index = index

    def party_of(self, key: str) -> str | None:
        """The party of a resolved key ("party/khm" -> "khm", "khm/mosvy" -> "khm")."""
        if key.startswith(PARTY_PREFIX):
            return key[len(PARTY_PREFIX) :]
        return self.agencies[key].party

    def candidates(self, text: str) -> list[str]:
        return list(self._index.get(normalise(text), []))

    def resolve(self, mention: AgencyMention, file: Path | str) -> str:
        """The registry key a mention names; RegistryError naming file and line if not one."""
        key = normalise(mention.text)
        where = _Where(file=file, line=mention.span.start_line)
        if key in {normalise(a) for a in self.party_relative_aliases}:
            if mention.party is None or mention.party not in self.parties:
                raise RegistryError(
                    f"{mention.text!r} names 'the party of the context' but no party is given",
                    **where,
                )
            return PARTY_PREFIX + mention.party
        found = self._index.get(key, [])
        if not found:
            raise RegistryError(
                f"unknown agency {mention.text!r}: add it to {self.path.name}", **where
            )
        if mention.party is not None and len(found) > 1:
            narrowed = [k for k in found if self.party_of(k) in (mention.party, None)]
            if narrowed:
                found = narrowed
        if len(found) > 1:
            raise RegistryError(
                f"agency {mention.text!r} is ambiguous: {', '.join(sorted(found))}", **where
            )
        resolved = found[0]
        party = self.party_of(resolved)
        if mention.party is not None and party is not None and party != mention.party:
            raise RegistryError(
                f"agency {mention.text!r} resolves to {resolved} but the source puts it in "
                f"{mention.party.upper()}",
                **where,
            )
        return resolved

    def ancestors(self, key: str) -> list[str]:
        out = []
        seen = {key}
        parent = self.agencies[key].parent if key in self.agencies else None
        while parent is not None and parent not in seen:
            out.append(parent)
            seen.add(parent)
            parent = self.agencies[parent].parent
        return out


def resolve_plan(plan: Plan, registry: Registry, file: Path | str) -> None:
    """Fill ``resolved`` on every mention of the plan; stop at the first unknown one. A
    mention that comes resolved (a workbook's agency id) is checked to be in the registry."""
    for mention in plan.mentions():
        if mention.resolved is not None:
            key = mention.resolved
            if key not in registry.agencies and key.removeprefix(PARTY_PREFIX) not in (
                registry.parties if key.startswith(PARTY_PREFIX) else ()
            ):
                raise RegistryError(
                    f"unknown agency id {key!r} for {mention.text!r}: add it to "
                    f"{registry.path.name}",
                    file=file,
                    line=mention.span.start_line,
                )
            continue
        mention.resolved = registry.resolve(mention, file)


def _list(value: object, aid: str, path: Path, line: int) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RegistryError(f"{aid}: expected a list", file=path, line=line)
    return value


def _sources(value: object, aid: str, path: Path, line: int) -> tuple[SourceRef, ...]:
    """``source: doc:12`` or ``doc:12-14``, or a list of them; at least one."""
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        m = _SPAN.match(str(item or "").strip())
        if not m:
            raise RegistryError(
                f"{aid}: source {item!r} is not 'document:line' or 'document:start-end'",
                file=path,
                line=line,
            )
        start = int(m.group(2))
        end = int(m.group(3) or start)
        if start < 1 or end < start:
            raise RegistryError(f"{aid}: bad line range in source {item!r}", file=path, line=line)
        out.append(SourceRef(m.group(1), start, end))
    if not out:
        raise RegistryError(f"{aid}: a source is required", file=path, line=line)
    return tuple(out)


def _leadership(value: object, aid: str, path: Path, line: int) -> Leadership | None:
    """``led_by: {agency: khm/mowa, source: khm-npa-2011-2013:856, quote: ...}``."""
    if value is None:
        return None
    if not isinstance(value, dict) or not value.get("agency"):
        raise RegistryError(
            f"{aid}: led_by must be a mapping with 'agency' and 'source'", file=path, line=line
        )
    unknown = set(value) - {"agency", "source", "quote", "note"}
    if unknown:
        raise RegistryError(
            f"{aid}: unknown led_by field(s) {sorted(unknown)}", file=path, line=line
        )
    return Leadership(
        agency=str(value["agency"]),
        sources=_sources(value.get("source"), aid, path, line),
        quote=value.get("quote"),
        note=value.get("note"),
    )


def _history(value: object, aid: str, path: Path, line: int) -> HistoryEvent:
    """One ``history:`` item: relation, target, date, source, stated, quote, note, reason."""
    if not isinstance(value, dict):
        raise RegistryError(f"{aid}: a history item must be a mapping", file=path, line=line)
    known = {"relation", "target", "date", "source", "stated", "quote", "note", "reason"}
    unknown = set(value) - known
    if unknown:
        raise RegistryError(
            f"{aid}: unknown history field(s) {sorted(unknown)}", file=path, line=line
        )
    relation = value.get("relation")
    if relation not in HISTORY_RELATIONS:
        raise RegistryError(
            f"{aid}: history relation {relation!r} is not one of {HISTORY_RELATIONS}",
            file=path,
            line=line,
        )
    target = value.get("target")
    if (relation == "established") != (target is None):
        need = "no target" if relation == "established" else "a target"
        raise RegistryError(f"{aid}: history {relation!r} takes {need}", file=path, line=line)
    if target == aid:
        raise RegistryError(f"{aid}: history cannot point to itself", file=path, line=line)
    date = value.get("date")
    if date is not None and not _DATE.match(str(date)):
        raise RegistryError(
            f"{aid}: history date {date!r} is not YYYY or YYYY-MM-DD (quote it in YAML)",
            file=path,
            line=line,
        )
    stated = value.get("stated", True)
    if not isinstance(stated, bool):
        raise RegistryError(f"{aid}: history 'stated' must be true or false", file=path, line=line)
    if not stated and not value.get("reason"):
        raise RegistryError(
            f"{aid}: a history link not stated by the sources needs a 'reason'",
            file=path,
            line=line,
        )
    if not stated and date is not None:
        raise RegistryError(
            f"{aid}: a history link not stated by the sources cannot carry a date",
            file=path,
            line=line,
        )
    return HistoryEvent(
        relation=relation,
        target=target,
        date=str(date) if date is not None else None,
        sources=_sources(value.get("source"), aid, path, line),
        stated=stated,
        quote=value.get("quote"),
        note=value.get("note"),
        reason=value.get("reason"),
    )


def _check_entry(e: object, what: str, path: Path, lines: Lines, at: int | None) -> None:
    """A registry entry is a mapping whose name and aliases are strings; the error is at
    ``at`` (where the entry is) or at the offending name or alias."""
    if not isinstance(e, dict):
        raise RegistryError(f"a {what} entry must be a mapping, not {e!r:.60}", file=path, line=at)
    where = e.get("id") or e.get("name")
    message = f"{what} {where!r}: name and aliases must be strings"
    if e.get("name") is not None and not isinstance(e["name"], str):
        raise RegistryError(message, file=path, line=lines.of(e, "name"))
    aliases = e.get("aliases") or []
    if not isinstance(aliases, list):
        raise RegistryError(message, file=path, line=lines.of(e, "aliases"))
    for i, alias in enumerate(aliases):
        if alias is not None and not isinstance(alias, str):
            raise RegistryError(message, file=path, line=lines.of(aliases, i))


def load_registry(path: Path) -> Registry:
    """The agency registry; a value of the wrong type anywhere in the YAML (a list where a
    string belongs, a number where a list does) is a RegistryError naming the file, never a
    crash."""
    with read_mapping(
        path,
        RegistryError,
        "agency registry",
        "agency registry is missing",
        "'parties' and 'agencies'",
        lists=("parties", "agencies", "party_relative_aliases"),
    ) as (raw, lines, reading):
        return _load_registry(path, raw, lines, reading)


def _load_registry(path: Path, raw: dict[str, Any], lines: Lines, reading: Reading) -> Registry:
    parties: dict[str, PartyEntry] = {}
    for i, e in enumerate(raw.get("parties") or []):
        reading.entry(lines.of(raw["parties"], i))
        _check_entry(e, "party", path, lines, reading.line)
        pid = str(e.get("id", ""))
        if not re.fullmatch(r"[a-z]{3}", pid):
            raise RegistryError(
                f"party id {pid!r} is not a lower-case ISO3 code",
                file=path,
                line=lines.of(e, "id"),
            )
        if not e.get("name"):
            raise RegistryError(f"party {pid!r}: missing 'name'", file=path, line=lines.of(e))
        parties[pid] = PartyEntry(
            id=pid,
            name=e["name"],
            country_code=e.get("country_code", pid.upper()),
            aliases=tuple(e.get("aliases") or ()),
        )

    agencies: dict[str, AgencyEntry] = {}
    raw_entries: dict[str, dict] = {}  # the YAML mapping of each agency, for its lines
    for i, e in enumerate(raw.get("agencies") or []):
        reading.entry(lines.of(raw["agencies"], i))
        _check_entry(e, "agency", path, lines, reading.line)
        aid = str(e.get("id", ""))
        line = lines.of(e, "id") or 0
        if not re.fullmatch(r"[a-z]{3}/[a-z0-9][a-z0-9-]*", aid):
            raise RegistryError(
                f"agency id {aid!r} is not '{{party}}/{{slug}}'", file=path, line=line or None
            )
        if aid in agencies:
            raise RegistryError(f"duplicate agency id {aid!r}", file=path, line=line or None)
        raw_entries[aid] = e
        party = e.get("party")
        if party is not None and party not in parties:
            raise RegistryError(f"{aid}: unknown party {party!r}", file=path, line=line)
        prefix = aid.split("/", 1)[0]
        if prefix != (party or "int"):
            raise RegistryError(
                f"{aid}: id prefix must be {party or 'int'!r}", file=path, line=line
            )
        kind = e.get("kind")
        if kind not in AGENCY_KINDS:
            raise RegistryError(
                f"{aid}: kind {kind!r} is not one of {AGENCY_KINDS}", file=path, line=line
            )
        if not e.get("name"):
            raise RegistryError(f"{aid}: missing name", file=path, line=line)
        agencies[aid] = AgencyEntry(
            id=aid,
            name=e["name"],
            party=party,
            kind=kind,
            parent=e.get("parent"),
            aliases=tuple(e.get("aliases") or ()),
            line=line,
            note=e.get("note"),
            led_by=_leadership(e.get("led_by"), aid, path, line),
            history=tuple(
                _history(h, aid, path, line) for h in _list(e.get("history"), aid, path, line)
            ),
        )
    for a in agencies.values():
        reading.entry(a.line or None)
        if a.parent is not None and a.parent not in agencies:
            raise RegistryError(f"{a.id}: unknown parent {a.parent!r}", file=path, line=a.line)
        if a.led_by is not None and a.led_by.agency not in agencies:
            raise RegistryError(
                f"{a.id}: led_by names unknown agency {a.led_by.agency!r}", file=path, line=a.line
            )
        if a.led_by is not None and a.led_by.agency == a.id:
            raise RegistryError(f"{a.id}: an agency cannot lead itself", file=path, line=a.line)
        for h in a.history:
            if h.target is not None and h.target not in agencies:
                raise RegistryError(
                    f"{a.id}: history names unknown agency {h.target!r}", file=path, line=a.line
                )
    # The same alias on two entries of the same party (or two international ones) could never
    # be told apart by context: refuse it here rather than at the first mention.
    # Named at the line of the second entry's name or alias.
    seen: dict[tuple[str, str | None], str] = {}
    for a in agencies.values():
        reading.entry(a.line or None)
        e = raw_entries[a.id]
        named = [(a.name, lines.of(e, "name"))]
        named += [(n, lines.of(e["aliases"], i)) for i, n in enumerate(a.aliases)]
        for name, name_line in named:
            key = normalise(name)
            other = seen.get((key, a.party))
            if other is not None and other != a.id:
                raise RegistryError(
                    f"alias {key!r} of {a.id} is also an alias of {other} (same party)",
                    file=path,
                    line=name_line or a.line,
                )
            seen[(key, a.party)] = a.id
    relative = raw.get("party_relative_aliases") or []
    for i, alias in enumerate(relative):
        if not isinstance(alias, str):
            raise RegistryError(
                f"party_relative_aliases: {alias!r} is not a string",
                file=path,
                line=lines.of(relative, i),
            )
    return Registry(
        path=path,
        parties=parties,
        agencies=agencies,
        party_relative_aliases=tuple(relative),
    )
