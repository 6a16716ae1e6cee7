"""Reading the kinds of work back through SPARQL, for the API, the pages and the CLI.

The detector (:mod:`plangraph.analysis.overlaps.detect`) runs at build time on the records and
writes the
named graph ``graph/overlaps``; this module reads it from any store holding the dataset
(``queries/overlaps/*.rq``), so it needs neither the detector nor rdflib.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from plangraph.errors import NotFound, QueryError
from plangraph.store.query_catalog import load_catalog
from plangraph.views.links import local_path
from plangraph.views.source_spans import spans

STEP_KINDS = {
    "Activity": "activity",
    "SubActivity": "sub-activity",
    "WorkItem": "work item",
    "QuarterlyActivity": "quarterly activity",
}
CONFIDENCES = ("strong", "possible")


_SLUG = re.compile(r"^[a-z0-9][a-z0-9\-]*$")


def _variables(sparql: str) -> list[str]:
    """Variables named before WHERE (projected ones, and some inside aggregates: harmless)."""
    return sorted(set(re.findall(r"\?(\w+)", sparql.split("WHERE", 1)[0])))


def _split_values(value: str | None) -> list[str]:
    return sorted(v for v in (value or "").split("|") if v)


def _bound(row: Mapping[str, str | None], name: str) -> str:
    """A variable the query always binds (outside any OPTIONAL), so never None."""
    v = row[name]
    assert v is not None, f"?{name} is unbound"
    return v


def _value(row: Mapping[str, Any], name: str) -> str | None:
    v = row.get(name)
    return None if v is None else str(v)


class OverlapReader:
    """The overlap groups and the theme coverage of a store, read once through SPARQL."""

    def __init__(self, store: Any, queries_folder: Path) -> None:
        self.queries = load_catalog(queries_folder)
        # everything is read here, once; the reader keeps no reference to the store, so a
        # cache of readers keyed weakly by store lets an old build's store go
        self.store: Any = store
        try:
            self.themes = self._themes()
            self._coverage_rows = self._select("coverage")
            self.plans = self._plans()
            self.groups = self._groups()
            self._party_labels = {
                str(r["party"]).rsplit("/", 1)[-1]: str(r["label"])
                for r in self._select("parties")
                if r["party"] and r["label"]
            }
        finally:
            self.store = None

    def _select(self, name: str, bindings: dict | None = None) -> list[dict[str, str | None]]:
        q = self.queries[name]
        names = _variables(q.text)
        rows = self.store.select(q.text, bindings=bindings or None)
        return [{n: r.get(n) for n in names} | dict(r) for r in rows]

    def _groups(self) -> list[dict[str, Any]]:
        groups: dict[str, dict[str, Any]] = {}
        for r in self._select("kinds"):
            overlap = _bound(r, "overlap")
            groups[overlap] = {
                "overlap": overlap,
                "id": overlap.rsplit("/", 1)[-1],
                "label": r["label"] or "",
                "definition": r["definition"] or "",
                "score": float(_bound(r, "score")),
                "confidence": r["confidence"],
                "reason": r["reason"],
                "themes": _split_values(r["broader"]) or _split_values(r["themes"]),
                "shared_themes": _split_values(r["themes"]),
                "words": _split_values(r["words"]),
                "agencies": _split_values(r["agencies"]),
                "agency_labels": _split_values(r["sharedAgencyLabels"]),
                "years": [int(y) for y in _split_values(r["years"])],
                "members": [],
            }
        for r in self._select("overlap-members"):
            g = groups.get(_bound(r, "overlap"))
            if g is None:
                continue
            step_kind = (r["stepKind"] or "").rsplit("#", 1)[-1]
            plan = _bound(r, "plan")
            g["members"].append(
                {
                    "activity": r["activity"],
                    "plan": plan,
                    "plan_slug": plan.rsplit("/", 1)[-1],
                    "plan_label": r["planLabel"],
                    "number": r["number"],
                    "text": r["text"],
                    "step_kind": STEP_KINDS.get(step_kind, step_kind),
                    "score": float(_bound(r, "memberScore")),
                    "confidence": r["memberConfidence"],
                    "evidence": r["evidence"],
                    "shared_words": _split_values(r["memberWords"]),
                    "equivalent_words": _split_values(r["equivalentWords"]),
                    "parties": _split_values(r["parties"]),
                    "agencies": _split_values(r["memberAgencies"]),
                    "agency_labels": _split_values(r["agencyLabels"]),
                    "themes": _split_values(r["memberThemes"]),
                    "years": [int(y) for y in _split_values(r["memberYears"])]
                    or list(range(int(_bound(r, "start")), int(_bound(r, "end")) + 1)),
                    "spans": _split_values(r["spans"]),
                    "sources": [sp.to_json() for sp in spans(_split_values(r["spans"]))],
                    "href": local_path(r["activity"]),
                }
            )
        out = list(groups.values())
        every_plan = {p["slug"] for p in self.plans}
        for g in out:
            g["members"].sort(key=lambda m: (m["plan_slug"], m["number"]))
            g["plans"] = sorted({m["plan_slug"] for m in g["members"]})
            g["gaps"] = sorted(set(every_plan) - set(g["plans"]))
            g["parties"] = sorted({p for m in g["members"] for p in m["parties"]})
            g["member_years"] = sorted({y for m in g["members"] for y in m["years"]})
        out.sort(key=lambda g: (-len(g["plans"]), -len(g["members"]), -g["score"], g["id"]))
        return out

    def party_labels(self) -> dict[str, str]:
        """ISO 3166 code -> the party's name ("khm" -> "Cambodia")."""
        return dict(self._party_labels)

    def _themes(self) -> list[dict[str, str | None]]:
        return self._select("themes")

    def _plans(self) -> list[dict[str, str]]:
        rows = self._coverage_rows
        seen: dict[str, str] = {}
        for r in rows:
            seen.setdefault(_bound(r, "plan"), _bound(r, "planLabel"))
        return [{"plan": p, "slug": p.rsplit("/", 1)[-1], "label": seen[p]} for p in sorted(seen)]

    def filter(
        self,
        theme: str | None = None,
        party: str | None = None,
        plan: str | None = None,
        year: int | None = None,
        min_score: float | None = None,
        confidence: str | None = None,
    ) -> list[dict[str, Any]]:
        """Kinds matching every given filter; unknown identifiers raise NotFound."""
        if theme is not None and theme not in {t["slug"] for t in self.themes}:
            raise NotFound(f"unknown theme {theme!r}", param="theme")
        if plan is not None and plan not in {p["slug"] for p in self.plans}:
            raise NotFound(f"unknown plan {plan!r}", param="plan")
        if party is not None:
            if not _SLUG.match(party):
                raise QueryError(f"{party!r} is not a party code", param="party")
            party = party.lower()
        if min_score is not None and not 0 <= min_score <= 1:
            raise QueryError("min_score must be between 0 and 1", param="min_score")
        if confidence is not None and confidence not in CONFIDENCES:
            raise QueryError(
                f"confidence must be 'strong' or 'possible', not {confidence!r}",
                param="confidence",
            )
        out = []
        for g in self.groups:
            themes = set(g["themes"]) | set(g["shared_themes"])
            if theme is not None and not any(t.endswith("/" + theme) for t in themes):
                continue
            if plan is not None and plan not in g["plans"]:
                continue
            if party is not None and not any(p.endswith("/" + party) for p in g["parties"]):
                continue
            if year is not None and year not in g["member_years"]:
                continue
            if min_score is not None and g["score"] < min_score:
                continue
            if confidence is not None and g["confidence"] != confidence:
                continue
            out.append(g)
        return out

    def coverage(self) -> dict[str, Any]:
        """Themes x plans: how many steps of each plan carry each theme (0 = a gap)."""
        counts: dict[tuple[str, str], int] = {}
        for r in self._coverage_rows:
            theme = r["theme"]
            if theme:
                counts[(theme, _bound(r, "plan"))] = int(r["steps"] or 0)
        plans = self.plans
        rows = []
        for t in self.themes:
            theme = _bound(t, "theme")
            cells = [counts.get((theme, p["plan"]), 0) for p in plans]
            rows.append(
                {
                    "theme": t["theme"],
                    "slug": t["slug"],
                    "label": t["label"],
                    "pillar": t["pillar"],
                    "counts": dict(zip([p["slug"] for p in plans], cells, strict=True)),
                    "gaps": [p["slug"] for p, c in zip(plans, cells, strict=True) if c == 0],
                }
            )
        return {"plans": plans, "themes": rows}


CSV_COLUMNS = (
    "overlap",
    "score",
    "plan",
    "number",
    "activity",
    "text",
    "kind_label",
    "kind_definition",
    "kind_themes",
    "kind_confidence",
    "plans",
    "gaps",
    "step_kind",
    "member_score",
    "member_confidence",
    "evidence",
    "parties",
    "agencies",
    "years",
    "sources",
    "shared_words",
    "reason",
)


def side_by_side(
    group: Mapping[str, Any], plans: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """A kind of work plan by plan, every plan of the graph in its order: the plan's steps in
    the kind with their agencies and years, or ``gap`` True where the plan promises none."""
    out = []
    for p in plans:
        members = [m for m in group["members"] if m["plan_slug"] == p["slug"]]
        out.append(
            {
                "slug": p["slug"],
                "label": p["label"],
                "gap": not members,
                "members": members,
                "agencies": sorted({a for m in members for a in m["agency_labels"]}),
                "years": sorted({y for m in members for y in m["years"]}),
            }
        )
    return out


def _member_rows(groups: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    rows = []
    for g in groups:
        for m in g["members"]:
            rows.append(
                [
                    g["overlap"],
                    f"{g['score']:.4f}",
                    m["plan_slug"],
                    m["number"],
                    m["activity"],
                    m["text"],
                    g["label"],
                    g["definition"],
                    " ".join(t.rsplit("/", 1)[-1] for t in g["themes"]),
                    g["confidence"],
                    " ".join(g["plans"]),
                    " ".join(g["gaps"]),
                    m["step_kind"],
                    f"{m['score']:.4f}",
                    m["confidence"],
                    m["evidence"],
                    " ".join(p.rsplit("/", 1)[-1] for p in m["parties"]),
                    "; ".join(m["agency_labels"]),
                    " ".join(map(str, m["years"])),
                    " ".join(
                        f"{s['document']}:{s['startLine']}-{s['endLine']}" for s in m["sources"]
                    ),
                    "; ".join(g["words"]),
                    g["reason"],
                ]
            )
    return rows


def overlaps_csv(groups: Sequence[Mapping[str, Any]]) -> str:
    """One row per member step of each kind of work (CSV)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    w.writerows(_member_rows(groups))
    return buf.getvalue()


KIND_COLUMNS = (
    "overlap",
    "label",
    "confidence",
    "score",
    "themes",
    "plans",
    "gaps",
    "steps",
    "definition",
    "reason",
)


def overlaps_xlsx(groups: Sequence[Mapping[str, Any]], plans: Sequence[Mapping[str, Any]]) -> bytes:
    """A workbook for a spreadsheet user: sheet "Kinds of work" (one row per kind, with the
    plans that promise it and the gaps), sheet "Side by side" (a column per plan: its steps
    in each kind, or "gap"), sheet "Steps" (the CSV's rows: one per member step). Written with
    openpyxl; the same rows as the CSV, so the two never disagree."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook()
    kinds = wb.active
    assert isinstance(kinds, Worksheet)  # a new workbook's one sheet is a worksheet
    kinds.title = "Kinds of work"
    kinds.append(list(KIND_COLUMNS))
    for g in groups:
        kinds.append(
            [
                g["overlap"],
                g["label"],
                g["confidence"],
                round(g["score"], 4),
                "; ".join(t.rsplit("/", 1)[-1] for t in g["themes"]),
                "; ".join(g["plans"]),
                "; ".join(g["gaps"]),
                len(g["members"]),
                g["definition"],
                g["reason"],
            ]
        )
    grid = wb.create_sheet("Side by side")
    grid.append(["kind of work", "confidence", *[p["label"] for p in plans]])
    gap_fill = PatternFill("solid", fgColor="FDE2E1")
    for g in groups:
        cells = []
        for col in side_by_side(g, plans):
            if col["gap"]:
                cells.append("gap: no step")
            else:
                steps = "\n".join(f"{m['number']} {m['text']}" for m in col["members"])
                who = "; ".join(col["agencies"]) or "no agency named"
                years = ", ".join(map(str, col["years"]))
                cells.append(f"{steps}\nAgencies: {who}\nYears: {years}")
        grid.append([g["label"], g["confidence"], *cells])
        for i, col in enumerate(side_by_side(g, plans), start=3):
            cell = grid.cell(row=grid.max_row, column=i)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if col["gap"]:
                cell.fill = gap_fill
    steps = wb.create_sheet("Steps")
    steps.append(list(CSV_COLUMNS))
    for row in _member_rows(groups):
        steps.append(row)
    for sheet, widths in ((kinds, 18), (grid, 40), (steps, 18)):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for i in range(1, sheet.max_column + 1):
            sheet.column_dimensions[get_column_letter(i)].width = widths
    buf = io.BytesIO()
    wb.save(buf)
    return _stable_zip(buf.getvalue())


def _stable_zip(data: bytes) -> bytes:
    """The workbook with fixed file times (openpyxl stamps now into the zip entries and the
    document properties), so the same groups give the same bytes and the same ETag."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"<dcterms:(created|modified)([^>]*)>[^<]*</dcterms:\1>",
                    rb"<dcterms:\1\2>2000-01-01T00:00:00Z</dcterms:\1>",
                    body,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, body)
    return out.getvalue()
