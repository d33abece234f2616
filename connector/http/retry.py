"""One retry policy for every HTTP client: capped exponential backoff with jitter, the server's
``Retry-After`` honoured up to a cap, an overall deadline and a maximum number of attempts.

The policy knows nothing about 1C or trackers: each client hands it a ``Classifier`` that says
whether an exception is worth another attempt and how long the server asked us to wait
(architecture rule 3). Sleep and clock are injectable so the policy is tested without waiting.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception

T = TypeVar("T")


@dataclass(frozen=True)
class Verdict:
    """What one failure means for the next attempt.

    ``retry_after``: seconds the server asked for (``Retry-After``), or ``0.0`` to retry at once
    (e.g. after dropping a stale session); ``None`` lets the backoff decide."""

    retriable: bool
    retry_after: float | None = None


FATAL = Verdict(False)
Classifier = Callable[[BaseException], Verdict]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date, a past date meaning 0);
    None when absent or unreadable, so the backoff decides instead."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """When to try again and how long to wait; ``classify`` carries the domain's judgement."""

    classify: Classifier
    base: float = 0.5
    cap: float = 15.0
    retry_after_cap: float = 60.0
    deadline: float = 120.0
    max_attempts: int = 12
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.deadline <= 0:
            raise ValueError(f"deadline must be positive seconds, got {self.deadline}")
        if self.base < 0 or self.cap < 0 or self.retry_after_cap < 0:
            raise ValueError("base, cap and retry_after_cap must not be negative")

    def should_retry(self, exc: BaseException) -> bool:
        return self.classify(exc).retriable

    def wait_for(
        self, attempt: int, exc: BaseException | None, rand: Callable[[], float] = random.random
    ) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        The verdict's ``retry_after`` wins (capped by ``retry_after_cap``); otherwise exponential
        backoff ``base·2^(attempt-1)`` capped by ``cap``, with "equal jitter" (half fixed, half
        random) so that clients failing together do not come back together."""
        hint = self.classify(exc).retry_after if exc is not None else None
        if hint is not None:
            return float(min(max(hint, 0.0), self.retry_after_cap))
        ceiling = min(self.cap, self.base * (2 ** (attempt - 1)))
        return ceiling / 2 + rand() * ceiling / 2

    def gives_up(self, attempt: int, elapsed: float, next_wait: float) -> bool:
        """True when another attempt is not allowed: too many, or the wait would cross the deadline."""
        return attempt >= self.max_attempts or elapsed + next_wait >= self.deadline

    def remaining(self, started: float) -> float:
        """Seconds left before the deadline of a call that began at ``clock()`` = ``started``."""
        return self.deadline - (self.clock() - started)

    def retrying(self, sleep: Callable[[float], None] | None = None) -> Retrying:
        """A tenacity ``Retrying`` applying this policy; it re-raises the last error when giving up.

        Usable as an iterator of attempts (``for attempt in policy.retrying(): with attempt: …``)
        or called with a function; each use measures its own deadline."""
        started: list[float] = []

        def before(state: RetryCallState) -> None:
            if state.attempt_number == 1:
                started[:] = [self.clock()]

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return self.wait_for(state.attempt_number, exc)

        def stop(state: RetryCallState) -> bool:
            elapsed = self.clock() - started[0] if started else 0.0
            return self.gives_up(state.attempt_number, elapsed, state.upcoming_sleep)

        return Retrying(
            retry=retry_if_exception(self.should_retry),
            wait=wait,
            stop=stop,
            before=before,
            sleep=sleep or self.sleep,
            reraise=True,
        )

    def call(self, fn: Callable[[], T], *, sleep: Callable[[float], None] | None = None) -> T:
        """``fn()`` until it succeeds, fails for good, or attempts/deadline run out (last error raised)."""
        return self.retrying(sleep)(fn)
