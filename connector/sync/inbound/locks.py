"""The job locks of a mapping's inbound work, for runs started outside the scheduler (the CLI).

The service runs a mapping's inbound work under several job locks: one per scheduled detection
(``inbound:<mapping>:<kind>``, the job names the scheduler gives them), the inbox
worker (webhook hints and resync requests, any mapping) and the reconciliation sweep (a full
re-read of every mapping). A manual run of a mapping takes all of them, in sorted order (so two
manual runs cannot deadlock; a scheduled job takes one lock at a time), and the service's jobs
then skip their firing as ``locked`` instead of processing the same objects at the same time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from connector.mapping.schema import Mapping
from connector.runtime import Runtime
from connector.store.locks import job_lock

SHARED_JOBS = ("inbox", "reconcile")


class LockBusy(RuntimeError):
    """Another process held one of the locks for longer than the caller was willing to wait."""

    def __init__(self, name: str, wait: float) -> None:
        super().__init__(
            f"another inbound run (the service's {name!r} job?) held its lock for {wait:g} s; try again later"
        )
        self.name = name


def inbound_job_name(mapping: str, kind: str) -> str:
    """The scheduler's job (and lock) name of one scheduled detection of a mapping."""
    return f"inbound:{mapping}:{kind}"


def scheduled_kinds(mapping: Mapping) -> list[str]:
    """The change detections of a mapping that run on a schedule (an interval or a cron), in
    mapping order: the service runs one job per kind; webhooks need none."""
    if mapping.source is None:
        return []
    return [d.kind for d in mapping.source.change_detection if d.interval_seconds or d.cron]


def inbound_lock_names(mapping: Mapping) -> list[str]:
    """Every job lock under which the service may process ``mapping``, sorted."""
    names = {inbound_job_name(mapping.name, kind) for kind in scheduled_kinds(mapping)}
    return sorted(names | set(SHARED_JOBS))


@contextlib.contextmanager
def inbound_locks(runtime: Runtime, mapping: str, *, wait: float = 600.0) -> Iterator[None]:
    """Hold every inbound job lock of ``mapping`` for the block, waiting up to ``wait`` seconds
    for each; raises :class:`LockBusy` (holding nothing) when one stays taken.

    Raises ``KeyError`` for an unknown mapping, like ``Runtime.mapping``."""
    names = inbound_lock_names(runtime.mapping(mapping))
    with contextlib.ExitStack() as held:
        for name in names:
            if not held.enter_context(job_lock(runtime.engine, name, wait=wait)):
                raise LockBusy(name, wait)
        yield
