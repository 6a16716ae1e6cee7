"""What a SHACL validation returns: a :class:`Report` of :class:`Result` rows, whichever engine
made it. Non-conformance is a result, not an exception.

The project rule: only sh:Violation results make a dataset non-conforming; sh:Warning and
sh:Info results are facts about the plans (e.g. an activity for which the source names no
agency) and are reported, not refused.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rdflib import Namespace

SH = Namespace("http://www.w3.org/ns/shacl#")
SEVERITY_NAMES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}


@dataclass(frozen=True, order=True)
class Result:
    severity: str  # "Violation", "Warning", "Info"
    shape: str  # the source shape's IRI (or its parent node shape for a property shape)
    focus: str
    path: str | None
    constraint: str  # the constraint component, e.g. "MinCountConstraintComponent"
    message: str
    value: str | None = None


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)
    triples: int = 0

    @property
    def violations(self) -> list[Result]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[Result]:
        return [r for r in self.results if r.severity == "Warning"]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def counts_by_shape(self, severity: str) -> Counter[str]:
        return Counter(r.shape for r in self.results if r.severity == severity)

    def text(self, limit: int = 50) -> str:
        """A readable report: totals, counts per shape, then the first results in full."""
        lines = [
            f"{'conforms' if self.conforms else 'DOES NOT CONFORM'}: "
            f"{len(self.violations)} violation(s), {len(self.warnings)} warning(s) "
            f"in {self.triples} triples"
        ]
        for severity in ("Violation", "Warning", "Info"):
            counts = self.counts_by_shape(severity)
            for shape, n in sorted(counts.items()):
                lines.append(f"  {severity:9} {n:5}  {_short(shape)}")
        shown = sorted(self.results)[:limit]
        for r in shown:
            where = f" {_short(r.path)}" if r.path else ""
            value = f" value={r.value}" if r.value else ""
            lines.append(f"- {r.severity}: {_short(r.focus)}{where}{value}: {r.message}")
        if len(self.results) > limit:
            lines.append(f"... and {len(self.results) - limit} more")
        return "\n".join(lines)


def _short(iri: str | None) -> str:
    if iri is None:
        return ""
    for prefix, base in (
        ("pg:", "https://w3id.org/plangraph/ontology#"),
        ("pgsh:", "https://w3id.org/plangraph/shapes#"),
        ("", "https://w3id.org/plangraph/id/"),
        ("sh:", str(SH)),
    ):
        if iri.startswith(base):
            return prefix + iri[len(base) :]
    return iri
