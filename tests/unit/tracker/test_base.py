from __future__ import annotations

import pytest

from connector.tracker.base import Tracker, task_code_from_name
from connector.tracker.bitcop import BitcopTracker
from tests.unit.tracker.fakes import BASE, KEY


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("[CRM-000512] Внедрение склада", "CRM-000512"),
        ("  [ CRM-000512 ]   Внедрение склада", "CRM-000512"),
        ("[ИНТ-00042] Продажа", "ИНТ-00042"),
        ("[ЁЛКА.1] ёлочный проект", "ЁЛКА.1"),
        ("[prj_7.2-b]", "prj_7.2-b"),
        ("[SRV-1]Без пробела", "SRV-1"),
        ("Внедрение склада", None),
        ("Встреча [CRM-1] в названии", None),
        ("[] пусто", None),
        ("[CRM 1] пробел внутри", None),
        ("[CRM-1/2] косая черта", None),
        ("(CRM-1) круглые скобки", None),
        ("[CRM-1", None),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_task_code_is_the_leading_bracketed_code(name: str | None, code: str | None) -> None:
    assert task_code_from_name(name) == code


def test_bitcop_adapter_satisfies_the_tracker_protocol_and_declares_it_cannot_publish() -> None:
    tracker = BitcopTracker(BASE, KEY)
    assert isinstance(tracker, Tracker)
    caps = tracker.capabilities
    assert (caps.publish_tasks, caps.time_per_day, caps.evidence, caps.push_time) == (
        False,
        True,
        True,
        False,
    )
