"""/api/overlaps and /api/coverage: overlap groups and theme coverage (JSON or CSV).

Thin over :class:`plangraph.overlaps_read.OverlapReader`, which reads the graph through SPARQL
(``queries/overlaps/*.rq``); one reader per store, built on first use.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from plangraph.errors import QueryError
from plangraph.overlaps_read import OverlapReader, overlaps_csv
from plangraph.settings import Settings
from plangraph.store import Store

_READERS: dict[int, tuple[Store, OverlapReader]] = {}

Theme = Annotated[str | None, Query(description="theme slug, e.g. victim-identification")]
Party = Annotated[str | None, Query(description="party code (ISO 3166-1 alpha-3), e.g. tha")]
Plan = Annotated[str | None, Query(description="plan slug, e.g. khm-npa-2011-2013")]
Year = Annotated[int | None, Query(description="a year some member is scheduled in")]
MinScore = Annotated[float | None, Query(description="minimum score of a kind, 0-1")]
Confidence = Annotated[str | None, Query(description="'strong' or 'possible'")]
Format = Annotated[str | None, Query(description="'json' (default) or 'csv'")]


def reader(settings: Settings, store: Store) -> OverlapReader:
    """One reader per store, shared by the API and the report page."""
    held = _READERS.get(id(store))
    if held is None or held[0] is not store:
        held = (store, OverlapReader(store, settings.paths.queries / "overlaps"))
        _READERS[id(store)] = held
    return held[1]


def wants_csv(request: Request, fmt: str | None) -> bool:
    if fmt is not None:
        if fmt not in ("json", "csv"):
            raise QueryError(f"format must be 'json' or 'csv', not {fmt!r}", param="format")
        return fmt == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


def filters(
    theme: str | None,
    party: str | None,
    plan: str | None,
    year: int | None,
    min_score: float | None,
    confidence: str | None = None,
) -> dict[str, Any]:
    return {
        "theme": theme,
        "party": party,
        "plan": plan,
        "year": year,
        "min_score": min_score,
        "confidence": confidence,
    }


def router(settings: Settings, store: Store) -> APIRouter:
    r = APIRouter(tags=["overlaps"])

    @r.get("/api/overlaps")
    def overlaps(
        request: Request,
        theme: Theme = None,
        party: Party = None,
        plan: Plan = None,
        year: Year = None,
        min_score: MinScore = None,
        confidence: Confidence = None,
        format: Format = None,
    ) -> Response:
        """Kinds of work several plans promise: each with its label, definition, themes,
        confidence, score, the plans that promise it and those that do not (gaps), and its
        members with their score, confidence and evidence."""
        chosen = filters(theme, party, plan, year, min_score, confidence)
        groups = reader(settings, store).filter(**chosen)
        if wants_csv(request, format):
            return Response(
                overlaps_csv(groups),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="overlaps.csv"'},
            )
        return JSONResponse({"total": len(groups), "filters": chosen, "items": groups})

    @r.get("/api/coverage")
    def coverage(request: Request, format: Format = None) -> Response:
        """Themes x plans: how many steps of each plan carry each theme (0 = a gap)."""
        cov = reader(settings, store).coverage()
        if wants_csv(request, format):
            slugs = [p["slug"] for p in cov["plans"]]
            lines = [",".join(["theme", "pillar", *slugs])]
            for t in cov["themes"]:
                cells = [str(t["counts"][s]) for s in slugs]
                lines.append(",".join([t["slug"], t["pillar"].rsplit("/", 1)[-1], *cells]))
            return Response("\n".join(lines) + "\n", media_type="text/csv; charset=utf-8")
        return JSONResponse(cov)

    return r
