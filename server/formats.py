"""How a client chooses JSON, CSV or XLSX: the ``format`` parameter, the ``Accept`` header,
or a ``.csv`` URL (``/api/plans.csv`` is ``/api/plans`` as CSV).

:func:`add_json_csv_routes` adds such a pair of routes over one endpoint; the endpoint asks
:func:`response_format` (or :func:`wants_csv`) what to answer.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request

from plangraph.errors import QueryError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# format -> media type, in the order an Accept header that names several is read: JSON first
MEDIA_TYPES = {"json": "application/json", "xlsx": XLSX, "csv": "text/csv"}
CSV_SUFFIX = ".csv"


def _alternatives(names: Sequence[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def response_format(
    request: Request, fmt: str | None, formats: Sequence[str] = ("json", "csv")
) -> str:
    """One of ``formats``: csv for a ``.csv`` URL; else the ``format`` parameter ``fmt``
    (another value is a :class:`QueryError`); else the first format the Accept header names
    (JSON first); else json."""
    if request.url.path.endswith(CSV_SUFFIX):
        return "csv"
    if fmt is not None:
        if fmt not in formats:
            raise QueryError(
                f"format must be {_alternatives(formats)}, not {fmt[:40]!r}", param="format"
            )
        return fmt
    accept = request.headers.get("accept", "")
    chosen = (f for f, media in MEDIA_TYPES.items() if f in formats and media in accept)
    return next(chosen, "json")


def wants_csv(request: Request, fmt: str | None) -> bool:
    """CSV or JSON (:func:`response_format` of the two)."""
    return response_format(request, fmt) == "csv"


def _without_format(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint`` without its ``format`` parameter (a ``.csv`` URL is CSV whatever it asks)."""
    signature = inspect.signature(endpoint, eval_str=True)
    if "format" not in signature.parameters:
        return endpoint

    @functools.wraps(endpoint)
    def csv_endpoint(*args: Any, **kwargs: Any) -> Any:
        return endpoint(*args, **kwargs)

    kept = [p for p in signature.parameters.values() if p.name != "format"]
    # what inspect.signature (and so FastAPI) reads; mypy knows no such attribute
    csv_endpoint.__signature__ = signature.replace(parameters=kept)  # type: ignore[attr-defined]
    return csv_endpoint


def add_json_csv_routes(
    router: APIRouter,
    path: str,
    endpoint: Callable[..., Any],
    *,
    summary: str,
    csv_summary: str,
    csv_description: str | None = None,
    openapi_extra: dict[str, Any] | None = None,
    csv_openapi_extra: dict[str, Any] | None = None,
    **route: Any,
) -> None:
    """GET ``path`` and ``path.csv``, both answered by ``endpoint``: the first as it chooses
    (:func:`response_format`), the second always CSV and without a ``format`` parameter. The
    CSV route is named ``{endpoint}_csv`` (its OpenAPI operation id says so)."""
    router.add_api_route(
        path, endpoint, methods=["GET"], summary=summary, openapi_extra=openapi_extra, **route
    )
    router.add_api_route(
        path + CSV_SUFFIX,
        _without_format(endpoint),
        methods=["GET"],
        name=f"{endpoint.__name__}_csv",
        summary=csv_summary,
        description=csv_description,
        openapi_extra=csv_openapi_extra,
        **route,
    )
