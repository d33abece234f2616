"""Misbehaviour on demand: rate limiting and injected failures of the published API.

Both act in front of the dialect's handlers (``app.py``'s middleware), so they look to a client
exactly like the real service having a bad moment:

- ``--rate-limit R``: more than R requests per second for one credential answer 429 in the
  dialect's body (token bucket holding ``max(1, R)`` requests, refilled at R per second);
  ``Retry-After`` only when ``--retry-after`` gives seconds.
- ``POST /_mock/faults``: the next N requests fail with 5xx or 429 *without doing anything*, or
  the next N creating POSTs are committed and answered only after a delay, so the client times
  out on a request that did succeed (the case idempotent creation must survive).
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass


@dataclass
class FaultPlan:
    slow_creates: int = 0
    delay: float = 0.0
    fail_5xx: int = 0
    fail_5xx_status: int = 503
    fail_429: int = 0


class Faults:
    """What the next API requests will suffer; counters run down as requests use them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.plan = FaultPlan()

    def update(self, changes: dict[str, float | int]) -> dict[str, float | int]:
        with self._lock:
            for name, value in changes.items():
                setattr(self.plan, name, value)
            return asdict(self.plan)

    def clear(self) -> dict[str, float | int]:
        with self._lock:
            self.plan = FaultPlan()
            return asdict(self.plan)

    def snapshot(self) -> dict[str, float | int]:
        with self._lock:
            return asdict(self.plan)

    def take_failure(self) -> int | None:
        """The status to fail this request with (429 first, then 5xx), or None."""
        with self._lock:
            if self.plan.fail_429 > 0:
                self.plan.fail_429 -= 1
                return 429
            if self.plan.fail_5xx > 0:
                self.plan.fail_5xx -= 1
                return self.plan.fail_5xx_status
            return None

    def take_slow_create(self) -> float | None:
        """Seconds to hold back the answer of this (committed) create, or None."""
        with self._lock:
            if self.plan.slow_creates > 0:
                self.plan.slow_creates -= 1
                return self.plan.delay
            return None


class RateLimiter:
    """A token bucket per credential: ``rate`` requests per second, bursts of ``max(1, rate)``."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str) -> bool:
        if self.rate <= 0:
            return True
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            return allowed
