"""/api/overlaps and /api/coverage: overlap groups and theme coverage (JSON or CSV).

Thin over :class:`plangraph.views.overlaps.OverlapReader`, which reads the graph through SPARQL
(``queries/overlaps/*.rq``); one reader per store, built on first use.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from plangraph.settings import Settings
from plangraph.store.base import Store
from plangraph.views.overlaps import OverlapReader, overlaps_csv, overlaps_xlsx
from server.formats import XLSX, response_format, wants_csv
from server.per_store import PerStore

Theme = Annotated[str | None, Query(description="theme slug, e.g. victim-identification")]
Party = Annotated[str | None, Query(description="party code (ISO 3166-1 alpha-3), e.g. tha")]
Plan = Annotated[str | None, Query(description="plan slug, e.g. khm-npa-2011-2013")]
Year = Annotated[int | None, Query(description="a year some member is scheduled in")]
MinScore = Annotated[float | None, Query(description="minimum score of a kind, 0-1")]
Confidence = Annotated[str | None, Query(description="'strong' or 'possible'")]
Format = Annotated[str | None, Query(description="'json' (default) or 'csv'")]
OverlapFormat = Annotated[
    str | None,
    Query(description="'json' (default), 'csv' (one row per step) or 'xlsx' (a workbook)"),
]


# One reader per store, shared by the API and the report page.
reader = PerStore(
    "overlap_reader",
    lambda settings, store: OverlapReader(store, settings.paths.queries / "overlaps"),
)


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

    @r.get(
        "/api/overlaps",
        responses={
            200: {
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    XLSX: {"schema": {"type": "string", "format": "binary"}},
                },
                "description": "the kinds of work as JSON, CSV or an XLSX workbook",
            }
        },
    )
    def overlaps(
        request: Request,
        theme: Theme = None,
        party: Party = None,
        plan: Plan = None,
        year: Year = None,
        min_score: MinScore = None,
        confidence: Confidence = None,
        format: OverlapFormat = None,
    ) -> Response:
        """Kinds of work several plans promise: each with its label, definition, themes,
        confidence, score, the plans that promise it and those that do not (gaps), and its
        members with their score, confidence and evidence."""
        chosen = filters(theme, party, plan, year, min_score, confidence)
        rd = reader(settings, store)
        groups = rd.filter(**chosen)
        fmt = response_format(request, format, ("json", "csv", "xlsx"))
        if fmt == "csv":
            return Response(
                overlaps_csv(groups),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="overlaps.csv"'},
            )
        if fmt == "xlsx":
            return Response(
                overlaps_xlsx(groups, rd.plans),
                media_type=XLSX,
                headers={"Content-Disposition": 'attachment; filename="overlaps.xlsx"'},
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
