"""Parser for the COMMIT Sub-Regional Plan of Action 2005-2007 (layout ``commit-srpa``).

The plan is an introduction followed by twelve Project Proposal Concepts ("PPC 1 – SOM 2
Framework Document Activity 3 and Activity 5" … "PP 12 - Cross-Cutting Issues"). Each PPC
prints the framework Areas ("AREA 3: ...", sub-points "5.1 ...") and Activities
("Activity 6: ...") it serves, then "Objectives and expected results", then the work in three
phases: "Pre-meeting/preparation work", "Meeting/core activity work",
"Post-meeting/follow-up work". Every bullet or paragraph is one line. Page breaks repeat the
running head "COORDINATED MEKONG MINISTERIAL INITIATIVE AGAINST TRAFFICKING" (skipped); the
participating-country line "Cambodia, China, Lao PDR, ..." is a page footer of the PPCs that
list their countries and may fall inside the work lists.

Records: the 7 Areas (sections ``area-N``) with their sub-points (``area-5.1``), the 18
framework Activities (``number`` "1".."18", section = the area printed above them; Activity 18
has no area and belongs to ``ppc-12``; the three bullets that complete its sentence "... develop
the following for finalization at SOM 3:" are its sub-steps ``18.1``..``18.3``), the PPCs
(sections ``ppc-N``: description = objectives, expected results, participating countries as
``participant`` commitments), and
their work items (``ppc-N.pre.I``, ``ppc-N.core.I``, ``ppc-N.follow.I``; sub-bullets are
``sub-activity`` records ``ppc-N.core.I.J``), each serving the PPC's framework activities.
Commitments are read only where an item's wording assigns the work (see ``_ACTORS``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plangraph.sources.catalog import Document
from plangraph.sources.curation import Curations
from plangraph.sources.model import (
    ROLE_PARTICIPANT,
    ROLES,
    Activity,
    AgencyMention,
    Commitment,
    LegalInstrument,
    Note,
    Output,
    Plan,
    Section,
    SourceSpan,
)
from plangraph.sources.parsers.base import DocumentReader, clean
from plangraph.sources.parsers.legal_instruments import COMMIT_SRPA

RUNNING_HEAD = "COORDINATED MEKONG MINISTERIAL INITIATIVE AGAINST TRAFFICKING"
PPC_COUNT = 12
COUNTRIES = {
    "Cambodia": "khm",
    "China": "chn",
    "Lao PDR": "lao",
    "Myanmar": "mmr",
    "Thailand": "tha",
    "Vietnam": "vnm",
}
PHASES = {
    "Pre-meeting/preparation work": "pre",
    "Meeting/core activity work": "core",
    "Post-meeting/follow-up work": "follow",
}
_PPC = re.compile(r"^(PPC|PP)\s+(\d+)\s*(?:–|--|-)\s*(.+)$")
_AREA = re.compile(r"^(?:AREA|Area)\s+(\d+):\s*(.+)$")
_AREA_POINT = re.compile(r"^(\d+)\.(\d+)\s+(.+)$")
_ACTIVITY = re.compile(r"^Activity\s+(\d+):\s*(.+)$")
_OBJECTIVES = re.compile(r"^Objectives? and expected results:?$")
_RESULTS_MARK = re.compile(r"^(?:The expected results include|Expected results include)\b")
_RESULT_SENTENCE = re.compile(r"^The expected result is\b")
_PHASE = re.compile(r"^(" + "|".join(re.escape(p) for p in PHASES) + r")\s*[:;]?$")
_FOOTNOTE = re.compile(r"^([¹²³⁴⁵⁶⁷⁸⁹])\s*(.+)$")
_MARKS = "¹²³⁴⁵⁶⁷⁸⁹"
_SUB = re.compile(r"^\s+(?:-\s+|(\d+)\.\s+)(.+)$")
_EMPHASIS = re.compile(r"(?<!\*)\*(?!\*)([^*]+?)\*(?!\*)")
_BILATERAL = re.compile(r"\((\d+)\)\s*([A-Z][a-z]+-[A-Z][a-z]+)")


def _readings(*entries: str) -> tuple[tuple[re.Pattern[str], str, bool], ...]:
    """(pattern, role, one mention per party?) of each ``"role[ per party]: pattern"``."""
    out = []
    for entry in entries:
        head, _, pattern = entry.partition(": ")
        role = head.removesuffix(" per party")
        if role not in ROLES:
            raise ValueError(f"not a commitment role: {entry!r}")
        out.append((re.compile(pattern), role, role != head))
    return tuple(out)


# Wording that assigns work, one reading per entry: "role: pattern" (the role of pg-role:
# in ontology/plangraph.ttl), or "role per party: pattern" for one mention per COMMIT country.
# Each named group of the pattern is one mention, its text as printed; a group named ``note``
# is not a mention but qualifying text kept verbatim on each commitment of the match.
# Readings that are a judgement (who "heads of Specialist Units" are, a pilot "focusing on" two
# countries) are curation entries ``commit-srpa-actors-*`` instead (see
# ``_Parser.curated_actors``).
_ACTORS = _readings(
    r"responsible: (?P<m>COMMIT Secretariat \(UNIAP\)) will",
    r"responsible: ^(?P<m>UNIAP) to ",
    r"support: work with (?P<m>UNIAP)",
    r"lead per party: under guidance from each (?P<m>COMMIT Task Force)",
    r"responsible per party: ^Maintain existing (?P<m>COMMIT Task Forces) in each country",
    (
        r"responsible per party: (?P<m>Ministries of Labour)"
        r" and other relevant (?:line )?Ministries from each"
    ),
    r"responsible: Ministries of Labour and (?P<m>other relevant (?:line )?Ministries) from each",
    r"implementing-partner: conducted by (?P<m>partner organizations and agencies)",
    r"implementing-partner: conducted by (?P<m>implementing partners)",
    (
        r"responsible: continued by various (?P<a>international organizations),"
        r" (?P<b>UN agencies), and (?P<c>international NGOs)"
    ),
    (
        r"implementing-partner: in collaboration with (?P<a>international organizations)"
        r" and (?P<b>donors)"
    ),
    r"resourcing: (?P<m>Donor) support should be sought",
    r"resourcing: With support from (?P<a>international donors) and (?P<b>partners)",
    r"responsible per party: ^(?P<m>Governments) will develop",
    r"resourcing: Government and (?P<m>donor) support for",
    # PPC 1 (Activities 3, 5)
    r"lead per party: based on guidance from the (?P<m>Governments)",
    r"participant per party: organized between the (?P<m>Governments) and representatives of the",
    (
        r"participant: between the Governments and representatives of the"
        r" (?P<m>international agencies)"
    ),
    r"implementing-partner: regional training, by a (?P<m>Regional Centre)",
    # PPC 2 (Activities 6, 7, 11, 12)
    (
        r"participant: involving (?P<a>key police and law enforcement personnel)"
        r" and (?P<b>other relevant agencies) from each country,"
        r" and (?P<c>key international partners)"
    ),
    # PPC 3 (Activity 4)
    r"responsible per party: (?P<note>ideally by the (?P<m>Government)) with technical support",
    r"support: with technical support from (?P<m>partner organizations)",
    # PPC 4 (Activities 1, 2, 10)
    (
        r"implementing-partner: (?P<note>could be conducted by)"
        r" a (?P<m>regional research organization or institute)"
    ),
    # PPC 6 (Activity 13)
    r"participant per party: to be considered by the (?P<m>Governments)",
    # PPC 7 (Activity 14): the group's members are curation commit-srpa-actors-367
    r"responsible: ^A (?P<m>technical working group) of government representatives, experts",
    r"responsible: elements considered by the (?P<m>technical working group)",
    # PPC 8 (Activity 9)
    r"participant: held with (?P<m>key judicial personnel) (?P<note>\([^)]*\))",
    r"participant: held with (?P<m>key judicial and other relevant personnel)",
    (
        r"support: ^Working with (?P<a>key partners),"
        r" as well as (?P<b>embassies of countries from which sex tourists originate)"
    ),
    # PPC 9 (Activity 15)
    r"participant: ^Seminar with (?P<a>international organizations) and (?P<b>donors)",
    r"responsible: ^A (?P<m>technical working group) should be convened",
    r"support per party: convened to work with the (?P<m>Governments)",
    r"participant: negotiations with (?P<a>donors) and (?P<b>partners)",
    # PPC 10 (Activity 16)
    r"participant: shared among (?P<m>functional agencies of relevant COMMIT countries)",
    # PPC 11 (Activity 17)
    r"participant: Seminar with the (?P<m>tourism sector)",
    r"responsible: incentives by (?P<m>Government tourist authorities)",
    r"resourcing per party: ^(?P<m>Government) and donor support for",
    # PP 12 (Activity 18)
    r"resourcing: ^UNIAP to seek (?P<m>donor) support",
    r"participant per party: approval for that TOR from (?P<m>Governments)",
)
# The curation entries that record commitments the wording does not state plainly.
CURATED_ACTORS = "commit-srpa-actors-"


def parse(document: Document, curations: Curations) -> Plan:
    return _Parser(document, curations).run()


@dataclass
class _Item:
    activity: Activity
    subs: list[Activity] = field(default_factory=list)


class _Parser(DocumentReader):
    def __init__(self, document: Document, curations: Curations) -> None:
        super().__init__(document, curations)
        self.footnotes: dict[str, tuple[str, int]] = {}
        self.areas: dict[str, Section] = {}
        self.sections: list[Section] = []
        self.activities: list[Activity] = []
        self.framework: dict[str, Activity] = {}
        self.framework_subs: dict[str, list[Activity]] = {}  # sub-steps of framework activities

    def text(self, raw: str) -> tuple[str, list[Note]]:
        """Cleaned text with footnote markers taken out, and the footnotes they point to."""
        notes = []
        for mark in _MARKS:
            if mark in raw and mark in self.footnotes:
                note_text, line = self.footnotes[mark]
                notes.append(Note("footnote", note_text, self.span(line)))
                raw = raw.replace(mark, "")
        return clean(_EMPHASIS.sub(r"\1", raw)), notes

    # -- the document -------------------------------------------------------------------

    def run(self) -> Plan:
        content = [
            (n, line)
            for n, line in enumerate(self.lines, 1)
            if line.strip() and line.strip() != RUNNING_HEAD
        ]
        for n, line in content:
            m = _FOOTNOTE.match(line.strip())
            if m:
                self.footnotes[m.group(1)] = (clean(_EMPHASIS.sub(r"\1", m.group(2))), n)
        content = [(n, line) for n, line in content if not _FOOTNOTE.match(line.strip())]

        starts = [
            (i, n, m) for i, (n, line) in enumerate(content) if (m := _PPC.match(line.strip()))
        ]
        if not starts:
            raise self.error("no 'PPC 1 – ...' heading", len(self.lines))
        for k, (_, n, m) in enumerate(starts, 1):
            if int(m.group(2)) != k:
                raise self.error(f"found {m.group(1)} {m.group(2)} where PPC {k} was expected", n)
        if len(starts) != PPC_COUNT:
            raise self.error(f"expected {PPC_COUNT} PPCs, found {len(starts)}", starts[-1][1])
        notes = self.introduction(content[: starts[0][0]])
        ppcs = []
        for k, (i, _, m) in enumerate(starts):
            end = starts[k + 1][0] if k + 1 < len(starts) else len(content)
            ppcs.append(self.ppc(m, content[i:end]))
        self.check_framework(starts[0][1])

        areas = sorted(
            self.areas.values(), key=lambda s: [int(x) for x in (s.number or "0").split(".")]
        )
        activities = []
        for a in sorted(self.framework.values(), key=lambda a: int(a.number)):
            activities.append(a)
            activities.extend(self.framework_subs.get(a.number, []))
        plan = Plan(
            slug=self.doc.plan.slug,
            title=self.doc.plan.title,
            source=self.doc.slug,
            spans=[self.span(1, len(self.lines))],
            sections=areas + ppcs,
            activities=activities + self.activities,
            notes=notes,
        )
        self.curated_actors(plan.activities)
        plan.legal_instruments = self.instruments(plan)
        return plan

    def introduction(self, content: list[tuple[int, str]]) -> list[Note]:
        notes = []
        title = None
        in_intro = False
        for n, line in content:
            text = clean(line)
            if text.startswith("Final COMMIT Sub-Regional Plan of Action"):
                title = n
            elif text == "Introduction:":
                in_intro = True
            elif in_intro:
                notes.append(Note("introduction", text, self.span(n)))
        if title is None or not notes:
            raise self.error(
                "no title and introduction before PPC 1", content[0][0] if content else 1
            )
        return notes

    def check_framework(self, line: int) -> None:
        numbers = sorted(int(a) for a in self.framework)
        if numbers != list(range(1, 19)):
            raise self.error(f"framework activities read: {numbers}, expected 1..18", line)
        if sorted(self.areas_main()) != list(range(1, 8)):
            raise self.error(f"areas read: {sorted(self.areas_main())}, expected 1..7", line)

    def areas_main(self) -> list[int]:
        return [int(s.number or 0) for s in self.areas.values() if s.kind == "area"]

    # -- one PPC ------------------------------------------------------------------------

    def ppc(self, head: re.Match[str], block: list[tuple[int, str]]) -> Section:
        number = head.group(2)
        key = f"ppc-{number}"
        first, last = block[0][0], block[-1][0]
        title, head_notes = self.text(head.group(3))
        section = Section(
            key=key,
            kind="ppc",
            title=title,
            spans=[self.span(first, last)],
            number=number,
            notes=head_notes,
        )
        if head.group(1) != "PPC":
            section.flags.append(f"printed-as:{head.group(1)} {number}")
        mode = "head"
        area: str | None = None
        served: list[str] = []
        description: list[str] = []
        desc_lines: list[int] = []
        phase_count: dict[str, int] = {}
        items: list[_Item] = []
        phase: str | None = None
        lead_in = False  # the last top-level item ends with ":" and takes the bullets below
        last_framework: Activity | None = None

        for n, raw in block[1:]:
            stripped = raw.strip()
            text, notes = self.text(stripped)
            names = [c.strip() for c in text.split(",")]
            if names and all(c in COUNTRIES for c in names) and len(names) > 1:
                for c in names:
                    section.commitments.append(
                        Commitment(
                            mention=AgencyMention(c, self.span(n), party=COUNTRIES[c]),
                            role=ROLE_PARTICIPANT,
                            spans=[self.span(n)],
                        )
                    )
                continue
            pm = _PHASE.match(stripped)
            if pm:
                mode = "phase"
                phase = PHASES[pm.group(1)]
                lead_in = False
                continue
            if mode == "head":
                if m := _AREA.match(stripped):
                    area = self.area(m, n)
                    last_framework = None
                elif m := _AREA_POINT.match(stripped):
                    self.area_point(m, n)
                elif m := _ACTIVITY.match(stripped):
                    last_framework = self.framework_activity(m, n, area, key)
                    served.append(m.group(1))
                elif _OBJECTIVES.match(stripped):
                    mode = "objectives"
                elif stripped.startswith("- ") and last_framework is not None:
                    self.framework_item(last_framework, clean(text[2:]), n, notes)
                else:
                    raise self.error(f"unexpected line in the head of {key}: {stripped[:50]!r}", n)
                continue
            if mode == "objectives":
                if _RESULT_SENTENCE.match(stripped):
                    section.expected_results.append(Output(text, self.span(n)))
                    mode = "results"
                elif _RESULTS_MARK.match(stripped):
                    mode = "results"
                else:
                    description.append(text)
                    desc_lines.append(n)
                section.notes.extend(notes)
                continue
            if mode == "results":
                if stripped.startswith("- "):
                    section.expected_results.append(Output(clean(text[2:]), self.span(n)))
                elif text.endswith(":"):
                    section.notes.append(Note("expected-results-heading", text, self.span(n)))
                else:
                    section.expected_results.append(Output(text, self.span(n)))
                section.notes.extend(notes)
                continue
            # a work phase
            assert phase is not None
            sub = _SUB.match(raw)
            if sub and items:
                parent = items[-1]
                position = len(parent.subs) + 1
                body, sub_notes = self.text(sub.group(2))
                child = Activity(
                    number=f"{parent.activity.number}.{position}",
                    text=body,
                    section=key,
                    spans=[self.span(n)],
                    printed_number=f"{sub.group(1)}." if sub.group(1) else None,
                    kind="sub-activity",
                    parent=parent.activity.number,
                    position=position,
                    serves=list(parent.activity.serves),
                    notes=sub_notes,
                )
                parent.subs.append(child)
                continue
            body = text[2:].strip() if stripped.startswith("- ") else text
            if (
                not stripped.startswith("- ")
                and items
                and len(body.split()) <= 3
                and body.endswith(":")
            ):
                # a short lead-in ("Examples include:") for the bullets under the paragraph above
                items[-1].activity.text += " " + body
                items[-1].activity.spans.append(self.span(n))
                lead_in = True
                continue
            if (
                stripped.startswith("- ")
                and lead_in
                and items
                and items[-1].activity.number.split(".")[1] == phase
            ):
                parent = items[-1]
                position = len(parent.subs) + 1
                parent.subs.append(
                    Activity(
                        number=f"{parent.activity.number}.{position}",
                        text=body,
                        section=key,
                        spans=[self.span(n)],
                        kind="sub-activity",
                        parent=parent.activity.number,
                        position=position,
                        serves=list(parent.activity.serves),
                        notes=notes,
                    )
                )
                continue
            phase_count[phase] = phase_count.get(phase, 0) + 1
            item = Activity(
                number=f"{key}.{phase}.{phase_count[phase]}",
                text=body,
                section=key,
                spans=[self.span(n)],
                kind="work-item",
                position=phase_count[phase],
                notes=notes,
            )
            items.append(_Item(item))
            lead_in = not stripped.startswith("- ") and body.endswith(":")

        if mode != "phase":
            raise self.error(f"{key} has no work phases", last)
        if not served:
            raise self.error(f"{key} names no framework activity", first)
        section.description = clean(" ".join(description)) or None
        if desc_lines:
            section.spans.append(self.span(min(desc_lines), max(desc_lines)))
        printed = re.findall(r"\d+", re.sub(r"^SOM \d", "", head.group(3)))
        if printed and sorted(printed, key=int) != sorted(served, key=int):
            section.flags.append(f"heading-names-activities:{','.join(printed)}")
        for it in items:
            own = re.match(r"^Activity (\d+) includes", it.activity.text)
            it.activity.serves = [own.group(1)] if own else list(served)
            for child in it.subs:
                child.serves = list(it.activity.serves)
            self.bilateral(it.activity)
            self.actors(it.activity)
            self.activities.append(it.activity)
            for child in it.subs:
                self.actors(child)
                self.activities.append(child)
        self.sections.append(section)
        return section

    def area(self, m: re.Match[str], line: int) -> str:
        number = m.group(1)
        key = f"area-{number}"
        title = clean(m.group(2)).rstrip(":").strip()
        sec = self.areas.get(key)
        if sec is None:
            self.areas[key] = Section(
                key=key, kind="area", title=title, spans=[self.span(line)], number=number
            )
        else:
            sec.spans.append(self.span(line))
            if title != sec.title and all(n.text != title for n in sec.notes):
                sec.notes.append(Note("title-variant", title, self.span(line)))
        return key

    def area_point(self, m: re.Match[str], line: int) -> None:
        number = f"{m.group(1)}.{m.group(2)}"
        key = f"area-{number}"
        sec = self.areas.get(key)
        if sec is None:
            self.areas[key] = Section(
                key=key,
                kind="area-objective",
                title=clean(m.group(3)),
                spans=[self.span(line)],
                number=number,
                parent=f"area-{m.group(1)}",
            )
        else:
            sec.spans.append(self.span(line))

    def framework_activity(
        self, m: re.Match[str], line: int, area: str | None, ppc: str
    ) -> Activity:
        number = m.group(1)
        if number in self.framework:
            raise self.error(f"Activity {number} printed twice", line)
        text, notes = self.text(m.group(2))
        activity = Activity(
            number=number,
            text=text,
            section=area or ppc,
            spans=[self.span(line)],
            printed_number=f"Activity {number}",
            kind="activity",
            notes=notes,
        )
        if area is None:
            activity.flags.append("no-area-printed")
        self.actors(activity)
        self.framework[number] = activity
        return activity

    def framework_item(self, activity: Activity, text: str, line: int, notes: list[Note]) -> None:
        """A bullet under a framework activity. Where the activity's sentence ends with ":"
        ("... to develop the following for finalization at SOM 3:"), the bullets complete it:
        each is a sub-step ``{number}.{position}`` of the activity, as the bullets under a
        work item's lead-in are. Otherwise the bullet is an output of the activity."""
        activity.spans.append(self.span(line))
        if not activity.text.endswith(":"):
            activity.outputs.append(Output(text, self.span(line)))
            return
        subs = self.framework_subs.setdefault(activity.number, [])
        position = len(subs) + 1
        subs.append(
            Activity(
                number=f"{activity.number}.{position}",
                text=text,
                section=activity.section,
                spans=[self.span(line)],
                kind="sub-activity",
                parent=activity.number,
                position=position,
                notes=notes,
            )
        )

    # -- facts inside items ---------------------------------------------------------------

    def bilateral(self, item: Activity) -> None:
        if not item.text.startswith("Options include"):
            return
        for _, pair in _BILATERAL.findall(item.text):
            item.notes.append(Note("bilateral-option", pair, item.spans[0]))

    def actors(self, item: Activity) -> None:
        for pattern, role, per_party in _ACTORS:
            m = pattern.search(item.text)
            if m is None:
                continue
            note = m.groupdict().get("note")
            for group, name in m.groupdict().items():
                if group != "note":
                    self.commit(item, name, role, per_party, note, item.spans[0])

    def commit(
        self,
        item: Activity,
        name: str,
        role: str,
        per_party: bool,
        note: str | None,
        span: SourceSpan,
    ) -> None:
        """One commitment of ``name`` on ``item`` (one per COMMIT country if ``per_party``)."""
        for party in list(COUNTRIES.values()) if per_party else [None]:
            item.commitments.append(
                Commitment(
                    mention=AgencyMention(name, span, party=party),
                    role=role,
                    on_behalf_of=party,
                    note=note,
                    spans=[span],
                )
            )

    def curated_actors(self, steps: list[Activity]) -> None:
        """Commitments from the curation entries ``commit-srpa-actors-*``: readings of who the
        text assigns work to that are a judgement. An entry's value lists ``{step, mention,
        role}`` (and ``per_party``, ``note``); the mention must be printed on the step's line,
        which must lie within the entry's lines. The step records the entry's id."""
        by_number = {a.number: a for a in steps}
        for entry in self.curations.for_document(self.doc.slug):
            if not entry.id.startswith(CURATED_ACTORS):
                continue
            self.curation(entry.id)  # its "expect" text is still there
            items = entry.value if isinstance(entry.value, list) else None
            if not items:
                raise self.error(f"curation {entry.id} lists no commitments", entry.start_line)
            for value in items:
                fields = value if isinstance(value, dict) else {}
                step = by_number.get(str(fields.get("step")))
                name, role = fields.get("mention"), fields.get("role")
                if step is None or not isinstance(name, str) or role not in ROLES:
                    raise self.error(
                        f"curation {entry.id}: {value!r} needs a step read from these lines, "
                        f"a mention and a role ({', '.join(ROLES)})",
                        entry.start_line,
                    )
                span = step.spans[0]
                inside = entry.start_line <= span.start_line <= entry.end_line
                if not inside or name not in self.line(span.start_line):
                    raise self.error(
                        f"curation {entry.id}: {name!r} is not printed on line "
                        f"{span.start_line} of step {step.number} within its lines",
                        entry.start_line,
                    )
                note = fields.get("note")
                self.commit(
                    step, name, role, bool(fields.get("per_party")), note and str(note), span
                )
                if entry.id not in step.curations:
                    step.curations.append(entry.id)

    def instruments(self, plan: Plan) -> list[LegalInstrument]:
        texts: list[tuple[str, SourceSpan, Activity | None]] = []
        texts += [(n.text, n.span, None) for n in plan.notes]
        for s in plan.sections:
            texts += [(o.text, o.span, None) for o in s.expected_results]
            texts += [(n.text, n.span, None) for n in s.notes]
            if s.description:
                texts.append((s.description, s.spans[-1], None))
        for a in plan.activities:
            texts.append((a.text, a.spans[0], a))
            texts += [(n.text, n.span, a) for n in a.notes]
        out = []
        for instrument in COMMIT_SRPA:
            spans = sorted({span for text, span, _ in texts if instrument.cited_in(text)})
            if not spans:
                continue
            for text, _, activity in texts:
                if (
                    activity is not None
                    and instrument.cited_in(text)
                    and instrument.key not in activity.cites
                ):
                    activity.cites.append(instrument.key)
            out.append(instrument.record(spans))
        return out
