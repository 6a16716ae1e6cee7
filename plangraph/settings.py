"""Settings, read once at the edge (CLI or server start) and passed down.

Every setting can come from the environment with the ``PLANGRAPH_`` prefix
(``PLANGRAPH_PORT=8080``); command-line options override the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from plangraph.errors import PlangraphError
from plangraph.paths import PACKAGE_ROOT, ProjectPaths

# What `plangraph serve` uses when no PLANGRAPH_RATE_* variable is set: 120 expensive
# requests a minute per client, bursts of 60, at most 2 in flight. Query workers should be
# at least 2 x that + 1: a client's 2 queries killed at the time limit leave 2 workers
# respawning and 2 busy, and one still free for everyone else (the default is 5).
SERVE_RATE_DEFAULTS = {"rate_per_minute": 120.0, "rate_burst": 60, "rate_concurrency": 2}


@dataclass(frozen=True)
class Settings:
    root: Path = PACKAGE_ROOT
    host: str = "127.0.0.1"
    port: int = 8000
    store: str = "embedded"
    base_url: str = ""  # the server's public base; empty = http://{host}:{port}
    query_timeout: float = 10.0
    max_rows: int = 10_000
    # the HTTP connection (server/http_guard.py): seconds to send a request's head and its
    # body, and the open connections at most (0 = no limit)
    head_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 256
    max_result_mb: int = 32  # a result body's size cap (rows past it are cut, marked truncated)
    max_query_length: int = 20_000
    query_workers: int = 5
    worker_memory_mb: int = 1024  # address-space cap of each query worker; 0 = none
    # per-client limits on expensive endpoints (server.ratelimit); 0 = off. Off here (the
    # library and the tests); `plangraph serve` switches them on (SERVE_RATE_DEFAULTS).
    rate_per_minute: float = 0.0
    rate_burst: int = 0
    rate_concurrency: int = 0
    # a running server picks up a new build in data/graph/ (plangraph.live); 0 = never
    reload_interval: float = 1.0
    # a build whose triple count falls below this share of the current one is refused
    collapse_ratio: float = 0.5
    # a remote store (``store = sparql+http://host:port/sparql``; ``plangraph publish``)
    endpoint: str = ""  # publish: the query endpoint (default: the --store URL's)
    update_endpoint: str = ""  # SPARQL Update endpoint (Virtuoso: .../sparql-auth)
    graph_store: str = ""  # optional Graph Store Protocol endpoint for loading
    remote_user: str = ""
    remote_password: str = field(default="", repr=False)
    remote_auth: str = "digest"  # or "basic" (Fuseki, GraphDB)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def public_base(self) -> str:
        """The URL this server is reached at (``base_url``, or built from host and port)."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def paths(self) -> ProjectPaths:
        return ProjectPaths(self.root)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = env.get(f"PLANGRAPH_{f.name.upper()}")
            if raw is None:
                continue
            kind = type(getattr(cls(), f.name))
            try:
                values[f.name] = Path(raw) if kind is type(PACKAGE_ROOT) else kind(raw)
            except ValueError:
                raise PlangraphError(
                    f"PLANGRAPH_{f.name.upper()}={raw!r} is not a valid {kind.__name__}",
                    param=f"PLANGRAPH_{f.name.upper()}",
                ) from None
        values.update((k, v) for k, v in overrides.items() if v is not None)
        # each value is of its field's type (parsed by the field's kind above; the overrides
        # are the CLI's typed options), a per-key match mypy cannot check over a dict
        return cls(**values)  # type: ignore[arg-type]
