"""Thin middleware over :mod:`server.ratelimit`: 429 with Retry-After for a client over
its budget of expensive requests (``PLANGRAPH_RATE_*``); cheap requests pass untouched."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from plangraph.errors import RateLimited
from plangraph.settings import Settings
from server.ratelimit import RateLimiter, is_expensive


class RateLimit:
    """Pure ASGI middleware: a client over its budget of expensive requests gets 429 with
    Retry-After; cheap requests and OPTIONS pass untouched."""

    def __init__(self, app: Any, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] == "OPTIONS"
            or not is_expensive(scope.get("path", ""))
        ):
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown"
        decision = self.limiter.acquire(client)
        if not decision.allowed:
            exc = RateLimited(f"{decision.reason}; retry after {decision.retry_after} s")
            response = JSONResponse(
                exc.to_json(),
                status_code=exc.http_status,
                headers={
                    "Retry-After": str(decision.retry_after),
                    "Access-Control-Allow-Origin": "*",
                    "Access-Control-Expose-Headers": "Retry-After",
                },
            )
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.limiter.release(client)


def make_limiter(settings: Settings) -> RateLimiter:
    return RateLimiter(
        settings.rate_per_minute,
        settings.rate_burst,
        settings.rate_concurrency,
        capacity=settings.query_workers,
    )


def install(app: FastAPI, settings: Settings, limiter: RateLimiter | None = None) -> RateLimiter:
    """``limiter``: the one to share across apps (``plangraph serve`` makes one app per build
    and keeps one limiter, so a reload does not give every client a fresh budget)."""
    limiter = limiter if limiter is not None else make_limiter(settings)
    app.state.rate_limiter = limiter
    if limiter.enabled:
        app.add_middleware(RateLimit, limiter=limiter)
    return limiter
