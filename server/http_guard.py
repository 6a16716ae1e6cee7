"""The HTTP connection's own limits, below the app: how long a client may take to send a
request's head and body, how many connections may be open, and requests framed two ways.

- :func:`guarded_protocol`: uvicorn's h11 protocol with two timers and a connection cap.
  A connection must send a complete request line and headers within ``head_timeout``
  seconds of opening (or, after a response, of the next head's first byte; an idle
  connection is the keep-alive timer's): empty, partial or trickled heads are closed.
  A request body must be complete within ``body_timeout`` seconds of its head (a
  never-ending chunked body is closed). Past ``max_connections`` open connections a new
  one is closed at once. Without these, 1,000
  slow connections with 370 KB of headers each held 410 MB for minutes (issue 20, item 9).
- :class:`RequestFraming`: ASGI; a request with both ``Content-Length`` and
  ``Transfer-Encoding`` is answered 400 with ``Connection: close`` (RFC 9112 6.1: such a
  request may be an attempt at request smuggling, and the connection must not be reused).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def guarded_protocol(
    head_timeout: float, body_timeout: float, max_connections: int
) -> type[H11Protocol]:
    """An h11 protocol class for ``uvicorn.run(http=...)`` with these limits (0 = none)."""

    class GuardedH11Protocol(H11Protocol):
        _timer: asyncio.TimerHandle | None = None
        _timing: str = ""
        _served = False  # a response was sent: idle time is the keep-alive timer's

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if max_connections and len(self.connections) > max_connections:
                transport.close()  # over the cap: connection_lost forgets it
                return
            self._watch()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._watch()

        def on_response_complete(self) -> None:
            self._served = True
            super().on_response_complete()
            self._watch()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _watch(self) -> None:
            """Arm the timer of what the client still owes (a head, a body), else none."""
            state = self.conn.their_state
            owes = "head" if state is h11.IDLE else "body" if state is h11.SEND_BODY else ""
            if owes == "head" and self._served and not self.conn.trailing_data[0]:
                owes = ""  # idle after a response, nothing sent yet: keep-alive's timer
            if owes == "head" and self.cycle is not None and not self.cycle.response_complete:
                owes = ""  # a response is in progress: the next head may wait for it
            if owes != self._timing:
                self._disarm()
                limit = head_timeout if owes == "head" else body_timeout if owes else 0
                if limit > 0 and not self.transport.is_closing():
                    self._timing = owes
                    self._timer = self.loop.call_later(limit, self._expired)

        def _disarm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
            self._timer, self._timing = None, ""

        def _expired(self) -> None:
            self._timer, self._timing = None, ""
            if self.transport.is_closing():
                return
            if self.cycle is not None and not self.cycle.response_complete:
                self.cycle.disconnected = True  # the app's receive() sees http.disconnect
                self.cycle.message_event.set()
            self.transport.close()

    return GuardedH11Protocol


class RequestFraming:
    """400 and close for a request framed by both Content-Length and Transfer-Encoding."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            names = {k.lower() for k, _ in scope.get("headers", ())}
            if b"content-length" in names and b"transfer-encoding" in names:
                body = json.dumps(
                    {
                        "error": "bad-request",
                        "message": "a request may not have both Content-Length and "
                        "Transfer-Encoding",
                        "param": "content-length",
                    }
                ).encode()
                headers = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ]
                await send({"type": "http.response.start", "status": 400, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def __getattr__(self, name: str) -> Any:  # the wrapped app's attributes (LiveApp.current)
        return getattr(self.app, name)
