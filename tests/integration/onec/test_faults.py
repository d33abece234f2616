"""Recovery from each fault kind mock-1c injects (fixed --fault-seed), within the call deadline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from connector.onec.client import ODataClient
from connector.onec.errors import OutcomeUnknown
from connector.onec.retry import RetryPolicy
from tests.integration.onec.conftest import client_for
from tests.integration.onec.labour_data import TIMESHEET, employee_and_work_type, timesheet
from tests.support.mock1c import MockOneC, running_mock_1c

INTERESTS = "Document_CRM_Интерес"
PATIENT = RetryPolicy(base=0.02, cap=0.2, retry_after_cap=0.5, deadline=30.0, max_attempts=40)
KINDS = {
    "error": "error_rate=0.3",
    "busy": "busy_rate=0.3",
    "lock": "lock_rate=0.4",
    "timeout": "timeout_rate=0.2,hang_s=3,timeout_after_write_ratio=0.5",
    "latency": "latency_ms=5,jitter_ms=20",
}


@pytest.fixture(scope="module", params=sorted(KINDS))
def faulty(request: pytest.FixtureRequest) -> Iterator[tuple[str, MockOneC]]:
    with running_mock_1c(faults=KINDS[request.param], fault_seed=11) as m:
        yield request.param, m


def ensure_timesheet(client: ODataClient, data: dict[str, Any], key: str) -> dict[str, Any]:
    """Architecture rule 1: when a write's outcome is unknown, read before writing again."""
    for _ in range(20):
        existing = client.find_by(TIMESHEET, "Комментарий", key)
        if existing is not None:
            return existing
        try:
            return client.create(TIMESHEET, data)
        except OutcomeUnknown:
            continue
    raise AssertionError("could not create the document")


def test_reads_complete_despite_faults(faulty: tuple[str, MockOneC]) -> None:
    kind, mock = faulty
    client = client_for(mock, policy=PATIENT, timeout=1.0)
    refs = [i["Ref_Key"] for i in client.iter_entities(INTERESTS, select=["Ref_Key"], page_size=5)]
    assert len(refs) == len(set(refs)) == 50
    assert client.count(INTERESTS) == 50
    if kind not in ("latency", "lock"):  # 11 pages and a count without faults; lock hits writes only
        assert client.http.requests_sent > 12
    client.close()


def test_writes_converge_to_exactly_one_document(faulty: tuple[str, MockOneC]) -> None:
    kind, mock = faulty
    client = client_for(mock, policy=PATIENT, timeout=1.0)
    employee, work = employee_and_work_type(client, 0)
    for week in range(4):
        monday = date(2026, 3, 2 + 7 * week)
        key = f"faults-{kind}-{week}"
        ensure_timesheet(client, timesheet(employee, work, monday, 1.0, key), key)
    created = list(client.iter_entities(TIMESHEET, select=["Комментарий"]))
    keys = [c["Комментарий"] for c in created if c["Комментарий"].startswith(f"faults-{kind}-")]
    assert sorted(keys) == [f"faults-{kind}-{w}" for w in range(4)]
    if kind != "latency":  # 2 lookups, 4 × (find, create), 1 listing without faults
        assert client.http.requests_sent > 11
    client.close()
