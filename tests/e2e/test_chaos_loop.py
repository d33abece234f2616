"""The whole loop under 1C faults with the connector SIGKILLed at random points, then converged.

Invariants once faults are off and the connector has caught up: the feed's open tasks are
exactly the open service interests in 1C, each once; the labour in 1C equals the tracker's
truth rounded per employee/object/day; the outbox holds nothing but parked items with reasons.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from tests.e2e.harness import FAULTS_OFF, FAULTS_ON, ChaosLoop, poll

SESSION_POOL = 100


@pytest.fixture
def loop(tmp_path: Path) -> Iterator[ChaosLoop]:
    # Each round SIGKILLs up to three connector processes (sync tasks, sync labour, serve), and a
    # start of a session whose answer a fault lost also stays open until mock 1C ends it as idle
    # (--session-timeout, 20 min, as a 1C server does): longer than the long variant, whose kills
    # would fill the default pool of 20 and have every later session refused (406).
    chaos = ChaosLoop(tmp_path, seed=11, onec_sessions=SESSION_POOL)
    try:
        chaos.start_onec()
        chaos.start_tracker()
        chaos.start_connector()
        yield chaos
    finally:
        chaos.close()


def register_email(loop: ChaosLoop, users: list[dict[str, str]], n: int) -> None:
    """A new incoming e-mail becomes a service interest in 1C (the inbound flow must pick it up)."""
    body = {
        "from": f"client{n}@chaos.example",
        "subject": f"chaos {n}",
        "text": "x",
        "Ответственный_Key": users[n % len(users)]["Ref_Key"],
    }
    requests.post(f"{loop.onec_root}/_mock/emails", json=body, timeout=30)


def converge(loop: ChaosLoop, first: date, last: date, deadline_s: float) -> None:
    """Drive the loop with faults off until every invariant holds (or fail with what differs)."""
    state: dict[str, object] = {}

    def settled() -> bool:
        loop.cli("sync", "all")
        loop.tracker_sync_feed()
        loop.skip_backoff()
        time.sleep(6)  # the deliver job runs every 5 s
        busy = [o for o in loop.outbox() if o[1] in ("pending", "claimed")]
        feed = loop.feed_codes()
        expected_codes = loop.expected_open_codes()
        labour, truth = loop.labour_in_1c(first, last), loop.expected_labour(first, last)
        state.update(busy=busy, feed=Counter(feed), expected=expected_codes, labour=labour, truth=truth)
        return not busy and set(feed) == expected_codes and labour == truth

    try:
        poll(settled, deadline_s, step=0.5, what="convergence")
    except AssertionError:
        pass
    feed = state["feed"]
    assert isinstance(feed, Counter)
    assert not state["busy"], f"deliveries still waiting: {state['busy']}\n{loop.logs()}"
    assert [c for c, n in feed.items() if n > 1] == [], "a task is listed more than once"
    expected = set(state["expected"])  # type: ignore[call-overload]
    assert set(feed) == expected, (
        f"missing {sorted(expected - set(feed))}, extra {sorted(set(feed) - expected)}"
    )
    labour, truth = state["labour"], state["truth"]
    assert isinstance(labour, dict) and isinstance(truth, dict)
    diff = {
        k: (labour.get(k), truth.get(k)) for k in set(labour) | set(truth) if labour.get(k) != truth.get(k)
    }
    sessions = f"{loop.open_onec_sessions()} of {loop.onec_sessions} 1C sessions open"
    assert diff == {}, f"labour in 1C differs from the truth (1C, truth; {sessions}): {diff}"
    assert truth, "the scenario produced no labour to compare"
    for key, state_, reason in loop.outbox():
        assert state_ in ("done", "parked"), (key, state_)
        if state_ == "parked":
            assert reason, f"parked intent {key} has no reason"


def run_chaos(loop: ChaosLoop, *, kills: int, days: int, seed: int) -> None:
    rng = random.Random(seed)
    first = date.today() - timedelta(days=days + 1)
    last = first + timedelta(days=days - 1)
    # a clean start so the tracker has tasks and people to simulate work for
    poll(lambda: loop.cli("sync", "tasks") == 0, 120, what="first inbound sync")
    poll(loop.tracker_sync_feed, 60, what="first feed import")
    loop.simulate(first, days)
    users = loop.onec_entities("Catalog_Пользователи", **{"$top": "5"})
    loop.set_faults(FAULTS_ON)
    for n in range(kills):
        register_email(loop, users, n)
        loop.cli("sync", "tasks", kill_after=rng.uniform(0.5, 6))
        loop.tracker_sync_feed()
        loop.cli("sync", "labour", kill_after=rng.uniform(1, 10))
        time.sleep(rng.uniform(0.2, 4))  # the deliver and inbox jobs are mid-flight somewhere here
        loop.kill_connector()
        loop.start_connector()
    loop.set_faults(FAULTS_OFF)
    converge(loop, first, last, deadline_s=240)


@pytest.mark.chaos_long  # a minute of kills under faults: behind `make chaos`, which CI runs too
def test_whole_loop_survives_faults_and_kills(loop: ChaosLoop) -> None:
    run_chaos(loop, kills=3, days=3, seed=5)


@pytest.mark.chaos_long
@pytest.mark.timeout(1200)
def test_whole_loop_survives_faults_and_kills_long(loop: ChaosLoop) -> None:
    run_chaos(loop, kills=10, days=10, seed=6)
