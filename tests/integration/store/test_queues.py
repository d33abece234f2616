from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from connector.store.history import (
    clear_failure,
    finish_run,
    list_failures,
    park,
    record_failure,
    record_run_item,
    start_run,
)
from connector.store.models import InboxEvent, OutboxIntent
from connector.store.queues import (
    claim_inbox,
    claim_outbox,
    complete_inbox,
    complete_outbox,
    fail_outbox,
    inbox_add,
    next_outbox_version,
    outbox_add,
    retry_parked_outbox,
)

REF = "11111111-1111-1111-1111-111111111111"
NO_WAIT = lambda attempt: timedelta(0)  # noqa: E731


def test_duplicate_webhook_is_refused_and_a_new_data_version_is_kept(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        assert inbox_add(s, "Document_CRM_Интерес", REF, "AAAA", {"Number": "CRM-1"})
        assert not inbox_add(s, "Document_CRM_Интерес", REF, "AAAA")
        assert inbox_add(s, "Document_CRM_Интерес", REF, "BBBB")
    with sessions.begin() as s:
        claimed = claim_inbox(s, "w1")
        assert [e.data_version for e in claimed] == ["AAAA", "BBBB"]
        assert claimed[0].payload == {"Number": "CRM-1"} and claimed[0].attempts == 1
    with sessions.begin() as s:
        assert claim_inbox(s, "w2") == []
        assert complete_inbox(s, claimed[0].id, "w1")
        assert not complete_inbox(s, claimed[1].id, "w2")
        assert s.get(InboxEvent, claimed[0].id).state == "done"  # type: ignore[union-attr]


def test_outbox_versions_of_one_key_are_delivered_in_order_one_at_a_time(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        assert next_outbox_version(s, "emp1|2026-W48") == 1
        assert outbox_add(s, "emp1|2026-W48", 1, {"rows": 1})
        assert outbox_add(s, "emp1|2026-W48", 2, {"rows": 2})
        assert not outbox_add(s, "emp1|2026-W48", 2, {"rows": 99})
        assert outbox_add(s, "emp2|2026-W48", 1, {"rows": 3})
        assert next_outbox_version(s, "emp1|2026-W48") == 3
    with sessions.begin() as s:
        first = claim_outbox(s, "w1", limit=10)
        assert sorted((i.target_key, i.version) for i in first) == [
            ("emp1|2026-W48", 1),
            ("emp2|2026-W48", 1),
        ]
    with sessions.begin() as s:
        assert claim_outbox(s, "w2") == []
        emp1 = next(i for i in first if i.target_key == "emp1|2026-W48")
        assert complete_outbox(s, emp1.id, "w1")
    with sessions.begin() as s:
        nxt = claim_outbox(s, "w2")
        assert [(i.version, i.payload) for i in nxt] == [(2, {"rows": 2})]


def test_failed_delivery_backs_off_then_parks_and_an_operator_can_retry(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        outbox_add(s, "emp1|2026-W48", 1, {})
    with sessions.begin() as s:
        (intent,) = claim_outbox(s, "w1")
        assert fail_outbox(s, intent.id, "w1", "HTTP 503", retry_after=timedelta(hours=1)) == "pending"
    with sessions.begin() as s:
        assert claim_outbox(s, "w1") == []  # Retry-After honoured
        row = s.get(OutboxIntent, intent.id)
        assert row is not None and row.last_error == "HTTP 503"
        row.next_attempt_at = row.created_at
    for _ in range(2):
        with sessions.begin() as s:
            (intent,) = claim_outbox(s, "w1")
            state = fail_outbox(s, intent.id, "w1", "HTTP 500", backoff=NO_WAIT, max_attempts=3)
    assert state == "parked"
    with sessions.begin() as s:
        assert claim_outbox(s, "w1") == []
        assert retry_parked_outbox(s, intent.id)
    with sessions.begin() as s:
        (again,) = claim_outbox(s, "w1")
        assert again.attempts == 1


def test_an_expired_claim_is_taken_over_and_the_old_worker_cannot_complete(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        outbox_add(s, "k", 1, {})
    with sessions.begin() as s:
        (mine,) = claim_outbox(s, "dead-worker")
    with sessions.begin() as s:
        assert claim_outbox(s, "w2", lease=timedelta(minutes=5)) == []
        (taken,) = claim_outbox(s, "w2", lease=timedelta(seconds=-1))
        assert taken.id == mine.id and taken.attempts == 2
    with sessions.begin() as s:
        assert not complete_outbox(s, mine.id, "dead-worker")
        assert complete_outbox(s, mine.id, "w2")


def test_claim_with_a_prefix_leaves_other_kinds_untouched(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        assert outbox_add(s, "labour/odata_timesheet/e1|2026-W10", 1, {})
        assert outbox_add(s, "labour_x/other", 1, {})
        assert outbox_add(s, "tasks/push/1", 1, {})
    with sessions.begin() as s:
        mine = claim_outbox(s, "labour-worker", limit=10, prefix="labour/")
        assert [i.target_key for i in mine] == ["labour/odata_timesheet/e1|2026-W10"]
    with sessions.begin() as s:
        others = s.query(OutboxIntent).filter(OutboxIntent.target_key != mine[0].target_key).all()
        assert {(i.state, i.attempts) for i in others} == {("pending", 0)}
        assert claim_outbox(s, "labour-worker", limit=10, prefix="labour/") == []
        assert {i.target_key for i in claim_outbox(s, "any", limit=10)} == {"labour_x/other", "tasks/push/1"}


def test_runs_count_items_per_outcome_and_reason(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        run = start_run(s, "inbound", "schedule", "service")
        record_run_item(s, run, REF, "skipped", "no_assignee", "Ответственный_Key is empty")
        record_run_item(s, run, REF, "created")
        finish_run(s, run, "ok", {"unchanged": 7})
    with sessions() as s:
        assert run.counters == {"skipped": 1, "skipped:no_assignee": 1, "created": 1, "unchanged": 7}
        assert run.finished_at is not None and run.status == "ok"


def test_failures_park_after_n_attempts_and_clear(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        assert not record_failure(s, "link", REF, "timeout", park_after=2).parked
        assert record_failure(s, "link", REF, "timeout", park_after=2).parked
        park(s, "labour", "e|o|2026-11-02|w", "closed period until 2026-10-31")
    with sessions.begin() as s:
        parked = list_failures(s, parked=True)
        assert {f.kind for f in parked} == {"link", "labour"}
        assert clear_failure(s, "link", REF)
        assert not clear_failure(s, "link", REF)
