"""Backoff decisions: capped exponential with jitter, Retry-After honoured with a cap, deadline."""

from __future__ import annotations

import pytest

from connector.onec.errors import Conflict, Fatal, OutcomeUnknown, Retriable, StaleSession
from connector.onec.retry import RetryPolicy


def test_backoff_grows_exponentially_and_is_capped() -> None:
    policy = RetryPolicy(base=1.0, cap=8.0)
    low = [policy.wait_for(n, Retriable("x"), rand=lambda: 0.0) for n in range(1, 7)]
    high = [policy.wait_for(n, Retriable("x"), rand=lambda: 1.0) for n in range(1, 7)]
    assert low == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert high == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_retry_after_wins_and_is_capped() -> None:
    policy = RetryPolicy(base=1.0, cap=8.0, retry_after_cap=30.0)
    assert policy.wait_for(1, Retriable("busy", retry_after=7.0)) == 7.0
    assert policy.wait_for(5, Retriable("busy", retry_after=3600.0)) == 30.0
    assert policy.wait_for(3, StaleSession("expired")) == 0.0


def test_only_retriable_errors_are_retried_and_never_unknown_outcomes() -> None:
    policy = RetryPolicy()
    assert policy.should_retry(Retriable("x"))
    assert policy.should_retry(StaleSession("x"))
    assert not policy.should_retry(OutcomeUnknown("x"))
    assert not policy.should_retry(Conflict("x"))
    assert not policy.should_retry(Fatal("x"))
    assert not policy.should_retry(KeyError("x"))


def test_deadline_and_attempt_cap_stop_retrying() -> None:
    policy = RetryPolicy(deadline=10.0, max_attempts=5)
    assert not policy.gives_up(attempt=1, elapsed=2.0, next_wait=1.0)
    assert policy.gives_up(attempt=2, elapsed=9.5, next_wait=1.0)
    assert policy.gives_up(attempt=5, elapsed=0.0, next_wait=0.0)


def test_retrying_sleeps_the_decided_waits_then_reraises() -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(base=1.0, cap=2.0, deadline=1000.0, max_attempts=3)
    calls = 0
    with pytest.raises(Retriable, match="busy"):
        for attempt in policy.retrying(sleep=sleeps.append):
            with attempt:
                calls += 1
                raise Retriable("busy", retry_after=0.25)
    assert calls == 3
    assert sleeps == [0.25, 0.25]


def test_fatal_is_raised_at_once() -> None:
    calls = 0
    with pytest.raises(Fatal):
        for attempt in RetryPolicy().retrying(sleep=lambda s: None):
            with attempt:
                calls += 1
                raise Fatal("no")
    assert calls == 1
