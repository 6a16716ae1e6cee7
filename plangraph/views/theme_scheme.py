"""The action themes (ontology/themes.ttl) as the pages show them: pillars in the order of
the "4 Ps", each with its themes, every concept with its alignments (SDG targets, OECD DAC
purpose codes)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from plangraph.views.links import curie, local_path

# The pillars of the theme scheme in the order of the "4 Ps" (the scheme lists them unordered).
PILLAR_ORDER = ("prevention", "protection", "prosecution", "partnership")
MATCH_LABELS = {
    "http://www.w3.org/2004/02/skos/core#exactMatch": "exact match",
    "http://www.w3.org/2004/02/skos/core#closeMatch": "close match",
    "http://www.w3.org/2004/02/skos/core#broadMatch": "broader match",
    "http://www.w3.org/2004/02/skos/core#narrowMatch": "narrower match",
    "http://www.w3.org/2004/02/skos/core#relatedMatch": "related match",
}
_SENTENCE = re.compile(r"^(.+?[.!?])(?=\s+[A-Z(]|$)", re.S)


def first_sentence(text: str | None) -> str | None:
    """The first sentence of ``text`` (all of it if it has one sentence)."""
    if not text:
        return text
    m = _SENTENCE.match(text.strip())
    return m.group(1) if m else text.strip()


def scheme_from_rows(
    themes: Iterable[dict[str, str]], alignments: Iterable[dict[str, str]]
) -> dict[str, Any]:
    """The action themes (ontology/themes.ttl): pillars in PILLAR_ORDER, each with its
    themes by label; every concept by IRI and by slug, with its alignments."""
    concepts: dict[str, dict[str, Any]] = {}
    for r in themes:
        iri = r["theme"]
        concepts[iri] = {
            "uri": iri,
            "url": local_path(iri),
            "id": r["slug"],
            "label": r["label"],
            "definition": r.get("definition"),
            "summary": first_sentence(r.get("definition")),
            "pillar": r.get("pillar"),
            "alignments": [],
            "themes": [],
        }
    for r in alignments:
        concept = concepts.get(r["theme"])
        if concept is None:
            continue
        target = r["target"]
        concept["alignments"].append(
            {
                "relation": curie(r["relation"]),
                "relationLabel": MATCH_LABELS.get(r["relation"], curie(r["relation"])),
                "uri": target,
                "href": local_path(target) or target,
                "label": r.get("targetLabel") or target,
                "notation": r.get("notation"),
                "scheme": "SDG target" if "/sdg/" in target else "OECD DAC purpose code",
            }
        )
    for c in concepts.values():
        c["alignments"].sort(key=lambda a: (a["scheme"] != "SDG target", a["notation"] or ""))
        if c["pillar"] in concepts:
            parent = concepts[c["pillar"]]
            c["pillar"] = {k: parent[k] for k in ("uri", "url", "id", "label")}
            parent["themes"].append(c)
        else:
            c["pillar"] = None
    pillars = [c for c in concepts.values() if c["pillar"] is None]
    pillars.sort(
        key=lambda c: (
            PILLAR_ORDER.index(c["id"]) if c["id"] in PILLAR_ORDER else 99,
            c["label"],
        )
    )
    for c in pillars:
        c["themes"].sort(key=lambda x: x["label"])
    return {
        "pillars": pillars,
        "themes": [t for c in pillars for t in c["themes"]],
        "by_iri": concepts,
        "by_slug": {c["id"]: c for c in concepts.values()},
    }


def ref(scheme: dict[str, Any], iri: str) -> dict[str, Any]:
    """A theme's id, label and page (its IRI's last segment if the scheme lacks it)."""
    c = scheme["by_iri"].get(iri)
    if c is None:
        slug = iri.rstrip("/").rsplit("/", 1)[-1]
        return {"uri": iri, "url": local_path(iri), "id": slug, "label": slug}
    return {k: c[k] for k in ("uri", "url", "id", "label")}
