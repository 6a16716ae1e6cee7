"""Issue 20, item 15: after an unexpected error (500) the server says `Connection: close` and
closes, so a client never reuses a connection the server is about to drop (a reset before).

No route of plangraph fails on purpose, so the test serves the real app (the real dataset,
uvicorn, real HTTP on loopback) with one extra route that raises."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from plangraph.settings import Settings
from plangraph.store.embedded import EmbeddedStore
from server.app import create_app
from tests.server_process import free_port


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    settings = Settings()
    app = create_app(settings, EmbeddedStore.from_folder(settings.paths.graph))

    @app.get("/test-crash", include_in_schema=False)
    async def crash() -> None:
        raise RuntimeError("a bug")

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="critical")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield server.config.port
    server.should_exit = True
    thread.join(timeout=30)


def _exchange(port: int, path: str) -> tuple[bytes, bool]:
    """One keep-alive request on a raw connection: (the head of the answer, whether the server
    closed the connection after it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\nAccept: application/json\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(
            next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")).split(
                b":"
            )[1]
        )
        while len(body) < length:
            body += s.recv(65536)
        s.settimeout(2)
        try:
            closed = s.recv(1) == b""
        except TimeoutError:
            closed = False
        return head, closed


def test_a_500_says_connection_close_and_closes(port: int) -> None:
    head, closed = _exchange(port, "/test-crash")
    assert head.startswith(b"HTTP/1.1 500"), head
    assert b"connection: close" in head.lower(), head
    assert closed


def test_a_200_keeps_the_connection_open(port: int) -> None:
    """The control: the same exchange on a page that answers leaves the connection open."""
    head, closed = _exchange(port, "/health")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert b"connection: close" not in head.lower()
    assert not closed
