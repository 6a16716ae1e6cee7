"""The cell-level report: every problem at its cell, with a code, as text and as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field

from plangraph.errors import WorkbookError

# every code the validator and the reader give (docs/workbook.md lists them; a test per code)
CODES = {
    "unreadable": "the file is not a workbook plangraph can read",
    "too-large": "the file or its unpacked content is over the size limit",
    "missing-sheet": "a sheet the schema requires is absent",
    "missing-column": "a column the schema requires is absent from the header row",
    "unknown-column": "a header the schema does not know",
    "required": "a required cell is empty",
    "bad-type": "a cell is not of its column's type (a year, a number, yes/no)",
    "bad-format": "a cell does not match its column's pattern",
    "not-in-list": "a value is not one of its column's allowed values",
    "duplicate": "a key is given twice",
    "unknown-reference": "a cell names a row of another sheet that does not exist",
    "revision-cycle": "a version revises itself, directly or through other versions",
    "empty-version": "a version that no step names in its versions column",
    "bad-period": "the plan's period ends before it starts",
    "year-outside-period": "a year is outside the plan's period",
    "unknown-agency": "an agency is neither in the registry nor on the New agencies sheet",
    "ambiguous-agency": "an agency name matches several bodies of the registry",
    "agency-exists": "a new agency is already in the registry",
    "slug-exists": "a plan with this slug is already in data/ (use --replace)",
}


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


@dataclass(frozen=True)
class Problem:
    sheet: str
    cell: str  # "C14", or "" for the whole sheet
    code: str
    message: str
    suggestions: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.cell else self.sheet

    def __str__(self) -> str:
        text = f"{self.where} {self.code}: {self.message}"
        if self.suggestions:
            text += f" (did you mean {' or '.join(self.suggestions)}?)"
        return text

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "sheet": self.sheet,
            "cell": self.cell,
            "code": self.code,
            "message": self.message,
        }
        if self.suggestions:
            out["suggestions"] = list(self.suggestions)
        return out


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)

    def add(
        self, sheet: str, cell: str, code: str, message: str, suggestions: tuple[str, ...] = ()
    ) -> None:
        assert code in CODES, code
        self.problems.append(Problem(sheet, cell, code, message, suggestions))

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def to_json(self) -> dict[str, object]:
        return {"valid": self.ok, "problems": [p.to_json() for p in self.problems]}


def invalid(report: Report, file: str | None = None) -> WorkbookError:
    """The error for a workbook with problems: its message is the first problem (one line,
    naming the cell), its JSON every problem."""
    first = report.problems[0]
    more = len(report.problems) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return WorkbookError(
        f"{first}{tail}", problems=[p.to_json() for p in report.problems], file=file
    )
