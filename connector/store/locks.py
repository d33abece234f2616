"""Job locks: one holder per job name across threads, processes and (on PostgreSQL) hosts.

The scheduler's jobs and the CLI's manual runs take the same locks, so a manual run and the
service never process the same work at the same time.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, text

from connector.store.db import is_postgresql

_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_try_advisory_lock`` derived from the job name."""
    digest = hashlib.blake2b(f"onec-bridge:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _file_lock(engine: Engine, name: str) -> Any:
    """An exclusive ``flock`` beside a SQLite file, so the CLI and ``serve`` exclude each other."""
    import fcntl

    database = engine.url.database
    if not database or database == ":memory:":
        return None
    safe = "".join(c if c.isalnum() else "_" for c in name)
    handle = open(f"{database}.{safe}.lock", "a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    return handle


@contextlib.contextmanager
def job_lock(engine: Engine, name: str, wait: float = 0.0) -> Iterator[bool]:
    """Yield True when this process holds the job's lock for the block, False when another does.

    PostgreSQL: ``pg_try_advisory_lock`` (cluster-wide). SQLite: a thread lock plus a file lock
    beside the database file (process-wide: a CLI run and ``serve`` never run one job together).
    ``wait`` seconds: keep trying that long before giving up (the CLI waits; jobs do not).
    """
    deadline = time.monotonic() + wait
    while True:
        with _try_lock(engine, name) as got:
            if got or time.monotonic() >= deadline:
                yield got
                return
        time.sleep(0.5)


@contextlib.contextmanager
def _try_lock(engine: Engine, name: str) -> Iterator[bool]:
    if not is_postgresql(engine):
        with _local_guard:
            lock = _local_locks.setdefault(name, threading.Lock())
        got = lock.acquire(blocking=False)
        handle = _file_lock(engine, name) if got else None
        if handle is False:
            lock.release()
            got = False
        try:
            yield got
        finally:
            if got:
                if handle:
                    handle.close()
                lock.release()
        return
    key = advisory_key(name)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
