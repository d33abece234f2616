"""Client-side politeness: a rate limit and a cap on requests in flight.

1C bases are licence- and session-bound, and Bitcop publishes no rate limits; either way a
burst of rapid or parallel requests hurts someone, so every client paces itself here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class RateLimiter:
    """A token bucket shared by all threads of one client: at most ``rate`` requests per second
    on average, bursts of up to ``burst``.

    A caller reserves its token under the lock (the bucket may go into debt) and sleeps outside
    it, so waiting callers are served in arrival order and never spin."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate limit must be positive requests per second, got {rate!r}")
        self.rate = rate
        self.burst = max(1, burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(self.burst)
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until this caller may send, then consume its token."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)


class Throttle:
    """Rate limit plus, optionally, a cap on requests in flight (``max_concurrency``).

    The burst allowance equals the concurrency cap (one token per slot), or 1 without a cap."""

    def __init__(
        self,
        rate: float,
        max_concurrency: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_concurrency is not None and max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        self.limiter = RateLimiter(rate, burst=max_concurrency or 1, clock=clock, sleep=sleep)
        self.slots = threading.BoundedSemaphore(max_concurrency) if max_concurrency else None

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the concurrency slots for the request inside the block."""
        if self.slots is None:
            self.limiter.acquire()
            yield
            return
        with self.slots:
            self.limiter.acquire()
            yield
