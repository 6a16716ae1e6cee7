"""Compare two plans or plan versions: steps and commitments added, removed and changed.

A *side* is a plan (its steps are those with ``pg:plan`` it) or a plan version (the steps it
``pg:includesStep``). Both sides are read through SPARQL (``queries/diff/*.rq``), so a diff
works on any store; the two sides may come from two stores (two builds of the dataset:
:mod:`plangraph.views.release_note`).

Steps are matched first by their number (``pg:number``), then, among those left, by the
similarity of their texts (:func:`similarity`, at least :data:`TEXT_MATCH`), best pair first.
A matched pair is *changed* when its number, text, years, quarters or commitments differ. A step of
one side only is *added* (in B) or *removed* (from A); its commitments count as added or
removed with it. Commitments of a matched pair are compared agency by agency: roles, years,
uncertainty and the party acted for. Every step and commitment keeps its source spans.

The counts: steps by status; commitments added and removed count commitment records (one
agency in one role for one step), commitments changed count the agencies whose commitments to
a matched step differ.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from plangraph.errors import NotFound, QueryError
from plangraph.ids import ID
from plangraph.store.base import Store
from plangraph.store.bindings import BindingValue, Iri
from plangraph.store.query_catalog import CatalogQuery, load_catalog
from plangraph.views.cells import group_values
from plangraph.views.links import local_path, tail
from plangraph.views.source_spans import Span, spans

# the least similarity (0-1) for two steps with different numbers to be the same step
TEXT_MATCH = 0.5
_WORD = re.compile(r"\w+")
_IRI = re.compile(r"^https?://\S+$")
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]*(/(version/)?[A-Za-z0-9][A-Za-z0-9.\-]*)?$")
_STEP_KINDS = {
    "Activity": "activity",
    "WorkItem": "work item",
    "SubActivity": "sub-activity",
    "QuarterlyActivity": "quarterly activity",
}


@dataclass(frozen=True)
class Side:
    """A plan or a plan version."""

    iri: str
    slug: str  # "khm-tha-2023-2025" or "khm-tha-2023-2025/annex-3"
    kind: str  # "plan" or "version"
    label: str
    status: str | None
    plan: str  # the plan's IRI (itself for a plan)
    revision_of: str | None = None
    spans: tuple[Span, ...] = ()

    @property
    def href(self) -> str:
        """The page of the side's plan."""
        return local_path(self.plan) or ""

    @property
    def title(self) -> str:
        """A short name: a version's title as printed, or the plan's label."""
        return self.label.rsplit(": ", 1)[-1] if self.kind == "version" else self.label

    @property
    def plan_slug(self) -> str:
        return tail(self.plan, "plan/")

    def to_json(self) -> dict[str, Any]:
        return {
            "uri": self.iri,
            "id": self.slug,
            "kind": self.kind,
            "label": self.label,
            "status": self.status,
            "plan": self.plan,
            "revisionOf": self.revision_of,
            "spans": [s.to_json() for s in self.spans],
        }


@dataclass(frozen=True)
class CommitmentSide:
    agency: str
    agency_label: str
    role: str
    mention: str
    uncertain: bool
    on_behalf_of: str | None
    years: tuple[str, ...]
    spans: tuple[Span, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "agencyLabel": self.agency_label,
            "role": self.role,
            "mention": self.mention,
            "uncertain": self.uncertain,
            "onBehalfOf": self.on_behalf_of,
            "years": list(self.years),
            "spans": [s.to_json() for s in self.spans],
        }


@dataclass(frozen=True)
class StepSide:
    iri: str
    number: str
    printed_number: str | None
    text: str
    kind: str
    years: tuple[str, ...]
    quarters: tuple[str, ...]
    spans: tuple[Span, ...]
    commitments: tuple[CommitmentSide, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "uri": self.iri,
            "number": self.number,
            "printedNumber": self.printed_number,
            "text": self.text,
            "kind": self.kind,
            "years": list(self.years),
            "quarters": list(self.quarters),
            "spans": [s.to_json() for s in self.spans],
            "commitments": [c.to_json() for c in self.commitments],
        }


@dataclass(frozen=True)
class FieldChange:
    field: str  # "number", "text", "years", "quarters"
    before: str
    after: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class CommitmentChange:
    status: str  # "added", "removed", "changed"
    agency: str
    agency_label: str
    a: tuple[CommitmentSide, ...]  # the agency's commitments to the step on side A
    b: tuple[CommitmentSide, ...]
    what: tuple[str, ...] = ()  # for "changed": "role", "years", "uncertain", "on behalf of"

    def roles(self, side: str) -> str:
        items = self.a if side == "a" else self.b
        return ", ".join(sorted(c.role for c in items))

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "agency": self.agency,
            "agencyLabel": self.agency_label,
            "changed": list(self.what),
            "a": [c.to_json() for c in self.a],
            "b": [c.to_json() for c in self.b],
        }


@dataclass(frozen=True)
class StepChange:
    status: str  # "added", "removed", "changed", "unchanged"
    a: StepSide | None
    b: StepSide | None
    matched_by: str | None = None  # "number" or "text" for a matched pair
    similarity: float | None = None  # of the texts, for a matched pair
    fields: tuple[FieldChange, ...] = ()
    commitments: tuple[CommitmentChange, ...] = ()
    # for a step of one side only: the most alike step left alone on the other side and how
    # alike (below TEXT_MATCH, or it would have matched), if the other side has any
    nearest: tuple[StepSide, float] | None = None

    @property
    def number(self) -> str:
        side = self.b or self.a
        assert side is not None
        return side.number

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "matchedBy": self.matched_by,
            "similarity": None if self.similarity is None else round(self.similarity, 3),
            "a": None if self.a is None else self.a.to_json(),
            "b": None if self.b is None else self.b.to_json(),
            "fields": [f.to_json() for f in self.fields],
            "commitments": [c.to_json() for c in self.commitments],
            "nearest": None
            if self.nearest is None
            else {
                "uri": self.nearest[0].iri,
                "number": self.nearest[0].number,
                "similarity": round(self.nearest[1], 3),
            },
        }


@dataclass(frozen=True)
class Diff:
    a: Side
    b: Side
    steps: tuple[StepChange, ...]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def of(self, status: str) -> list[StepChange]:
        return [s for s in self.steps if s.status == status]

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a.to_json(),
            "b": self.b.to_json(),
            "textMatch": TEXT_MATCH,
            "counts": self.counts,
            "steps": [s.to_json() for s in self.steps if s.status != "unchanged"],
        }


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def similarity(a: str, b: str) -> float:
    """How alike two step texts are, 0-1: the ratio of their common word sequence."""
    return SequenceMatcher(None, words(a), words(b), autojunk=False).ratio()


# -- reading --------------------------------------------------------------------------------


def _bool(value: str | None) -> bool:
    return value in ("true", "1")


class DiffReader:
    """Plans, plan versions and their steps, read from one store."""

    def __init__(self, store: Store, queries: Path):
        self.store = store
        self.q: dict[str, CatalogQuery] = load_catalog(queries)
        self._sides: list[Side] | None = None

    def sides(self) -> list[Side]:
        """Every plan and plan version, plans first, each plan followed by its versions."""
        if self._sides is None:
            out = []
            for r in self.store.select(self.q["sides"].text):
                iri, plan = r["node"], r["plan"]
                if r["kind"] == "plan":
                    slug = tail(iri, "plan/")
                else:
                    slug = tail(iri, "plan/").replace("/version/", "/", 1)
                out.append(
                    Side(
                        iri=iri,
                        slug=slug,
                        kind=r["kind"],
                        label=r.get("label") or r.get("title") or slug,
                        status=r.get("status"),
                        plan=plan,
                        revision_of=r.get("revisionOf"),
                        spans=tuple(spans(r.get("spans"))),
                    )
                )
            out.sort(key=lambda s: (s.plan, s.kind != "plan", s.slug))
            self._sides = out
        return self._sides

    def side(self, text: str, param: str) -> Side:
        """A plan or version named by its IRI, its slug or ``plan-slug/version-key``."""
        value = text.strip().removeprefix("<").removesuffix(">")
        if not value:
            raise QueryError("give a plan or plan version (a slug or an IRI)", param=param)
        if _IRI.match(value):
            iri = value
        elif _SLUG.match(value):
            head, _, key = value.partition("/")
            key = key.removeprefix("version/")
            iri = f"{ID}plan/{head}" + (f"/version/{key}" if key else "")
        else:
            raise QueryError(
                f"{text[:60]!r} is neither a plan slug (e.g. khm-tha-2023-2025), a version "
                "(e.g. khm-tha-2023-2025/annex-3) nor an IRI",
                param=param,
            )
        for s in self.sides():
            if s.iri == iri:
                return s
        raise NotFound(f"no plan or plan version {value[:80]!r}", param=param)

    def versions_of(self, plan: str) -> list[Side]:
        """The versions of a plan (none for a plan printed once)."""
        return [s for s in self.sides() if s.kind == "version" and s.plan == plan]

    def steps(self, side: Side) -> list[StepSide]:
        bound: dict[str, BindingValue] = {"set": Iri(side.iri)}
        by_step: dict[str, list[CommitmentSide]] = {}
        for r in self.store.select(self.q["commitments"].text, bound):
            by_step.setdefault(r["step"], []).append(
                CommitmentSide(
                    agency=r["agency"],
                    agency_label=r.get("agencyLabel") or r["agency"],
                    role=tail(r.get("role", ""), "role/") or "unknown",
                    mention=r.get("mention", ""),
                    uncertain=_bool(r.get("uncertain")),
                    on_behalf_of=r.get("onBehalfOf"),
                    years=tuple(group_values(r.get("years"))),
                    spans=tuple(spans(r.get("spans"))),
                )
            )
        out = []
        for r in self.store.select(self.q["steps"].text, bound):
            kind = r.get("kind", "")
            out.append(
                StepSide(
                    iri=r["step"],
                    number=r["number"],
                    printed_number=r.get("printedNumber"),
                    text=r.get("description", ""),
                    kind=_STEP_KINDS.get(kind.rsplit("#", 1)[-1], "step"),
                    years=tuple(group_values(r.get("years"))),
                    quarters=tuple(group_values(r.get("quarters"))),
                    spans=tuple(spans(r.get("spans"))),
                    commitments=tuple(
                        sorted(by_step.get(r["step"], []), key=lambda c: (c.agency, c.role))
                    ),
                )
            )
        return out


# -- comparing ------------------------------------------------------------------------------


def _match(
    a: list[StepSide], b: list[StepSide]
) -> tuple[list[tuple[StepSide, StepSide, str, float]], list[StepSide], list[StepSide]]:
    """Pairs (by number, then by text), then the steps of A and of B left alone."""
    pairs: list[tuple[StepSide, StepSide, str, float]] = []
    b_by_number = {s.number: s for s in b}
    left_a: list[StepSide] = []
    taken: set[str] = set()
    for s in a:
        other = b_by_number.get(s.number)
        if other is not None and other.iri not in taken:
            pairs.append((s, other, "number", similarity(s.text, other.text)))
            taken.add(other.iri)
        else:
            left_a.append(s)
    left_b = [s for s in b if s.iri not in taken]
    scored = sorted(
        (
            (similarity(x.text, y.text), i, j)
            for i, x in enumerate(left_a)
            for j, y in enumerate(left_b)
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    for score, i, j in scored:
        if score < TEXT_MATCH:
            break
        if i in used_a or j in used_b:
            continue
        pairs.append((left_a[i], left_b[j], "text", score))
        used_a.add(i)
        used_b.add(j)
    alone_a = [s for i, s in enumerate(left_a) if i not in used_a]
    alone_b = [s for j, s in enumerate(left_b) if j not in used_b]
    return pairs, alone_a, alone_b


def _nearest(step: StepSide, others: list[StepSide]) -> tuple[StepSide, float] | None:
    """The step among ``others`` most alike ``step`` (the first in number order on a tie)."""
    best: tuple[StepSide, float] | None = None
    for other in others:
        score = similarity(step.text, other.text)
        if best is None or score > best[1]:
            best = (other, score)
    return best


def _by_agency(items: Iterable[CommitmentSide]) -> dict[str, list[CommitmentSide]]:
    out: dict[str, list[CommitmentSide]] = {}
    for c in items:
        out.setdefault(c.agency, []).append(c)
    return out


def compare_commitments(
    a: Iterable[CommitmentSide], b: Iterable[CommitmentSide]
) -> list[CommitmentChange]:
    """The commitments of one matched step compared agency by agency."""
    xa, xb = _by_agency(a), _by_agency(b)
    out = []
    for agency in sorted(xa.keys() | xb.keys()):
        ca, cb = tuple(xa.get(agency, [])), tuple(xb.get(agency, []))
        label = (ca or cb)[0].agency_label
        if not cb:
            out.append(CommitmentChange("removed", agency, label, ca, cb))
            continue
        if not ca:
            out.append(CommitmentChange("added", agency, label, ca, cb))
            continue
        what = []
        for name, get in (
            ("role", lambda c: c.role),
            ("years", lambda c: c.years),
            ("uncertain", lambda c: c.uncertain),
            ("on behalf of", lambda c: c.on_behalf_of or ""),
        ):
            if sorted(map(str, map(get, ca))) != sorted(map(str, map(get, cb))):
                what.append(name)
        if what:
            out.append(CommitmentChange("changed", agency, label, ca, cb, tuple(what)))
    return out


def _fields(a: StepSide, b: StepSide) -> list[FieldChange]:
    out = []
    if a.number != b.number:
        out.append(FieldChange("number", a.number, b.number))
    if " ".join(a.text.split()) != " ".join(b.text.split()):
        out.append(FieldChange("text", a.text, b.text))
    if a.years != b.years:
        out.append(FieldChange("years", ", ".join(a.years), ", ".join(b.years)))
    if a.quarters != b.quarters:
        out.append(FieldChange("quarters", ", ".join(a.quarters), ", ".join(b.quarters)))
    return out


def compare(a: Side, a_steps: list[StepSide], b: Side, b_steps: list[StepSide]) -> Diff:
    """The diff of two sides' steps (see the module's docstring for the rules)."""
    # in number order, whatever order the store answers in: ties go the same way on any store
    a_steps = sorted(a_steps, key=lambda s: (_number_key(s.number), s.iri))
    b_steps = sorted(b_steps, key=lambda s: (_number_key(s.number), s.iri))
    pairs, removed, added = _match(a_steps, b_steps)
    changes: list[StepChange] = []
    for x, y, how, score in pairs:
        fields = _fields(x, y)
        commitments = compare_commitments(x.commitments, y.commitments)
        status = "changed" if fields or commitments else "unchanged"
        changes.append(StepChange(status, x, y, how, score, tuple(fields), tuple(commitments)))
    for x in removed:
        gone = compare_commitments(x.commitments, [])
        near = _nearest(x, added)
        changes.append(StepChange("removed", x, None, commitments=tuple(gone), nearest=near))
    for y in added:
        new = compare_commitments([], y.commitments)
        near = _nearest(y, removed)
        changes.append(StepChange("added", None, y, commitments=tuple(new), nearest=near))
    order = {"removed": 0, "changed": 1, "added": 2, "unchanged": 3}
    changes.sort(key=lambda c: (order[c.status], _number_key(c.number)))
    return Diff(a, b, tuple(changes), _counts(changes))


def _number_key(number: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (1 << 30, p) for p in re.split(r"[.\-]", number))


def _counts(changes: Iterable[StepChange]) -> dict[str, dict[str, int]]:
    steps = dict.fromkeys(("added", "removed", "changed", "unchanged"), 0)
    commitments = dict.fromkeys(("added", "removed", "changed"), 0)
    for c in changes:
        steps[c.status] += 1
        for cc in c.commitments:
            # an agency's commitments to one step: each counts on its own side
            n = len(cc.b) if cc.status == "added" else len(cc.a)
            commitments[cc.status] += n if cc.status != "changed" else 1
    return {"steps": steps, "commitments": commitments}


def diff(reader: DiffReader, a: str, b: str) -> Diff:
    """The diff of two plans or plan versions named by slug or IRI (parameters ``a``, ``b``)."""
    side_a, side_b = reader.side(a, "a"), reader.side(b, "b")
    if side_a.iri == side_b.iri:
        raise QueryError(f"a and b are the same: {side_a.slug}", param="b")
    return compare(side_a, reader.steps(side_a), side_b, reader.steps(side_b))


# -- formats --------------------------------------------------------------------------------

CSV_COLUMNS = (
    "status",
    "what",
    "number_a",
    "number_b",
    "matched_by",
    "similarity",
    "agency",
    "role_a",
    "role_b",
    "changed",
    "text_a",
    "text_b",
    "spans_a",
    "spans_b",
    "nearest",
)


def _nearest_text(nearest: tuple[StepSide, float] | None) -> str:
    return "" if nearest is None else f"{nearest[0].number} ({nearest[1]:.2f})"


def _span_text(items: Iterable[Span]) -> str:
    return " ".join(str(s.label) for s in items)


def diff_rows(d: Diff) -> list[dict[str, str]]:
    """One row per changed, added or removed step and per commitment change."""
    rows = []
    for c in d.steps:
        if c.status == "unchanged":
            continue
        rows.append(
            {
                "status": c.status,
                "what": "step",
                "number_a": c.a.number if c.a else "",
                "number_b": c.b.number if c.b else "",
                "matched_by": c.matched_by or "",
                "similarity": "" if c.similarity is None else f"{c.similarity:.2f}",
                "agency": "",
                "role_a": "",
                "role_b": "",
                "changed": ", ".join(f.field for f in c.fields),
                "text_a": c.a.text if c.a else "",
                "text_b": c.b.text if c.b else "",
                "spans_a": _span_text(c.a.spans) if c.a else "",
                "spans_b": _span_text(c.b.spans) if c.b else "",
                "nearest": _nearest_text(c.nearest),
            }
        )
        for cc in c.commitments:
            rows.append(
                {
                    "status": cc.status,
                    "what": "commitment",
                    "number_a": c.a.number if c.a else "",
                    "number_b": c.b.number if c.b else "",
                    "matched_by": "",
                    "similarity": "",
                    "agency": cc.agency_label,
                    "role_a": cc.roles("a"),
                    "role_b": cc.roles("b"),
                    "changed": ", ".join(cc.what),
                    "text_a": "; ".join(x.mention for x in cc.a),
                    "text_b": "; ".join(x.mention for x in cc.b),
                    "spans_a": _span_text(s for x in cc.a for s in x.spans),
                    "spans_b": _span_text(s for x in cc.b for s in x.spans),
                    "nearest": "",
                }
            )
    return rows


def diff_csv(d: Diff) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\r\n")
    w.writeheader()
    w.writerows(diff_rows(d))
    return out.getvalue()


def _short(text: str, n: int = 100) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def summary(d: Diff) -> str:
    s, c = d.counts["steps"], d.counts["commitments"]
    return (
        f"steps: {s['added']} added, {s['removed']} removed, {s['changed']} changed, "
        f"{s['unchanged']} unchanged; commitments: {c['added']} added, {c['removed']} removed, "
        f"{c['changed']} changed"
    )


def diff_text(d: Diff) -> str:
    """The diff as plain text: a summary line, then each change with its source lines."""
    lines = [f"A: {d.a.slug} ({d.a.label})", f"B: {d.b.slug} ({d.b.label})", summary(d), ""]
    for c in d.steps:
        if c.status == "unchanged":
            continue
        if c.a is not None and c.b is not None:
            how = f"matched by {c.matched_by}, similarity {c.similarity or 0:.2f}"
            lines.append(f"~ {c.a.number} -> {c.b.number} ({how})")
            lines.append(f"    A [{_span_text(c.a.spans)}] {_short(c.a.text)}")
            lines.append(f"    B [{_span_text(c.b.spans)}] {_short(c.b.text)}")
            for f in c.fields:
                if f.field != "text":
                    lines.append(f"    {f.field}: {f.before or '-'} -> {f.after or '-'}")
        elif c.a is not None:
            lines.append(f"- {c.a.number} [{_span_text(c.a.spans)}] {_short(c.a.text)}")
        elif c.b is not None:
            lines.append(f"+ {c.b.number} [{_span_text(c.b.spans)}] {_short(c.b.text)}")
        if c.nearest is not None:
            other = "B" if c.a is not None else "A"
            lines.append(f"    most alike in {other}: {_nearest_text(c.nearest)}")
        for cc in c.commitments:
            mark = {"added": "+", "removed": "-", "changed": "~"}[cc.status]
            roles = cc.roles("b") if cc.status == "added" else cc.roles("a")
            if cc.status == "changed":
                roles = f"{cc.roles('a')} -> {cc.roles('b')} ({', '.join(cc.what)})"
            lines.append(f"    {mark} {cc.agency_label}: {roles}")
    return "\n".join(lines) + "\n"
