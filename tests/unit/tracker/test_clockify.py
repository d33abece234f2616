"""The Clockify adapter against an in-process workspace: projects, tasks, report paging, days."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from connector.tracker.base import DayTime, TaskPublication, Tracker
from connector.tracker.clockify import ClockifyTracker, iso_duration, reports_base
from connector.tracker.errors import TrackerAuthError, TrackerUnavailable
from connector.tracker.naming import CLOCKIFY_NAME, coded_name
from tests.unit.tracker.fake_clockify import BASE, KEY, WS, FakeClockify


@pytest.fixture
def clockify() -> FakeClockify:
    fake = FakeClockify()
    fake.add_user("Anna@Example.ru", "Анна Петрова")
    fake.add_user("ivan@example.ru", "Иван", status="INACTIVE")
    return fake


def tracker(fake: FakeClockify, slept: list[float] | None = None, **options: Any) -> ClockifyTracker:
    sink = slept if slept is not None else []
    return ClockifyTracker(
        BASE,
        KEY,
        workspace=WS,
        session=fake.session,
        sleep=sink.append,
        timeout=5,
        rate_limit=1000,
        **options,
    )


def spec(code: str = "CRM-1", **fields: Any) -> TaskPublication:
    base: dict[str, Any] = {
        "title": "Внедрение склада",
        "assignee_emails": ("anna@example.ru",),
        "customer": "ООО Ромашка",
        "planned_minutes": 90,
    }
    return TaskPublication(code, **{**base, **fields})


def anna(fake: FakeClockify) -> str:
    return str(fake.users[0]["id"])


def test_reports_host_is_derived_from_the_api_base() -> None:
    assert reports_base("https://api.clockify.me/api/v1") == "https://reports.api.clockify.me/v1"
    assert reports_base("http://127.0.0.1:8802/api/v1") == "http://127.0.0.1:8802/reports/v1"
    assert reports_base("https://euc1.clockify.me/api/v1") == "https://euc1.clockify.me/report/v1"


def test_estimates_are_iso_durations() -> None:
    assert [iso_duration(s) for s in (5400, 3600, 60, 0, 45 * 60 + 5)] == [
        "PT1H30M",
        "PT1H",
        "PT1M",
        "PT0S",
        "PT45M5S",
    ]


def test_a_long_title_is_cut_but_never_its_code() -> None:
    name = coded_name("ИНТ-00042", "Продажа " * 60, CLOCKIFY_NAME)
    assert len(name) == 250 and name.startswith("[ИНТ-00042] Продажа") and name.endswith("…")


def test_a_first_push_creates_the_project_and_the_task(clockify: FakeClockify) -> None:
    (outcome,) = tracker(clockify).publish_tasks([spec()])
    assert outcome.action == "created" and outcome.unmatched_emails == ()
    (project,) = clockify.projects.values()
    (task,) = clockify.tasks.values()
    assert project["name"] == "[CRM-1] Внедрение склада" and project["public"] is True
    assert task["name"] == "[CRM-1] Внедрение склада" and task["projectId"] == project["id"]
    assert task["assigneeIds"] == [anna(clockify)] and task["estimate"] == "PT1H30M"
    assert task["status"] == "ACTIVE" and outcome.task_id == task["id"]


def test_stages_share_their_projects_project_and_customers_may_be_the_projects(
    clockify: FakeClockify,
) -> None:
    k = tracker(clockify)
    k.publish_tasks(
        [spec("ST-1", parent_code="PRJ-1", parent_title="Проект"), spec("ST-2", parent_code="PRJ-1")]
    )
    assert [p["name"] for p in clockify.projects.values()] == ["[PRJ-1] Проект"]
    by_customer = FakeClockify()
    tracker(by_customer, project_by="customer").publish_tasks(
        [spec("A-1"), spec("A-2"), spec("B-1", customer=None)]
    )
    assert sorted(p["name"] for p in by_customer.projects.values()) == ["Без контрагента", "ООО Ромашка"]
    assert len(by_customer.tasks) == 3


def test_a_second_push_writes_nothing(clockify: FakeClockify) -> None:
    k = tracker(clockify)
    specs = [spec("CRM-1"), spec("CRM-2", parent_code="CRM-1", parent_title="Внедрение склада")]
    assert [o.action for o in k.publish_tasks(specs)] == ["created", "created"]
    writes = len(clockify.transport.writes())
    assert [o.action for o in k.publish_tasks(specs)] == ["unchanged", "unchanged"]
    assert len(clockify.transport.writes()) == writes


def test_without_hydrated_tasks_each_touched_project_is_read_once(clockify: FakeClockify) -> None:
    tracker(clockify).publish_tasks([spec("A", title="a"), spec("B", title="b")])
    clockify.hydrate = False
    before, writes = len(clockify.transport.log), len(clockify.transport.writes())
    outcomes = tracker(clockify).publish_tasks([spec("A", title="a"), spec("B", title="b")])
    assert [o.action for o in outcomes] == ["unchanged", "unchanged"]
    asked = [r.path for r in clockify.transport.log[before:]]
    assert sum(p.endswith("/tasks") for p in asked) == 2 and len(clockify.transport.writes()) == writes


def test_close_sets_done_and_reopen_sets_active(clockify: FakeClockify) -> None:
    k = tracker(clockify)
    k.publish_tasks([spec()])
    assert k.publish_tasks([spec(open=False)])[0].action == "updated"
    (task,) = clockify.tasks.values()
    assert task["status"] == "DONE" and task["estimate"] == "PT1H30M" and task["billable"] is True
    assert k.publish_tasks([spec()])[0].action == "updated"
    assert task["status"] == "ACTIVE"


def test_a_task_found_by_its_code_is_updated_not_duplicated(clockify: FakeClockify) -> None:
    k = tracker(clockify)
    k.publish_tasks([spec()])
    (outcome,) = k.publish_tasks([spec(title="Новое имя", planned_minutes=None, assignee_emails=())])
    (task,) = clockify.tasks.values()
    assert outcome.action == "updated" and task["name"] == "[CRM-1] Новое имя"
    assert task["assigneeIds"] == [] and task["estimate"] == "PT1H30M"  # no plan: left as it was


def test_a_lost_task_create_is_read_back_and_not_repeated(clockify: FakeClockify) -> None:
    clockify.transport.fail("POST", f"/api/v1/workspaces/{WS}/projects/", "lost")
    assert tracker(clockify).publish_tasks([spec()])[0].action == "created"
    assert len(clockify.tasks) == 1
    posts = [r for r in clockify.transport.log if r.method == "POST" and r.path.endswith("/tasks")]
    assert len(posts) == 1


def test_a_project_create_answered_5xx_after_applying_is_read_back(clockify: FakeClockify) -> None:
    clockify.transport.fail("POST", f"/api/v1/workspaces/{WS}/projects", "5xx_after")
    assert tracker(clockify).publish_tasks([spec()])[0].action == "created"
    assert len(clockify.projects) == 1


def test_429_is_retried_after_the_servers_retry_after(clockify: FakeClockify) -> None:
    clockify.transport.fail("POST", f"/api/v1/workspaces/{WS}/projects", "429", retry_after="3")
    slept: list[float] = []
    assert tracker(clockify, slept).publish_tasks([spec()])[0].action == "created"
    assert [s for s in slept if s > 0.5] == [3] and len(clockify.projects) == 1


def test_unknown_assignees_are_reported(clockify: FakeClockify) -> None:
    (outcome,) = tracker(clockify).publish_tasks(
        [spec(assignee_emails=("ghost@example.ru", "ANNA@example.ru"))]
    )
    assert outcome.unmatched_emails == ("ghost@example.ru",)
    assert next(iter(clockify.tasks.values()))["assigneeIds"] == [anna(clockify)]


def test_one_refused_spec_fails_alone(clockify: FakeClockify) -> None:
    outcomes = tracker(clockify).publish_tasks([spec("X/1"), spec("CRM-2")])
    assert [o.action for o in outcomes] == ["failed", "created"]


def test_wrong_key_names_the_setting_and_a_wrong_workspace_names_its_setting(clockify: FakeClockify) -> None:
    bad = ClockifyTracker(BASE, "nope-nope", workspace=WS, session=clockify.session)
    with pytest.raises(TrackerAuthError, match="ONEC_BRIDGE_TRACKER_API_KEY") as caught:
        bad.employees()
    assert "nope-nope" not in str(caught.value)
    other = ClockifyTracker(BASE, KEY, workspace="ws-x", session=clockify.session)
    for call in (other.check, other.employees, lambda: other.publish_tasks([spec()])):
        with pytest.raises(TrackerAuthError, match="ONEC_BRIDGE_TRACKER_CLOCKIFY_WORKSPACE") as err:
            call()
        assert "\n" not in str(err.value)
    assert tracker(clockify).check() == f"Clockify: workspace {WS} reachable"


def test_an_unreachable_clockify_raises_unavailable(clockify: FakeClockify) -> None:
    clockify.transport.fail("GET", "/api/v1/", "refused", times=20)
    with pytest.raises(TrackerUnavailable):
        tracker(clockify, max_attempts=2).publish_tasks([spec()])


def test_employees_and_tasks(clockify: FakeClockify) -> None:
    k = tracker(clockify)
    k.publish_tasks([spec(), spec("CRM-2", open=False)])
    assert {(e.email, e.name, e.active) for e in k.employees()} == {
        ("Anna@Example.ru", "Анна Петрова", True),
        ("ivan@example.ru", "Иван", False),
    }
    tasks = {t.code: t for t in k.tasks()}
    assert tasks["CRM-1"].active and not tasks["CRM-2"].active
    assert tasks["CRM-1"].employee_ids == (anna(clockify),)


@pytest.fixture
def booked(clockify: FakeClockify) -> tuple[ClockifyTracker, str]:
    k = tracker(clockify, report_page_size=2)
    (out,) = k.publish_tasks([spec()])
    return k, str(out.task_id)


def test_report_pages_midnight_split_and_running_timers(
    clockify: FakeClockify, booked: tuple[ClockifyTracker, str]
) -> None:
    k, task = booked
    a = anna(clockify)
    clockify.add_entry(a, task, "2026-03-02T06:00:00+00:00", "2026-03-02T07:00:00+00:00")
    clockify.add_entry(a, task, "2026-03-02T20:30:00+00:00", "2026-03-02T21:45:00+00:00")  # 23:30–00:45 MSK
    clockify.add_entry(a, task, "2026-03-03T09:00:00+00:00", None)  # running
    clockify.add_entry(a, None, "2026-03-03T10:00:00+00:00", "2026-03-03T11:00:00+00:00")  # no task
    clockify.add_entry(a, task, "2026-03-01T20:00:00+00:00", "2026-03-01T22:00:00+00:00")  # 23:00–01:00 MSK
    got = list(k.time_per_day(date(2026, 3, 2), date(2026, 3, 4)))
    assert got == [
        DayTime(a, task, "CRM-1", date(2026, 3, 2), 3600 + 1800 + 3600),
        DayTime(a, task, "CRM-1", date(2026, 3, 3), 2700),
    ]
    reports = [r for r in clockify.transport.log if r.path.endswith("/reports/detailed")]
    assert [r.body["detailedFilter"]["page"] for r in reports] == [1, 2, 3]
    assert reports[0].path == f"/reports/v1/workspaces/{WS}/reports/detailed"
    assert reports[0].body["dateRangeStart"] == "2026-02-28T21:00:00.000Z"
    assert reports[0].body["dateRangeEnd"] == "2026-03-03T20:59:59.999Z"


def test_report_paging_follows_the_entry_count_even_when_pages_are_capped(
    clockify: FakeClockify, booked: tuple[ClockifyTracker, str]
) -> None:
    k, task = booked
    clockify.report_cap = 1  # the server answers fewer rows than asked for
    for hour in range(3):
        clockify.add_entry(
            anna(clockify), task, f"2026-03-02T0{hour}:00:00+00:00", f"2026-03-02T0{hour}:30:00+00:00"
        )
    assert [d.seconds for d in k.time_per_day(date(2026, 3, 2), date(2026, 3, 3))] == [5400]
    assert sum(r.path.endswith("/reports/detailed") for r in clockify.transport.log) == 3


def test_time_for_given_users_filters_the_report(
    clockify: FakeClockify, booked: tuple[ClockifyTracker, str]
) -> None:
    k, task = booked
    list(k.time_per_day(date(2026, 3, 2), date(2026, 3, 3), [anna(clockify)]))
    (report,) = [r for r in clockify.transport.log if r.path.endswith("/reports/detailed")]
    assert report.body["users"]["ids"] == [anna(clockify)]


def test_clockify_plays_all_three_roles(clockify: FakeClockify) -> None:
    k = tracker(clockify)
    assert isinstance(k, Tracker) and k.capabilities.publish_tasks and not k.capabilities.evidence
    assert KEY not in repr(k)
    with pytest.raises(ValueError, match="ONEC_BRIDGE_TRACKER_CLOCKIFY_WORKSPACE"):
        ClockifyTracker(BASE, KEY, workspace=" ")


def test_the_registry_builds_clockify_from_settings() -> None:
    from pydantic import SecretStr

    from connector.settings import Settings
    from connector.tracker.registry import tracker_from_settings

    configured = Settings(  # type: ignore[call-arg]
        tracker_kind="clockify",
        tracker_url="https://api.clockify.me/api/v1",
        tracker_api_key=SecretStr(KEY),
        tracker_clockify_workspace=WS,
        tracker_clockify_project_by="customer",
        _env_file=None,
    )
    built = tracker_from_settings(configured)
    assert isinstance(built, ClockifyTracker)
    assert built.reports_url == "https://reports.api.clockify.me/v1" and built.project_by == "customer"


@pytest.mark.parametrize("process_zone", ["UTC", "Asia/Vladivostok", "America/Los_Angeles"])
def test_days_are_the_accounts_whatever_the_process_time_zone(
    clockify: FakeClockify,
    booked: tuple[ClockifyTracker, str],
    process_zone: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time as clock

    k, task = booked
    clockify.add_entry(anna(clockify), task, "2026-03-02T20:30:00+00:00", "2026-03-02T21:30:00+00:00")
    monkeypatch.setenv("TZ", process_zone)
    clock.tzset()
    try:
        got = [(d.day, d.seconds) for d in k.time_per_day(date(2026, 3, 2), date(2026, 3, 4))]
    finally:
        monkeypatch.undo()
        clock.tzset()
    assert got == [(date(2026, 3, 2), 1800), (date(2026, 3, 3), 1800)]
