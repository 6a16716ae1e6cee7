"""The build: sources -> records -> RDF -> SHACL validation -> data/graph/.

Nothing is written unless every stage succeeds: a parse error, an unresolved agency or a
single sh:Violation stops the build and the previous dataset stays as it was. Output is
deterministic (no blank nodes, sorted N-Quads, no timestamps), so a rebuild reproduces the
committed dataset byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, XSD, Dataset, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import DCTERMS, PROV, SKOS
from rdflib.term import IdentifiedNode, Node

from plangraph import ids
from plangraph.analysis.overlaps.detect import Detection, detect
from plangraph.analysis.overlaps.lexicon import LEXICON_NAME, load_lexicon
from plangraph.analysis.themes import Tagging, load_scheme, tag_plans
from plangraph.analysis.themes import load_curations as load_theme_curations
from plangraph.errors import ValidationFailed
from plangraph.graph.mapping import to_dataset
from plangraph.paths import ProjectPaths
from plangraph.shacl.report import Report
from plangraph.shacl.terms import to_ox
from plangraph.shacl.validate import validate_dataset
from plangraph.sources.catalog import Catalog, Document, load_source_catalog
from plangraph.sources.curation import Curations, load_curations
from plangraph.sources.model import Plan
from plangraph.sources.parsers import parse_document
from plangraph.sources.registry import Registry, load_registry, resolve_plan
from plangraph.sources.workbook.reader import WORKBOOK_SUFFIXES

TRIG_PREFIXES = {  # data IRIs are written in full: their paths do not fit prefixed names
    **{p: ns for p, ns in ids.PREFIXES.items() if p != "pgid"},
    "dcterms": DCTERMS,
    "prov": PROV,
    "skos": SKOS,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "owl": OWL,
}
NQUADS = "plangraph.nq"
TRIG = "plangraph.trig"
MANIFEST = "build.json"


@dataclass
class BuildResult:
    dataset: Dataset
    plans: list[tuple[Document, Plan]]
    report: Report
    files: dict[str, bytes]
    manifest: dict


def input_files(paths: ProjectPaths) -> list[Path]:
    """Every file a build reads (their hash decides whether a dataset is stale)."""
    files = [paths.catalog, paths.agencies]
    files += sorted(paths.sources.glob("*.txt"))
    for suffix in WORKBOOK_SUFFIXES:  # plans added with plangraph import
        files += sorted(paths.sources.glob(f"*{suffix}"))
    files += sorted(paths.curation.glob("*.yaml"))
    files += sorted(paths.overlaps.glob("*.yaml"))
    files += sorted(paths.ontology.glob("*.ttl"))
    files += sorted(paths.shapes.glob("*.ttl"))
    return files


def inputs_digest(paths: ProjectPaths) -> str:
    h = hashlib.sha256()
    for f in input_files(paths):
        h.update(f.relative_to(paths.root).as_posix().encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def parse_all(
    catalog: Catalog, registry: Registry, curations: Curations
) -> list[tuple[Document, Plan]]:
    """Parse every catalogued document and resolve its agency mentions."""
    plans = []
    for document in catalog.documents:
        plan = parse_document(document, curations)
        resolve_plan(plan, registry, document.path)
        plans.append((document, plan))
    return plans


def _to_oxigraph(quad: tuple[Node, Node, Node, IdentifiedNode | None]) -> ox.Quad:
    """One quad of ``Dataset.quads``: its graph is the graph's name, None for the default."""
    s, p, o, g = quad
    if not isinstance(s, IdentifiedNode) or not isinstance(p, URIRef):
        raise TypeError(f"unexpected RDF quad {quad!r}")
    name = ox.DefaultGraph() if g is None or g == DATASET_DEFAULT_GRAPH_ID else to_ox(g)
    return ox.Quad(to_ox(s), to_ox(p), to_ox(o), name)


def _canonical(ds: Dataset) -> ox.Dataset:
    """The dataset with blank nodes (the ontology's OWL lists) named by RDFC-1.0."""
    canonical = ox.Dataset(_to_oxigraph(q) for q in ds.quads((None, None, None, None)))
    canonical.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return canonical


def _sorted_quads(canonical: ox.Dataset) -> list[ox.Quad]:
    def key(q: ox.Quad) -> tuple[str, str, str, str]:
        return (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object))

    return sorted(canonical, key=key)


def serialize_nquads(ds: Dataset) -> bytes:
    """Canonical, sorted N-Quads: the same dataset always gives the same bytes."""
    data = ox.serialize(_sorted_quads(_canonical(ds)), format=ox.RdfFormat.N_QUADS)
    assert data is not None  # without an output file serialize returns the bytes
    text = data.decode("utf-8")
    lines = sorted({line for line in text.splitlines() if line.strip()})
    return ("\n".join(lines) + "\n").encode("utf-8")


def serialize_trig(ds: Dataset) -> bytes:
    """Readable TriG with the project's prefixes, quads in canonical sorted order."""
    prefixes = {p: str(ns) for p, ns in sorted(TRIG_PREFIXES.items())}
    data = ox.serialize(_sorted_quads(_canonical(ds)), format=ox.RdfFormat.TRIG, prefixes=prefixes)
    assert data is not None  # without an output file serialize returns the bytes
    return data


def tag(paths: ProjectPaths, plans: list[tuple[Document, Plan]]) -> tuple[Tagging, dict]:
    """The action themes of every step, and the themes' labels by slug."""
    scheme = load_scheme(paths.ontology / "themes.ttl")
    curations = load_theme_curations(paths.curation / "themes.yaml")
    tagging = tag_plans([p for _, p in plans], scheme, curations)
    return tagging, {k: t.label for k, t in scheme.items()}


def analyse(
    paths: ProjectPaths, plans: list[tuple[Document, Plan]], registry: Registry
) -> tuple[Tagging, Detection]:
    """The action themes of every step and the kinds of work several plans promise."""
    tagging, labels = tag(paths, plans)
    lexicon = load_lexicon(paths.overlaps / LEXICON_NAME)
    return tagging, detect(plans, tagging, registry, lexicon, theme_labels=labels)


def build(paths: ProjectPaths) -> BuildResult:
    """Run the whole pipeline in memory; raise on any error, write nothing."""
    catalog = load_source_catalog(paths.catalog)
    registry = load_registry(paths.agencies)
    curations = load_curations(paths.curation)
    plans = parse_all(catalog, registry, curations)
    tagging, overlaps = analyse(paths, plans, registry)
    ds = to_dataset(plans, registry, catalog, curations, paths.ontology, tagging, overlaps)
    report = validate_dataset(ds, paths.shapes, engine="sparql")
    if not report.conforms:
        raise ValidationFailed(
            "the dataset does not conform to the shapes; nothing was written\n" + report.text()
        )
    nquads = serialize_nquads(ds)
    files = {NQUADS: nquads, TRIG: serialize_trig(ds)}
    graphs: dict[str, int] = {}
    for line in nquads.decode("utf-8").splitlines():
        graph = line.rsplit(" ", 2)[-2].strip("<>")
        graphs[graph] = graphs.get(graph, 0) + 1
    manifest = {
        "build_id": hashlib.sha256(nquads).hexdigest()[:16],
        "inputs_sha256": inputs_digest(paths),
        "triples": sum(graphs.values()),
        "graphs": dict(sorted(graphs.items())),
        "plans": {
            d.plan.slug: sum(1 for a in p.activities if a.kind == "activity") for d, p in plans
        },
        "warnings": len(report.warnings),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    files[MANIFEST] = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode("utf-8")
    return BuildResult(dataset=ds, plans=plans, report=report, files=files, manifest=manifest)


def check_collapse(result: BuildResult, folder: Path, ratio: float) -> None:
    """Refuse to replace a dataset whose triple count would fall below ``ratio`` of the
    current one (a parser that silently lost a table): raise, write nothing."""
    manifest = folder / MANIFEST
    try:
        current = int(json.loads(manifest.read_text(encoding="utf-8")).get("triples", 0))
    except (OSError, ValueError):
        return
    new = int(result.manifest["triples"])
    if current and new < ratio * current:
        raise ValidationFailed(
            f"the new dataset has {new} triples, the current one {current}: below "
            f"{ratio:.0%} of it, so nothing was written (use --force to replace it anyway)",
            file=manifest,
        )


def write(result: BuildResult, folder: Path) -> None:
    """Write the built files; each replaces the old one atomically, the manifest last."""
    folder.mkdir(parents=True, exist_ok=True)
    temps: list[tuple[str, str]] = []
    try:
        for name in sorted(result.files, key=lambda n: n == MANIFEST):
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
            with os.fdopen(fd, "wb") as fh:
                fh.write(result.files[name])
            os.chmod(tmp, 0o644)
            temps.append((tmp, name))
        for tmp, name in temps:
            os.replace(tmp, folder / name)
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)


def is_stale(paths: ProjectPaths) -> bool:
    manifest = paths.graph / MANIFEST
    if not manifest.exists() or not (paths.graph / NQUADS).exists():
        return True
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8")).get("inputs_sha256")
    except (OSError, ValueError):
        return True
    return recorded != inputs_digest(paths)
