"""/overlaps: the overlap report for donors (groups by theme, side by side; coverage matrix).

Rendering only: the data comes from :class:`plangraph.views.overlaps.OverlapReader` (SPARQL).
Filters are a GET form (works without script); server/static/overlaps/overlaps.js only
submits the form when a filter changes.
"""

from __future__ import annotations

from typing import Any, TypedDict
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from plangraph.errors import QueryError
from plangraph.settings import Settings
from plangraph.store.base import Store
from plangraph.views.overlaps import side_by_side
from server.overlaps_api import reader
from server.pages import render


class Chosen(TypedDict):
    """The filters of the page, as :meth:`OverlapReader.filter` takes them."""

    theme: str | None
    party: str | None
    plan: str | None
    year: int | None
    min_score: float | None
    confidence: str | None


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
        chosen: Chosen = {
            "theme": theme or None,
            "party": party or None,
            "plan": plan or None,
            "year": _int(year, "year"),
            "min_score": _float(min_score, "min_score"),
            "confidence": confidence or None,
        }
        groups = rd.filter(**chosen)
        labels = {t["theme"]: t["label"] for t in rd.themes}
        slugs = {t["theme"]: t["slug"] for t in rd.themes}
        order = {t["theme"]: i for i, t in enumerate(rd.themes)}

        def rank(t: str) -> int:
            return order.get(t, 999)

        by_theme: dict[str, list[dict[str, Any]]] = {}
        for g in groups:
            # the theme most of its steps carry first (then the scheme's order)
            carried = {t: sum(t in m["themes"] for m in g["members"]) for t in g["themes"]}
            own = sorted(g["themes"], key=lambda t: (-carried[t], rank(t)))
            if chosen["theme"]:
                every = sorted(set(g["themes"]) | set(g["shared_themes"]), key=rank)
                own = [t for t in every if t.endswith("/" + chosen["theme"])] or own
            by_theme.setdefault(own[0] if own else "", []).append(
                {**g, "side": side_by_side(g, rd.plans)}
            )
        sections = [
            {
                "theme": t,
                "slug": slugs.get(t, "other"),
                "label": labels.get(t, "No shared theme"),
                "groups": by_theme[t],
            }
            for t in sorted(by_theme, key=rank)
        ]
        party_labels = {code: label for code, label in rd.party_labels().items()}
        parties = [
            {"code": code, "label": party_labels.get(code, code.upper())}
            for code in sorted({p.rsplit("/", 1)[-1] for g in rd.groups for p in g["parties"]})
        ]
        years = sorted({y for g in rd.groups for y in g["member_years"]})
        query = {k: str(v) for k, v in chosen.items() if v is not None}

        def download_href(fmt: str) -> str:
            return "/api/overlaps?" + urlencode({**query, "format": fmt})

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
                "download_href": download_href,
                "theme_label": lambda iri: labels.get(iri, iri.rsplit("/", 1)[-1]),
                "theme_slug": lambda iri: iri.rsplit("/", 1)[-1],
                "coverage": rd.coverage(),
                "plan_labels": {p["slug"]: p["label"] for p in rd.plans},
            },
        )

    return r
