"""Plain record types: what the parsers produce and the RDF mapping consumes.

Records say what the documents say. They carry no RDF and no URIs; identifiers are
built from their keys by :mod:`plangraph.ids`. Every record that comes from a
document carries the :class:`SourceSpan` (1-based, inclusive lines) it was read from.

Conventions shared by all parsers:

* ``number`` of an activity is the plan's own numbering made unique within the plan
  (e.g. ``"1.1.1"``; ``"II.2"`` for the China plan whose numbering restarts in each
  section); ``printed_number`` is the number exactly as printed (``"2."``).
* Text fields are cleaned: HTML tags, stray marks and line/page breaks removed,
  whitespace collapsed. Nothing is paraphrased.
* Agency mentions stay raw (:class:`AgencyMention`); the registry resolves them later.
* Anything the parser had to decide is recorded in ``flags`` (machine-readable) and,
  where a human made the decision, in ``curations`` (ids of data/curation entries).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class SourceSpan:
    """Lines ``start_line``..``end_line`` (1-based, inclusive) of source document ``document``."""

    document: str  # the source document's slug (catalog.yaml), not its file name
    start_line: int
    end_line: int
    # a workbook's rows: the sheet the lines are rows of ("Steps"), and where the row says it
    # stands in the original document ("p. 4, para 2"); empty for a text document's lines
    sheet: str = ""
    locator: str = ""

    def __post_init__(self) -> None:
        if self.start_line < 1 or self.end_line < self.start_line:
            raise ValueError(f"bad span {self.document}:{self.start_line}-{self.end_line}")

    def __str__(self) -> str:
        if self.sheet:
            return f"{self.document}:{self.sheet}!{self.start_line}"
        if self.start_line == self.end_line:
            return f"{self.document}:{self.start_line}"
        return f"{self.document}:{self.start_line}-{self.end_line}"


# Commitment roles (SKOS scheme pg-role: in ontology/plangraph.ttl).
ROLE_LEAD = "lead"
ROLE_RESPONSIBLE = "responsible"
ROLE_IMPLEMENTING_PARTNER = "implementing-partner"
ROLE_SUPPORT = "support"
ROLE_RESOURCING = "resourcing"  # provides funds or resources (distinct from responsibility)
ROLE_PARTICIPANT = "participant"  # a party listed as taking part (e.g. COMMIT PPC countries)
ROLES = (
    ROLE_LEAD,
    ROLE_RESPONSIBLE,
    ROLE_IMPLEMENTING_PARTNER,
    ROLE_SUPPORT,
    ROLE_RESOURCING,
    ROLE_PARTICIPANT,
)


@dataclass
class AgencyMention:
    """One name of an agency (or a party, or a catch-all group) as printed in a source."""

    text: str  # as printed, cleaned of HTML/whitespace only
    span: SourceSpan
    party: str | None = None  # ISO3 of the party the context puts it in ("Viet Nam: ..."), if any
    # filled by plangraph.sources.registry.resolve(): registry key such as "khm/mosvy", or
    # "party/khm"
    resolved: str | None = None


@dataclass
class Commitment:
    """One agency's obligation for one activity (or sub-activity)."""

    mention: AgencyMention
    role: str = ROLE_RESPONSIBLE
    on_behalf_of: str | None = None  # ISO3 of the party the agency acts for
    uncertain: bool = False  # the source marks it "??" / "?"
    years: list[int] = field(default_factory=list)  # only if the commitment has its own years
    note: str | None = None  # qualifying text kept verbatim, e.g. "coordinates with Border Guard"
    spans: list[SourceSpan] = field(default_factory=list)


@dataclass
class Indicator:
    text: str
    span: SourceSpan


@dataclass
class Target:
    """A target figure. ``value`` only where the printed figure is a number."""

    text: str  # as printed
    span: SourceSpan
    value: float | None = None
    year: int | None = None  # None = total for the plan period
    period_label: str | None = None  # e.g. "Year 1" when the plan numbers its years
    unit: str | None = None
    garbled: bool = False  # the printed figure cannot be read; kept, flagged, not repaired


@dataclass
class Output:
    """An output or expected result/outcome of an activity."""

    text: str
    span: SourceSpan


@dataclass
class Note:
    """A note attached to a plan or an activity (financial notes, timeframe notes...)."""

    kind: str  # "financial", "timeframe", "resources", "remark", ...
    text: str
    span: SourceSpan
    uncertain: bool = False


@dataclass
class Activity:
    """One numbered activity of a plan (also sub-activities, work items, actions)."""

    number: str  # unique within the plan (see module docstring)
    text: str
    section: str | None  # key of the Section it belongs to
    spans: list[SourceSpan]
    printed_number: str | None = None
    kind: str = "activity"  # "activity", "sub-activity", "work-item", "action", "quarterly-item"
    parent: str | None = None  # number of the parent activity (for sub-activities)
    position: int | None = None  # order among siblings, where there is no printed number
    years: list[int] = field(default_factory=list)
    quarters: list[str] = field(default_factory=list)  # "2023-Q1" or "Y1-Q1" when year unknown
    commitments: list[Commitment] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    serves: list[str] = field(default_factory=list)  # numbers of activities this one serves
    cites: list[str] = field(default_factory=list)  # keys of LegalInstruments it mentions
    places: list[str] = field(default_factory=list)  # places named for it (tentative venues)
    uncertain: bool = False  # some cell of the row is marked "??"/"?"
    flags: list[str] = field(default_factory=list)
    curations: list[str] = field(default_factory=list)
    # how far the step is done, as the document reports it (a work plan's status column)
    implementation_status: str | None = None


@dataclass
class Section:
    """A structural part of a plan: area, objective, strategy, activity group, PPC..."""

    key: str  # unique within the plan, URL-safe: "area-1", "objective-1.1", "section-II"
    kind: str  # "area", "objective", "strategy", "activity-group", "section", "ppc", ...
    title: str
    spans: list[SourceSpan]
    number: str | None = None  # as printed: "1", "1.1", "II"
    parent: str | None = None  # key of the enclosing section
    description: str | None = None  # aims/objectives text
    expected_results: list[Output] = field(default_factory=list)
    stated_activity_count: int | None = None  # where the narrative states a count
    commitments: list[Commitment] = field(default_factory=list)  # e.g. PPC participants
    notes: list[Note] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


@dataclass
class LegalInstrument:
    """A law, sub-decree, agreement or policy a plan cites."""

    key: str  # stable slug
    title: str
    kind: str  # "law", "sub-decree", "agreement", "mou", "convention", "policy", ...
    spans: list[SourceSpan]
    date: str | None = None  # ISO date or year, as far as the source gives it
    same_as_agreement: str | None = None  # agreement slug in catalog.yaml when it is the same


@dataclass
class Participant:
    name: str
    span: SourceSpan
    position: str | None = None
    organisation: AgencyMention | None = None
    party: str | None = None
    note: str | None = None  # qualifying text kept verbatim (a second role, a source elsewhere)


@dataclass
class Decision:
    key: str
    text: str
    span: SourceSpan
    changes: list[str] = field(default_factory=list)  # what it changes: section/activity keys
    date: str | None = None


@dataclass
class Meeting:
    key: str
    title: str
    spans: list[SourceSpan]
    start_date: str | None = None
    end_date: str | None = None
    venue: str | None = None
    chairs: list[Participant] = field(default_factory=list)
    agenda: list[Note] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    participants: list[Participant] = field(default_factory=list)


@dataclass
class PlanVersion:
    """One version of a plan that a document prints (e.g. a proposed draft and a later draft).

    A plan printed once has no versions. ``steps`` are the numbers of the plan's activities
    that this version holds; ``revision_of`` the key of the version it revises, only where the
    document says so.
    """

    key: str  # unique within the plan, URL-safe: "annex-3"
    title: str  # as printed
    status: str  # "draft" or "final", as the document says
    spans: list[SourceSpan]
    steps: list[str] = field(default_factory=list)
    revision_of: str | None = None


@dataclass
class Plan:
    """One plan of action, as read from one source document."""

    slug: str
    title: str
    source: str  # document slug
    spans: list[SourceSpan]
    sections: list[Section] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    coordinators: list[AgencyMention] = field(default_factory=list)
    general_objective: str | None = None
    legal_instruments: list[LegalInstrument] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    versions: list[PlanVersion] = field(default_factory=list)

    def activity(self, number: str) -> Activity:
        for a in self.activities:
            if a.number == number:
                return a
        raise KeyError(number)

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)

    def mentions(self) -> list[AgencyMention]:
        """Every agency mention of the plan, in document order of its records."""
        out = list(self.coordinators)
        for s in self.sections:
            out.extend(c.mention for c in s.commitments)
        for a in self.activities:
            out.extend(c.mention for c in a.commitments)
        for m in self.meetings:
            for p in [*m.chairs, *m.participants]:
                if p.organisation is not None:
                    out.append(p.organisation)
        return out


def to_jsonable(plan: Plan) -> dict:
    """The plan as plain JSON-ready data (golden files, ``plangraph ingest --json``)."""
    from dataclasses import asdict

    def factory(items: list[tuple[str, object]]) -> dict:
        # a text document's span has no sheet or locator, its steps no implementation
        # status: left out, as before workbooks
        return {
            k: v
            for k, v in items
            if not (k in ("sheet", "locator") and v == "")
            and not (k == "implementation_status" and v is None)
        }

    return asdict(plan, dict_factory=factory)
