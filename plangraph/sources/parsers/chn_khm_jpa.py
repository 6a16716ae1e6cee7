"""Parser for the China–Cambodia draft Joint Plan of Action 2017-2019 (layout ``chn-khm-jpa``).

Six sections ("I-Policy and Cooperation" ... "VI-Monitoring and Evaluation"), each a
tab-separated table: Area | Activities | Sub-activities/steps | Responsible Agencies |
2017 | 2018 | 2019 | Expected Results. Activity numbers restart in each section, so an
activity's number is qualified by its section ("III.4"); the printed number is kept.

* The year columns hold notes, not X marks ("In China", "drafted", "NP/MoFA", "?"): they
  are kept verbatim as timeframe notes with their year column, never read as years.
* Page breaks repeat the table header and continue the open row on the next line.
* Sub-activities are a list flattened into one cell ("Draft POA Review draft POA Meet to
  finalize draft POA"); they are split before the step verbs this document uses. Where the
  agencies cell lists one entry per step, each step gets its own commitments.
* "??" / "?" marks make the cell uncertain; the mark is removed from the name.
* Mentions of both sides ("The two parties", "Focal officers") become one mention per party.
"""

from __future__ import annotations

import re

from plangraph.sources.catalog import Document
from plangraph.sources.curation import Curations
from plangraph.sources.model import (
    ROLE_RESPONSIBLE,
    Activity,
    AgencyMention,
    Commitment,
    Note,
    Output,
    Plan,
    Section,
    SourceSpan,
)
from plangraph.sources.parsers.base import DocumentReader, clean, uncertain_marks

YEARS = (2017, 2018, 2019)
_SECTION = re.compile(r"^(I|II|III|IV|V|VI)\s*-\s*(.+)$")
_ACTIVITY = re.compile(r"^(\d+)\.\s+(.*)$")
_HEADER_FIRST = "Area"
# Step verbs that begin each item of a flattened sub-activity list in this document.
_STEP = re.compile(r"\s+(?=(?:Draft|Review|Meet|Exchange|Finalize)\b)")
# Names that stand for one body on each side: expanded into a mention per party.
BOTH_SIDES = (
    "The two parties",
    "The two Taskforces",
    "Taskforces",
    "Focal officers",
    "Implementing Agencies of both Parties",
)
PARTIES = ("chn", "khm")
_PARTY_OF = {"China": "chn", "Cambodia": "khm"}


def _steps(cell: str) -> list[str]:
    return [s.strip() for s in _STEP.split(cell) if s.strip()]


def _agency_items(cell: str) -> list[str]:
    """Split a responsible-agencies cell into per-step items or bodies.

    "Cambodia Cambodia & China Cambodia & China" is one item per step; other cells list
    bodies joined by " and " / " or/".
    """
    if re.fullmatch(r"(?:(?:Cambodia|China)(?: & (?:Cambodia|China))?\s*)+", cell):
        return re.findall(r"(?:Cambodia|China)(?: & (?:Cambodia|China))?", cell)
    return [cell]


def _mentions(item: str, span: SourceSpan) -> list[tuple[AgencyMention, bool]]:
    """(mention, uncertain) for every body an agencies item names."""
    out: list[tuple[AgencyMention, bool]] = []
    for name in re.split(r"\s+and\s+|\s+or/|\s+&\s+", item):
        name, uncertain = uncertain_marks(name)
        if not name:
            continue
        if name in BOTH_SIDES:
            out.extend((AgencyMention(name, span, party=p), uncertain) for p in PARTIES)
            continue
        party = None
        for label, code in _PARTY_OF.items():
            if name == label or name.endswith(f" {label}") or name.endswith(f" of {label}"):
                party = code
        out.append((AgencyMention(name, span, party=party), uncertain))
    return out


def _commitments(item: str, span: SourceSpan) -> list[Commitment]:
    return [
        Commitment(
            mention=m,
            role=ROLE_RESPONSIBLE,
            on_behalf_of=m.party,
            uncertain=uncertain,
            spans=[span],
        )
        for m, uncertain in _mentions(item, span)
    ]


def parse(document: Document, curations: Curations) -> Plan:
    src = DocumentReader(document, curations)
    lines = src.lines
    first_section = src.first_line(lambda line: _SECTION.match(line.strip()))
    if first_section is None:
        raise src.error("no section heading 'I-...' found", 1)
    intro = [clean(line) for line in lines[: first_section - 1] if line.strip()]
    plan = Plan(
        slug=document.plan.slug,
        title=" ".join(intro[:-1]) if len(intro) > 1 else " ".join(intro),
        source=document.slug,
        spans=[src.span(1, len(lines))],
    )
    section: Section | None = None
    current: Activity | None = None
    cells_of: dict[str, dict[str, list[tuple[str, int]]]] = {}
    financial = False
    for n, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or n < first_section:
            continue
        heading = _SECTION.match(line)
        if heading and "\t" not in raw:
            section = Section(
                key=f"section-{heading.group(1)}",
                kind="section",
                number=heading.group(1),
                title=heading.group(2).strip(),
                spans=[src.span(n)],
            )
            plan.sections.append(section)
            current = None
            continue
        if line == "Financial Notes":
            financial = True
            current = None
            continue
        if financial:
            text = clean(line.lstrip("- "))
            plan.notes.append(Note(kind="financial", text=text, span=src.span(n)))
            continue
        cells = [clean(c) for c in raw.split("\t")]
        if len(cells) != 8:
            raise src.error(f"table row with {len(cells)} cells, expected 8", n)
        if cells[0] == _HEADER_FIRST or cells[4:7] == ["2017", "2018", "2019"]:
            continue  # the table header, repeated after each page break
        if all(c == "--" for c in cells):
            continue  # a rule line
        if section is None:
            raise src.error("table row before any section heading", n)
        m = _ACTIVITY.match(cells[1])
        if m:
            number = f"{section.number}.{m.group(1)}"
            current = Activity(
                number=number,
                printed_number=f"{m.group(1)}.",
                text="",
                section=section.key,
                spans=[src.span(n)],
            )
            plan.activities.append(current)
            cells_of[number] = {k: [] for k in ("text", "steps", "agencies", "results")}
            cells_of[number]["years"] = []
            cells[1] = m.group(2)
            if cells[0] and cells[0] != section.title:
                raise src.error(
                    f"Area cell {cells[0]!r} differs from the section title {section.title!r}", n
                )
        elif current is None:
            raise src.error("table row before the first activity", n)
        else:  # the rest of the open row, after a page break
            current.spans = [src.span(current.spans[0].start_line, n)]
        store = cells_of[current.number]
        for key, value in zip(("text", "steps", "agencies"), cells[1:4], strict=True):
            if value:
                store[key].append((value, n))
        for year, value in zip(YEARS, cells[4:7], strict=True):
            if value:
                store["years"].append((f"{year}\t{value}", n))
        if cells[7]:
            store["results"].append((cells[7], n))

    if not plan.activities:
        raise src.error("no activities found", first_section)
    for act in list(plan.activities):
        _finish(act, cells_of[act.number], plan, src)
    return plan


def _finish(
    act: Activity, store: dict[str, list[tuple[str, int]]], plan: Plan, src: DocumentReader
) -> None:
    act.text = " ".join(v for v, _ in store["text"])
    for value, n in store["results"]:
        act.outputs.append(Output(value, src.span(n)))
    for value, n in store["years"]:
        year, note = value.split("\t", 1)
        text, uncertain = uncertain_marks(note)
        act.notes.append(
            Note(
                kind="timeframe",
                text=f"{year}: {note}",
                span=src.span(n),
                uncertain=uncertain or not text,
            )
        )
        act.uncertain = act.uncertain or uncertain
    agencies = store["agencies"]
    if not agencies:
        return
    a_span = src.span(agencies[0][1], agencies[-1][1])
    items = _agency_items(" ".join(v for v, _ in agencies))
    steps = [s for value, _ in store["steps"] for s in _steps(value)]
    if store["steps"]:
        s_span = src.span(store["steps"][0][1], store["steps"][-1][1])
        for i, step in enumerate(steps, 1):
            sub = Activity(
                number=f"{act.number}.{i}",
                text=step,
                section=act.section,
                spans=[s_span],
                kind="sub-activity",
                parent=act.number,
                position=i,
            )
            if len(items) == len(steps) and len(items) > 1:
                sub.commitments = _commitments(items[i - 1], a_span)
            plan.activities.append(sub)
    seen: set[tuple[str, str | None]] = set()
    for item in items:
        for c in _commitments(item, a_span):
            key = (c.mention.text, c.mention.party)
            if key not in seen:
                seen.add(key)
                act.commitments.append(c)
    act.uncertain = act.uncertain or any(c.uncertain for c in act.commitments)
