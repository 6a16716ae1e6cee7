"""Namespaces and the URIs of everything in the graph (DESIGN.md, "Identifiers").

URIs are built from slugs and numbers that the sources and the registry fix, never from
file names or positions in a file, so re-running a parser or renaming a file keeps them.
"""

from __future__ import annotations

import re

from rdflib import Namespace, URIRef

BASE = "https://w3id.org/plangraph/"
PG = Namespace(BASE + "ontology#")
ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")
PGSH = Namespace(BASE + "shapes#")

ORG = Namespace("http://www.w3.org/ns/org#")
PPLAN = Namespace("http://purl.org/net/p-plan#")
OA = Namespace("http://www.w3.org/ns/oa#")
TIME = Namespace("http://www.w3.org/2006/time#")

PREFIXES = {
    "pg": PG,
    "pgid": ID,
    "org": ORG,
    "p-plan": PPLAN,
    "oa": OA,
    "time": TIME,
}

ONTOLOGY_GRAPH = GRAPH["ontology"]
REGISTRY_GRAPH = GRAPH["registry"]
# the kinds of work (plangraph.analysis.overlaps.detect), computed at build time
OVERLAPS_GRAPH = GRAPH["overlaps"]

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]*$")


def safe(segment: str) -> str:
    """A path segment, checked: parsers must give URL-safe numbers and keys."""
    if not _SAFE.match(segment):
        raise ValueError(f"not a URL-safe identifier segment: {segment!r}")
    return segment


def document_graph(document: str) -> URIRef:
    return GRAPH[safe(document)]


def party(iso3: str) -> URIRef:
    return ID[f"party/{safe(iso3.lower())}"]


def agency(key: str) -> URIRef:
    """URI of a registry key: "khm/mosvy" -> agency/khm/mosvy, "party/khm" -> party/khm."""
    head, _, slug = key.partition("/")
    if head == "party":
        return party(slug)
    return ID[f"agency/{safe(head)}/{safe(slug)}"]


def agreement(slug: str) -> URIRef:
    return ID[f"agreement/{safe(slug)}"]


def plan(slug: str) -> URIRef:
    return ID[f"plan/{safe(slug)}"]


def activity(plan_slug: str, number: str) -> URIRef:
    return ID[f"plan/{safe(plan_slug)}/activity/{safe(number)}"]


def version(plan_slug: str, key: str) -> URIRef:
    """A version of a plan that its document prints (e.g. ``annex-3``)."""
    return ID[f"plan/{safe(plan_slug)}/version/{safe(key)}"]


def section(plan_slug: str, key: str) -> URIRef:
    return ID[f"plan/{safe(plan_slug)}/section/{safe(key)}"]


def source(document: str) -> URIRef:
    return ID[f"source/{safe(document)}"]


def span(document: str, start: int, end: int) -> URIRef:
    return ID[f"source/{safe(document)}/lines/{start}-{end}"]


def sheet_row(document: str, sheet: str, row: int) -> URIRef:
    """A row of a workbook's sheet (a workbook plan's provenance)."""
    return ID[f"source/{safe(document)}/{safe(sheet)}/rows/{row}"]


def child(parent: URIRef, kind: str, key: str | int) -> URIRef:
    """A node that exists only as part of another: parent/kind/key."""
    return URIRef(f"{parent}/{safe(kind)}/{safe(str(key))}")


def role(name: str) -> URIRef:
    return ID[f"role/{safe(name)}"]


def agency_kind(name: str) -> URIRef:
    return ID[f"agency-kind/{safe(name)}"]


def instrument(key: str) -> URIRef:
    return ID[f"instrument/{safe(key)}"]


def meeting(key: str) -> URIRef:
    return ID[f"meeting/{safe(key)}"]


def curation(entry_id: str) -> URIRef:
    return ID[f"curation/{safe(entry_id)}"]


def slug_of(text: str) -> str:
    """A URL-safe slug for free text (used only for keys the sources do not number)."""
    s = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return s or "x"


def theme(slug: str) -> URIRef:
    """A concept of the action-theme scheme (ontology/themes.ttl)."""
    return ID[f"theme/{safe(slug)}"]


def overlap(key: str) -> URIRef:
    return ID[f"overlap/{safe(key)}"]


def kind_scheme() -> URIRef:
    """The SKOS concept scheme of the kinds of work (pg:KindOfWork)."""
    return ID["kind-of-work"]
