"""The shared retry policy: capped exponential backoff with jitter, Retry-After honoured with a cap,
an overall deadline and an attempt cap; the classifier alone decides what is retriable."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from connector.http.retry import FATAL, RetryPolicy, Verdict, parse_retry_after


class Busy(Exception):
    def __init__(self, message: str = "busy", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Refused(Exception):
    pass


def verdict(exc: BaseException) -> Verdict:
    if isinstance(exc, Busy):
        return Verdict(True, retry_after=exc.retry_after)
    return FATAL


class FakeClock:
    """A clock that moves only when the policy sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def policy(**kw: float) -> RetryPolicy:
    return RetryPolicy(classify=verdict, **kw)  # type: ignore[arg-type]


def test_backoff_grows_exponentially_and_is_capped() -> None:
    p = policy(base=1.0, cap=8.0)
    low = [p.wait_for(n, Busy(), rand=lambda: 0.0) for n in range(1, 7)]
    high = [p.wait_for(n, Busy(), rand=lambda: 1.0) for n in range(1, 7)]
    assert low == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert high == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_backoff_has_jitter_within_the_upper_half_of_the_ceiling() -> None:
    p = policy(base=1.0, cap=8.0)
    rng = random.Random(1)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = {p.wait_for(attempt, Busy(), rng.random) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1


def test_retry_after_wins_and_is_capped() -> None:
    p = policy(base=1.0, cap=8.0, retry_after_cap=30.0)
    assert p.wait_for(1, Busy(retry_after=7.0)) == 7.0
    assert p.wait_for(5, Busy(retry_after=3600.0)) == 30.0
    assert p.wait_for(3, Busy(retry_after=0.0)) == 0.0
    assert p.wait_for(2, Busy(retry_after=-5.0)) == 0.0


def test_only_what_the_classifier_calls_retriable_is_retried() -> None:
    p = policy()
    assert p.should_retry(Busy())
    assert not p.should_retry(Refused())
    assert not p.should_retry(KeyError("x"))


def test_deadline_and_attempt_cap_stop_retrying() -> None:
    p = policy(deadline=10.0, max_attempts=5)
    assert not p.gives_up(attempt=1, elapsed=2.0, next_wait=1.0)
    assert p.gives_up(attempt=2, elapsed=9.5, next_wait=1.0)
    assert p.gives_up(attempt=5, elapsed=0.0, next_wait=0.0)


def test_retrying_sleeps_the_decided_waits_then_reraises_the_last_error() -> None:
    sleeps: list[float] = []
    p = policy(base=1.0, cap=2.0, deadline=1000.0, max_attempts=3)
    calls = 0
    with pytest.raises(Busy, match="attempt 3"):
        for attempt in p.retrying(sleep=sleeps.append):
            with attempt:
                calls += 1
                raise Busy(f"attempt {calls}", retry_after=0.25)
    assert calls == 3
    assert sleeps == [0.25, 0.25]


def test_a_fatal_error_is_raised_at_once() -> None:
    calls = 0
    with pytest.raises(Refused):
        for attempt in policy().retrying(sleep=lambda s: None):
            with attempt:
                calls += 1
                raise Refused("no")
    assert calls == 1


def test_call_retries_until_success_with_the_policys_own_sleep() -> None:
    clock = FakeClock()
    outcomes: list[Exception | str] = [Busy("a"), Busy("b", retry_after=2), "done"]

    def call() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    p = RetryPolicy(classify=verdict, max_attempts=5, sleep=clock.sleep, clock=clock)
    assert p.call(call) == "done"
    assert len(clock.slept) == 2 and clock.slept[1] == 2


def test_the_deadline_is_measured_on_the_injected_clock_from_the_first_attempt() -> None:
    clock = FakeClock()
    calls: list[int] = []

    def call() -> None:
        calls.append(1)
        clock.now += 4.0  # each attempt takes 4 s of the deadline
        raise Busy(retry_after=1.0)

    p = RetryPolicy(classify=verdict, deadline=12.0, max_attempts=100, sleep=clock.sleep, clock=clock)
    with pytest.raises(Busy):
        p.call(call)
    # attempts end at 4, 9 and 14 s (each followed by a 1 s wait); at 14 the wait would cross 12
    assert len(calls) == 3 and clock.slept == [1.0, 1.0]
    calls.clear()
    with pytest.raises(Busy):
        p.call(call)
    assert len(calls) == 3, "a second call gets a fresh deadline"


def test_a_wait_that_would_overrun_the_deadline_is_not_taken() -> None:
    calls: list[int] = []
    slept: list[float] = []

    def call() -> None:
        calls.append(1)
        raise Busy("off", retry_after=30)

    with pytest.raises(Busy):
        policy(max_attempts=5, deadline=5).call(call, sleep=slept.append)
    assert calls == [1] and slept == []


def test_remaining_counts_down_on_the_policys_clock() -> None:
    clock = FakeClock()
    p = RetryPolicy(classify=verdict, deadline=30.0, clock=clock)
    start = clock()
    clock.now += 12.5
    assert p.remaining(start) == 17.5


def test_policy_rejects_nonsense_limits() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        policy(max_attempts=0)
    with pytest.raises(ValueError, match="deadline"):
        policy(deadline=0)
    with pytest.raises(ValueError, match="negative"):
        policy(cap=-1)


def test_retry_after_header_as_seconds_or_http_date() -> None:
    now = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("Sat, 01 Mar 2025 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("Sat, 01 Mar 2025 12:01:00 -0000", now=now) == 60.0


def test_an_absent_or_unreadable_retry_after_leaves_the_wait_to_the_backoff() -> None:
    for value in (None, "", "soon", "Sat, 99 Foo"):
        assert parse_retry_after(value) is None
