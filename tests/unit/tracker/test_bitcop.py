"""The Bitcop adapter against a fake account: windows, batching, code mapping, evidence."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import SecretStr

from connector.settings import Settings
from connector.tracker.base import DayTime, Evidence, TaskPublication
from connector.tracker.bitcop import BitcopTracker
from connector.tracker.errors import NotSupported, TrackerProtocolError
from connector.tracker.registry import UnknownTrackerKind, make_tracker, tracker_from_settings
from tests.unit.tracker.fakes import BASE, KEY, Call, Reply, ok, routes, session_with

EMPLOYEES = [
    {"id": 1, "firstName": "Анна", "lastName": "Петрова", "email": "Anna@Example.ru", "active": True},
    {"id": 2, "firstName": "Иван", "lastName": "", "email": "", "active": False},
    {"id": 3, "firstName": "", "lastName": "", "email": "c@example.ru", "active": True},
]
TASKS = [
    {"id": 10, "name": "[CRM-000512] Внедрение склада", "active": True, "employees": [1, 3]},
    {"id": 11, "name": "Обед", "active": True, "employees": []},
]


def tracker_for(table: dict[str, Any], **options: Any) -> tuple[BitcopTracker, list[Call]]:
    session, adapter = session_with(routes(table))
    return BitcopTracker(BASE, KEY, session=session, sleep=lambda s: None, **options), adapter.calls


def per_day(answers: dict[str, list[dict[str, Any]]]) -> Any:
    """A handler answering by the ``begin`` parameter (one local day per request)."""
    return lambda call: ok(answers.get(call.params["begin"], []))


def test_employees_carry_names_emails_and_activity() -> None:
    tracker, _ = tracker_for({"employees": lambda c: ok(EMPLOYEES)})
    got = {(e.id, e.email, e.name, e.active) for e in tracker.employees()}
    assert got == {
        ("1", "Anna@Example.ru", "Анна Петрова", True),
        ("2", None, "Иван", False),
        ("3", "c@example.ru", "c@example.ru", True),
    }


def test_tasks_carry_codes_recovered_from_names() -> None:
    tracker, _ = tracker_for({"tasks": lambda c: ok(TASKS)})
    tasks = {t.id: t for t in tracker.tasks()}
    assert tasks["10"].code == "CRM-000512" and tasks["10"].employee_ids == ("1", "3")
    assert tasks["11"].code is None


def test_time_is_asked_one_day_per_request_with_employees_batched() -> None:
    tracker, calls = tracker_for(
        {
            "employees": lambda c: ok(EMPLOYEES),
            "tasks": lambda c: ok(TASKS),
            "tasks/activity": lambda c: ok([]),
        },
        employees_per_request=2,
    )
    assert list(tracker.time_per_day(date(2025, 2, 27), date(2025, 3, 2))) == []
    windows = [
        (c.params["begin"], c.params["end"], c.params["employees"])
        for c in calls
        if c.path == "tasks/activity"
    ]
    assert windows == [
        ("20250227", "20250228", "1,2"),
        ("20250227", "20250228", "3"),
        ("20250228", "20250301", "1,2"),
        ("20250228", "20250301", "3"),
        ("20250301", "20250302", "1,2"),
        ("20250301", "20250302", "3"),
    ]


def test_time_per_day_maps_task_ids_to_codes_and_sums_split_items() -> None:
    answers = {
        "20250310": [
            {"employeeId": 1, "taskId": 10, "date": "2025-03-10", "totalTime": 3600},
            {"employeeId": 1, "taskId": 10, "date": "2025-03-10", "totalTime": 600},
            {"employeeId": 3, "taskId": 11, "date": "2025-03-10", "totalTime": 1200.0},
        ],
        "20250311": [{"employeeId": 1, "taskId": 10, "date": "2025-03-11", "totalTime": 60}],
    }
    tracker, calls = tracker_for({"tasks": lambda c: ok(TASKS), "tasks/activity": per_day(answers)})
    got = set(tracker.time_per_day(date(2025, 3, 10), date(2025, 3, 12), ["1", "3"]))
    assert got == {
        DayTime("1", "10", "CRM-000512", date(2025, 3, 10), 4200),
        DayTime("3", "11", None, date(2025, 3, 10), 1200),
        DayTime("1", "10", "CRM-000512", date(2025, 3, 11), 60),
    }
    assert [c.path for c in calls].count("tasks") == 1
    assert "employees" not in [c.path for c in calls]


def test_an_unknown_task_id_rereads_the_task_list_once() -> None:
    task_lists = [TASKS, [*TASKS, {"id": 12, "name": "[SRV-7] Новая", "active": True, "employees": []}]]
    answers = {"20250310": [{"employeeId": 1, "taskId": 12, "date": "2025-03-10", "totalTime": 5}]}
    answers["20250311"] = [{"employeeId": 1, "taskId": 99, "date": "2025-03-11", "totalTime": 7}]
    tracker, calls = tracker_for(
        {
            "tasks": lambda c: ok(task_lists.pop(0) if len(task_lists) > 1 else task_lists[0]),
            "tasks/activity": per_day(answers),
        }
    )
    got = list(tracker.time_per_day(date(2025, 3, 10), date(2025, 3, 12), ["1"]))
    assert [(t.task_id, t.task_code) for t in got] == [("12", "SRV-7"), ("99", None)]
    assert [c.path for c in calls].count("tasks") == 2


def test_items_dated_outside_the_requested_day_are_not_counted_twice() -> None:
    answers = {
        "20250310": [
            {"employeeId": 1, "taskId": 10, "date": "2025-03-10", "totalTime": 100},
            {"employeeId": 1, "taskId": 10, "date": "2025-03-11", "totalTime": 999},
        ]
    }
    tracker, _ = tracker_for({"tasks": lambda c: ok(TASKS), "tasks/activity": per_day(answers)})
    got = list(tracker.time_per_day(date(2025, 3, 10), date(2025, 3, 11), ["1"]))
    assert [(t.day, t.seconds) for t in got] == [(date(2025, 3, 10), 100)]


@pytest.mark.parametrize(
    "item",
    [
        {"employeeId": 1, "taskId": 10, "date": "2025-03-10", "totalTime": -5},
        {"employeeId": 1, "taskId": 10, "date": "2025-03-10", "totalTime": "3600"},
        {"employeeId": 1, "taskId": 10, "date": "2025-03-10", "totalTime": 1.5},
        {"employeeId": None, "taskId": 10, "date": "2025-03-10", "totalTime": 1},
        {"employeeId": 1, "taskId": 10, "date": "10.03.2025", "totalTime": 1},
    ],
)
def test_malformed_activity_items_are_protocol_errors(item: dict[str, Any]) -> None:
    tracker, _ = tracker_for({"tasks": lambda c: ok(TASKS), "tasks/activity": lambda c: ok([item])})
    with pytest.raises(TrackerProtocolError):
        list(tracker.time_per_day(date(2025, 3, 10), date(2025, 3, 11), ["1"]))


def test_evidence_groups_screenshots_per_employee_task_and_day_in_time_order() -> None:
    answers: dict[str, list[dict[str, Any]]] = {
        "20250310": [
            {
                "id": 2,
                "employeeId": 1,
                "taskId": 10,
                "timestamp": "2025-03-10T10:10:00+03:00",
                "url": "/shots/2.png",
            },
            {
                "id": 1,
                "employeeId": 1,
                "taskId": 10,
                "timestamp": "2025-03-10T10:00:00+03:00",
                "url": "http://cdn/1.png",
            },
            {
                "id": 3,
                "employeeId": 1,
                "taskId": None,
                "timestamp": "2025-03-10T12:00:00+03:00",
                "url": "http://cdn/3.png",
            },
        ]
    }
    tracker, _ = tracker_for({"tasks": lambda c: ok(TASKS), "screenshots": per_day(answers)})
    got = list(tracker.evidence(date(2025, 3, 10), date(2025, 3, 12), ["1"]))
    assert got == [
        Evidence(
            "1", "10", "CRM-000512", date(2025, 3, 10), ["http://cdn/1.png", "http://bitcop.test/shots/2.png"]
        ),
        Evidence("1", None, None, date(2025, 3, 10), ["http://cdn/3.png"]),
    ]


def test_an_empty_period_asks_nothing_and_a_reversed_one_is_refused() -> None:
    tracker, calls = tracker_for({})
    assert list(tracker.time_per_day(date(2025, 3, 10), date(2025, 3, 10))) == []
    assert calls == []
    with pytest.raises(ValueError, match="begins after it ends"):
        tracker.time_per_day(date(2025, 3, 11), date(2025, 3, 10))


def test_employee_ids_that_are_not_integers_are_refused_before_any_request() -> None:
    tracker, calls = tracker_for({})
    with pytest.raises(ValueError, match="integers"):
        tracker.evidence(date(2025, 3, 10), date(2025, 3, 11), ["1,2"])
    with pytest.raises(ValueError, match="not one string"):
        tracker.time_per_day(date(2025, 3, 10), date(2025, 3, 11), "12")
    assert calls == []


def test_publishing_tasks_is_not_supported() -> None:
    tracker, _ = tracker_for({})
    with pytest.raises(NotSupported, match="task feed"):
        tracker.publish_tasks([TaskPublication("CRM-1", "x")])


def test_repr_does_not_show_the_key() -> None:
    tracker = BitcopTracker(BASE + "?apikey=" + KEY, KEY)
    assert KEY not in repr(tracker)


def test_registry_builds_bitcop_and_refuses_unknown_kinds() -> None:
    assert isinstance(make_tracker("Bitcop", BASE, KEY, rate_limit=2.0), BitcopTracker)
    with pytest.raises(UnknownTrackerKind, match="unknown tracker kind 'toggl'; known kinds: bitcop"):
        make_tracker("toggl", BASE, KEY)


def test_an_error_reply_stops_the_stream_with_the_servers_reason() -> None:
    tracker, _ = tracker_for(
        {
            "tasks": lambda c: ok(TASKS),
            "tasks/activity": lambda c: Reply(400, {"status": "error", "message": "begin must be YYYYMMDD"}),
        }
    )
    with pytest.raises(Exception, match="begin must be YYYYMMDD"):
        list(tracker.time_per_day(date(2025, 3, 10), date(2025, 3, 11), ["1"]))


def test_evidence_orders_screenshots_by_instant_even_when_offsets_differ() -> None:
    shots = [
        {
            "id": 1,
            "employeeId": 1,
            "taskId": 10,
            "timestamp": "2025-03-10T08:30:00+00:00",
            "url": "http://c/late",
        },
        {
            "id": 2,
            "employeeId": 1,
            "taskId": 10,
            "timestamp": "2025-03-10T10:00:00+03:00",
            "url": "http://c/early",
        },
    ]
    tracker, _ = tracker_for({"tasks": lambda c: ok(TASKS), "screenshots": lambda c: ok(shots)})
    (found,) = tracker.evidence(date(2025, 3, 10), date(2025, 3, 11), ["1"])
    assert found.urls == ["http://c/early", "http://c/late"]


def test_the_configured_tracker_is_built_from_settings_and_an_empty_key_is_refused() -> None:
    configured = Settings(tracker_url=BASE, tracker_api_key=SecretStr(KEY), _env_file=None)  # type: ignore[call-arg]
    assert isinstance(tracker_from_settings(configured), BitcopTracker)
    with pytest.raises(ValueError, match="ONEC_BRIDGE_TRACKER_API_KEY"):
        tracker_from_settings(Settings(tracker_url=BASE, tracker_api_key=SecretStr(""), _env_file=None))  # type: ignore[call-arg]


def test_repeated_employee_ids_are_asked_once() -> None:
    tracker, calls = tracker_for({"tasks": lambda c: ok(TASKS), "tasks/activity": lambda c: ok([])})
    list(tracker.time_per_day(date(2025, 3, 10), date(2025, 3, 11), ["3", "1", "3"]))
    assert [c.params["employees"] for c in calls if c.path == "tasks/activity"] == ["3,1"]
