"""Two workers on PostgreSQL, each with its own connection, drain one outbox concurrently."""

import threading
from collections import Counter

import pytest
from sqlalchemy.orm import Session, sessionmaker

from connector.store.db import make_engine, session_factory
from connector.store.migrate import upgrade
from connector.store.queues import claim_outbox, complete_outbox, outbox_add

pytestmark = pytest.mark.pg


def _worker(
    sessions: sessionmaker[Session], name: str, start: threading.Barrier, claims: list[tuple[str, int, int]]
) -> None:
    start.wait()
    while True:
        with sessions.begin() as s:
            batch = claim_outbox(s, name, limit=3)
            got = [(i.id, i.target_key, i.version) for i in batch]
        if not got:
            return
        for intent_id, key, version in got:
            claims.append((name, intent_id, version))
            with sessions.begin() as s:
                if not complete_outbox(s, intent_id, name):
                    claims.append(("lost-claim:" + key, intent_id, version))


def test_two_workers_never_claim_the_same_outbox_row(pg_url: str) -> None:
    upgrade(pg_url)
    engine = make_engine(pg_url, pool_size=4)
    sessions = session_factory(engine)
    try:
        with sessions.begin() as s:
            for key in range(40):
                for version in (1, 2, 3):
                    outbox_add(s, f"emp{key}|2026-W48", version, {"n": version})
        start = threading.Barrier(2)
        claims: list[tuple[str, int, int]] = []
        threads = [threading.Thread(target=_worker, args=(sessions, f"w{i}", start, claims)) for i in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        ids = Counter(intent_id for _, intent_id, _ in claims)
        assert len(ids) == 120
        assert max(ids.values()) == 1
        assert {name for name, _, _ in claims} <= {"w1", "w2"}
    finally:
        engine.dispose()
