"""What changed between two builds of the dataset, as a Markdown release note.

Each build is a ``data/graph`` folder: the built dataset with its manifest, or only its
``plangraph.nq`` (as ``git show REV:data/graph/plangraph.nq`` gives it). Every plan of either
build is compared with itself in the other (:func:`plangraph.views.diff.compare`), read
through SPARQL from one store per build; plans and plan versions only in one build are listed
as added or removed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from plangraph.errors import DatasetError
from plangraph.store.embedded import EmbeddedStore
from plangraph.views.diff import Diff, DiffReader, Side, StepChange, compare, summary

NQUADS = "plangraph.nq"
MANIFEST = "build.json"


@dataclass(frozen=True)
class BuildDiff:
    old_build: str
    new_build: str
    old_triples: int
    new_triples: int
    plans: tuple[Diff, ...]  # plans in both builds, compared
    added: tuple[Side, ...]  # plans and versions only in the new build
    removed: tuple[Side, ...]  # only in the old build


def open_build(folder: Path, param: str) -> EmbeddedStore:
    """A build folder's dataset: with its manifest checked, or its N-Quads file alone."""
    if not folder.is_dir():
        raise DatasetError(f"not a folder: {folder}", param=param)
    if (folder / MANIFEST).exists():
        return EmbeddedStore.from_folder(folder)
    nq = folder / NQUADS
    if not nq.exists():
        raise DatasetError(f"no {NQUADS} in {folder}", param=param)
    data = nq.read_bytes()
    return EmbeddedStore.from_rdf(data, "nquads", build_id=hashlib.sha256(data).hexdigest()[:16])


def compare_builds(old: Path, new: Path, queries: Path) -> BuildDiff:
    """Every plan of two builds compared (``queries`` is the ``queries/diff`` folder)."""
    old_store, new_store = open_build(old, "OLD"), open_build(new, "NEW")
    ro, rn = DiffReader(old_store, queries), DiffReader(new_store, queries)
    old_sides = {s.iri: s for s in ro.sides()}
    new_sides = {s.iri: s for s in rn.sides()}
    plans = []
    for iri, side in new_sides.items():
        if side.kind == "plan" and iri in old_sides:
            before = old_sides[iri]
            plans.append(compare(before, ro.steps(before), side, rn.steps(side)))
    return BuildDiff(
        old_build=old_store.build_id,
        new_build=new_store.build_id,
        old_triples=old_store.triples,
        new_triples=new_store.triples,
        plans=tuple(plans),
        added=tuple(s for i, s in new_sides.items() if i not in old_sides),
        removed=tuple(s for i, s in old_sides.items() if i not in new_sides),
    )


def _step_line(c: StepChange) -> str:
    if c.a is not None and c.b is not None:
        what = [f.field for f in c.fields if f.field != "number"]
        if c.commitments:
            n = len(c.commitments)
            what.append(f"{n} agenc{'y' if n == 1 else 'ies'}")
        number = c.a.number if c.a.number == c.b.number else f"{c.a.number} → {c.b.number}"
        return f"- changed {number}: {', '.join(what)}"
    side = c.b or c.a
    assert side is not None
    text = side.text if len(side.text) <= 90 else side.text[:89] + "…"
    return f"- {c.status} {side.number}: {text}"


def release_note(d: BuildDiff) -> str:
    """The build diff as Markdown."""
    out = [
        f"# What changed: build {d.old_build} → {d.new_build}",
        "",
        f"Triples: {d.old_triples} → {d.new_triples} ({d.new_triples - d.old_triples:+d}).",
        "",
    ]
    if d.added or d.removed:
        out += ["## Plans and versions", ""]
        out += [f"- added {s.kind} `{s.slug}`: {s.label}" for s in d.added]
        out += [f"- removed {s.kind} `{s.slug}`: {s.label}" for s in d.removed]
        out.append("")
    out += ["## Plans", ""]
    for p in d.plans:
        changed = [c for c in p.steps if c.status != "unchanged"]
        out.append(f"### {p.b.label} (`{p.b.slug}`)")
        out.append("")
        out.append(summary(p) + ".")
        out.append("")
        out += [_step_line(c) for c in changed]
        if changed:
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
