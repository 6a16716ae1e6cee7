"""What every response shares at the edge: compression, validators keyed by the build, and
error pages a browser can show.

- **Compression**: Starlette's ``GZipMiddleware`` (gzip, level 6; large bodies compressed in a
  worker thread, off the event loop) for every response of 1 KiB or more whose client accepts
  it: HTML, JSON, CSV, RDF, SPARQL results, static files.
- **Validators**: the server's answers are a function of the build (the dataset), the code
  and settings of this process, and the request (path, query string, ``Accept``). Each
  cacheable ``GET``/``HEAD`` answer (pages, ``/api/*``, ``/id/*``, ``/sources/*``,
  ``/downloads/*``, ``/.well-known/*``) carries a weak ``ETag`` made of those, computed
  before the route runs, and ``Cache-Control: no-cache`` (a client may keep it but asks
  again; a reload of another build changes every tag). A request whose ``If-None-Match``
  holds the tag is answered ``304`` without running the route. ``/sparql``, ``/reconcile``,
  ``/health`` and ``/static`` are left alone (``/static`` has its own validators from
  Starlette's ``StaticFiles``, and a short ``max-age``).
- **Errors**: a user error or an unknown path is the project's JSON error shape for API
  clients and an HTML page (with the navigation) for browsers; an unexpected exception is a
  500 in the same two shapes, never a traceback.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from plangraph.errors import PlangraphError
from plangraph.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

HERE = Path(__file__).resolve().parent
LIBRARY = HERE.parent / "plangraph"
log = logging.getLogger("plangraph.server")

# paths whose GET answers are a function of build, code, settings and request
_CACHEABLE_PREFIXES = ("/api/", "/id/", "/sources/", "/downloads/", "/.well-known/", "/years")
_CACHEABLE_PAGES = frozenset(
    ("/", "/agencies", "/themes", "/search", "/overlaps", "/network", "/query", "/docs")
)
# paths whose errors are always JSON (machine clients), whatever the Accept header says
_MACHINE_PREFIXES = ("/api/", "/sparql", "/reconcile", "/.well-known/", "/health", "/downloads/")
STATIC_CACHE_CONTROL = "public, max-age=300"
_STATUS_KIND = {404: "not-found", 405: "method-not-allowed", 406: "not-acceptable"}
_SUFFIXES = (".py", ".html", ".css", ".js", ".rq", ".ttl", ".json", ".yaml")


@cache
def code_id() -> str:
    """A digest of the code, templates, static files and queries this process serves with
    (so a deployment of new code changes every ETag even on the same build)."""
    h = hashlib.sha256()
    for folder in (HERE, LIBRARY):
        for path in sorted(folder.rglob("*")):
            if path.suffix in _SUFFIXES and path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(folder.parent)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cacheable(method: str, path: str) -> bool:
    if method not in ("GET", "HEAD"):
        return False
    return path in _CACHEABLE_PAGES or path.startswith(_CACHEABLE_PREFIXES)


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return b""


def etag_for(build_id: str, code: str, scope: Scope) -> str:
    """The weak ETag of a request's answer: build, code and settings, path, query, Accept."""
    h = hashlib.sha256()
    for part in (
        code.encode(),
        scope.get("path", "").encode("utf-8", "surrogateescape"),
        bytes(scope.get("query_string", b"")),
        _header(scope, b"accept"),
    ):
        h.update(len(part).to_bytes(4, "big") + part)
    return f'W/"{build_id}-{h.hexdigest()[:20]}"'


def _matches(if_none_match: bytes, etag: str) -> bool:
    """RFC 9110 weak comparison of an If-None-Match list with our tag."""
    text = if_none_match.decode("latin-1").strip()
    if text == "*":
        return True
    ours = etag.removeprefix("W/")
    return any(t.strip().removeprefix("W/") == ours for t in text.split(","))


class Validators:
    """Pure ASGI middleware: ETag and Cache-Control on cacheable 200 answers, 304 for a
    matching If-None-Match (the route does not run); a short max-age on /static."""

    def __init__(self, app: Any, build_id: str, settings_digest: str) -> None:
        self.app = app
        self.build_id = build_id
        self.code = code_id() + settings_digest

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path.startswith("/static/"):
            await self.app(scope, receive, _with_headers(send, STATIC_CACHE_CONTROL, None))
            return
        if not cacheable(scope["method"], path):
            await self.app(scope, receive, send)
            return
        etag = etag_for(self.build_id, self.code, scope)
        if (inm := _header(scope, b"if-none-match")) and _matches(inm, etag):
            headers = [
                (b"etag", etag.encode()),
                (b"cache-control", b"no-cache"),
                (b"vary", b"Accept, Accept-Encoding"),
            ]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, _with_headers(send, "no-cache", etag))


def _with_headers(send: Send, cache_control: str, etag: str | None) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and message.get("status") == 200:
            headers = [
                (k, v)
                for k, v in message.get("headers", ())
                if k.lower() not in (b"etag", b"cache-control", b"last-modified")
                or (etag is None and k.lower() != b"cache-control")
            ]
            headers.append((b"cache-control", cache_control.encode()))
            if etag is not None:
                headers.append((b"etag", etag.encode()))
            message = {**message, "headers": headers}
        await send(message)

    return sending


# -- error pages -------------------------------------------------------------------------


def wants_html(request: Request) -> bool:
    """A browser asking for a page: HTML preferred over JSON, and not a machine endpoint."""
    if request.url.path.startswith(_MACHINE_PREFIXES):
        return False
    accept = request.headers.get("accept", "")
    if "text/html" not in accept:
        return False
    return "application/json" not in accept or accept.index("text/html") < accept.index(
        "application/json"
    )


def _error_response(request: Request, status: int, body: dict[str, Any], headers: Any) -> Response:
    if wants_html(request):
        from server.pages import render  # the templates; imported late (pages imports this module)

        return render(
            request,
            "error.html",
            {"status": status, "error": body.get("error"), "message": body.get("message")},
            status_code=status,
        )
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI, settings: Settings, build_id: str) -> None:
    """Error handlers, validators and compression on ``app`` (call last: outermost)."""

    @app.exception_handler(PlangraphError)
    async def _user_error(request: Request, exc: PlangraphError) -> Response:
        return _error_response(request, exc.http_status, exc.to_json(), None)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        kind = _STATUS_KIND.get(exc.status_code, "error")
        message = {404: f"there is no page at {request.url.path}"}.get(
            exc.status_code, str(exc.detail)
        )
        return _error_response(
            request, exc.status_code, {"error": kind, "message": message}, exc.headers
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s", request.url.path, exc_info=exc)
        body = {"error": "internal-error", "message": "the server failed to answer; it is logged"}
        response = _error_response(request, 500, body, None)
        response.headers["Connection"] = "close"
        return response

    digest = hashlib.sha256(repr(settings).encode()).hexdigest()[:8]
    app.add_middleware(Validators, build_id=build_id, settings_digest=digest)
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)


__all__ = ["Validators", "cacheable", "code_id", "etag_for", "install", "wants_html"]
