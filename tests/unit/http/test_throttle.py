"""Client-side politeness: the rate limit spaces requests, the concurrency cap bounds them."""

from __future__ import annotations

import threading

import pytest

from connector.http.throttle import RateLimiter, Throttle
from tests.unit.http.test_retry import FakeClock


def test_throttle_spaces_calls_by_the_rate_and_does_not_wait_after_idle_time() -> None:
    clock = FakeClock()
    throttle = Throttle(4.0, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        with throttle.slot():
            pass
    assert clock.slept == [0.25, 0.25]
    clock.now += 10
    with throttle.slot():
        pass
    assert clock.slept == [0.25, 0.25]


def test_a_burst_of_up_to_the_bucket_size_passes_then_the_rate_applies() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2.0, burst=3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        limiter.acquire()
    assert clock.slept == []
    limiter.acquire()
    limiter.acquire()
    assert clock.slept == [0.5, 0.5]


def test_waiting_callers_reserve_their_turn_instead_of_sharing_one_token() -> None:
    """Two callers arriving together while the bucket is empty wait one and two intervals."""
    waits: list[float] = []
    limiter = RateLimiter(10.0, clock=lambda: 0.0, sleep=waits.append)
    for _ in range(3):
        limiter.acquire()
    assert waits == [pytest.approx(0.1), pytest.approx(0.2)]


def test_rate_and_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Throttle(0)
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(float("nan"))
    with pytest.raises(ValueError, match="max_concurrency"):
        Throttle(1.0, 0)


def test_no_more_than_max_concurrency_requests_are_in_flight() -> None:
    throttle = Throttle(1e6, 2)
    inside = 0
    peak = 0
    lock = threading.Lock()
    release = threading.Event()
    entered = threading.Semaphore(0)

    def request() -> None:
        nonlocal inside, peak
        with throttle.slot():
            with lock:
                inside += 1
                peak = max(peak, inside)
            entered.release()
            release.wait(10)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=request) for _ in range(5)]
    for t in threads:
        t.start()
    entered.acquire(timeout=10)
    entered.acquire(timeout=10)
    assert not entered.acquire(timeout=0.2), "a third request entered while two held the slots"
    release.set()
    for t in threads:
        t.join(10)
    assert peak == 2
