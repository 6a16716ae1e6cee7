"""Thin middleware over :mod:`plangraph.ratelimit`: 429 with Retry-After for a client over
its budget of expensive requests (``PLANGRAPH_RATE_*``); cheap requests pass untouched."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from plangraph.errors import RateLimited
from plangraph.ratelimit import RateLimiter, is_expensive
from plangraph.settings import Settings


def install(app: FastAPI, settings: Settings) -> RateLimiter:
    limiter = RateLimiter(settings.rate_per_minute, settings.rate_burst, settings.rate_concurrency)
    app.state.rate_limiter = limiter
    if not limiter.enabled:
        return limiter

    @app.middleware("http")
    async def _rate_limit(request: Request, call_next: Any) -> Response:
        if request.method == "OPTIONS" or not is_expensive(request.url.path):
            return await call_next(request)
        client = request.client.host if request.client else "unknown"
        decision = limiter.acquire(client)
        if not decision.allowed:
            exc = RateLimited(f"{decision.reason}; retry after {decision.retry_after} s")
            return JSONResponse(
                exc.to_json(),
                status_code=exc.http_status,
                headers={
                    "Retry-After": str(decision.retry_after),
                    "Access-Control-Allow-Origin": "*",
                    "Access-Control-Expose-Headers": "Retry-After",
                },
            )
        try:
            return await call_next(request)
        finally:
            limiter.release(client)

    return limiter
