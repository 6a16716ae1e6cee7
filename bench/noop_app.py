"""The floor: a FastAPI app with one no-op route, served by uvicorn exactly as
``plangraph serve`` serves the real app (same server, same log level). Not a test.

    .venv/bin/python bench/noop_app.py --port 8001      # GET /noop -> {}, h11 + asyncio
    .venv/bin/python bench/noop_app.py --port 8001 --http httptools --loop uvloop
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/noop")
async def noop() -> Response:
    return Response(b"{}", media_type="application/json")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    # plangraph serve's stack (h11, asyncio) or the faster one (httptools + uvloop)
    parser.add_argument("--http", choices=("h11", "httptools"), default="h11")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    args = parser.parse_args()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        http=args.http,
        loop=args.loop,
        log_level="warning",
        timeout_keep_alive=75,
    )
