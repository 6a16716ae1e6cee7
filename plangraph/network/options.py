"""What a network request accepts, for a page's controls: projections, formats, and the
plans, agreements, parties, themes, roles, kinds and years in the graph."""

from __future__ import annotations

from typing import Any

from plangraph.network.exports import FORMATS
from plangraph.network.projections import PROJECTIONS
from plangraph.network.records import ALL_ROLES, DEFAULT_ROLES, GENERIC_KINDS, NetworkData


def options(data: NetworkData) -> dict[str, Any]:
    """What the filters accept (for a page's controls): plans, agreements, parties, themes,
    roles, kinds and the range of years."""
    years = sorted({y for k in data.links for y in k.years})
    return {
        "projections": list(PROJECTIONS),
        "formats": list(FORMATS),
        "plans": [
            {
                "id": p.iri.rsplit("/", 1)[-1],
                "iri": p.iri,
                "label": p.title,
                "agreement": p.agreement,
                "start": p.start,
                "end": p.end,
            }
            for p in sorted(data.plans.values(), key=lambda p: (p.start or 0, p.iri))
        ],
        "agreements": [
            {"id": iri.rsplit("/", 1)[-1], "iri": iri, "label": label}
            for iri, label in sorted(data.agreements.items())
        ],
        "parties": [
            {"id": a.iri.rsplit("/", 1)[-1], "iri": a.iri, "label": a.label}
            for a in sorted(data.parties.values(), key=lambda a: a.iri)
        ],
        "themes": [
            {"id": iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1], "iri": iri, "label": label}
            for iri, label in sorted(data.themes.items())
        ],
        "roles": list(ALL_ROLES),
        "default_roles": list(DEFAULT_ROLES),
        "kinds": sorted({a.kind for a in data.agents.values()}),
        "generic_kinds": list(GENERIC_KINDS),
        "years": {"min": years[0] if years else None, "max": years[-1] if years else None},
    }
