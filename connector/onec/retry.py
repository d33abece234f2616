"""Politeness towards 1C: the retry policy (tenacity), a rate limiter and a concurrency cap.

1C bases are licence- and session-bound; a burst of parallel or rapid requests hurts the users
working in it. The policy retries only ``Retriable`` errors (never ``OutcomeUnknown``), waits a
capped exponential backoff with jitter or the server's ``Retry-After`` (capped), and gives up
when the next wait would cross the call's overall deadline.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception

from connector.onec.errors import OutcomeUnknown, Retriable, StaleSession

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before the next attempt."""

    base: float = 0.5
    cap: float = 15.0
    retry_after_cap: float = 60.0
    deadline: float = 120.0
    max_attempts: int = 12

    def should_retry(self, exc: BaseException) -> bool:
        return isinstance(exc, Retriable) and not isinstance(exc, OutcomeUnknown)

    def wait_for(
        self, attempt: int, exc: BaseException | None, rand: Callable[[], float] = random.random
    ) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        ``Retry-After`` wins (capped by ``retry_after_cap``); otherwise exponential backoff
        ``base·2^(attempt-1)`` capped by ``cap``, with "equal jitter" (half fixed, half random)."""
        if isinstance(exc, StaleSession):
            return 0.0
        hint = getattr(exc, "retry_after", None)
        if hint is not None:
            return float(min(max(hint, 0.0), self.retry_after_cap))
        ceiling = min(self.cap, self.base * (2 ** (attempt - 1)))
        return ceiling / 2 + rand() * ceiling / 2

    def gives_up(self, attempt: int, elapsed: float, next_wait: float) -> bool:
        """True when another attempt is not allowed: too many, or past the deadline."""
        return attempt >= self.max_attempts or elapsed + next_wait >= self.deadline

    def retrying(self, sleep: Callable[[float], None] = time.sleep) -> Retrying:
        """A tenacity ``Retrying`` applying this policy; re-raises the last error when giving up."""

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return self.wait_for(state.attempt_number, exc)

        def stop(state: RetryCallState) -> bool:
            return self.gives_up(state.attempt_number, state.seconds_since_start or 0.0, state.upcoming_sleep)

        return Retrying(
            retry=retry_if_exception(self.should_retry),
            wait=wait,
            stop=stop,
            sleep=sleep,
            reraise=True,
        )


class RateLimiter:
    """A token bucket shared by all threads of one client: at most ``rate`` requests per second
    on average, bursts of up to ``burst``."""

    def __init__(self, rate: float, burst: int = 1) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            time.sleep(wait)


class Throttle:
    """Rate limit plus a cap on requests in flight (1C sessions are scarce)."""

    def __init__(self, rate: float, max_concurrency: int) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.limiter = RateLimiter(rate, burst=max_concurrency)
        self.slots = threading.BoundedSemaphore(max_concurrency)

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self.slots:
            self.limiter.acquire()
            yield
