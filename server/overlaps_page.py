"""/overlaps: the overlap report for donors (groups by theme, side by side; coverage matrix).

Rendering only: the data comes from :class:`plangraph.overlaps_read.OverlapReader` (SPARQL).
Filters are a GET form (works without script); server/static/overlaps/overlaps.js only
submits the form when a filter changes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from plangraph.errors import QueryError
from plangraph.settings import Settings
from plangraph.store import Store

from .overlaps_api import reader
from .pages import render


def _int(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise QueryError(f"{value!r} is not a number", param=name) from None


def _float(value: str | None, name: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        raise QueryError(f"{value!r} is not a number", param=name) from None


def router(settings: Settings, store: Store) -> APIRouter:
    r = APIRouter()

    @r.get("/overlaps", response_class=HTMLResponse)
    def overlaps_page(
        request: Request,
        theme: str | None = None,
        party: str | None = None,
        plan: str | None = None,
        year: str | None = None,
        min_score: str | None = None,
        confidence: str | None = None,
    ) -> HTMLResponse:
        rd = reader(settings, store)
        chosen = {
            "theme": theme or None,
            "party": party or None,
            "plan": plan or None,
            "year": _int(year, "year"),
            "min_score": _float(min_score, "min_score"),
            "confidence": confidence or None,
        }
        groups = rd.filter(**chosen)
        order = [t["theme"] for t in rd.themes]
        labels = {t["theme"]: t["label"] for t in rd.themes}
        by_theme: dict[str, list[dict[str, Any]]] = {}
        for g in groups:

            def rank(t: str) -> int:
                return order.index(t) if t in order else 999

            own = sorted(g["themes"], key=rank)
            if chosen["theme"]:
                every = sorted(set(g["themes"]) | set(g["shared_themes"]), key=rank)
                own = [t for t in every if t.endswith("/" + chosen["theme"])] or own
            key = own[0] if own else ""
            by_theme.setdefault(key, []).append(g)
        sections = [
            {"theme": t, "label": labels.get(t, "No shared theme"), "groups": by_theme[t]}
            for t in sorted(by_theme, key=lambda t: order.index(t) if t in order else 999)
        ]
        parties = sorted({p.rsplit("/", 1)[-1] for g in rd.groups for p in g["parties"]})
        years = sorted({y for g in rd.groups for y in g["member_years"]})
        query = "&".join(f"{k}={v}" for k, v in chosen.items() if v is not None)
        return render(
            request,
            "overlaps.html",
            {
                "sections": sections,
                "total": len(groups),
                "all_total": len(rd.groups),
                "themes": rd.themes,
                "plans": rd.plans,
                "parties": parties,
                "years": years,
                "chosen": chosen,
                "csv_href": "/api/overlaps?format=csv" + (f"&{query}" if query else ""),
                "coverage": rd.coverage(),
                "plan_labels": {p["slug"]: p["label"] for p in rd.plans},
            },
        )

    return r
