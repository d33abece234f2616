"""The task push against a recording task sink, on SQLite and PostgreSQL: what changed goes, what
did not stays home; ids, failures and unmatched assignees are kept; the feed is left alone."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connector.store.links import LinkData, upsert_link
from connector.store.models import Link, Run
from connector.sync.push.engine import push_tasks
from connector.tracker.base import Capabilities, PublishOutcome, TaskPublication
from connector.tracker.errors import TrackerUnavailable

KNOWN_USERS = {"ivanov@crm.example", "petrova@crm.example"}


class RecordingSink:
    """A task sink that remembers every publish call; codes in ``refuse`` fail, ``down`` raises."""

    capabilities = Capabilities(publish_tasks=True, time_per_day=True, evidence=False, push_time=False)

    def __init__(self) -> None:
        self.calls: list[list[TaskPublication]] = []
        self.refuse: set[str] = set()
        self.down = False
        self.ids: dict[str, str] = {}

    def publish_tasks(self, specs: Sequence[TaskPublication]) -> list[PublishOutcome]:
        if self.down:
            raise TrackerUnavailable("connection refused")
        self.calls.append(list(specs))
        out = []
        for p in specs:
            if p.code in self.refuse:
                out.append(PublishOutcome(p.code, "failed", error="name too long"))
                continue
            created = p.code not in self.ids
            self.ids.setdefault(p.code, f"t{len(self.ids) + 1}")
            missing = tuple(e for e in p.assignee_emails if e not in KNOWN_USERS)
            out.append(PublishOutcome(p.code, "created" if created else "updated", self.ids[p.code], missing))
        return out

    def pushed(self) -> list[str]:
        return [p.code for call in self.calls for p in call]


def _link(
    n: int, *, status: str = "open", title: str | None = None, who: str = "ivanov@crm.example"
) -> LinkData:
    return LinkData(
        "service",
        "Document_CRM_Интерес",
        f"00000000-0000-4000-8000-{n:012d}",
        f"CRM-{n:06d}",
        f"h{n}-{title}-{status}-{who}",
        status=status,
        title=title or f"Заявка {n}",
        assignees=[who],
        planned_minutes=60 * n,
        payload={"customer": "ООО Ромашка", "assignees": [{"email": who, "name": "Сотрудник"}]},
    )


@pytest.fixture
def loop(sessions: sessionmaker[Session]) -> tuple[Any, RecordingSink]:
    sink = RecordingSink()
    settings = SimpleNamespace(tracker_kind="kimai", tracker_url="http://kimai.test/api")
    runtime = SimpleNamespace(tracker=sink, sessions=sessions, settings=settings)
    with sessions.begin() as s:
        for n in range(1, 8):
            upsert_link(s, _link(n))
        upsert_link(s, _link(8, status="closed"))  # closed before the tracker ever had it
        upsert_link(s, _link(9, who="stranger@crm.example"))
    return runtime, sink


def _links(sessions: sessionmaker[Session]) -> dict[str, Link]:
    with sessions() as s:
        return {link.task_code: link for link in s.execute(select(Link)).scalars()}


def test_first_push_sends_every_open_task_in_batches_and_keeps_the_ids(
    loop: tuple[Any, RecordingSink],
) -> None:
    runtime, sink = loop
    seq_before = {c: link.feed_seq for c, link in _links(runtime.sessions).items()}
    result = push_tasks(runtime, batch=3)
    assert result.status == "ok", result
    assert sorted(sink.pushed()) == [f"CRM-{n:06d}" for n in (1, 2, 3, 4, 5, 6, 7, 9)]
    assert max(len(c) for c in sink.calls) <= 3
    first = sink.calls[0][0]
    assert first.customer == "ООО Ромашка" and first.planned_minutes == 60 and first.open
    assert first.assignee_emails == ("ivanov@crm.example",)
    links = _links(runtime.sessions)
    assert links["CRM-000001"].tracker_task_id == sink.ids["CRM-000001"]
    assert links["CRM-000008"].tracker_task_id is None  # nothing created for a closed object
    assert {c: link.feed_seq for c, link in links.items()} == seq_before  # the feed did not move
    assert result.unmatched_emails == {"stranger@crm.example": ["CRM-000009"]}
    assert result.counters["created"] == 8


def test_a_tick_without_change_sends_nothing_and_a_change_sends_only_it(
    loop: tuple[Any, RecordingSink],
) -> None:
    runtime, sink = loop
    push_tasks(runtime)
    sink.calls.clear()
    assert push_tasks(runtime).status == "ok"
    assert sink.calls == []
    with runtime.sessions.begin() as s:
        upsert_link(s, _link(3, title="Заявка 3 — новое название"))
        upsert_link(s, _link(5, status="closed"))
    push_tasks(runtime)
    assert sorted(sink.pushed()) == ["CRM-000003", "CRM-000005"]
    sent = {p.code: p for call in sink.calls for p in call}
    assert sent["CRM-000003"].title == "Заявка 3 — новое название"
    assert sent["CRM-000005"].open is False and sent["CRM-000005"].known_id == sink.ids["CRM-000005"]


def test_a_refused_task_keeps_its_error_and_is_retried_until_it_goes(loop: tuple[Any, RecordingSink]) -> None:
    runtime, sink = loop
    sink.refuse = {"CRM-000002"}
    result = push_tasks(runtime)
    assert result.status == "partial" and result.counters["failed"] == 1
    assert _links(runtime.sessions)["CRM-000002"].push_error == "name too long"
    sink.calls.clear()
    push_tasks(runtime)
    assert sink.pushed() == ["CRM-000002"]  # retried; the others unchanged
    sink.refuse.clear()
    sink.calls.clear()
    assert push_tasks(runtime).status == "ok"
    assert sink.pushed() == ["CRM-000002"]
    link = _links(runtime.sessions)["CRM-000002"]
    assert link.push_error is None and link.tracker_task_id == sink.ids["CRM-000002"]
    sink.calls.clear()
    push_tasks(runtime)
    assert sink.calls == []


def test_an_unreachable_tracker_fails_the_run_and_loses_nothing(loop: tuple[Any, RecordingSink]) -> None:
    runtime, sink = loop
    sink.down = True
    result = push_tasks(runtime)
    assert result.status == "failed" and "connection refused" in (result.error or "")
    with runtime.sessions() as s:
        run = s.get(Run, result.run_id)
        assert run is not None and run.status == "failed" and run.kind == "push"
    sink.down = False
    push_tasks(runtime)
    assert len(sink.pushed()) == 8  # everything still went once the tracker was back


def test_another_tracker_gets_everything_again(loop: tuple[Any, RecordingSink]) -> None:
    runtime, sink = loop
    push_tasks(runtime)
    sink.calls.clear()
    runtime.settings.tracker_url = "http://other-kimai.test/api"
    push_tasks(runtime)
    assert len(sink.pushed()) == 8
