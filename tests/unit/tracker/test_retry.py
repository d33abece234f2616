from __future__ import annotations

import random

import pytest

from connector.tracker.errors import TrackerApiError, TrackerTransientError, TrackerUnavailable
from connector.tracker.retry import RetryPolicy, Throttle


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_throttle_spaces_calls_by_the_rate_and_does_not_wait_after_idle_time() -> None:
    clock = FakeClock()
    throttle = Throttle(4.0, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        throttle.wait()
    assert clock.slept == [0.25, 0.25]
    clock.now += 10
    throttle.wait()
    assert clock.slept == [0.25, 0.25]


def test_throttle_rejects_a_non_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive"):
        Throttle(0)


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    policy = RetryPolicy(max_retry_after=60)
    assert policy.delay(1, TrackerUnavailable("x", retry_after=7)) == 7
    assert policy.delay(1, TrackerUnavailable("x", retry_after=3600)) == 60


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    rng = random.Random(1)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = {policy.delay(attempt, TrackerTransientError("x"), rng) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1


def test_transient_errors_are_retried_until_success() -> None:
    outcomes: list[Exception | str] = [
        TrackerTransientError("a"),
        TrackerUnavailable("b", retry_after=2),
        "done",
    ]
    slept: list[float] = []

    def call() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert RetryPolicy(max_attempts=5).call(call, sleep=slept.append) == "done"
    assert len(slept) == 2 and slept[1] == 2


def test_fatal_errors_are_not_retried() -> None:
    calls = []

    def call() -> None:
        calls.append(1)
        raise TrackerApiError("bad parameter")

    with pytest.raises(TrackerApiError, match="bad parameter"):
        RetryPolicy(max_attempts=5).call(call, sleep=lambda s: None)
    assert len(calls) == 1


def test_the_last_error_surfaces_when_attempts_run_out() -> None:
    calls = []

    def call() -> None:
        calls.append(1)
        raise TrackerUnavailable(f"attempt {len(calls)}")

    with pytest.raises(TrackerUnavailable, match="attempt 3"):
        RetryPolicy(max_attempts=3).call(call, sleep=lambda s: None)


def test_policy_rejects_nonsense_limits() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="deadline"):
        RetryPolicy(deadline=0)


def test_a_wait_that_would_overrun_the_deadline_is_not_taken() -> None:
    calls: list[int] = []
    slept: list[float] = []

    def call() -> None:
        calls.append(1)
        raise TrackerUnavailable("off", retry_after=30)

    with pytest.raises(TrackerUnavailable):
        RetryPolicy(max_attempts=5, deadline=5).call(call, sleep=slept.append)
    assert calls == [1] and slept == []
