"""A loopback HTTP server that plays a remote SPARQL endpoint: every POST is answered with
the canned ``payload`` and ``media`` set on the server object (tests of RemoteStore against
answers a real store would not send: XML bombs, malformed JSON results, oversize answers)."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator


class _Canned(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(min(int(self.headers.get("content-length", 0)), 1_000_000))
        payload: bytes = self.server.payload  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", self.server.media)  # type: ignore[attr-defined]
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def canned_endpoint() -> Iterator[http.server.ThreadingHTTPServer]:
    """The server (``payload`` and ``media`` are attributes to set); its address is
    ``http://127.0.0.1:{server.server_address[1]}/sparql``."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    srv.payload, srv.media = b"", "application/sparql-results+json"  # type: ignore[attr-defined]
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=10)
