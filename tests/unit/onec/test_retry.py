"""1C's retry decisions on top of the shared policy: which errors are retried and how soon."""

from __future__ import annotations

import pytest

from connector.http.retry import RetryPolicy as SharedRetryPolicy
from connector.onec.errors import Conflict, Fatal, OutcomeUnknown, Retriable, StaleSession, retry_verdict
from connector.onec.retry import RetryPolicy


def test_only_retriable_errors_are_retried_and_never_unknown_outcomes() -> None:
    policy = RetryPolicy()
    assert policy.should_retry(Retriable("x"))
    assert policy.should_retry(StaleSession("x"))
    assert not policy.should_retry(OutcomeUnknown("x"))
    assert not policy.should_retry(Conflict("x"))
    assert not policy.should_retry(Fatal("x"))
    assert not policy.should_retry(KeyError("x"))


def test_retry_after_from_1c_wins_and_a_stale_session_is_retried_at_once() -> None:
    policy = RetryPolicy(base=1.0, cap=8.0, retry_after_cap=30.0)
    assert policy.wait_for(1, Retriable("busy", retry_after=7.0)) == 7.0
    assert policy.wait_for(5, Retriable("busy", retry_after=3600.0)) == 30.0
    assert policy.wait_for(3, StaleSession("expired")) == 0.0
    assert policy.wait_for(2, Retriable("busy"), rand=lambda: 0.0) == 1.0


def test_the_1c_policy_is_the_shared_one_with_1cs_verdict() -> None:
    policy = RetryPolicy(deadline=5.0)
    assert isinstance(policy, SharedRetryPolicy)
    assert policy.classify is retry_verdict
    assert (policy.cap, policy.max_attempts, policy.deadline) == (15.0, 12, 5.0)


def test_a_fatal_1c_error_is_raised_at_once_and_a_busy_one_until_attempts_run_out() -> None:
    calls = 0
    with pytest.raises(Fatal):
        for attempt in RetryPolicy().retrying(sleep=lambda s: None):
            with attempt:
                calls += 1
                raise Fatal("no")
    assert calls == 1
    sleeps: list[float] = []
    with pytest.raises(Retriable, match="busy"):
        for attempt in RetryPolicy(max_attempts=3).retrying(sleep=sleeps.append):
            with attempt:
                raise Retriable("busy", retry_after=0.25)
    assert sleeps == [0.25, 0.25]
