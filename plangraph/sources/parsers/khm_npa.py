"""Parser for Cambodia's National Plan of Action on S.T.S.L.S. 2011-2013 (layout ``khm-npa``).

The document has a narrative part (section 3.1.E states the aim and the number of activities
of each of the 25 activity groups) and an implementation table (section 3.2) with the columns
Activities | Responsible Institutions | Timeframe | Expected Outcomes | Indicators |
Resources and Budget, one tab-separated line per row. The PDF conversion damaged the table;
each kind of damage is handled here, and recorded in the activity's ``flags``:

* rows split across page breaks: a line that starts with no activity number continues the
  open row (``row-split-across-page``). Its first cell continues the activity text, its second
  the responsible institutions; its other cells go to the outcome or indicator that is still
  unfinished (no closing full stop), in column order; a resources fragment completes the
  resources cell, or is dropped when it only repeats it (``duplicate-fragment-dropped``);
* a cell that continues an unfinished cell of the *previous* row (``cell-continues-previous-row``);
* cells of one column spilling into the next: a timeframe printed at the end of the
  responsible cell or at the start of the outcome cell (``timeframe-split-from-cell``),
  responsible institutions printed at the head of the indicator cell
  (``responsible-recovered-from-indicators``);
* a row whose number and text stand on one line and whose cells follow on the next line
  without them (``row-split-across-lines``);
* several activities packed into one row as parallel ``<p>`` lists (``packed-row``);
* numbers printed wrongly: the group part of the number must be the group's
  (``number-corrected``), and the sequence inside each group is checked (gaps are
  recorded on the group as ``missing-number:N``);
* noise lines ("[Signature]", Khmer words, initials, page numbers) between rows.

What code cannot decide (which row an orphan cell or an out-of-step indicator belongs to) is
read from the curation entries of data/curation/khm-npa.yaml; each applied entry's id is
recorded on the records it changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plangraph.sources.catalog import Document
from plangraph.sources.curation import Curation, Curations
from plangraph.sources.model import (
    ROLE_RESOURCING,
    ROLE_RESPONSIBLE,
    Activity,
    AgencyMention,
    Commitment,
    Indicator,
    LegalInstrument,
    Note,
    Output,
    Plan,
    Section,
)
from plangraph.sources.parsers.base import DocumentReader, has_khmer, is_noise_line
from plangraph.sources.parsers.base import clean as _clean_text
from plangraph.sources.parsers.legal_instruments import KHM_NPA

PARTY = "khm"


def clean(value: str) -> str:
    """:func:`plangraph.sources.parsers.base.clean`, and no space left before punctuation by a
    removed tag."""
    return re.sub(r"(?<=\S)\s+(?=[.,;:](?:\s|$))", "", _clean_text(value))


_TABLE_HEADING = re.compile(r"^3\.2\s+Implementation Table\b")
_TABLE_END = re.compile(r"^4\.0\s+Timetable\b")
_NARRATIVE_START = re.compile(r"^E\.\s+Activities\s*$")
_STRATEGY = re.compile(r"^(?:-\s*)?Strategy (\d):(?:\*\*)?\s*(.*)$")
_GROUP = re.compile(r"^(?:<i>)?Activity [Gg]roup (\d)\.(\d+):?\s*(.*)$")
_OBJECTIVE = re.compile(r"^(?:<i>)?Objective:?(?:</i>)?\s*(.*)$", re.DOTALL)
_AIM = re.compile(r"^Aim:\s*(.*)$")
_ROW = re.compile(r"^(?:<p>)?((\d)\.(\d+)\.(\d+)\.?)\s+")
_PACKED = re.compile(r"<p>\s*((\d)\.(\d+)\.(\d+)\.?)\s+(.*?)</p>")
_YEAR_CELL = re.compile(r"^(\d{4})(?:\s*-\s*(\d{4}))?$")
_YEAR_LEAD = re.compile(r"^(\d{4}(?:\s*-\s*\d{4})?)\s+(\S.*)$", re.DOTALL)
_YEAR_TAIL = re.compile(r"^(.*\S)\s+(\d{4}(?:\s*-\s*\d{4})?)$", re.DOTALL)
_RESOURCES = re.compile(r"Royal Government|development partners|^partners\b|^The Royal\b")
_RESOURCES_LEAD = re.compile(r"^(partners)\s+(The Royal Government\b.*)$")
_PAGE_NUMBER = re.compile(r"^\d{1,3}$")
_INITIALS = re.compile(r"^[A-Z]{2,4}$")
_SEPARATOR = re.compile(r"^[-\s\t]+$")
_FINISHED = re.compile(r"[.!?]$")
_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
}
_COUNT = re.compile(
    r"\*{0,2}\b(\d+|" + "|".join(_WORDS) + r")\b\*{0,2}\s+"
    r"(?:separate\s+|specific\s+|primary\s+|different\s+)?activities\b",
    re.IGNORECASE,
)
# Abbreviations after which a full stop does not end an indicator sentence.
_SENTENCE = re.compile(r"(?<!\bNo\.)(?<!\bKr\.)(?<=[.;])\s+(?=[A-Z])")

FLAG_SPLIT_PAGE = "row-split-across-page"
FLAG_SPLIT_LINES = "row-split-across-lines"
FLAG_PREVIOUS = "cell-continues-previous-row"
FLAG_DUPLICATE = "duplicate-fragment-dropped"
FLAG_TIMEFRAME = "timeframe-split-from-cell"
FLAG_RESP_RECOVERED = "responsible-recovered-from-indicators"
FLAG_NUMBER = "number-corrected"
FLAG_PACKED = "packed-row"
FLAG_REALIGNED = "indicator-realigned"
FLAG_CURATED_RESOURCES = "resources-from-orphan-cell"
FLAG_FROM_NARRATIVE = "text-from-narrative"


# --------------------------------------------------------------------------------------------
# Cells of a row while it is being read


@dataclass
class _Piece:
    """A piece of text (an outcome, an indicator) with the lines it was read from."""

    text: str
    start: int
    end: int

    def finished(self) -> bool:
        return bool(_FINISHED.search(self.text))


@dataclass
class _Row:
    number: str
    printed: str | None
    group: str
    start: int
    end: int
    text: list[_Piece] = field(default_factory=list)
    resp: list[_Piece] = field(default_factory=list)
    timeframe: _Piece | None = None
    outcomes: list[_Piece] = field(default_factory=list)
    indicators: list[_Piece] = field(default_factory=list)
    resources: list[_Piece] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    curations: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    lines: set[int] = field(default_factory=set)

    def flag(self, name: str) -> None:
        if name not in self.flags:
            self.flags.append(name)

    def touch(self, line: int) -> None:
        self.lines.add(line)
        self.start = min(self.start, line)
        self.end = max(self.end, line)

    def empty(self) -> bool:
        return not (
            self.resp or self.timeframe or self.outcomes or self.indicators or self.resources
        )

    def resources_text(self) -> str:
        return " ".join(p.text for p in self.resources)


def _join(pieces: list[_Piece], value: str, line: int, *, new: bool = False) -> None:
    """Append ``value`` to the last piece (a continuation) or as a new piece."""
    if not value:
        return
    if pieces and not new:
        last = pieces[-1]
        last.text = f"{last.text} {value}"
        last.end = max(last.end, line)
    else:
        pieces.append(_Piece(value, line, line))


def _is_list(raw: str) -> bool:
    return "<ul" in raw or "•" in raw


def _is_resources(raw: str) -> bool:
    text = clean(raw)
    return bool(text) and not _is_list(raw) and bool(_RESOURCES.search(text))


def _list_items(raw: str) -> tuple[list[str], str | None, list[str]]:
    """A list cell as (texts before the list, leading fragment, items).

    Texts before the ``<ul>`` (``<p>`` paragraphs or plain text) are outcomes printed in the
    indicator cell. Cells with bullets ("•") have one item per bullet; cells whose ``<li>``
    marks were lost have one item per sentence. Without a ``<ul>`` tag, the text before the
    first bullet is a leading fragment that may continue an item of an earlier line.
    """
    at = raw.find("<ul")
    if at >= 0:
        before, after = raw[:at], re.sub(r"^<ul[^>]*>", " ", raw[at:])
    else:
        before, after = "", raw
    befores = [clean(p) for p in re.findall(r"<p>(.*?)</p>", before, flags=re.DOTALL)]
    pre = clean(re.sub(r"<p>.*?</p>", " ", before, flags=re.DOTALL))
    if pre:
        befores.append(pre)
    after = clean(after)
    lead: str | None = None
    if "•" in after:
        parts = [clean(p) for p in after.split("•")]
        items = [p for p in parts[1:] if p]
        if parts[0]:
            if at >= 0:
                items.insert(0, parts[0])
            else:
                lead = parts[0]
    else:
        items = [s for s in (clean(s) for s in _SENTENCE.split(after)) if s]
        if items and at < 0:
            lead = items.pop(0)
    return [b for b in befores if b], lead, items


# --------------------------------------------------------------------------------------------
# The parser


class _Parser(DocumentReader):
    def __init__(self, document: Document, curations: Curations) -> None:
        super().__init__(document, curations)
        self.rows: list[_Row] = []
        self.sections: list[Section] = []
        self.groups: dict[str, Section] = {}
        self.current_group: Section | None = None
        self.current_strategy: str | None = None
        self.row: _Row | None = None
        self.strategy_titles: dict[str, tuple[str, int]] = {}
        self.pending_resources: list[tuple[Curation, str, int]] = []
        self.stated_lines: dict[str, int] = {}
        self.by_line: dict[int, list[Curation]] = {}
        for c in curations.for_document(document.slug):
            for n in range(c.start_line, c.end_line + 1):
                self.by_line.setdefault(n, []).append(c)

    # -- helpers --------------------------------------------------------------------------

    def curation_at(self, line: int, op: str) -> Curation | None:
        for c in self.by_line.get(line, []):
            if isinstance(c.value, dict) and c.value.get("op") == op:
                return self.curation(c.id)
        return None

    def printed_at(self, phrase: str, last: int) -> int | None:
        """The first of lines 1..``last`` that prints ``phrase`` (its text cleaned, emphasis
        marks removed), or None."""
        return self.first_line(lambda raw: phrase in clean(raw.replace("*", "")), 1, last)

    def is_noise(self, raw: str) -> bool:
        text = clean(raw.replace("\t", " "))
        if not text or is_noise_line(raw) or _SEPARATOR.match(raw):
            return True
        if has_khmer(text) and not re.search(r"[A-Za-z]{3}", text):
            return True
        return bool(_PAGE_NUMBER.match(text) or _INITIALS.match(text))

    # -- document structure ----------------------------------------------------------------

    def find_table(self) -> tuple[int, int]:
        # the heading itself, not its entry in the table of contents ("....." and a page number)
        start = next(
            (
                i
                for i, raw in enumerate(self.lines)
                if _TABLE_HEADING.match(raw) and not re.search(r"\.{3,}\s*\d*\s*$", raw)
            ),
            None,
        )
        end = next((i for i, raw in enumerate(self.lines) if _TABLE_END.match(raw)), None)
        if start is None:
            raise self.error(
                "the implementation table (section 3.2) is missing: no line "
                "'3.2 Implementation Table ...'",
                (end + 1) if end is not None else len(self.lines),
            )
        if end is None or end < start:
            raise self.error(
                "the implementation table has no end: no line '4.0 Timetable ...' after it",
                start + 1,
            )
        header = [
            i for i in range(start, end) if "Activities\tResponsible Institutions" in self.lines[i]
        ]
        if not header:
            raise self.error(
                "the implementation table has no header row "
                "'Activities | Responsible Institutions | ...'",
                start + 1,
            )
        return start, end

    def narrative(self, table_start: int) -> tuple[dict[str, tuple[str, int]], dict[str, int]]:
        """Aims and stated activity counts of section 3.1.E: by group/strategy number."""
        start = next((i for i in range(table_start) if _NARRATIVE_START.match(self.lines[i])), None)
        if start is None:
            raise self.error("section 3.1.E 'E. Activities' is missing", table_start + 1)
        aims: dict[str, tuple[str, int]] = {}
        counts: dict[str, tuple[int, int]] = {}
        key: str | None = None
        for i in range(start + 1, table_start):
            raw = self.lines[i]
            m = _STRATEGY.match(raw)
            g = _GROUP.match(raw)
            if m:
                key = f"strategy-{m.group(1)}"
                continue
            if g and re.match(r"^Activity Group \d\.\d+:", raw):
                key = f"group-{g.group(1)}.{g.group(2)}"
                continue
            if key is None:
                continue
            a = _AIM.match(raw)
            if a and key.startswith("group") and key not in aims:
                aims[key] = (clean(a.group(1)), i + 1)
                continue
            if key not in counts:
                c = _COUNT.search(raw)
                if c:
                    word = c.group(1).lower()
                    counts[key] = (int(word) if word.isdigit() else _WORDS[word], i + 1)
        self.stated_lines = {k: v[1] for k, v in counts.items()}
        return aims, {k: v[0] for k, v in counts.items()}

    # -- table ----------------------------------------------------------------------------

    def start_group(self, m: re.Match[str], i: int, raw: str) -> None:
        number = f"{m.group(1)}.{m.group(2)}"
        first = raw.split("\t")[0]
        printed = _GROUP.match(first)  # the heading with its <i> marks
        assert printed is not None  # every group heading of the table matches as printed
        title = clean(printed.group(3))
        objective: str | None = None
        inline = re.search(r"(?:<i>)?Objective:?(?:</i>)?\s*(.*)$", title)
        if inline:
            objective = clean(re.sub(r"</?i>", "", inline.group(1)))
            title = clean(title[: inline.start()])
        elif tail := re.search(r"\s(To ensure .*)$", title):
            # the 1.1 heading runs its objective on without a label
            objective = tail.group(1)
            title = clean(title[: tail.start()])
        key = f"group-{number}"
        if key in self.groups:
            raise self.error(f"activity group {number} appears twice in the table", i)
        if self.current_strategy is None or not self.current_strategy.endswith(m.group(1)):
            raise self.error(f"activity group {number} outside its strategy", i)
        section = Section(
            key=key,
            kind="activity-group",
            title=title.rstrip("."),
            spans=[self.span(i)],
            number=number,
            parent=self.current_strategy,
            description=objective,
        )
        self.groups[key] = section
        self.sections.append(section)
        self.current_group = section
        # an objective in a later cell of the heading line
        rest = raw.split("\t")[1:]
        for k, cell in enumerate(rest):
            obj = _OBJECTIVE.match(clean(cell))
            if obj and section.description is None:
                section.description = clean(obj.group(1))
                rest[k] = ""
        # other cells after the heading continue the previous row (a page break put the
        # heading before the end of the last row of the previous group)
        if any(clean(c) for c in rest) and self.row is not None:
            self.continue_row(["", "", *rest], i)

    def parse_table(self, start: int, end: int) -> None:
        for idx in range(start + 1, end):
            raw = self.lines[idx]
            i = idx + 1
            first = raw.split("\t")[0]
            if self.is_noise(raw):
                continue
            s = _STRATEGY.match(first)
            if s:
                key = f"strategy-{s.group(1)}"
                self.current_strategy = key
                self.strategy_titles[key] = (clean(s.group(2)), i)
                self.current_group = None
                continue
            g = _GROUP.match(clean(first)) or _GROUP.match(first)
            if g:
                self.start_group(g, i, raw)
                continue
            if self.current_group is None:
                raise self.error(f"table line outside any activity group: {clean(raw)[:60]!r}", i)
            cells = raw.split("\t")
            head = clean(first)
            obj = _OBJECTIVE.match(head)
            if obj and not _ROW.match(first):
                if self.current_group.description is None:
                    self.current_group.description = clean(obj.group(1))
                    self.current_group.spans.append(self.span(i))
                continue
            if head == "Activities" or "Activities" in [clean(c) for c in cells[:2]]:
                self.current_group.spans.append(self.span(i))
                continue
            if _PACKED.search(first) and len(_PACKED.findall(first)) > 1:
                self.packed_row(cells, i)
                continue
            m = _ROW.match(first)
            if m:
                self.new_row(m, cells, i)
                continue
            if self.row is None:
                raise self.error(f"text before the first row of the table: {head[:60]!r}", i)
            self.continuation(cells, i)

    # -- rows -----------------------------------------------------------------------------

    def open_group(self) -> Section:
        """The activity group a row is in (parse_table reads no row outside a group)."""
        assert self.current_group is not None
        return self.current_group

    def number_for(self, m: re.Match[str], line: int) -> tuple[str, bool]:
        group = self.open_group()
        printed_group = f"{m.group(2)}.{m.group(3)}"
        number = f"{printed_group}.{m.group(4)}"
        if printed_group != group.number:
            return f"{group.number}.{m.group(4)}", True
        return number, False

    def new_row(self, m: re.Match[str], cells: list[str], i: int) -> None:
        number, corrected = self.number_for(m, i)
        row = _Row(
            number=number,
            printed=m.group(1),
            group=self.open_group().key,
            start=i,
            end=i,
        )
        row.touch(i)
        if corrected:
            row.flag(FLAG_NUMBER)
        text = clean(cells[0][m.end() :])
        row.text.append(_Piece(text, i, i))
        self.rows.append(row)
        self.row = row
        self.fill(row, cells[1:], i)

    def fill(self, row: _Row, cells: list[str], i: int) -> None:
        """Cells of a numbered row after its activity cell."""
        cells = list(cells) + [""] * (5 - len(cells))
        resp = clean(cells[0])
        rest = cells[1:]
        if resp and not any(_YEAR_CELL.match(clean(c)) for c in rest):
            tail = _YEAR_TAIL.match(resp)
            if tail and _YEAR_CELL.match(tail.group(2)):
                resp = tail.group(1)
                row.timeframe = _Piece(tail.group(2), i, i)
                row.flag(FLAG_TIMEFRAME)
        if resp:
            row.resp.append(_Piece(resp, i, i))
        lists: list[str] = []
        for pos, raw in enumerate(rest, start=2):
            text = clean(raw)
            if not text:
                continue
            year = _YEAR_CELL.match(text)
            if year:
                if row.timeframe is None:
                    row.timeframe = _Piece(text, i, i)
                else:
                    self.second_timeframe(row, text, i)
                continue
            if row.timeframe is None and not _is_list(raw):
                year_lead = _YEAR_LEAD.match(text)
                if year_lead and _YEAR_CELL.match(year_lead.group(1)):
                    row.timeframe = _Piece(year_lead.group(1), i, i)
                    row.flag(FLAG_TIMEFRAME)
                    raw = text = year_lead.group(2)
            lead_res = _RESOURCES_LEAD.match(text)
            if lead_res:
                self.to_previous_row(row, "resources", lead_res.group(1), i)
                raw = text = lead_res.group(2)
            if _is_resources(raw):
                self.add_resources(row, text, i)
            elif _is_list(raw):
                lists.append(raw)
            elif (
                pos == 3
                and not row.outcomes
                and self.previous_unfinished(row, "outcomes")
                and (text[:1].islower())
            ):
                self.to_previous_row(row, "outcomes", text, i)
            elif pos >= 4 and not lists and row.outcomes:
                # a plain cell in the Indicators column (its <li> marks lost)
                lists.append(text)
            else:
                row.outcomes.append(_Piece(text, i, i))
        if len(lists) > 1:
            for raw in lists[:-1]:
                paragraphs, lead, items = _list_items(raw)
                for t in [*paragraphs, *([lead] if lead else []), *items]:
                    row.outcomes.append(_Piece(t, i, i))
            lists = lists[-1:]
        for raw in lists:
            paragraphs, lead, items = _list_items(raw)
            for t in paragraphs:
                # a fragment that starts in lower case ends a cell of the previous row
                if not row.outcomes and t[:1].islower():
                    name = next(
                        (n for n in ("outcomes", "indicators") if self.previous_unfinished(row, n)),
                        None,
                    )
                    if name is not None:
                        self.to_previous_row(row, name, t, i)
                        continue
                row.outcomes.append(_Piece(t, i, i))
            if lead:
                items.insert(0, lead)
            if not row.resp and items and self.looks_like_agencies(items[0]):
                row.resp.append(_Piece(items.pop(0), i, i))
                row.flag(FLAG_RESP_RECOVERED)
            for t in items:
                row.indicators.append(_Piece(t, i, i))

    def looks_like_agencies(self, text: str) -> bool:
        parts = [p.strip() for p in re.split(r"[,;]", text) if p.strip()]
        pattern = re.compile(
            r"^(?:Secretariat S\.T\.S\.L\.S\.?|Mo[A-Z][A-Za-z]{0,5}|[A-Z][a-z]+ Working Group)$"
        )
        return bool(parts) and all(pattern.match(p) for p in parts)

    def second_timeframe(self, row: _Row, text: str, i: int) -> None:
        first = row.timeframe
        assert first is not None  # called for a row whose timeframe is already read
        entry = self.curation_at(i, "timeframe")
        if entry is None:
            raise self.error(
                f"activity {row.number} has two timeframes ({first.text!r} and "
                f"{text!r}) and no curation entry says which is meant",
                i,
            )
        row.timeframe = _Piece(str(entry.value["timeframe"]), i, i)
        row.notes.append(Note("timeframe", text, self.span(i)))
        row.curations.append(entry.id)

    def previous_row(self, row: _Row) -> _Row | None:
        k = self.rows.index(row)
        if k > 0 and self.rows[k - 1].group == row.group:
            return self.rows[k - 1]
        return None

    def previous_unfinished(self, row: _Row, name: str) -> bool:
        prev = self.previous_row(row)
        if prev is None:
            return False
        pieces = getattr(prev, name)
        if name == "resources":
            return True
        return bool(pieces) and not pieces[-1].finished()

    def to_previous_row(self, row: _Row, name: str, text: str, i: int) -> None:
        prev = self.previous_row(row)
        if prev is None:
            raise self.error(f"a fragment {text!r} continues no earlier row", i)
        if name == "resources":
            self.add_resources(prev, text, i)
        else:
            _join(getattr(prev, name), text, i)
        prev.touch(i)
        prev.flag(FLAG_PREVIOUS)

    def add_resources(self, row: _Row, text: str, i: int) -> None:
        current = row.resources_text()
        complete = bool(current) and bool(re.search(r"(partners|sector|etc\.)$", current))
        if complete and text in current:
            row.flag(FLAG_DUPLICATE)
            return
        _join(row.resources, text, i)

    def continuation(self, cells: list[str], i: int) -> None:
        row = self.row
        assert row is not None
        # a line of cells with no activity cell under a row that has none of its own
        if (
            len(cells) > 1
            and clean(cells[0])
            and _YEAR_CELL.match(clean(cells[1]))
            and not _YEAR_CELL.match(clean(cells[0]))
        ):
            if row.empty():
                row.touch(i)
                row.flag(FLAG_SPLIT_LINES)
                self.fill(row, cells, i)
                return
            self.orphan_row(cells, i)
            return
        if len([c for c in cells if clean(c)]) == 1 and _is_resources(cells[-1]):
            entry = self.curation_at(i, "orphan-resources")
            if entry is not None:
                self.pending_resources.append((entry, clean(cells[-1]), i))
                return
        self.continue_row(cells, i)

    def continue_row(self, cells: list[str], i: int) -> None:
        row = self.row
        assert row is not None
        row.touch(i)
        row.flag(FLAG_SPLIT_PAGE)
        text = clean(cells[0])
        if text:
            _join(row.text, text, i)
        if len(cells) > 1 and clean(cells[1]):
            _join(row.resp, clean(cells[1]), i)
        order = ["outcomes", "indicators"]
        used = 0
        for column, raw in enumerate(cells[2:], start=2):
            value = clean(raw)
            if not value:
                continue
            if _is_resources(raw):
                current = row.resources_text()
                if current and re.search(r"(partners|sector|etc\.)$", current):
                    self.add_resources(row, value, i)
                else:
                    _join(row.resources, value, i)
                continue
            if _is_list(raw):
                paragraphs, lead, items = _list_items(raw)
                target = row
                if lead and not row.indicators and self.previous_unfinished(row, "indicators"):
                    previous = self.previous_row(row)
                    assert previous is not None  # previous_unfinished found it
                    target = previous
                    target.touch(i)
                    target.flag(FLAG_PREVIOUS)
                for t in paragraphs:
                    _join(target.outcomes, t, i, new=True)
                if lead:
                    unfinished = target.indicators and not target.indicators[-1].finished()
                    _join(target.indicators, lead, i, new=not unfinished)
                for t in items:
                    if any(p.text == t for p in target.indicators):
                        target.flag(FLAG_DUPLICATE)
                        continue
                    _join(target.indicators, t, i, new=True)
                used = 1
                continue
            placed = False
            for k in range(used, len(order)):
                pieces = getattr(row, order[k])
                if pieces and not pieces[-1].finished():
                    _join(pieces, value, i)
                    used = k
                    placed = True
                    break
            if placed:
                continue
            prev = self.previous_row(row)
            for k in range(used, len(order)):
                if prev is None or getattr(row, order[k]):
                    continue
                pieces = getattr(prev, order[k])
                if pieces and not pieces[-1].finished():
                    _join(pieces, value, i)
                    prev.touch(i)
                    prev.flag(FLAG_PREVIOUS)
                    used = k
                    placed = True
                    break
            if not placed:
                # nothing to continue: the column it is printed in decides
                name = "outcomes" if column <= 3 else "indicators"
                _join(getattr(row, name), value, i, new=True)

    def packed_row(self, cells: list[str], i: int) -> None:
        """Several activities packed into one row as parallel ``<p>`` lists."""
        acts = _PACKED.findall(cells[0])
        columns = [re.findall(r"<p>(.*?)</p>", c) for c in cells[1:3]]
        if len(columns) < 2:
            raise self.error(
                f"a row packs {len(acts)} activities but has no responsible and timeframe "
                f"cells after them ({len(cells)} cells)",
                i,
            )
        if any(len(col) != len(acts) for col in columns):
            raise self.error(
                f"a row packs {len(acts)} activities but its responsible/timeframe cells "
                f"list {[len(c) for c in columns]} entries",
                i,
            )
        entry = self.curation_at(i, "packed-row")
        if entry is None:
            raise self.error("a row packs several activities and no curation entry splits it", i)
        previous = self.row
        new_rows = []
        for k, (printed, _g, _s, _n, text) in enumerate(acts):
            m = re.match(r"((\d)\.(\d+)\.(\d+)\.?)", printed)
            assert m is not None  # printed is group 1 of _PACKED, this same pattern
            number, corrected = self.number_for(m, i)
            row = _Row(number, printed, self.open_group().key, i, i)
            row.touch(i)
            row.flag(FLAG_PACKED)
            if corrected:
                row.flag(FLAG_NUMBER)
            row.text.append(_Piece(clean(text), i, i))
            row.resp.append(_Piece(clean(columns[0][k]), i, i))
            row.timeframe = _Piece(clean(columns[1][k]), i, i)
            row.curations.append(entry.id)
            self.rows.append(row)
            new_rows.append(row)
        self.row = new_rows[0]
        # outcome and indicator cells, and resources: first on the first packed row; then the
        # curation entry moves each indicator to the activity it belongs to
        for raw in cells[3:]:
            paragraphs = [clean(p) for p in re.findall(r"<p>(.*?)</p>", raw)]
            if _is_list(raw):
                self.fill(new_rows[0], ["", "", "", raw], i)
                continue
            for t in paragraphs:
                if _is_resources(t):
                    for row in new_rows:
                        self.add_resources(row, t, i)
                elif (
                    previous is not None
                    and previous.indicators
                    and not (previous.indicators[-1].finished())
                ):
                    _join(previous.indicators, t, i)
                    previous.touch(i)
                    previous.flag(FLAG_PREVIOUS)
                else:
                    new_rows[0].outcomes.append(_Piece(t, i, i))

    def orphan_row(self, cells: list[str], i: int) -> None:
        """A row of cells whose activity cell was lost: a curation entry names the activity."""
        entry = self.curation_at(i, "unnumbered-row")
        if entry is None:
            raise self.error(
                "a row of the table has no activity number or text, and no curation entry "
                "says which activity it is",
                i,
            )
        value = entry.value
        src = int(value["text_line"])
        source_line = clean(self.line(src))
        text = clean(value["text"])
        if text not in source_line:
            raise self.error(f"curation {entry.id}: {text!r} is not on line {src}", src)
        row = _Row(str(value["number"]), None, self.open_group().key, i, i)
        row.touch(i)
        row.text.append(_Piece(text, src, src))
        row.flag(FLAG_FROM_NARRATIVE)
        row.curations.append(entry.id)
        self.rows.append(row)
        self.row = row
        self.fill(row, cells, i)

    # -- curations applied after reading ---------------------------------------------------

    def apply_pending_resources(self) -> None:
        for entry, text, line in self.pending_resources:
            for number in entry.value["activities"]:
                row = self.row_by_number(number, entry)
                if row.resources:
                    raise self.error(
                        f"curation {entry.id}: activity {number} already has resources", line
                    )
                _join(row.resources, text, line)
                row.touch(line)
                row.flag(FLAG_CURATED_RESOURCES)
                row.curations.append(entry.id)

    def row_by_number(self, number: str, entry: Curation) -> _Row:
        for row in self.rows:
            if row.number == number:
                return row
        raise self.error(f"curation {entry.id}: no activity {number}", entry.start_line)

    def apply_moves(self) -> None:
        for c in self.curations.for_document(self.doc.slug):
            if not (isinstance(c.value, dict) and "moves" in c.value):
                continue
            entry = self.curation(c.id)
            for move in entry.value["moves"]:
                line = int(move["line"])
                target = self.row_by_number(str(move["to"]), entry)
                prefix = move.get("text")
                moved = 0
                for row in self.rows:
                    keep = []
                    for piece in row.indicators:
                        if piece.start == line and (
                            prefix is None or piece.text.startswith(prefix)
                        ):
                            if row is not target:
                                target.indicators.append(piece)
                                target.touch(line)
                                for r in (row, target):
                                    r.flag(FLAG_REALIGNED)
                                    if entry.id not in r.curations:
                                        r.curations.append(entry.id)
                            else:
                                keep.append(piece)
                            moved += 1
                        else:
                            keep.append(piece)
                    row.indicators = keep
                if moved == 0:
                    raise self.error(
                        f"curation {entry.id}: no indicator printed on line {line}"
                        + (f" starting {prefix!r}" if prefix else ""),
                        line,
                    )
            for row in self.rows:
                row.indicators.sort(key=lambda p: (p.start, 0))

    # -- records --------------------------------------------------------------------------

    def activity(self, row: _Row) -> Activity:
        text = " ".join(p.text for p in row.text)
        years: list[int] = []
        if row.timeframe is not None:
            y = _YEAR_CELL.match(row.timeframe.text)
            if y is None:  # a curated or packed-row timeframe is not checked where it is read
                raise self.error(
                    f"activity {row.number}: timeframe {row.timeframe.text!r} is not a year "
                    "or a range of years",
                    row.timeframe.start,
                )
            first = int(y.group(1))
            last = int(y.group(2) or first)
            years = list(range(first, last + 1))
        commitments: list[Commitment] = []
        resp_text = " ".join(p.text for p in row.resp)
        if row.resp:
            lines = (min(p.start for p in row.resp), max(p.end for p in row.resp))
            for name, note in split_institutions(resp_text):
                commitments.append(self.commitment(name, note, ROLE_RESPONSIBLE, lines))
        notes = list(row.notes)
        if row.resources:
            lines = (min(p.start for p in row.resources), max(p.end for p in row.resources))
            res_text = row.resources_text()
            notes.append(Note("resources", res_text, self.span(*lines)))
            for name in split_resources(res_text):
                commitments.append(self.commitment(name, None, ROLE_RESOURCING, lines))
        spans = [self.span(row.start, row.end)]
        if row.text and row.text[0].start < row.start:
            spans.insert(0, self.span(row.text[0].start, row.text[0].end))
        return Activity(
            number=row.number,
            printed_number=row.printed,
            text=text,
            section=row.group,
            spans=spans,
            years=years,
            commitments=commitments,
            outputs=[Output(p.text, self.span(p.start, p.end)) for p in row.outcomes],
            indicators=[Indicator(p.text, self.span(p.start, p.end)) for p in row.indicators],
            notes=notes,
            flags=list(row.flags),
            curations=list(row.curations),
        )

    def commitment(
        self, name: str, note: str | None, role: str, lines: tuple[int, int]
    ) -> Commitment:
        span = self.span(*lines)
        party = None if name in INTERNATIONAL else PARTY
        return Commitment(
            mention=AgencyMention(text=name, span=span, party=party),
            role=role,
            note=note,
            spans=[span],
        )


# --------------------------------------------------------------------------------------------
# Names in the Responsible Institutions and Resources cells

# International bodies and catch-alls: their mentions carry no party.
INTERNATIONAL = {
    "UNICEF",
    "ILO",
    "ECPAT",
    "WVC",
    "UNIAP",
    "ARTIP",
    "The Asia Foundation",
    "development partners",
    "partners",
    "concerned partners",
}
_PROTECT = re.compile(
    r"Ministries and (?:institutions|organizations)"
    r"|national and (?:sub-national|capital/provincial)|local and international"
    r"|Monitoring and Evaluation|Ministries/ organizations"
    r"|Social Morality and the Value of Cambodian Women and Families"
)
_QUALIFIER = re.compile(r"\s+(at (?:the )?(?:national|sub-national)\b.*)$")


def split_institutions(text: str) -> list[tuple[str, str | None]]:
    """One (name, qualifier) per institution named in a Responsible Institutions cell."""
    protected = _PROTECT.sub(lambda m: m.group(0).replace(" and ", " \0 "), text)
    out: list[tuple[str, str | None]] = []
    for part in re.split(r"[,;]", protected):
        part = part.strip()
        if not part:
            continue
        if part.startswith("and "):
            part = part[4:]
        if part.startswith("at ") and out:
            name, note = out[-1]
            out[-1] = (name, part.replace("\0", "and"))
            continue
        for name in re.split(r"\s+and\s+", part):
            name = name.replace("\0", "and").strip()
            note = None
            q = _QUALIFIER.search(name)
            if q:
                note = q.group(1)
                name = name[: q.start()].strip()
            if name:
                out.append((name, note))
    return out


def split_resources(text: str) -> list[str]:
    """One name per body named in a Resources and Budget cell ("etc." is not a body)."""
    text = re.sub(r",?\s*etc\.?$", "", text).strip()
    out: list[str] = []
    for part in re.split(r",|/|\s+and\s+", text):
        part = part.strip()
        if not part:
            continue
        if part.startswith("The Royal Government") and part != "The Royal Government":
            out.append("The Royal Government")
            part = part[len("The Royal Government") :].strip()
        if re.fullmatch(r"(?:[A-Z]{2,}\s*)+", part):
            out.extend(part.split())
        elif part:
            out.append(part)
    return out


# --------------------------------------------------------------------------------------------
# Laws, sub-decrees and agreements the plan cites (legal_instruments.KHM_NPA)


def _instruments(p: _Parser, end: int) -> list[LegalInstrument]:
    """Each instrument the plan lists, at the first line that prints its full title."""
    out = []
    for instrument in KHM_NPA:
        n = p.printed_at(instrument.title, end)
        if n is None:  # named at the last line searched
            raise p.error(
                f"the plan no longer cites {instrument.title[:60]!r}: not found in lines 1-{end}",
                end,
            )
        out.append(instrument.record([p.span(n)]))
    return out


def _cites(activity: Activity, extra: list[str]) -> list[str]:
    texts = [
        activity.text,
        *(o.text for o in activity.outputs),
        *(i.text for i in activity.indicators),
    ]
    joined = " ".join(texts)
    out = [instrument.key for instrument in KHM_NPA if instrument.cited_in(joined)]
    for key in extra:
        if key not in out:
            out.append(key)
    return out


# --------------------------------------------------------------------------------------------


def _find(p: _Parser, phrase: str, before: int | None = None) -> tuple[str, int]:
    last = before if before is not None else len(p.lines)
    n = p.printed_at(phrase, last)
    if n is None:  # named at the last line searched
        raise p.error(
            f"expected text {phrase!r} is missing: not found in lines 1-{last}", max(last, 1)
        )
    return phrase, n


def parse(document: Document, curations: Curations) -> Plan:
    p = _Parser(document, curations)
    start, end = p.find_table()
    aims, stated = p.narrative(start)

    # title: the cover lines up to the period
    title_lines = [i for i in range(min(15, len(p.lines))) if clean(p.lines[i])]
    first = next((k for k in title_lines if p.lines[k].startswith("NATIONAL PLAN OF ACTION")), None)
    if first is None:
        raise p.error("no 'NATIONAL PLAN OF ACTION' title in the first 15 lines", 1)
    cover = [i for i in title_lines if i >= first][:5]
    title = clean(" ".join(p.lines[i] for i in cover))

    p.parse_table(start, end)
    p.apply_pending_resources()
    p.apply_moves()

    # strategies, in table order, before their groups
    strategies = []
    for key, (stitle, line) in p.strategy_titles.items():
        strategies.append(
            Section(
                key=key,
                kind="strategy",
                title=stitle,
                spans=[p.span(line)],
                number=key.split("-")[1],
                stated_activity_count=stated.get(key),
            )
        )
    if len(strategies) != 5:
        raise p.error(f"expected 5 strategies in the table, found {len(strategies)}", start + 1)
    for key, section in p.groups.items():
        if key in aims:
            # the narrative's "Aim:" (3.1.E); the table's objective, where printed, is the
            # description, and the aim is kept beside it
            aim, line = aims[key]
            section.notes.append(Note("aim", aim, p.span(line)))
            if section.description is None:
                section.description = aim
            section.spans.append(p.span(line))
        section.stated_activity_count = stated.get(key)
        if key in p.stated_lines:
            section.spans.append(p.span(p.stated_lines[key]))
    if len(p.groups) != 25:
        raise p.error(f"expected 25 activity groups in the table, found {len(p.groups)}", start + 1)

    # numbering: unique, in sequence inside each group
    seen: dict[str, _Row] = {}
    for row in p.rows:
        if row.number in seen:
            raise p.error(f"activity {row.number} appears twice", row.start)
        seen[row.number] = row
    for key, section in p.groups.items():
        numbers = sorted(int(r.number.rsplit(".", 1)[1]) for r in p.rows if r.group == key)
        expected = list(range(1, (max(numbers) if numbers else 0) + 1))
        for n in expected:
            if n not in numbers:
                number = f"{section.number}.{n}"
                entry = next(
                    (
                        c
                        for c in curations.for_document(document.slug)
                        if isinstance(c.value, dict)
                        and c.value.get("op") == "missing-number"
                        and c.value.get("number") == number
                    ),
                    None,
                )
                if entry is None:
                    raise p.error(
                        f"activity {number} is missing from the table (group {section.number} "
                        "numbers are not in sequence) and no curation entry explains it",
                        section.spans[0].start_line,
                    )
                p.curation(entry.id)
                section.flags.append(f"missing-number:{number}")
                section.flags.append(f"curation:{entry.id}")
        if section.stated_activity_count is not None and section.stated_activity_count != len(
            numbers
        ):
            section.flags.append(
                f"count-differs:stated-{section.stated_activity_count}-table-{len(numbers)}"
            )

    instruments = _instruments(p, len(p.lines))
    extra_cites: dict[str, list[str]] = {}
    extra_curations: dict[str, list[str]] = {}
    for c in curations.for_document(document.slug):
        if isinstance(c.value, dict) and c.value.get("op") == "cites":
            entry = p.curation(c.id)
            extra_cites.setdefault(str(entry.value["activity"]), []).append(entry.value["cites"])
            extra_curations.setdefault(str(entry.value["activity"]), []).append(entry.id)

    activities = []
    for row in p.rows:
        a = p.activity(row)
        a.cites = _cites(a, extra_cites.get(a.number, []))
        a.curations.extend(extra_curations.get(a.number, []))
        activities.append(a)

    def order(section: Section) -> tuple:
        num = [int(x) for x in (section.number or "0").split(".")]
        return (num[0], 0 if section.kind == "strategy" else 1, num)

    sections = sorted(strategies + list(p.groups.values()), key=order)

    committee, committee_line = _find(
        p,
        "National Committee to Lead the Suppression of Human Trafficking, Smuggling, Labour "
        "Exploitation and Sexual Exploitation of Women and Children (S.T.S.L.S.)",
    )
    secretariat, secretariat_line = _find(p, "Secretariat of the National Committee S.T.S.L.S.")
    coordinators = [
        AgencyMention(committee, p.span(committee_line), PARTY),
        AgencyMention(secretariat, p.span(secretariat_line), PARTY),
    ]

    notes = []
    period, period_line = _find(p, "(from December 2011 to December 2013)", start)
    notes.append(Note("period", period.strip("()"), p.span(period_line)))
    signed, signed_line = _find(p, "Phnom Penh, 07th December 2011", start)
    notes.append(Note("adoption", signed, p.span(signed_line)))
    total, total_line = _find(
        p, "The five strategies contain 25 activity groups for a total of 208 activities", start
    )
    notes.append(Note("stated-activity-count", total, p.span(total_line)))

    plan_flags = []
    stated_total = 208
    if len(activities) != stated_total:
        plan_flags.append(f"count-differs:stated-{stated_total}-table-{len(activities)}")
    return Plan(
        slug=document.plan.slug,
        title=title,
        source=document.slug,
        spans=[p.span(cover[0] + 1, cover[-1] + 1), p.span(start + 1, end)],
        sections=sections,
        activities=activities,
        notes=notes,
        coordinators=coordinators,
        legal_instruments=instruments,
        flags=plan_flags,
    )
