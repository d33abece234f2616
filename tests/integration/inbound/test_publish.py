"""Pushing tasks to a tracker whose API accepts them: per committed page, never the whole run.

A tracker without that capability (Bitcop: it reads the feed) gets nothing pushed, and the run
keeps no specs for it, so the engine's memory does not grow with the number of tasks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connector.runtime import Runtime
from connector.sync.inbound.engine import InboundEngine
from connector.sync.inbound.items import RunState
from connector.tracker.base import Capabilities, TaskPublication
from tests.integration.inbound.helpers import links


class PushTracker:
    """Only what the inbound engine uses of a tracker: capabilities and ``publish_tasks``."""

    def __init__(self, accepts: bool) -> None:
        self.capabilities = Capabilities(
            publish_tasks=accepts, time_per_day=True, evidence=False, push_time=False
        )
        self.batches: list[list[TaskPublication]] = []

    def publish_tasks(self, specs: Sequence[TaskPublication]) -> None:
        if not self.capabilities.publish_tasks:
            raise AssertionError("a feed-only tracker was sent tasks")
        self.batches.append(list(specs))


class KeptSpecs(InboundEngine):
    """The engine, recording how many specs a run holds at each commit (the memory it keeps)."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.kept: list[int] = []

    def _commit(self, run: RunState) -> None:
        self.kept.append(len(run.published))
        super()._commit(run)


def _with_tracker(runtime: Runtime, tracker: Any) -> None:
    runtime._tracker = tracker  # built lazily from settings otherwise


def test_tasks_are_pushed_per_committed_page_and_all_arrive(runtime: Runtime) -> None:
    tracker = PushTracker(accepts=True)
    _with_tracker(runtime, tracker)
    engine = KeptSpecs(runtime)
    result = engine.run(None, trigger="full")
    assert result.status == "ok", result.error
    pushed = [p.code for batch in tracker.batches for p in batch]
    assert len(pushed) == len(set(pushed)) == result.changed
    assert set(pushed) == {code for code, link in links(runtime).items() if link.status == "open"}
    assert len(tracker.batches) > 3  # page size 20 over the small seed: many commits, many pushes
    assert max(engine.kept) <= 40  # a page (plus the static tasks of a mapping), not the run
    assert sum(engine.kept) == result.changed


def test_a_feed_only_tracker_gets_nothing_and_the_run_keeps_no_specs(runtime: Runtime) -> None:
    tracker = PushTracker(accepts=False)
    _with_tracker(runtime, tracker)
    engine = KeptSpecs(runtime)
    result = engine.run(None, trigger="full")
    assert result.status == "ok", result.error
    assert result.changed > 20
    assert tracker.batches == []
    assert engine.kept and max(engine.kept) == 0


def test_dry_run_pushes_nothing(runtime: Runtime) -> None:
    tracker = PushTracker(accepts=True)
    _with_tracker(runtime, tracker)
    result = InboundEngine(runtime).run(None, trigger="full", dry_run=True)
    assert result.changed > 20
    assert tracker.batches == []
