"""Request policy shared by tracker adapters: a client-side throttle and one retry decision.

Bitcop publishes no rate limits, so we stay polite on our side (``Throttle``) and treat 429,
5xx, timeouts and connection errors as retriable with capped exponential backoff plus jitter,
honouring ``Retry-After`` up to a cap (pitfall 9). Everything else fails at once.
Clock and sleep are injectable so the policy is tested without waiting.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_before_delay

from connector.tracker.errors import TrackerError

T = TypeVar("T")


class Throttle:
    """Spaces calls at least ``1 / rate`` seconds apart, across threads."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate limit must be positive requests per second, got {rate!r}")
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until the next call is allowed, then claim its slot."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)


def is_retriable(error: BaseException) -> bool:
    return isinstance(error, TrackerError) and error.retriable


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one logical call is retried."""

    max_attempts: int = 5
    deadline: float = 120.0
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.deadline <= 0:
            raise ValueError(f"deadline must be positive seconds, got {self.deadline}")

    def delay(self, attempt: int, error: BaseException | None, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed ``attempt`` (1-based): Retry-After if given, else backoff."""
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return max(0.0, min(float(retry_after), self.max_retry_after))
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)

    def call(self, fn: Callable[[], T], *, sleep: Callable[[float], None] = time.sleep) -> T:
        """Run ``fn`` until it succeeds, fails fatally, or attempts/deadline run out (last error raised)."""

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            return self.delay(state.attempt_number, error)

        retrying = Retrying(
            retry=retry_if_exception(is_retriable),
            stop=stop_after_attempt(self.max_attempts) | stop_before_delay(self.deadline),
            wait=wait,
            sleep=sleep,
            reraise=True,
        )
        return retrying(fn)
