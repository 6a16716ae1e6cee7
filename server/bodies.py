"""Request bodies read with a size cap: refused by their declared length before any byte is
read, and by what has arrived while streaming (a chunked body has no length), so a 500 MB
POST costs the server at most the cap, never the whole body."""

from __future__ import annotations

from fastapi import Request
from starlette.requests import ClientDisconnect

from plangraph.errors import BodyTooLarge, QueryError


async def read_capped(request: Request, limit: int, param: str) -> bytes:
    """The request body, at most ``limit`` bytes (else :class:`BodyTooLarge`, 413). Kept on
    the request, so ``request.form()`` and ``request.body()`` parse these bytes afterwards
    instead of reading the stream again."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise QueryError("Content-Length is not a number", param="content-length") from None
        if length > limit:
            raise BodyTooLarge(f"request body longer than {limit} bytes", param=param)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(f"request body longer than {limit} bytes", param=param)
            chunks.append(chunk)
    except ClientDisconnect:  # gone, or closed at the body time limit (server/http_guard.py)
        raise QueryError("the request body was not sent in time", param=param) from None
    body = b"".join(chunks)
    request._body = body  # Starlette's cache of the body: form() and body() read it
    return body
