"""The tracker's retry decisions on top of the shared policy (pitfall 9)."""

from __future__ import annotations

import pytest

from connector.tracker.client import tracker_retry_policy
from connector.tracker.errors import (
    TrackerApiError,
    TrackerAuthError,
    TrackerProtocolError,
    TrackerTransientError,
    TrackerUnavailable,
    retry_verdict,
)


def test_transient_and_unavailable_are_retriable_the_rest_fatal() -> None:
    assert retry_verdict(TrackerTransientError("x")).retriable
    assert retry_verdict(TrackerUnavailable("x", retry_after=7)).retry_after == 7
    for fatal in (TrackerApiError("x"), TrackerAuthError("x"), TrackerProtocolError("x"), ValueError("x")):
        assert not retry_verdict(fatal).retriable


def test_retry_after_is_honoured_up_to_a_minute_and_backoff_up_to_half_a_minute() -> None:
    policy = tracker_retry_policy()
    assert policy.wait_for(1, TrackerUnavailable("x", retry_after=7)) == 7
    assert policy.wait_for(1, TrackerUnavailable("x", retry_after=3600)) == 60
    assert policy.wait_for(20, TrackerTransientError("x"), rand=lambda: 1.0) == 30


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

    assert tracker_retry_policy(max_attempts=5, sleep=slept.append).call(call) == "done"
    assert len(slept) == 2 and slept[1] == 2


def test_fatal_errors_are_not_retried() -> None:
    calls = []

    def call() -> None:
        calls.append(1)
        raise TrackerApiError("bad parameter")

    with pytest.raises(TrackerApiError, match="bad parameter"):
        tracker_retry_policy(max_attempts=5, sleep=lambda s: None).call(call)
    assert len(calls) == 1


def test_the_last_error_surfaces_when_attempts_run_out() -> None:
    calls = []

    def call() -> None:
        calls.append(1)
        raise TrackerUnavailable(f"attempt {len(calls)}")

    with pytest.raises(TrackerUnavailable, match="attempt 3"):
        tracker_retry_policy(max_attempts=3, sleep=lambda s: None).call(call)


def test_policy_rejects_nonsense_limits() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        tracker_retry_policy(max_attempts=0)
    with pytest.raises(ValueError, match="deadline"):
        tracker_retry_policy(deadline=0)
