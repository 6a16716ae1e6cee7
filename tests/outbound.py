"""Loopback listeners that count every connection made to them, and a file:// canary.

Used by the tests that prove plangraph never makes an outbound request on a user's behalf:
a listener that sees a single connection means something fetched a URL it was given.
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Counter:
    connections: int = 0
    peers: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, peer: object) -> None:
        with self.lock:
            self.connections += 1
            self.peers.append(str(peer))


def _accept_loop(sock: socket.socket, counter: Counter, stop: threading.Event) -> None:
    sock.settimeout(0.1)
    for _ in range(10_000_000):  # bounded; stops when the test ends
        if stop.is_set():
            return
        try:
            conn, peer = sock.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        counter.hit(peer)
        with contextlib.suppress(OSError):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        conn.close()


@contextlib.contextmanager
def counting_listener(family: int = socket.AF_INET, host: str = "127.0.0.1") -> Iterator[int]:
    """A TCP listener on ``host``:free-port; yields the port, counts into ``COUNTER``."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(64)
    stop = threading.Event()
    t = threading.Thread(target=_accept_loop, args=(sock, COUNTER, stop), daemon=True)
    t.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        t.join(5)
        sock.close()


COUNTER = Counter()


@contextlib.contextmanager
def redirect_listener(target: str) -> Iterator[int]:
    """An HTTP listener on 127.0.0.1 that answers every request with 302 to ``target``
    (and counts the connection: reaching it at all is already an outbound request)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    class Server(http.server.ThreadingHTTPServer):
        def verify_request(self, request: object, client_address: object) -> bool:
            COUNTER.hit(client_address)
            return True

    server = Server(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    t.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        t.join(5)


@dataclass(frozen=True)
class Targets:
    port: int  # IPv4 loopback listener
    port6: int | None  # IPv6 loopback listener, if the machine has ::1
    redirect: int  # redirecting listener
    canary: Path
    secret: str

    def all(self) -> list[str]:
        p = self.port
        out = [
            f"http://127.0.0.1:{p}/sparql",
            f"http://localhost:{p}/data.ttl",
            f"http://127.1:{p}/",
            f"http://0x7f000001:{p}/",
            f"http://2130706433:{p}/",
            f"http://0177.0.0.1:{p}/",
            f"http://[::ffff:127.0.0.1]:{p}/",
            f"http://127.0.0.1:{self.redirect}/redirect",
            f"https://127.0.0.1:{p}/",
            self.canary.as_uri(),
            "file:///etc/passwd",
        ]
        if self.port6 is not None:
            out.append(f"http://[::1]:{self.port6}/")
        return out


@contextlib.contextmanager
def targets(tmp: Path) -> Iterator[Targets]:
    secret = f"canary-{uuid.uuid4().hex}"
    canary = tmp / "canary.ttl"
    canary.write_text(f'<urn:canary> <urn:says> "{secret}" .\n', encoding="utf-8")
    with contextlib.ExitStack() as stack:
        port = stack.enter_context(counting_listener())
        try:
            port6 = stack.enter_context(counting_listener(socket.AF_INET6, "::1"))
        except OSError:
            port6 = None
        redirect = stack.enter_context(redirect_listener(f"http://127.0.0.1:{port}/"))
        yield Targets(port, port6, redirect, canary, secret)
