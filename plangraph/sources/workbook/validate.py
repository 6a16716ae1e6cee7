"""Cell-level validation of a plan workbook, and the records a valid one becomes.

Every problem is reported at its cell with a code (problems.CODES); the records
(:mod:`plangraph.sources.model`) are returned only when there is none. Checks follow
schema.json: required cells, types, patterns, lists of allowed values, unique keys, references
between sheets; then what a schema cannot say: the period, years inside it, agencies known to
the registry or listed on the New agencies sheet.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from plangraph.errors import RegistryError
from plangraph.sources.catalog import DOCUMENT_KINDS, STATUSES
from plangraph.sources.model import (
    ROLE_RESPONSIBLE,
    ROLES,
    Activity,
    AgencyMention,
    Commitment,
    Decision,
    Indicator,
    LegalInstrument,
    Meeting,
    Note,
    Output,
    Participant,
    Plan,
    PlanVersion,
    Section,
    SourceSpan,
    Target,
)
from plangraph.sources.registry import AGENCY_KINDS, PARTY_PREFIX, AgencyEntry, Registry
from plangraph.sources.workbook.problems import Report
from plangraph.sources.workbook.reader import Table, Workbook
from plangraph.sources.workbook.schema import Field, Resource, Schema, load_schema

SECTION_KINDS = (
    "area",
    "objective",
    "strategy",
    "activity-group",
    "specific-objective",
    "ppc",
    "section",
    "area-objective",
    "plan-year",
)
STEP_KINDS = ("activity", "sub-activity", "work-item", "action", "quarterly-item")
RESULT_TYPES = ("output", "indicator", "target")
ROLE_COORDINATOR = "coordinator"  # a Commitments row without step or section: the plan's
YEARS = range(1950, 2101)
TRUE = {"yes", "y", "true", "1", "x"}
FALSE = {"no", "n", "false", "0", ""}

Suggest = Callable[[str], list[str]]  # an unknown agency name -> the likeliest "Name (id)"


@dataclass(frozen=True)
class PlanInfo:
    """The Plan sheet: what goes into the source catalog."""

    slug: str
    title: str
    label: str
    kind: str
    status: str
    parties: tuple[str, ...]
    start_year: int
    end_year: int
    agreement: str | None
    document_title: str
    document_date: str | None
    document_url: str | None
    document_licence: str | None


@dataclass(frozen=True)
class NewAgency:
    id: str
    name: str
    party: str | None
    kind: str
    parent: str | None
    aliases: tuple[str, ...]


@dataclass
class Parsed:
    """A valid workbook: the plan's catalog entry, its records, the bodies it adds."""

    info: PlanInfo
    plan: Plan
    new_agencies: list[NewAgency] = field(default_factory=list)


@dataclass
class Row:
    """One data row: its sheet row number, each field's value, each field's cell."""

    number: int
    values: dict[str, object]
    cells: dict[str, str]

    def cell(self, name: str) -> str:
        return self.cells[name]


@dataclass
class Context:
    """The lists of allowed values (x-list in schema.json)."""

    parties: tuple[str, ...]
    agreements: tuple[str, ...]
    years: tuple[int, ...] = tuple(YEARS)

    def allowed(self, name: str) -> tuple[str, ...]:
        lists: dict[str, tuple[str, ...]] = {
            "document-kinds": DOCUMENT_KINDS,
            "statuses": STATUSES,
            "parties": self.parties,
            "agreements": self.agreements,
            "section-kinds": SECTION_KINDS,
            "step-kinds": STEP_KINDS,
            "roles": ROLES,
            "commitment-roles": (*ROLES, ROLE_COORDINATOR),
            "participant-roles": ("chair", "participant"),
            "result-types": RESULT_TYPES,
            "agency-kinds": AGENCY_KINDS,
            "years": tuple(str(y) for y in self.years),
        }
        return lists[name]


def _header_key(text: str) -> str:
    return re.sub(r"[\s-]+", "_", text.strip().casefold())


def _col(index: int) -> str:
    from plangraph.sources.workbook.problems import column_letter

    return column_letter(index)


class _Checker:
    def __init__(self, book: Workbook, ctx: Context, schema: Schema) -> None:
        self.book = book
        self.ctx = ctx
        self.schema = schema
        self.report = Report()

    # --- cells -------------------------------------------------------------------------

    def value(self, f: Field, text: str, sheet: str, cell: str) -> object:
        """The typed value of one cell (None when empty or wrong: the problem is reported)."""
        text = text.strip()
        if not text:
            if f.required:
                self.report.add(sheet, cell, "required", f"{f.name} is required")
            return [] if f.type in ("list", "year-list") else None
        if f.type == "boolean":
            low = text.casefold()
            if low in TRUE:
                return True
            if low in FALSE:
                return False
            self.report.add(sheet, cell, "bad-type", f"{f.name} must be yes or no, not {text!r}")
            return None
        if f.type in ("list", "year-list"):
            items = [p.strip() for p in text.split(f.separator) if p.strip()]
            out: list[object] = []
            for item in items:
                v = self._scalar(f, item, sheet, cell)
                if v is not None:
                    out.append(v)
            return out
        return self._scalar(f, text, sheet, cell)

    def _scalar(self, f: Field, text: str, sheet: str, cell: str) -> object:
        if f.type in ("year", "year-list"):
            if not re.fullmatch(r"\d{4}", text) or int(text) not in YEARS:
                self.report.add(sheet, cell, "bad-type", f"{f.name}: {text!r} is not a year")
                return None
            return int(text)
        if f.type in ("integer", "number"):
            try:
                number = float(text.replace(",", ""))
            except ValueError:
                self.report.add(sheet, cell, "bad-type", f"{f.name}: {text!r} is not a number")
                return None
            return int(number) if f.type == "integer" else number
        if f.pattern and not re.search(f.pattern, text):
            self.report.add(
                sheet, cell, "bad-format", f"{f.name}: {text!r} does not match {f.pattern}"
            )
            return None
        if f.list_name and f.list_name != "years":
            allowed = self.ctx.allowed(f.list_name)
            if allowed and text not in allowed:
                self.report.add(
                    sheet,
                    cell,
                    "not-in-list",
                    f"{f.name}: {text!r} is not one of {', '.join(allowed)}",
                )
                return None
        return text

    # --- sheets ------------------------------------------------------------------------

    def table(self, r: Resource) -> Table | None:
        t = self.book.table(r.sheet) or self.book.table(r.name)
        if t is None:
            required = r.vertical or any(f.required for f in r.fields)
            if required and r.name in ("plan", "steps"):
                self.report.add(
                    r.sheet, "", "missing-sheet", f"the workbook has no {r.sheet} sheet"
                )
        return t

    def vertical(self, r: Resource) -> Row | None:
        t = self.table(r)
        if t is None:
            return None
        values: dict[str, object] = {}
        cells: dict[str, str] = {}
        names = {f.name: f for f in r.fields}
        seen: set[str] = set()
        for i, row in enumerate(t.rows, 1):
            if not row or not row[0].strip():
                continue
            key = _header_key(row[0])
            if key not in names:
                if i == 1 and key in ("field", "name"):
                    continue  # a header row
                self.report.add(r.sheet, f"A{i}", "unknown-column", f"unknown field {row[0]!r}")
                continue
            if key in seen:
                self.report.add(r.sheet, f"A{i}", "duplicate", f"{key} is given twice")
                continue
            seen.add(key)
            cells[key] = f"B{i}"
            values[key] = self.value(names[key], row[1] if len(row) > 1 else "", r.sheet, f"B{i}")
        last = len(t.rows)
        for f in r.fields:
            if f.name not in seen:
                last += 1
                cells[f.name] = f"B{last}"
                values[f.name] = [] if f.type in ("list", "year-list") else None
                if f.required:
                    self.report.add(r.sheet, f"A{last}", "required", f"{f.name} is required")
        return Row(0, values, cells)

    def rows(self, r: Resource) -> list[Row]:
        t = self.table(r)
        if t is None or not t.rows:
            return []
        header = t.rows[0]
        columns: dict[str, int] = {}
        for i, h in enumerate(header):
            if not h.strip():
                continue
            key = _header_key(h)
            if key not in {f.name for f in r.fields}:
                self.report.add(r.sheet, f"{_col(i)}1", "unknown-column", f"unknown column {h!r}")
            elif key in columns:
                self.report.add(r.sheet, f"{_col(i)}1", "duplicate", f"column {key} is given twice")
            else:
                columns[key] = i
        free = len(header)
        for f in r.fields:
            if f.required and f.name not in columns:
                self.report.add(
                    r.sheet, f"{_col(free)}1", "missing-column", f"the column {f.name} is missing"
                )
                free += 1
        out = []
        for n, row in enumerate(t.rows[1:], 2):
            if not any(c.strip() for c in row):
                continue
            values: dict[str, object] = {}
            cells: dict[str, str] = {}
            for f in r.fields:
                if f.name not in columns:
                    values[f.name] = [] if f.type in ("list", "year-list") else None
                    cells[f.name] = f"{r.sheet}!{n}"
                    continue
                i = columns[f.name]
                cells[f.name] = f"{_col(i)}{n}"
                text = row[i] if i < len(row) else ""
                values[f.name] = self.value(f, text, r.sheet, cells[f.name])
            out.append(Row(n, values, cells))
        return out

    def unique(self, r: Resource, rows: list[Row]) -> dict[str, Row]:
        """The rows by primary key; a duplicate is reported at its second occurrence."""
        key = r.primary_key
        assert key is not None
        by: dict[str, Row] = {}
        for row in rows:
            v = row.values[key]
            if not isinstance(v, str):
                continue
            if v in by:
                self.report.add(
                    r.sheet,
                    row.cell(key),
                    "duplicate",
                    f"{key} {v!r} is already on row {by[v].number}",
                )
            else:
                by[v] = row
        return by

    def refer(
        self, r: Resource, rows: list[Row], name: str, target: Resource, keys: dict[str, Row]
    ) -> None:
        for row in rows:
            v = row.values[name]
            for item in v if isinstance(v, list) else [v]:
                if isinstance(item, str) and item not in keys:
                    self.report.add(
                        r.sheet,
                        row.cell(name),
                        "unknown-reference",
                        f"{name} {item!r} is not a {target.primary_key} on the {target.sheet} "
                        "sheet",
                    )

    def in_period(self, sheet: str, cell: str, years: list[int], start: int, end: int) -> None:
        for y in years:
            if not start <= y <= end:
                self.report.add(sheet, cell, "year-outside-period", f"{y} is outside {start}–{end}")


def _s(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _ints(value: object) -> list[int]:
    return [v for v in value if isinstance(v, int)] if isinstance(value, list) else []


def _strs(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def check(
    book: Workbook,
    registry: Registry | None,
    agreements: tuple[str, ...],
    document: str | None = None,
    suggest: Suggest | None = None,
    schema: Schema | None = None,
) -> tuple[Parsed | None, Report]:
    """Validate every cell of ``book``; the records when it is valid, their spans in source
    document ``document`` (default: the plan's slug).

    ``registry``: the agency registry names are checked against (None: names stay unchecked,
    as a parser leaves them); ``suggest``: the reconciliation's candidates for an unknown name.
    """
    schema = schema or load_schema()
    parties = tuple(registry.parties) if registry is not None else ()
    ctx = Context(parties=parties, agreements=agreements)
    c = _Checker(book, ctx, schema)
    res = {r.name: r for r in schema.resources}

    plan_row = c.vertical(res["plan"])
    sections = c.rows(res["sections"])
    steps = c.rows(res["steps"])
    commitments = c.rows(res["commitments"])
    results = c.rows(res["results"])
    new_rows = c.rows(res["agencies"])
    notes = c.rows(res["notes"])
    instruments = c.rows(res["instruments"])
    meetings = c.rows(res["meetings"])
    participants = c.rows(res["participants"])
    decisions = c.rows(res["decisions"])
    versions = c.rows(res["versions"])

    section_keys = c.unique(res["sections"], sections)
    step_keys = c.unique(res["steps"], steps)
    agency_keys = c.unique(res["agencies"], new_rows)
    instrument_keys = c.unique(res["instruments"], instruments)
    meeting_keys = c.unique(res["meetings"], meetings)
    version_keys = c.unique(res["versions"], versions)
    for r, rows in (
        (res["participants"], participants),
        (res["decisions"], decisions),
        (res["notes"], notes),
    ):
        c.refer(r, rows, "meeting", res["meetings"], meeting_keys)
    _decisions(c, res["decisions"], decisions, section_keys, step_keys)
    c.refer(res["sections"], sections, "parent", res["sections"], section_keys)
    c.refer(res["steps"], steps, "section", res["sections"], section_keys)
    c.refer(res["steps"], steps, "parent", res["steps"], step_keys)
    c.refer(res["steps"], steps, "serves", res["steps"], step_keys)
    c.refer(res["steps"], steps, "cites", res["instruments"], instrument_keys)
    c.refer(res["steps"], steps, "versions", res["versions"], version_keys)
    c.refer(res["versions"], versions, "revises", res["versions"], version_keys)
    _versions(c, res["versions"], versions, version_keys, steps)
    for r, rows in (
        (res["commitments"], commitments),
        (res["results"], results),
        (res["notes"], notes),
    ):
        c.refer(r, rows, "step", res["steps"], step_keys)
        c.refer(r, rows, "section", res["sections"], section_keys)
        _step_or_section(c, r, rows)

    start = end = None
    if plan_row is not None:
        pv = plan_row.values
        start, end = pv["start_year"], pv["end_year"]
        if isinstance(start, int) and isinstance(end, int) and end < start:
            c.report.add(
                "Plan", plan_row.cell("end_year"), "bad-period", f"{end} is before {start}"
            )
            start = end = None
    if isinstance(start, int) and isinstance(end, int):
        for row in steps:
            if row.values["outside_period"] is True:
                continue
            c.in_period("Steps", row.cell("years"), _ints(row.values["years"]), start, end)
            qyears = [int(q[:4]) for q in _strs(row.values["quarters"]) if q[:4].isdigit()]
            c.in_period("Steps", row.cell("quarters"), qyears, start, end)
        for row in results:
            c.in_period("Results", row.cell("year"), _ints([row.values["year"]]), start, end)
        for row in commitments:
            c.in_period("Commitments", row.cell("years"), _ints(row.values["years"]), start, end)

    new_agencies = _new_agencies(c, res["agencies"], new_rows, agency_keys, registry)
    resolved = _agencies(c, commitments, registry, new_agencies, suggest)
    resolved_organisations = _agencies(
        c, participants, registry, new_agencies, suggest, "Participants", "organisation"
    )

    if not c.report.ok or plan_row is None:
        return None, c.report
    tables = {
        "sections": sections,
        "steps": steps,
        "commitments": commitments,
        "results": results,
        "notes": notes,
        "instruments": instruments,
        "meetings": meetings,
        "participants": participants,
        "decisions": decisions,
        "versions": versions,
    }
    return _records(
        plan_row, tables, new_agencies, resolved, resolved_organisations, document
    ), c.report


def _decisions(
    c: _Checker,
    r: Resource,
    rows: list[Row],
    section_keys: dict[str, Row],
    step_keys: dict[str, Row],
) -> None:
    """A decision's key is unique within its meeting; what it changes exists."""
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        meeting, key = _s(row.values["meeting"]), _s(row.values["key"])
        if meeting and key:
            if (meeting, key) in seen:
                c.report.add(
                    r.sheet,
                    row.cell("key"),
                    "duplicate",
                    f"decision {key!r} of {meeting!r} is already on row {seen[(meeting, key)]}",
                )
            seen.setdefault((meeting, key), row.number)
        for target in _strs(row.values["changes"]):
            if (
                target not in section_keys
                and target not in step_keys
                and target
                not in (
                    "plan",
                    "general-objective",
                )
            ):
                c.report.add(
                    r.sheet,
                    row.cell("changes"),
                    "unknown-reference",
                    f"changes {target!r}: not a section key, a step number or plan",
                )


def _versions(
    c: _Checker, r: Resource, rows: list[Row], keys: dict[str, Row], steps: list[Row]
) -> None:
    """A version revises another version, never itself nor (through others) itself; every
    version prints at least one step (a step names it in its versions column)."""
    revises = {k: _s(row.values["revises"]) for k, row in keys.items()}
    for key, row in keys.items():
        chain = [key]
        at = revises[key]
        while at is not None and at in revises and at not in chain:
            chain.append(at)
            at = revises[at]
        if at == key:
            loop = " -> ".join([*chain, key])
            what = "revises itself" if len(chain) == 1 else f"revises itself through {loop}"
            c.report.add(r.sheet, row.cell("revises"), "revision-cycle", f"{key!r} {what}")
    printed = {v for row in steps for v in _strs(row.values["versions"])}
    for key, row in keys.items():
        if key not in printed:
            c.report.add(
                r.sheet,
                row.cell("key"),
                "empty-version",
                f"no step names version {key!r}: give it in the versions column of the Steps sheet",
            )


def _step_or_section(c: _Checker, r: Resource, rows: list[Row]) -> None:
    """A row of Commitments, Results or Notes belongs to a step or a section, not both; only a
    coordinator (Commitments) or a note (Notes) belongs to the whole plan."""
    for row in rows:
        step, section = _s(row.values["step"]), _s(row.values["section"])
        if step and section:
            c.report.add(
                r.sheet, row.cell("section"), "bad-format", "give a step or a section, not both"
            )
        role = row.values.get("role")
        if r.name == "commitments" and not step and not section and role != ROLE_COORDINATOR:
            c.report.add(
                r.sheet,
                row.cell("step"),
                "required",
                "step is required (or a section, or role coordinator for the whole plan)",
            )
        if r.name == "commitments" and (step or section) and role == ROLE_COORDINATOR:
            c.report.add(
                r.sheet,
                row.cell("role"),
                "not-in-list",
                "role coordinator is for the whole plan: leave step and section empty",
            )
        if r.name == "results" and not step and not section:
            c.report.add(r.sheet, row.cell("step"), "required", "step (or section) is required")
        if r.name == "results" and section and row.values["type"] != "output":
            c.report.add(
                r.sheet, row.cell("type"), "not-in-list", "a section's result is an output"
            )


def _new_agencies(
    c: _Checker,
    r: Resource,
    rows: list[Row],
    keys: dict[str, Row],
    registry: Registry | None,
) -> list[NewAgency]:
    out = []
    for row in rows:
        v = row.values
        aid, name = _s(v["id"]), _s(v["name"])
        if aid is None or name is None:
            continue
        party = _s(v["party"])
        if aid.split("/", 1)[0] != (party or "int"):
            c.report.add(
                r.sheet,
                row.cell("id"),
                "bad-format",
                f"id {aid!r} must start with {party or 'int'}/",
            )
        if registry is not None:
            if aid in registry.agencies:
                c.report.add(
                    r.sheet, row.cell("id"), "agency-exists", f"{aid} is already in the registry"
                )
            known = registry.candidates(name)
            if known:
                c.report.add(
                    r.sheet,
                    row.cell("name"),
                    "agency-exists",
                    f"{name!r} is already in the registry as {', '.join(known)}",
                )
        parent = _s(v["parent"])
        if parent and parent not in keys and (registry is None or parent not in registry.agencies):
            c.report.add(
                r.sheet,
                row.cell("parent"),
                "unknown-reference",
                f"parent {parent!r} is neither in the registry nor on this sheet",
            )
        kind = _s(v["kind"]) or "unspecified-group"
        out.append(NewAgency(aid, name, party, kind, parent, tuple(_strs(v["aliases"]))))
    return out


def _agencies(
    c: _Checker,
    rows: list[Row],
    registry: Registry | None,
    new: list[NewAgency],
    suggest: Suggest | None,
    sheet: str = "Commitments",
    column: str = "agency",
) -> dict[int, str]:
    """The registry key of each row's agency (by row number); without a registry only the ids
    the sheet gives (the build's registry checks them)."""
    id_column = f"{column}_id"
    if registry is None:
        return {
            row.number: str(row.values[id_column])
            for row in rows
            if _s(row.values[id_column]) is not None
        }
    extended = Registry(
        path=registry.path,
        parties=registry.parties,
        agencies={
            **registry.agencies,
            **{
                a.id: AgencyEntry(a.id, a.name, a.party, a.kind, a.parent, a.aliases, 0)
                for a in new
            },
        },
        party_relative_aliases=registry.party_relative_aliases,
    )
    out: dict[int, str] = {}
    for row in rows:
        name = _s(row.values[column])
        if name is None:
            continue
        party = _s(row.values["party"])
        given = _s(row.values[id_column])
        if given is not None:
            party_key = given.removeprefix(PARTY_PREFIX)
            if given in extended.agencies or (
                given.startswith(PARTY_PREFIX) and party_key in extended.parties
            ):
                out[row.number] = given
            else:
                c.report.add(
                    sheet,
                    row.cell(id_column),
                    "unknown-agency",
                    f"{given!r} is not in the agency registry nor on the New agencies sheet",
                    tuple(suggest(name)) if suggest is not None else (),
                )
            continue
        mention = AgencyMention(name, SourceSpan("workbook", row.number, row.number), party=party)
        try:
            out[row.number] = extended.resolve(mention, "workbook")
        except RegistryError as exc:
            ambiguous = "ambiguous" in exc.message
            code = "ambiguous-agency" if ambiguous else "unknown-agency"
            message = (
                f"{name!r} names several bodies: {', '.join(sorted(extended.candidates(name)))}"
                if ambiguous
                else f"{name!r} is not in the agency registry nor on the New agencies sheet"
            )
            hints = tuple(suggest(name)) if suggest is not None and not ambiguous else ()
            c.report.add(sheet, row.cell(column), code, message, hints)
    return out


def _span(document: str, sheet: str, row: Row) -> SourceSpan:
    return SourceSpan(
        document, row.number, row.number, sheet=sheet, locator=_s(row.values.get("source")) or ""
    )


def _records(
    plan_row: Row,
    tables: dict[str, list[Row]],
    new_agencies: list[NewAgency],
    resolved: dict[int, str],
    resolved_organisations: dict[int, str],
    document: str | None,
) -> Parsed:
    pv = plan_row.values
    document = document or str(pv["slug"])
    parties = tuple(_strs(pv["parties"]))
    start, end = pv["start_year"], pv["end_year"]
    assert isinstance(start, int) and isinstance(end, int)
    info = PlanInfo(
        slug=str(pv["slug"]),
        title=str(pv["title"]),
        label=_s(pv["label"]) or str(pv["title"]),
        kind=str(pv["kind"]),
        status=str(pv["status"]),
        parties=parties,
        start_year=start,
        end_year=end,
        agreement=_s(pv["agreement"]),
        document_title=str(pv["document_title"]),
        document_date=_s(pv["document_date"]),
        document_url=_s(pv["document_url"]),
        document_licence=_s(pv["document_licence"]),
    )
    plan = Plan(
        slug=info.slug,
        title=info.title,
        source=document,
        spans=[SourceSpan(document, 1, 1, sheet="Plan")],
        general_objective=_s(pv["general_objective"]),
        flags=_strs(pv["flags"]),
    )
    for row in tables["instruments"]:
        v = row.values
        plan.legal_instruments.append(
            LegalInstrument(
                key=str(v["key"]),
                title=str(v["title"]),
                kind=str(v["kind"]),
                spans=[_span(document, "Instruments", row)],
                date=_s(v["date"]),
                same_as_agreement=_s(v["agreement"]),
            )
        )
    by_key: dict[str, Section] = {}
    for row in tables["sections"]:
        v = row.values
        count = v["stated_activity_count"]
        s = Section(
            key=str(v["key"]),
            kind=str(v["kind"]),
            title=str(v["title"]),
            spans=[_span(document, "Sections", row)],
            number=_s(v["number"]),
            parent=_s(v["parent"]),
            description=_s(v["description"]),
            stated_activity_count=count if isinstance(count, int) else None,
            flags=_strs(v["flags"]),
        )
        plan.sections.append(s)
        by_key[s.key] = s
    by_number: dict[str, Activity] = {}
    a_versions: dict[str, list[str]] = {}
    for row in tables["steps"]:
        v = row.values
        a_versions[str(v["number"])] = _strs(v["versions"])
        position = v["position"]
        a = Activity(
            number=str(v["number"]),
            text=str(v["text"]),
            section=_s(v["section"]),
            spans=[_span(document, "Steps", row)],
            printed_number=_s(v["printed_number"]),
            kind=_s(v["kind"]) or "activity",
            parent=_s(v["parent"]),
            position=position if isinstance(position, int) else None,
            years=_ints(v["years"]),
            quarters=_strs(v["quarters"]),
            serves=_strs(v["serves"]),
            cites=_strs(v["cites"]),
            places=_strs(v["places"]),
            uncertain=v["uncertain"] is True,
            flags=_strs(v["flags"]),
            implementation_status=_s(v["implementation_status"]),
        )
        plan.activities.append(a)
        by_number[a.number] = a
    for row in tables["commitments"]:
        v = row.values
        span = _span(document, "Commitments", row)
        mention = AgencyMention(str(v["agency"]), span, party=_s(v["party"]))
        mention.resolved = resolved.get(row.number)
        step, section = _s(v["step"]), _s(v["section"])
        if not step and not section:
            plan.coordinators.append(mention)
            continue
        commitment = Commitment(
            mention=mention,
            role=_s(v["role"]) or ROLE_RESPONSIBLE,
            on_behalf_of=_s(v["party"]),
            uncertain=v["uncertain"] is True,
            years=_ints(v["years"]),
            note=_s(v["note"]),
            spans=[span],
        )
        (by_number[step] if step else by_key[str(section)]).commitments.append(commitment)
    for row in tables["results"]:
        v = row.values
        span = _span(document, "Results", row)
        text = str(v["text"])
        step = _s(v["step"])
        if not step:
            by_key[str(v["section"])].expected_results.append(Output(text, span))
            continue
        a = by_number[step]
        if v["type"] == "output":
            a.outputs.append(Output(text, span))
        elif v["type"] == "indicator":
            a.indicators.append(Indicator(text, span))
        else:
            value, year = v["value"], v["year"]
            a.targets.append(
                Target(
                    text,
                    span,
                    value=float(value) if isinstance(value, int | float) else None,
                    year=year if isinstance(year, int) else None,
                    period_label=_s(v["period_label"]),
                    unit=_s(v["unit"]),
                    garbled=v["garbled"] is True,
                )
            )
    meetings: dict[str, Meeting] = {}
    for row in tables["meetings"]:
        v = row.values
        m = Meeting(
            key=str(v["key"]),
            title=str(v["title"]),
            spans=[_span(document, "Meetings", row)],
            start_date=_s(v["start_date"]),
            end_date=_s(v["end_date"]),
            venue=_s(v["venue"]),
        )
        plan.meetings.append(m)
        meetings[m.key] = m
    for row in tables["participants"]:
        v = row.values
        span = _span(document, "Participants", row)
        organisation = None
        if _s(v["organisation"]):
            organisation = AgencyMention(str(v["organisation"]), span, party=_s(v["party"]))
            organisation.resolved = resolved_organisations.get(row.number)
        person = Participant(
            name=str(v["name"]),
            span=span,
            position=_s(v["position"]),
            organisation=organisation,
            party=_s(v["party"]),
            note=_s(v["note"]),
        )
        m = meetings[str(v["meeting"])]
        (m.chairs if v["role"] == "chair" else m.participants).append(person)
    for row in tables["decisions"]:
        v = row.values
        meetings[str(v["meeting"])].decisions.append(
            Decision(
                key=str(v["key"]),
                text=str(v["text"]),
                span=_span(document, "Decisions", row),
                changes=_strs(v["changes"]),
                date=_s(v["date"]),
            )
        )
    for row in tables["versions"]:
        v = row.values
        key = str(v["key"])
        plan.versions.append(
            PlanVersion(
                key=key,
                title=str(v["title"]),
                status=str(v["status"]),
                spans=[_span(document, "Versions", row)],
                steps=[a.number for a in plan.activities if key in a_versions[a.number]],
                revision_of=_s(v["revises"]),
            )
        )
    for row in tables["notes"]:
        v = row.values
        note = Note(
            str(v["kind"]), str(v["text"]), _span(document, "Notes", row), v["uncertain"] is True
        )
        step, section, meeting = _s(v["step"]), _s(v["section"]), _s(v["meeting"])
        if meeting:
            meetings[meeting].agenda.append(note)
        elif step:
            by_number[step].notes.append(note)
        elif section:
            by_key[section].notes.append(note)
        else:
            plan.notes.append(note)
    return Parsed(info, plan, new_agencies)
