"""The HTTP connection's own limits, below the app: how long a client may take to send a
request's head and body, how large a head may be, how many connections may be open, and
requests the parser refuses (framed two ways, not HTTP/1.1).

:func:`guarded_protocol` is uvicorn's httptools (llhttp) protocol with two timers, a head
size cap and a connection cap:

- A connection must send a complete request line and headers within ``head_timeout``
  seconds of opening (or, after a response, of the next head's first byte; an idle
  connection is the keep-alive timer's): empty, partial or trickled heads are closed.
  A request body must be complete within ``body_timeout`` seconds of its head (a
  never-ending chunked body is closed). Past ``max_connections`` open connections a new
  one is closed at once. Without these, 1,000 slow connections with 370 KB of headers each
  held 410 MB for minutes (issue 20, item 9).
- A head (request line and headers) longer than ``head_bytes`` is answered 431 and the
  connection closed: llhttp itself has no such limit (h11 had one). A URL longer than
  httptools' URL parser takes (64 KiB) still reaches the app: a GET query at the length
  limit is up to 240 KB percent-encoded.
- A request llhttp refuses is answered 400 in the project's JSON error shape with
  ``Connection: close``. That includes a request with both ``Content-Length`` and
  ``Transfer-Encoding`` (llhttp refuses it: RFC 9112 6.1, such a request may be an attempt
  at request smuggling, and the connection must not be reused).

The parser's callbacks say what the client still owes: ``on_message_begin`` (a head has
begun), ``on_headers_complete`` (a body, until) ``on_message_complete`` (nothing).
"""

from __future__ import annotations

import asyncio
import json
from typing import Literal

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from plangraph.errors import PlangraphError

Phase = Literal["head", "body", "done"]
_PARSE_URL_MAX = 65535  # the longest URL httptools.parse_url takes


class _Refused(Exception):
    """Raised from a parser callback: the request is answered ``status`` and closed."""

    def __init__(self, status: int, error: PlangraphError) -> None:
        super().__init__(str(error))
        self.status, self.error = status, error


def refusal(exc: httptools.HttpParserError) -> tuple[int, PlangraphError]:
    """The status and error for what the parser refused (or a callback raised)."""
    if isinstance(exc.__context__, _Refused):
        return exc.__context__.status, exc.__context__.error
    text = str(exc)
    if "Content-Length" in text and "Transfer-Encoding" in text:
        message = "a request may not have both Content-Length and Transfer-Encoding"
        return 400, PlangraphError(message, param="content-length")
    return 400, PlangraphError(f"the request is not valid HTTP/1.1 ({text})")


def guarded_protocol(
    head_timeout: float, body_timeout: float, max_connections: int, head_bytes: int
) -> type[HttpToolsProtocol]:
    """An httptools protocol class for ``uvicorn.run(http=...)`` with these limits (0 =
    none)."""

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        _timer: asyncio.TimerHandle | None = None
        _timing: str = ""
        _phase: Phase = "head"  # what the client owes next
        _begun = False  # bytes of the owed head arrived (else: nothing sent yet)
        _served = False  # a response was sent: idle time is the keep-alive timer's
        _head_seen = 0  # bytes received while a head was owed (approximate: whole reads)

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if max_connections and len(self.connections) > max_connections:
                transport.close()  # over the cap: connection_lost forgets it
                return
            self._watch()

        def data_received(self, data: bytes) -> None:
            self._unset_keepalive_if_required()
            if self._phase == "head":
                self._head_seen += len(data)
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserUpgrade:
                if self._should_upgrade():
                    self.handle_websocket_upgrade()
                else:
                    self._unsupported_upgrade_warning()
            except httptools.HttpParserError as exc:
                self._refuse(*refusal(exc))
                return
            if head_bytes and self._phase == "head" and self._head_seen > head_bytes:
                self._refuse(431, PlangraphError(_too_long(head_bytes)))
                return
            self._watch()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._phase, self._begun = "head", True

        def on_url(self, url: bytes) -> None:
            super().on_url(url)
            if head_bytes and len(self.url) > head_bytes:
                raise _Refused(431, PlangraphError(_too_long(head_bytes)))

        def on_headers_complete(self) -> None:
            if head_bytes and self._head_seen > head_bytes:
                size = len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers)
                if size > head_bytes:
                    raise _Refused(431, PlangraphError(_too_long(head_bytes)))
            self._phase, self._begun, self._head_seen = "body", False, 0
            query = None
            if len(self.url) > _PARSE_URL_MAX and b"?" in self.url:
                # httptools.parse_url refuses a URL over 64 KiB (16-bit offsets), but a GET
                # query at the length limit is longer: uvicorn parses the path, we the rest
                self.url, _, query = self.url.partition(b"?")
            super().on_headers_complete()
            if query is not None and self.scope.get("path") is not None:
                self.scope["query_string"] = query  # the app's task has not run yet

        def on_message_complete(self) -> None:
            self._phase = "done"
            super().on_message_complete()

        def on_response_complete(self) -> None:
            self._served = True
            super().on_response_complete()
            self._watch()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _refuse(self, status: int, error: PlangraphError) -> None:
            """Answer ``error`` in the project's JSON shape and close the connection."""
            self._disarm()
            if self.transport.is_closing():
                return
            if self.cycle is not None and not self.cycle.response_complete:
                # a pipelined request's answer is in progress: it cannot be interleaved
                self.cycle.disconnected = True
                self.cycle.message_event.set()
                self.transport.close()
                return
            body = json.dumps(error.to_json()).encode()
            self.transport.write(
                b"".join(
                    [
                        STATUS_LINE[status],
                        *(n + b": " + v + b"\r\n" for n, v in self.server_state.default_headers),
                        b"content-type: application/json\r\n",
                        b"content-length: %d\r\n" % len(body),
                        b"connection: close\r\n\r\n",
                        body,
                    ]
                )
            )
            self.transport.close()

        def _watch(self) -> None:
            """Arm the timer of what the client still owes (a head, a body), else none."""
            owes = self._phase if self._phase != "done" else ""
            if owes == "head" and self._served and not self._begun:
                owes = ""  # idle after a response, nothing sent yet: keep-alive's timer
            if owes == "head" and self.cycle is not None and not self.cycle.response_complete:
                owes = ""  # a response is in progress: the next head may wait for it
            if self.pipeline:
                owes = ""  # a request waits for an earlier answer: reading is paused
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

    return GuardedHttpToolsProtocol


def _too_long(head_bytes: int) -> str:
    return f"the request line and headers are longer than {head_bytes} bytes"
