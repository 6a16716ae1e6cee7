"""Per-client limits for the expensive endpoints: a token bucket and an in-flight cap.

A client (its IP address as the server sees it; ``X-Forwarded-For`` is not trusted) gets a
bucket of ``burst`` tokens refilled at ``per_minute / 60`` tokens a second; each expensive
request takes one. It may also hold at most ``concurrency`` expensive requests in flight at
once. Over either budget the answer is 429 with ``Retry-After`` (whole seconds), and other
clients are unaffected: a single client cannot occupy every query worker, so a cheap
query from someone else always finds one free (see docs/operators.md, Safety).

The limiter is plain Python (no framework); :mod:`server.app` wraps it in a thin
middleware. ``per_minute = 0`` switches the bucket off, ``concurrency = 0`` the in-flight
cap. Memory is bounded: at most ``max_clients`` buckets are kept (the least recently seen
are dropped first).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

# Path prefixes whose requests run user-shaped queries or heavy analysis.
EXPENSIVE_PREFIXES = (
    "/sparql",
    "/api/queries/",
    "/api/network",
    "/api/overlaps",
    "/reconcile",
)


def is_expensive(path: str) -> bool:
    return path.startswith(EXPENSIVE_PREFIXES)


@dataclass
class _Bucket:
    tokens: float
    stamp: float
    in_flight: int = 0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # seconds, when refused
    reason: str = ""


class RateLimiter:
    """Thread-safe; ``acquire`` before an expensive request, ``release`` after it."""

    def __init__(
        self,
        per_minute: float = 0.0,
        burst: int = 0,
        concurrency: int = 0,
        max_clients: int = 10_000,
        clock: object = time.monotonic,
        capacity: int = 0,
    ) -> None:
        """``capacity``: how many expensive requests the server runs at once (its query
        workers); 0 = unknown. A client's first request in flight is always admitted
        (within its budget); a further one only while fewer than ``capacity -
        concurrency`` requests are in flight in all, so that the first request of a
        client who arrives next finds a worker even when several clients hold their cap."""
        self.rate = max(0.0, per_minute) / 60.0
        self.burst = float(burst if burst > 0 else max(1, math.ceil(per_minute)))
        self.concurrency = max(0, concurrency)
        self.max_clients = max(1, max_clients)
        self._clock = clock
        self.shared = max(0, capacity - self.concurrency) if capacity > 0 else 0
        self._in_flight = 0
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0 or self.concurrency > 0

    def _bucket(self, client: str, now: float) -> _Bucket:
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = _Bucket(self.burst, now)
            self._buckets[client] = bucket
            while len(self._buckets) > self.max_clients:  # bounded: drops one per step
                oldest, held = next(iter(self._buckets.items()))
                if held.in_flight:  # keep a client with requests in flight; drop it later
                    self._buckets.move_to_end(oldest)
                    break
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(client)
        return bucket

    def acquire(self, client: str) -> Decision:
        now = self._clock()  # type: ignore[operator]
        with self._lock:
            b = self._bucket(client, now)
            if self.rate > 0:
                b.tokens = min(self.burst, b.tokens + (now - b.stamp) * self.rate)
                b.stamp = now
                if b.tokens < 1.0:
                    wait = math.ceil((1.0 - b.tokens) / self.rate)
                    return Decision(
                        False,
                        max(1, wait),
                        f"rate limit: {self.rate * 60:g} expensive requests a minute "
                        f"(bursts of {self.burst:g}) per client",
                    )
            if self.concurrency and b.in_flight >= self.concurrency:
                return Decision(
                    False,
                    1,
                    f"at most {self.concurrency} expensive requests in flight per client",
                )
            if self.shared and b.in_flight >= 1 and self._in_flight >= self.shared:
                return Decision(
                    False,
                    1,
                    "the server is busy: one expensive request in flight per client "
                    "until others finish",
                )
            if self.rate > 0:
                b.tokens -= 1.0
            b.in_flight += 1
            self._in_flight += 1
            return Decision(True)

    def release(self, client: str) -> None:
        with self._lock:
            b = self._buckets.get(client)
            if b is not None and b.in_flight > 0:
                b.in_flight -= 1
                self._in_flight -= 1
