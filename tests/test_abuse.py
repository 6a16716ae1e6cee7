"""Abuse at the HTTP edge (issue 20): oversized bodies, slow and malformed connections,
reconciliation batches that would hold the server. Raw sockets where a client library would
not send what an attacker sends; loopback only, every loop bounded."""

from __future__ import annotations

import json
import select
import socket
import time
from urllib.parse import urlsplit

import httpx

from tests.server_process import PROCESSES, assert_error, tree_rss_mb

MB = 1024 * 1024


def connect(url: str, timeout: float = 10.0) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout)
    sock.settimeout(timeout)
    return sock


def read_response(sock: socket.socket, limit: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-cased names) and whatever body arrived before the server closed
    or ``limit`` seconds passed (bounded)."""
    data = b""
    deadline = time.monotonic() + limit
    while b"\r\n\r\n" not in data and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    want = int(headers.get("content-length", "0"))
    while len(body) < want and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def send_until_answered(sock: socket.socket, chunk: bytes, most: int) -> int:
    """Send ``chunk`` repeatedly (at most ``most`` bytes in all) until the server answers or
    stops reading; the bytes sent."""
    sent = 0
    while sent < most:
        if select.select([sock], [], [], 0)[0]:
            break
        try:
            sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += len(chunk)
    return sent


def test_a_body_longer_than_the_limit_is_refused_unread(server_url: str) -> None:
    """A 500 MB Content-Length on /sparql and /reconcile is answered 413 at once, before the
    body is sent (item 5: the server read bodies whole, 362 MB -> 1.29 GB)."""
    for path, ctype in (
        ("/sparql", "application/sparql-query"),
        ("/reconcile", "application/x-www-form-urlencoded"),
        ("/sparql", "application/x-www-form-urlencoded"),
    ):
        with connect(server_url) as sock:
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {500 * MB}\r\n\r\n".encode()
                + b"x" * 65536
            )
            status, _, body = read_response(sock, limit=10)
        assert status == 413, (path, status, body[:200])
        assert json.loads(body)["error"] == "body-too-large"


def test_a_chunked_body_is_cut_off_at_the_limit(server_url: str) -> None:
    """A chunked body (no length) is read only up to the limit: the server answers 413 while
    the client is still sending, and its memory does not grow by the body."""
    pid = PROCESSES[server_url].pid
    before = tree_rss_mb(pid)
    for path, ctype in (
        ("/sparql", "application/sparql-query"),
        ("/reconcile", "application/x-www-form-urlencoded"),
    ):
        with connect(server_url) as sock:
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\n"
                "Transfer-Encoding: chunked\r\n\r\n".encode()
            )
            piece = b"x" * (256 * 1024)
            chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
            sent = send_until_answered(sock, chunk, 64 * MB)
            status, _, body = read_response(sock, limit=10)
        assert status == 413, (path, status, body[:200])
        assert sent < 32 * MB, f"{path}: the server read {sent / MB:.0f} MB before answering"
    grown = tree_rss_mb(pid) - before
    print(f"RSS grew {grown:.0f} MB")
    assert grown < 50


def test_bodies_within_the_limit_still_work(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=30) as c:
        r = c.post(
            "/sparql",
            content="ASK {}",
            headers={"content-type": "application/sparql-query", "accept": "text/csv"},
        )
        assert r.status_code == 200, r.text
        r = c.post("/sparql", data={"query": "ASK {}"}, headers={"accept": "text/csv"})
        assert r.status_code == 200, r.text
        q = json.dumps({"q0": {"query": "Ministry of Interior", "limit": 2}})
        r = c.post("/reconcile", data={"queries": q})
        assert r.status_code == 200 and "q0" in r.json()
        too_long = "ASK {} #" + "x" * 400_000
        r = c.post(
            "/sparql", content=too_long, headers={"content-type": "application/sparql-query"}
        )
        assert_error(r, 413, "body-too-large", "query")
