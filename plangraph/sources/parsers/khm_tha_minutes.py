"""Parser for the minutes of the Cambodia–Thailand meeting of January 2023.

Layout ``khm-tha-minutes``.

The document holds one meeting and one draft plan:

* the minutes of day 1 and day 2: a key/value table (date, venue, chair) and numbered items
  ("6.2.2.", "- 2.5."), continued after page breaks by unnumbered lines;
* Annex 1, the attendance list (No. | Name | Position/Organization), Cambodian rows then
  Thai rows after a page break (which rows are whose is a curation entry: the list has no
  country column);
* Annex 2, the agenda: one table per day, rows continued by rows with an empty time cell;
* Annex 3, the proposed draft plan: a key/value table (general objective, specific
  objectives, intended outcome), then the action table Focus area | Joint actions | Responsible
  Agency | Implementing Partners | Indicators | Targets | 2023 | 2024 | 2025 | Resources. The
  PDF conversion split it into tables of 10, 9 (no focus column) or 8 (no focus nor resources
  column) cells; rows without an action number continue the open action column by column; an
  action number inside an action cell ("... form 1.3 Organize") ends the open action there.
  Cells the conversion garbled are named in curation entries ``khm-tha-annex3-cells-*``
  (unreadable, belonging to the next action, or stray words): kept in flags, never repaired.
  The table has no schedule column: an action's years are the years whose target cell is not
  0, flagged ``years-from-targets`` with a note naming those cells (its span their lines);
* Annex 4, the final version of the draft: one row of three year cells, each "Qn Output: ...
  Qn Activities: • ...".

The general objective and the specific objectives are those agreed in the minutes (items
6.2.2 and 6.2.3 of day 1); the printed Annex 3 texts are kept as notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plangraph.sources.catalog import Document
from plangraph.sources.curation import Curations
from plangraph.sources.model import (
    ROLE_IMPLEMENTING_PARTNER,
    ROLE_RESPONSIBLE,
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
    Target,
)
from plangraph.sources.parsers.base import DocumentReader, clean

SOP_KEY = "sop-lec"
SOP_AGREEMENT = "khm-tha-sop-lec-2022"
MOU_KEY = "khm-tha-mou-tip"

# The decisions the minutes record: (day, item number, what each changes, the date it sets).
# Items that only report a statement or a proposal (e.g. day 1 item 6.2.4, the Thai view on
# "standardized interview forms"; day 2 item 2.6) are not decisions.
DECISIONS: tuple[tuple[int, str, tuple[str, ...], str | None], ...] = (
    (1, "4.4", (), None),  # the revised agenda accepted
    (1, "6.2.2", ("general-objective",), None),
    (1, "6.2.3", ("objective-3",), None),  # objectives 1 and 2 kept, objective 3 changed
    (1, "6.2.5", ("plan",), "2023-06"),  # "by early June 2023"
    (1, "7.1", ("plan",), None),  # the small technical team
    (1, "7.2", ("plan",), None),  # the Cambodian draft approved for onward submission
    (2, "2.2", ("plan",), None),  # the Cambodian delegation agrees with the Thai proposal
    (2, "2.5", ("plan", "y1-q2.1"), "2023-06-12"),  # meeting to finalise and sign, 12-13 June
    (2, "3", (), None),  # the minutes adopted and signed
)

_ANNEX = re.compile(r"^Annex (\d)\s*[–-]\s*(.+)$")
_ITEM = re.compile(r"^\s*(?:-\s*)?(\d+(?:\.\d+)*)\.\s*(.*)$")
_SEPARATOR = re.compile(r"^\|[\s|:-]*\|$")
_ACTION_NO = re.compile(r"(?:^|(?<=\s))([1-3])\.(\d)\.?\s+(?=[A-Z])")
_FOCUS = re.compile(r"^Specific Objective\s*(\d)\s*:?\s*(.*)$")
_SPACED_YEAR = re.compile(r"^(?:\d\s*){4}$")
_QUOTED = re.compile(r'"([^"]+)"')
_SEVERAL = re.compile(r"\s+and\s+(?=[A-Z]|justice group|independent )")
_PERSON_SPLIT = re.compile(r",\s*(Cambodia|Thailand)\s+(?=(?:H\.E\.|Mr\.|Mrs\.|Ms\.)\s)")
_ORG_START = re.compile(
    r"(?:^|(?<=\s))(?:the\s+)?(?=(?:Ministry|Department|General Secretariat|Secretariat|"
    r"National Committee|National Police|Immigration|IOM|Child Woman|Anti Trafficking|"
    r"Division of)\b)"
)
_SECOND_ROLE = re.compile(r",?\s+(?=Permanent Vice Chair of)")
_PLACE = re.compile(
    r"(?:tentatively (?:in|at)|with potential visit to|, in) ([A-Z][^()]+?)\s*(?:\(([^)]*)\))?\s*$"
)
# Cyrillic letters the conversion printed for Latin look-alikes ("МоЈ" for "MoJ").
_HOMOGLYPHS = str.maketrans("МоЈАВЕКНОРСТХаеорсух", "MoJABEKHOPCTXaeopcyx")
_PARTY_OF_COUNTRY = {"Cambodia": "khm", "Thailand": "tha"}
# An action's pg:year read from its targets per year (the table has no schedule column).
FLAG_YEARS = "years-from-targets"


def parse(document: Document, curations: Curations) -> Plan:
    return _Parser(document, curations).run()


@dataclass
class _Col:
    """The text of one column of one action, gathered over its rows."""

    parts: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def add(self, text: str, line: int) -> None:
        if text:
            self.parts.append(text)
            self.lines.append(line)

    def text(self) -> str:
        return clean(" ".join(self.parts))


@dataclass
class _Action:
    number: str
    printed: str
    objective: int
    start: int
    end: int
    cols: dict[str | int, _Col] = field(default_factory=dict)  # by column name or year
    targets: list[Target] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    curations: list[str] = field(default_factory=list)

    def col(self, name: str | int) -> _Col:
        return self.cols.setdefault(name, _Col())


class _Parser(DocumentReader):
    def __init__(self, document: Document, curations: Curations) -> None:
        super().__init__(document, curations)
        self.plan_flags: list[str] = []

    # -- helpers ------------------------------------------------------------------------

    @staticmethod
    def cells(row: str) -> list[str]:
        row = row.strip()
        return [c.strip() for c in row[1:-1].split("|")]

    # -- the document -------------------------------------------------------------------

    def run(self) -> Plan:
        last = len(self.lines)
        annexes = self.annexes()
        day1 = self.find(r"^A\. Meeting Notes Day 1", 1, annexes[1] - 1, "'A. Meeting Notes Day 1'")
        day2 = self.find(
            r"^B\. Meeting Notes Day 2", day1, annexes[1] - 1, "'B. Meeting Notes Day 2'"
        )
        title_lines = [n for n in range(1, day1) if self.line(n).strip()]
        if not title_lines:
            raise self.error("no meeting title before 'A. Meeting Notes Day 1'", day1)

        items = {1: self.items(day1, day2 - 1), 2: self.items(day2, annexes[1] - 1)}
        head1 = self.key_values(day1, day2 - 1)
        head2 = self.key_values(day2, annexes[1] - 1)

        general, superseded = self.general_objective(items[1])
        sections = self.objectives(items[1])
        top_end, plan_notes = self.annex3_top(annexes[3], annexes[4] - 1, sections)
        actions = self.annex3_actions(top_end + 1, annexes[4] - 1, sections)
        year_sections, quarterly = self.annex4(annexes[4], last)
        activities = [self.activity(a) for a in actions] + quarterly
        self.remarks(items[1], activities)

        meeting = Meeting(
            key="bilateral-meeting-2023-01",
            title=clean(" ".join(self.line(n) for n in title_lines)),
            spans=[self.span(title_lines[0], last)],
            start_date=self.iso_date(head1["Date and Time"][0], head1["Date and Time"][1]),
            end_date=self.iso_date(head2["Date and Time"][0], head2["Date and Time"][1]),
            venue=self.venue(head1, head2),
            chairs=self.chairs(*head1["Chair"]),
            agenda=self.agenda(annexes[2], annexes[3] - 1),
            decisions=self.decisions(items, {a.number for a in activities}),
            participants=self.attendance(annexes[1], annexes[2] - 1),
        )
        return Plan(
            slug=self.doc.plan.slug,
            title=self.doc.plan.title,
            source=self.doc.slug,
            spans=[self.span(1, last)],
            sections=sections + year_sections,
            activities=activities,
            notes=[superseded, *plan_notes],
            general_objective=general,
            legal_instruments=self.legal_instruments(items[1], actions),
            meetings=[meeting],
            flags=self.plan_flags,
            versions=self.versions(annexes, last, actions, quarterly),
        )

    def versions(
        self, annexes: dict[int, int], last: int, actions: list[_Action], quarterly: list[Activity]
    ) -> list[PlanVersion]:
        """Annex 3 (the proposed draft) and Annex 4 (the final version of the draft).

        Both are drafts: the minutes plan a meeting to finalise and sign the plan (day 2,
        item 2.5). Annex 4 revises Annex 3: item 2.6 of day 2 calls it "the final version of
        the draft Plan of Action".
        """
        titles = {}
        for number in (3, 4):
            m = _ANNEX.match(self.line(annexes[number]).strip())
            assert m is not None  # annexes() matched the same line
            titles[number] = clean(m.group(2))
        said = self.find(
            r"final version of the draft Plan of Action is attached in Annex 4",
            1,
            annexes[1] - 1,
            "the minutes' statement that Annex 4 is the final version of the draft",
        )
        return [
            PlanVersion(
                key="annex-3",
                title=titles[3],
                status="draft",
                spans=[self.span(annexes[3], annexes[4] - 1)],
                steps=[a.number for a in actions],
            ),
            PlanVersion(
                key="annex-4",
                title=titles[4],
                status="draft",
                spans=[self.span(annexes[4], last), self.span(said)],
                steps=[a.number for a in quarterly],
                revision_of="annex-3",
            ),
        ]

    def annexes(self) -> dict[int, int]:
        """The line of each "Annex N – ..." heading; they must come in order 1, 2, 3, 4."""
        found = [
            (int(m.group(1)), n)
            for n in range(1, len(self.lines) + 1)
            if (m := _ANNEX.match(self.line(n).strip()))
        ]
        out: dict[int, int] = {}
        for expected in (1, 2, 3, 4):
            if len(found) < expected:
                raise self.error(f"no 'Annex {expected}' heading", len(self.lines))
            number, n = found[expected - 1]
            if number != expected:
                raise self.error(f"found 'Annex {number}' where 'Annex {expected}' was expected", n)
            out[number] = n
        return out

    # -- minutes ------------------------------------------------------------------------

    def key_values(self, start: int, end: int) -> dict[str, tuple[str, int]]:
        out: dict[str, tuple[str, int]] = {}
        for n in range(start, end + 1):
            row = self.line(n).strip()
            if not row.startswith("|") or _SEPARATOR.match(row):
                continue
            cells = self.cells(row)
            key, value = clean(cells[0]), clean(" ".join(cells[1:]))
            if key and value:
                out[key] = (value, n)
        for key in ("Date and Time", "Venue", "Chair"):
            if key not in out:
                raise self.error(f"the meeting table has no {key!r} row", start)
        return out

    def items(self, start: int, end: int) -> dict[str, tuple[str, int, int]]:
        """Numbered items of one day's notes: number -> (text, first line, last line)."""
        out: dict[str, tuple[str, int, int]] = {}
        current: str | None = None
        for n in range(start + 1, end + 1):
            raw = self.line(n)
            text = raw.strip()
            if not text or text.startswith("|") or len(clean(text)) <= 1:
                continue
            m = _ITEM.match(raw)
            if m:
                current = m.group(1)
                out[current] = (clean(m.group(2)), n, n)
            elif current is not None and text.startswith("- "):
                body, first, _ = out[current]
                out[current] = (clean(body + " " + text[2:]), first, n)
            elif current is not None and re.match(r"^[a-z]", text):
                body, first, _ = out[current]
                out[current] = (clean(body + " " + text), first, n)
        return out

    def iso_date(self, value: str, line: int) -> str:
        m = re.match(r"(\d{1,2}) (January|June) (\d{4})", value)
        if not m:
            raise self.error(f"cannot read the date {value!r}", line)
        month = {"January": 1, "June": 6}[m.group(2)]
        return f"{m.group(3)}-{month:02d}-{int(m.group(1)):02d}"

    def venue(self, head1: dict, head2: dict) -> str:
        v1, l1 = head1["Venue"]
        v2, _ = head2["Venue"]
        if v1 != v2:
            # day 1 prints "khalay Angkor Hotel": the first letters were lost in conversion
            self.plan_flags.append(f"venue-day1-printed:{v1}@line-{l1}")
        return v2

    def general_objective(self, items: dict) -> tuple[str, Note]:
        if "6.2.2" not in items:
            raise self.error("day 1 has no item 6.2.2 (the general objective)", 1)
        text, first, last = items["6.2.2"]
        quoted = _QUOTED.findall(text)
        if len(quoted) != 2:
            raise self.error("item 6.2.2 should quote the old and the new general objective", first)
        original = quoted[0].rstrip(", ")
        return clean(quoted[1]), Note(
            "superseded-general-objective", original, self.span(first, last)
        )

    def objectives(self, items: dict) -> list[Section]:
        if "6.2.3" not in items:
            raise self.error("day 1 has no item 6.2.3 (the specific objectives)", 1)
        text, first, last = items["6.2.3"]
        m = re.search(r"1\)\s*(.+?);\s*2\)\s*(.+?);\s*and\s+(.+?)\.\s+Delegates", text)
        new3 = _QUOTED.findall(text)
        if not m or len(new3) != 1:
            raise self.error("item 6.2.3 does not list the objectives as expected", first)
        span = self.span(first, last)
        sections = []
        for i, title in enumerate((m.group(1), m.group(2), new3[0]), 1):
            sections.append(
                Section(
                    key=f"objective-{i}",
                    kind="specific-objective",
                    title=clean(title),
                    spans=[span],
                    number=str(i),
                )
            )
        sections[2].notes.append(Note("superseded-specific-objective", clean(m.group(3)), span))
        # the minutes print the proposed third objective without its "3)"
        sections[2].flags.append("proposed-text-printed-without-number")
        return sections

    def remarks(self, items: dict, activities: list[Activity]) -> None:
        """Day 1 item 6.2.4: the Thai view on the standardized interview form of action 1.3."""
        if "6.2.4" in items:
            text, first, last = items["6.2.4"]
            for a in activities:
                if a.number == "1.3":
                    a.notes.append(Note("meeting-remark", text, self.span(first, last)))

    def decisions(self, items: dict[int, dict], numbers: set[str]) -> list[Decision]:
        out = []
        for day, number, changes, date in DECISIONS:
            if number not in items[day]:
                raise self.error(f"day {day} of the minutes has no item {number}", 1)
            text, first, _ = items[day][number]
            for key in changes:
                if key not in ("plan", "general-objective", "objective-3") and key not in numbers:
                    raise self.error(f"decision {number} changes {key}, which was not read", first)
            out.append(
                Decision(
                    key=f"day{day}-{number}",
                    text=text,
                    span=self.span(first),
                    changes=list(changes),
                    date=date,
                )
            )
        return out

    # -- people ---------------------------------------------------------------------------

    def split_position(self, text: str) -> tuple[str | None, str | None, str | None]:
        """(position, organisation, second role) of a "Position of Organisation" text."""
        text = clean(text)
        m = _ORG_START.search(text)
        if m is None:
            return text or None, None, None
        position = re.sub(r"(?:,|\s+of)\s*$", "", text[: m.start()].strip()).strip() or None
        org = text[m.start() :]
        org = re.sub(r"^the\s+", "", org)
        second = None
        parts = _SECOND_ROLE.split(org, maxsplit=1)
        if len(parts) == 2:
            org, second = parts[0].strip(), parts[1].strip()
        return position, org, second

    def person(self, name: str, rest: str, line: int, party: str | None) -> Participant:
        position, org, second = self.split_position(rest)
        mention = None
        if org is not None:
            org_party = None if org.startswith("IOM") else party
            mention = AgencyMention(org, self.span(line), party=org_party)
        if mention is not None and mention.party is None:
            party = None
        return Participant(
            name=clean(name),
            span=self.span(line),
            position=position,
            organisation=mention,
            party=party,
            note=second,
        )

    def chairs(self, value: str, line: int) -> list[Participant]:
        parts = _PERSON_SPLIT.split(value)
        # [person 1, country 1, person 2 (ending ", Thailand")]
        people = []
        for i in range(0, len(parts), 2):
            text = parts[i]
            country = parts[i + 1] if i + 1 < len(parts) else None
            if country is None:
                m = re.search(r",\s*(Cambodia|Thailand)\s*$", text)
                if not m:
                    raise self.error("cannot tell the country of a chair", line)
                country, text = m.group(1), text[: m.start()]
            name, _, rest = text.partition(",")
            people.append(self.person(name, rest, line, _PARTY_OF_COUNTRY[country]))
        if len(people) != 2:
            raise self.error(f"expected two chairs, read {len(people)}", line)
        return people

    def attendance(self, start: int, end: int) -> list[Participant]:
        # the attendance list needs these entries
        entry = self.curation("khm-tha-attendance-parties", needed_at=start)
        blocks = entry.value  # {"khm": [first no., last no.], "tha": [...]}
        org23 = self.curation("khm-tha-attendance-23-organisation", needed_at=start)
        out = []
        for n in range(start + 1, end + 1):
            row = self.line(n).strip()
            if not row.startswith("|") or _SEPARATOR.match(row):
                continue
            cells = self.cells(row)
            if len(cells) != 3:
                raise self.error("an attendance row should have 3 cells", n)
            if cells[0] == "No.":
                continue
            digits = re.sub(r"\D", "", cells[0])
            if not digits:
                raise self.error(f"attendance row without a number: {cells[0]!r}", n)
            number = int(digits)
            party = next((p for p, (a, b) in blocks.items() if a <= number <= b), None)
            if party is None:
                raise self.error(f"attendance row {number} is in no party block", n)
            name = re.sub(r"\s*\(Chair\)\s*$", "", cells[1])
            p = self.person(name, cells[2], n, party)
            if p.organisation is None and number == 23:
                p.organisation = AgencyMention(
                    str(org23.value), self.span(org23.start_line), party=party
                )
                p.note = f"organisation from line {org23.start_line} (curation {org23.id})"
            out.append(p)
        if not out:
            raise self.error("the attendance list is empty", start)
        return out

    def agenda(self, start: int, end: int) -> list[Note]:
        out: list[Note] = []
        date = None
        current: list | None = None  # [time, description parts, facilitators, first, last]

        def close() -> None:
            if current is not None:
                time, desc, fac, first, last = current
                text = f"{date} {time}: {clean(' '.join(desc))}"
                if fac:
                    text += f" — Facilitator: {', '.join(fac)}"
                out.append(Note("agenda-item", text, self.span(first, last)))

        for n in range(start + 1, end + 1):
            row = self.line(n).strip()
            m = re.match(r"^Date:\s*(.+)$", row)
            if m:
                close()
                current = None
                date = clean(m.group(1))
                continue
            if not row.startswith("|") or _SEPARATOR.match(row):
                continue
            cells = self.cells(row)
            if len(cells) != 3 or cells[0] == "Time":
                continue
            time, desc, fac = (clean(c) for c in cells)
            if date is None:
                raise self.error("agenda row before any 'Date:' line", n)
            if time:
                close()
                current = [time, [desc], [fac] if fac else [], n, n]
            elif current is not None:
                current[1].append(desc)
                if fac:
                    current[2].append(fac)
                current[4] = n
        close()
        if not out:
            raise self.error("Annex 2 has no agenda rows", start)
        return out

    # -- Annex 3 --------------------------------------------------------------------------

    def annex3_top(self, start: int, end: int, sections: list[Section]) -> tuple[int, list[Note]]:
        """The key/value table above the actions; returns its last line and plan notes."""
        rows: dict[str, list[tuple[str, int]]] = {}
        key = None
        last = start
        n = start + 1
        while n <= end:
            row = self.line(n).strip()
            if not row:
                if rows:
                    break
                n += 1
                continue
            if not row.startswith("|"):
                raise self.error("Annex 3 should start with a table", n)
            if not _SEPARATOR.match(row):
                cells = self.cells(row)
                head, value = clean(cells[0]), clean(" ".join(cells[1:]))
                if head:
                    key = head
                if key is not None and value:
                    rows.setdefault(key, []).append((value, n))
                elif value:
                    rows.setdefault("", []).append((value, n))
            last = n
            n += 1
        for needed in ("General Objective", "Specific Objectives", "Intended outcome"):
            if needed not in rows:
                raise self.error(f"Annex 3 has no {needed!r} row", start)

        def note(kind: str, key: str) -> Note:
            values = rows[key]
            return Note(
                kind, clean(" ".join(v for v, _ in values)), self.span(values[0][1], values[-1][1])
            )

        notes = [
            note("annex3-general-objective", "General Objective"),
            note("intended-outcome", "Intended outcome"),
        ]
        if "" in rows:
            notes.insert(0, note("printed-title", ""))
        listed = " ".join(v for v, _ in rows["Specific Objectives"])
        lines = [ln for _, ln in rows["Specific Objectives"]]
        parts = re.split(r"\s*(\d)\)\s*", listed)
        for i in range(1, len(parts) - 1, 2):
            number, text = int(parts[i]), clean(parts[i + 1]).removesuffix("; and").rstrip(";")
            if not 1 <= number <= len(sections):
                raise self.error(f"Annex 3 lists an objective {number}", lines[0])
            sections[number - 1].notes.append(
                Note("annex3-text", text, self.span(lines[0], lines[-1]))
            )
            sections[number - 1].spans.append(self.span(lines[0], lines[-1]))
        return last, notes

    def cell_curations(self) -> dict[int, tuple[str, dict]]:
        out = {}
        for entry in self.curations.for_document(self.doc.slug):
            if entry.id.startswith("khm-tha-annex3-cells-"):
                self.curation(entry.id)
                out[entry.start_line] = (entry.id, entry.value or {})
        return out

    def annex3_actions(self, start: int, end: int, sections: list[Section]) -> list[_Action]:
        header = self.find(
            r"Joint actions/deliverables", start, end, "the header of the action table"
        )
        years: dict[int, int] = {}
        for n in range(header + 1, min(header + 4, end) + 1):
            row = self.line(n).strip()
            if row.startswith("|") and not _SEPARATOR.match(row):
                for i, c in enumerate(self.cells(row)):
                    if _SPACED_YEAR.match(c):
                        years[i] = int(re.sub(r"\s", "", c))
                if years:
                    year_row = n
                    break
        if sorted(years.values()) != [2023, 2024, 2025]:
            raise self.error("the action table has no 2023, 2024, 2025 columns", header)
        year_names = [years[i] for i in sorted(years)]
        # the table's columns (a year column is named by its year); the conversion dropped the
        # focus column from some rows, and the resources column too from some of those
        columns: list[str | int] = ["focus", "action", "responsible", "partners", "indicators"]
        columns += ["total", *year_names, "resources"]
        layouts = {10: columns, 9: columns[1:], 8: columns[1:-1]}
        curated = self.cell_curations()
        actions: list[_Action] = []
        current: _Action | None = None
        pending: dict[str | int, list[tuple[str, int]]] = {}
        pending_flags: list[str] = []
        focus: tuple[int, list[tuple[str, int]]] | None = None
        focus_texts: list[tuple[int, list[tuple[str, int]]]] = []

        for n in range(year_row + 1, end + 1):
            row = self.line(n).strip()
            if not row:
                continue
            if not row.startswith("|"):
                if len(row) <= 4:  # page numbers and stray marks ("1", "NJ-")
                    continue
                raise self.error(f"unexpected text in the action table: {row[:40]!r}", n)
            if _SEPARATOR.match(row):
                continue
            cells = self.cells(row)
            names = layouts.get(len(cells))
            if names is None:
                raise self.error(f"an action row should have 8, 9 or 10 cells, not {len(cells)}", n)
            cid, rules = curated.get(n, (None, {}))
            values: dict[str | int, str] = {}
            for i, (name, cell) in enumerate(zip(names, cells, strict=True)):
                text = clean(cell)
                if not re.search(r"[A-Za-z0-9\u0400-\u04FF]", text):
                    continue
                if i in rules.get("noise", ()):
                    if current is not None:
                        current.flags.append(f"unreadable-cell:line-{n}:{name}:{text}")
                    continue
                if i in rules.get("noise_next", ()):
                    pending_flags.append(f"unreadable-cell:line-{n}:{name}:{text}")
                    continue
                if i in rules.get("stray", ()):
                    if current is not None:
                        current.flags.append(f"stray-text:line-{n}:{text}")
                    continue
                if i in rules.get("to_next", ()):
                    pending.setdefault(name, []).append((text, n))
                    continue
                values[name] = text
            if cid is not None and current is not None and cid not in current.curations:
                current.curations.append(cid)
            if cid is not None and ("to_next" in rules or "noise_next" in rules):
                pending_flags.append(f"curation:{cid}")

            if "focus" in values:
                m = _FOCUS.match(values["focus"])
                if m:
                    focus = (int(m.group(1)), [(values["focus"], n)])
                    focus_texts.append(focus)
                elif focus is not None:
                    focus[1].append((values["focus"], n))

            action_text = values.get("action", "")
            m = _ACTION_NO.search(action_text)
            if m:
                before = action_text[: m.start()].strip()
                if before and current is not None:
                    current.col("action").add(before, n)
                number = f"{m.group(1)}.{m.group(2)}"
                printed = action_text[m.start() :].split()[0]
                objective = int(m.group(1))
                if focus is not None and "focus" in names and focus[0] != objective:
                    raise self.error(f"action {number} printed under objective {focus[0]}", n)
                if any(a.number == number for a in actions):
                    raise self.error(f"action {number} printed twice", n)
                current = _Action(number, printed, objective, n, n)
                if cid is not None:
                    current.curations.append(cid)
                actions.append(current)
                values["action"] = action_text[m.end() :]
                for name, held in pending.items():
                    for text, line in held:
                        current.col(name).add(text, line)
                pending = {}
                for flag in pending_flags:
                    if flag.startswith("curation:"):
                        current.curations.append(flag.removeprefix("curation:"))
                    else:
                        current.flags.append(flag)
                pending_flags = []
            if current is None:
                continue
            current.end = max(current.end, n)
            for name in ("action", "responsible", "partners", "indicators", "resources"):
                if values.get(name):
                    current.col(name).add(values[name], n)
            row_targets = []
            target_names: list[str | int] = ["total", *year_names]
            for name in target_names:
                if values.get(name):
                    row_targets.append(self.target(values[name], n, name))
            current.targets.extend(row_targets)
            clean_totals = [t for t in row_targets if t.year is None and t.value is not None]
            per_year = [t for t in row_targets if t.year is not None]
            if (
                clean_totals
                and per_year
                and all(t.value is not None for t in per_year)
                and sum(t.value for t in per_year) != clean_totals[0].value  # type: ignore[misc]
            ):
                current.flags.append(f"targets-do-not-add-up:line-{n}")

        expected = [
            f"{o}.{i}" for o, count in ((1, 4), (2, 5), (3, 4)) for i in range(1, count + 1)
        ]
        got = [a.number for a in actions]
        if got != expected:
            raise self.error(f"Annex 3 actions read as {', '.join(got)}", header)
        for objective_no, texts in focus_texts:
            text = clean(" ".join(t for t, _ in texts))
            sec = sections[objective_no - 1]
            sec.notes.append(Note("annex3-heading", text, self.span(texts[0][1], texts[-1][1])))
            sec.spans.append(self.span(texts[0][1], texts[-1][1]))
        return actions

    def target(self, text: str, line: int, column: str | int) -> Target:
        year = column if isinstance(column, int) else None
        if re.fullmatch(r"\d+", text):
            return Target(text=text, span=self.span(line), value=float(text), year=year)
        return Target(text=text, span=self.span(line), year=year, garbled=True)

    def mentions(
        self, text: str, line: int, flags: list[str]
    ) -> list[tuple[AgencyMention, str | None]]:
        """One mention per body in an agency cell, with the cell group it came from."""
        parties = self.curation("khm-tha-annex3-agency-parties", needed_at=line).value
        if text.startswith("*"):
            flags.append(f"stray-mark:line-{line}:*")
            text = text.lstrip("* ")
        fixed = text.translate(_HOMOGLYPHS)
        if fixed != text:
            flags.append(f"homoglyphs-read-as-latin:line-{line}:{text}")
            text = fixed
        text = re.sub(r"Embassy,\s*([Cc]onsular)", "Embassy\x00 \\1", text)
        out: list[tuple[AgencyMention, str | None]] = []
        for group in re.split(r",\s*(?![^()]*\))", text):
            group = group.strip()
            for part in _SEVERAL.split(group):
                part = part.strip().strip(",")
                if not part:
                    continue
                m = re.match(r"^(.+?)\s*\(([^)]*,[^)]*)\)$", part)
                names = [m.group(1), *re.split(r",\s*", m.group(2))] if m else [part]
                note = part if m else None
                expanded = []
                for name in names:
                    left, slash, right = name.partition("/")
                    if slash and left not in ("SG", "GS"):
                        expanded += [left.strip(), right.strip()]
                    else:
                        expanded.append(name.strip())
                for name in expanded:
                    name = name.replace("\x00", ",")
                    if name in parties.get("international", ()):
                        party = None
                    elif name in parties.get("tha", ()):
                        party = "tha"
                    else:
                        party = parties["default"]
                    out.append((AgencyMention(name, self.span(line), party=party), note))
        return out

    def activity(self, a: _Action) -> Activity:
        def lines_of(name: str) -> tuple[int, int]:
            col = a.cols.get(name)
            if col is None or not col.lines:
                return a.start, a.start
            return min(col.lines), max(col.lines)

        flags = list(a.flags)
        commitments = []
        for name, role in (
            ("responsible", ROLE_RESPONSIBLE),
            ("partners", ROLE_IMPLEMENTING_PARTNER),
        ):
            col = a.cols.get(name)
            if col is None:
                continue
            first, last = lines_of(name)
            for mention, note in self.mentions(col.text(), first, flags):
                mention.span = self.span(first, last)
                commitments.append(
                    Commitment(
                        mention=mention,
                        role=role,
                        on_behalf_of=mention.party,
                        note=note,
                        spans=[self.span(first, last)],
                    )
                )
        indicators = []
        ind = a.cols.get("indicators")
        if ind is not None:
            first, last = lines_of("indicators")
            for part in re.split(r"\s+(?=#)", ind.text()):
                if part.strip():
                    indicators.append(Indicator(part.strip(), self.span(first, last)))
        notes = []
        res = a.cols.get("resources")
        if res is not None:
            first, last = lines_of("resources")
            notes.append(Note("resources", res.text(), self.span(first, last)))
            if res.text().startswith("#"):
                flags.append("resources-cell-reads-as-indicator")
        years, years_note = self.years_from_targets(a.targets)
        if years:
            flags.append(FLAG_YEARS)
            notes.append(years_note)
        text = a.col("action").text()
        cites = []
        if "SOP LEC" in text:
            cites.append(SOP_KEY)
        if "MoU between" in text:
            cites.append(MOU_KEY)
        return Activity(
            number=a.number,
            text=text,
            section=f"objective-{a.objective}",
            spans=[self.span(a.start, a.end)],
            printed_number=a.printed,
            kind="activity",
            commitments=commitments,
            indicators=indicators,
            targets=a.targets,
            notes=notes,
            years=years,
            cites=cites,
            flags=flags,
            curations=a.curations,
        )

    def years_from_targets(self, targets: list[Target]) -> tuple[list[int], Note]:
        """The years of an action: those whose column prints a target other than 0.

        The action table gives no schedule but a target per year (2023, 2024, 2025); an action
        is read as scheduled in a year where that year's cell prints a figure, and the figure
        is not 0. A garbled figure ("2 6 0") counts when it has a digit other than 0: it is a
        printed target, only not a readable number. The note says which cells the years come
        from; its span is their lines.
        """
        used = [
            t
            for t in targets
            if t.year is not None
            and (t.value != 0 if t.value is not None else re.search(r"[1-9]", t.text))
        ]
        years = sorted({t.year for t in used if t.year is not None})
        cells = "; ".join(f'{t.year}: "{t.text}" (line {t.span.start_line})' for t in used)
        first = min((t.span.start_line for t in used), default=1)
        last = max((t.span.end_line for t in used), default=1)
        text = f"years read from the targets per year that are not 0: {cells}"
        return years, Note(FLAG_YEARS, text, self.span(first, last))

    def legal_instruments(self, items: dict, actions: list[_Action]) -> list[LegalInstrument]:
        text, first, _ = items.get("6.1", ("", 1, 1))
        if "signed on 25 August 2022" not in text:
            raise self.error("day 1 item 6.1 should give the date the SOP was signed", first)
        sop = LegalInstrument(
            key=SOP_KEY,
            title="SOP on Law Enforcement Cooperation",
            kind="sop",
            spans=[self.span(first)],
            date="2022-08-25",
            same_as_agreement=SOP_AGREEMENT,
        )
        out = [sop]
        for a in actions:
            col = a.col("action")
            m = re.search(r"the (MoU between .+?) \(Annex 2 of the SOP LEC\)", col.text())
            if m:
                out.append(
                    LegalInstrument(
                        key=MOU_KEY,
                        title=m.group(1),
                        kind="mou",
                        spans=[self.span(min(col.lines), max(col.lines))],
                    )
                )
        return out

    # -- Annex 4 --------------------------------------------------------------------------

    def annex4(self, start: int, end: int) -> tuple[list[Section], list[Activity]]:
        header = None
        sections: list[Section] = []
        activities: list[Activity] = []
        years: list[tuple[int, int]] = []  # (period number, calendar year)
        for n in range(start + 1, end + 1):
            row = self.line(n).strip()
            if not row.startswith("|") or _SEPARATOR.match(row):
                continue
            cells = [clean(c) for c in self.cells(row)]
            if header is None:
                for c in cells:
                    m = re.fullmatch(r"Year (\d) \((\d{4})\)", c)
                    if not m:
                        raise self.error(f"Annex 4 header cell {c!r} is not 'Year N (YYYY)'", n)
                    if int(m.group(1)) != len(years) + 1:
                        raise self.error(
                            f"Annex 4 header cell {c!r}: expected Year {len(years) + 1}", n
                        )
                    years.append((int(m.group(1)), int(m.group(2))))
                    sections.append(
                        Section(
                            key=f"year-{m.group(1)}",
                            kind="plan-year",
                            title=c,
                            spans=[self.span(n)],
                            number=m.group(1),
                        )
                    )
                header = n
                continue
            if len(cells) != len(years):
                raise self.error("an Annex 4 row should have one cell per year", n)
            for (period, year), cell in zip(years, cells, strict=True):
                activities.extend(self.quarters(cell, period, year, n))
                sections[period - 1].spans.append(self.span(n))
        if header is None or not activities:
            raise self.error("Annex 4 has no quarterly plan", start)
        return sections, activities

    def quarters(self, cell: str, period: int, year: int, line: int) -> list[Activity]:
        parts = re.split(r"\b(Q[1-4]) (Output|Activities):\s*", cell)
        if parts[0].strip():
            raise self.error(f"Annex 4 cell does not start with a quarter: {parts[0][:30]!r}", line)
        outputs: dict[str, str] = {}
        out = []
        for i in range(1, len(parts), 3):
            quarter, what, text = parts[i], parts[i + 1], parts[i + 2].strip()
            if what == "Output":
                outputs[quarter] = clean(text)
                continue
            if quarter not in outputs:
                raise self.error(f"Annex 4: {quarter} activities without an output", line)
            bullets = [clean(b) for b in text.split("•") if clean(b)]
            for j, bullet in enumerate(bullets, 1):
                places, notes = [], []
                m = _PLACE.search(bullet)
                if m:
                    places.append(m.group(1).strip())
                    if m.group(2):
                        notes.append(Note("timeframe", m.group(2).strip(), self.span(line)))
                out.append(
                    Activity(
                        number=f"y{period}-{quarter.lower()}.{j}",
                        text=bullet,
                        section=f"year-{period}",
                        spans=[self.span(line)],
                        kind="quarterly-item",
                        position=j,
                        years=[year],
                        quarters=[f"{year}-{quarter}"],
                        outputs=[Output(outputs[quarter], self.span(line))],
                        notes=notes,
                        places=places,
                    )
                )
        return out
