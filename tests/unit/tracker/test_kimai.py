"""The Kimai adapter against an in-process Kimai: names, idempotent pushes, teams, time per day."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import pytest

from connector.tracker.base import DayTime, TaskPublication, Tracker
from connector.tracker.errors import NotSupported, TrackerAuthError, TrackerUnavailable
from connector.tracker.kimai import KimaiTracker
from connector.tracker.naming import KIMAI_NAME, coded_name, split_by_local_day
from tests.unit.tracker.fake_kimai import BASE, TOKEN, ZONE, FakeKimai

LONG = "Внедрение складского учёта " * 10


@pytest.fixture
def kimai() -> FakeKimai:
    fake = FakeKimai()
    fake.add_user("anna", "Anna@Example.ru", alias="Анна Петрова")
    fake.add_user("ivan", "ivan@example.ru")
    return fake


def tracker(fake: FakeKimai, slept: list[float] | None = None, **options: Any) -> KimaiTracker:
    sink = slept if slept is not None else []
    options = {"rate_limit": 1000, **options}
    return KimaiTracker(BASE, TOKEN, session=fake.session, sleep=sink.append, timeout=5, **options)


def spec(code: str = "CRM-1", **fields: Any) -> TaskPublication:
    base: dict[str, Any] = {
        "title": "Внедрение склада",
        "assignee_emails": ("anna@example.ru",),
        "customer": 'ООО "Ромашка"',
        "planned_minutes": 90,
    }
    return TaskPublication(code, **{**base, **fields})


def named(fake: FakeKimai, store: str, code: str) -> list[dict[str, Any]]:
    return [o for o in getattr(fake, store).values() if o["name"].startswith(f"[{code}]")]


def test_names_keep_the_whole_code_and_lose_the_end_of_the_title() -> None:
    name = coded_name("CRM-000512", LONG, KIMAI_NAME)
    assert len(name) == 150 and name.startswith("[CRM-000512] Внедрение") and name.endswith("…")
    assert coded_name("CRM-1", 'ООО "Ромашка" <a=b>', KIMAI_NAME) == "[CRM-1] ООО 'Ромашка' ‹a꞊b›"
    with pytest.raises(ValueError, match="cannot be kept"):
        coded_name("CRM 1/2", "x", KIMAI_NAME)


def test_a_first_push_creates_customer_project_team_and_activity(kimai: FakeKimai) -> None:
    (outcome,) = tracker(kimai).publish_tasks([spec(description="Склад и остатки")])
    assert outcome.action == "created" and outcome.unmatched_emails == ()
    (customer,) = kimai.customers.values()
    assert customer["name"] == "ООО 'Ромашка'" and customer["currency"] == "RUB"
    (project,) = kimai.projects.values()
    (activity,) = kimai.activities.values()
    (team,) = kimai.teams.values()
    assert project["name"] == activity["name"] == "[CRM-1] Внедрение склада"
    assert project["customer"] == customer["id"] and activity["project"] == project["id"]
    assert activity["timeBudget"] == 5400 and activity["comment"] == "Склад и остатки"
    assert team["name"] == "[CRM-1]"
    anna = next(u for u in kimai.users.values() if u["username"] == "anna")["id"]
    assert {(m["user"], m["teamlead"]) for m in team["members"]} == {(1, True), (anna, False)}
    assert activity["teams"] == [team["id"]] and project["teams"] == [team["id"]]
    assert outcome.task_id == str(activity["id"])


def test_a_long_title_is_shortened_in_kimai_and_found_again_by_its_code(kimai: FakeKimai) -> None:
    k = tracker(kimai)
    assert k.publish_tasks([spec(title=LONG)])[0].action == "created"
    (activity,) = kimai.activities.values()
    assert len(activity["name"]) == 150 and activity["name"].startswith("[CRM-1] ")
    assert k.publish_tasks([spec(title=LONG)])[0].action == "unchanged"


def test_a_second_push_of_the_same_tasks_writes_nothing(kimai: FakeKimai) -> None:
    k = tracker(kimai)
    specs = [spec("CRM-1"), spec("CRM-2", parent_code="CRM-1", parent_title="Внедрение склада")]
    assert [o.action for o in k.publish_tasks(specs)] == ["created", "created"]
    writes = len(kimai.transport.writes())
    assert [o.action for o in k.publish_tasks(specs)] == ["unchanged", "unchanged"]
    assert len(kimai.transport.writes()) == writes


def test_a_stage_goes_into_its_parents_project_and_its_team_is_granted_the_project(kimai: FakeKimai) -> None:
    k = tracker(kimai)
    k.publish_tasks([spec("PRJ-1", title="Проект")])
    k.publish_tasks([spec("ST-1", parent_code="PRJ-1", parent_title="Проект", title="Этап 1")])
    (project,) = kimai.projects.values()
    stage = named(kimai, "activities", "ST-1")[0]
    assert stage["project"] == project["id"]
    teams = {t["name"]: t["id"] for t in kimai.teams.values()}
    assert sorted(project["teams"]) == sorted([teams["[PRJ-1]"], teams["[ST-1]"]])
    assert stage["teams"] == [teams["[ST-1]"]]


def test_objects_made_by_hand_are_found_by_their_code_not_created_again(kimai: FakeKimai) -> None:
    kimai.customers[5] = {"id": 5, "name": "ООО 'Ромашка'", "visible": True}
    kimai.projects[6] = {"id": 6, "name": "[CRM-1] старое имя", "customer": 5, "visible": True, "teams": []}
    kimai.activities[7] = {
        "id": 7, "name": "[CRM-1] Внедрение склада", "project": 6, "comment": None,
        "visible": True, "timeBudget": 5400, "teams": [],
    }  # fmt: skip
    (outcome,) = tracker(kimai).publish_tasks([spec()])
    assert outcome.action == "updated" and outcome.task_id == "7"
    assert len(kimai.customers) == 1 and len(kimai.projects) == 1 and len(kimai.activities) == 1
    assert kimai.projects[6]["name"] == "[CRM-1] Внедрение склада"


def test_an_activity_create_whose_answer_is_lost_is_read_back_not_repeated(kimai: FakeKimai) -> None:
    kimai.transport.fail("POST", "/api/activities", "lost")
    (outcome,) = tracker(kimai).publish_tasks([spec()])
    assert outcome.action == "created"
    assert len(kimai.activities) == 1 and outcome.task_id == str(next(iter(kimai.activities)))
    posts = [r for r in kimai.transport.log if r.method == "POST" and r.path == "/api/activities"]
    assert len(posts) == 1


def test_a_team_create_answered_502_after_it_was_applied_is_read_back(kimai: FakeKimai) -> None:
    kimai.transport.fail("POST", "/api/teams", "5xx_after")
    assert tracker(kimai).publish_tasks([spec()])[0].action == "created"
    assert len(kimai.teams) == 1


def test_a_create_that_never_happened_is_sent_again_after_the_read_back(kimai: FakeKimai) -> None:
    kimai.transport.fail("POST", "/api/projects", "timeout")
    assert tracker(kimai).publish_tasks([spec()])[0].action == "created"
    assert len(kimai.projects) == 1
    posts = [r for r in kimai.transport.log if r.method == "POST" and r.path == "/api/projects"]
    assert len(posts) == 2


def test_429_waits_as_long_as_retry_after_says(kimai: FakeKimai) -> None:
    kimai.transport.fail("GET", "/api/activities", "429", retry_after="7")
    slept: list[float] = []
    assert tracker(kimai, slept).publish_tasks([spec()])[0].action == "created"
    assert [s for s in slept if s > 0.5] == [7]  # the throttle's own pauses are tiny


def test_close_hides_the_activity_and_reopen_shows_it(kimai: FakeKimai) -> None:
    k = tracker(kimai)
    k.publish_tasks([spec()])
    assert k.publish_tasks([spec(open=False)])[0].action == "updated"
    (activity,) = kimai.activities.values()
    assert activity["visible"] is False
    patches = [r.body for r in kimai.transport.log if r.method == "PATCH"]
    assert patches == [{"visible": False}]
    assert k.publish_tasks([spec(open=True)])[0].action == "updated"
    assert activity["visible"] is True


def test_changed_plan_and_assignees_are_written_as_differences(kimai: FakeKimai) -> None:
    k = tracker(kimai)
    k.publish_tasks([spec()])
    k.publish_tasks([spec(planned_minutes=45, assignee_emails=("IVAN@example.ru",))])
    (activity,) = kimai.activities.values()
    (team,) = kimai.teams.values()
    assert activity["timeBudget"] == 45 * 60
    ivan = next(u["id"] for u in kimai.users.values() if u["username"] == "ivan")
    assert {m["user"] for m in team["members"]} == {1, ivan}
    assert [r.body for r in kimai.transport.log if r.method == "PATCH" and "activities" in r.path] == [
        {"timeBudget": "0:45"}
    ]


def test_unknown_assignees_are_reported_and_the_task_is_created_without_them(kimai: FakeKimai) -> None:
    (outcome,) = tracker(kimai).publish_tasks([spec(assignee_emails=("anna@example.ru", "ghost@example.ru"))])
    assert outcome.action == "created" and outcome.unmatched_emails == ("ghost@example.ru",)
    (team,) = kimai.teams.values()
    assert len(team["members"]) == 2


def test_one_refused_spec_fails_alone(kimai: FakeKimai) -> None:
    outcomes = tracker(kimai).publish_tasks([spec("BAD CODE"), spec("CRM-2")])
    assert [o.action for o in outcomes] == ["failed", "created"]
    assert outcomes[0].error and "cannot be kept" in outcomes[0].error
    assert outcomes[0].task_id is None


def test_the_stored_id_is_used_while_it_still_names_the_task(kimai: FakeKimai) -> None:
    k = tracker(kimai)
    first = k.publish_tasks([spec()])[0]
    kimai.activities[int(str(first.task_id))]["name"] = "переименовано руками"
    again = k.publish_tasks([spec(known_id=first.task_id)])[0]
    assert again.task_id == first.task_id and again.action == "updated"
    assert len(kimai.activities) == 1


def test_initial_push_costs_at_most_two_requests_per_created_object(kimai: FakeKimai) -> None:
    specs = [spec(f"P-{p}", title=f"Проект {p}") for p in range(5)]
    specs += [
        spec(f"S-{p}-{s}", parent_code=f"P-{p}", parent_title=f"Проект {p}", title=f"Этап {s}")
        for p in range(5)
        for s in range(4)
    ]
    tracker(kimai).publish_tasks(specs)
    created = len(kimai.customers) + len(kimai.projects) + len(kimai.activities) + len(kimai.teams)
    lists = 6
    assert len(kimai.transport.log) - lists <= 2 * created
    assert len(kimai.activities) == 25 and len(kimai.projects) == 5


def test_wrong_token_names_the_setting_and_hides_the_token(kimai: FakeKimai) -> None:
    k = KimaiTracker(BASE, "wrong-token-value", session=kimai.session, sleep=lambda s: None)
    with pytest.raises(TrackerAuthError, match="ONEC_BRIDGE_TRACKER_API_KEY") as caught:
        k.publish_tasks([spec()])
    assert "wrong-token-value" not in str(caught.value)
    x = KimaiTracker(BASE, "bad", auth_mode="x-auth", auth_user="bot", session=kimai.session)
    with pytest.raises(TrackerAuthError, match="ONEC_BRIDGE_TRACKER_KIMAI_USER"):
        x.check()
    with pytest.raises(ValueError, match="ONEC_BRIDGE_TRACKER_KIMAI_USER"):
        KimaiTracker(BASE, TOKEN, auth_mode="x-auth")


def test_an_unreachable_kimai_raises_unavailable(kimai: FakeKimai) -> None:
    kimai.transport.fail("GET", "/api/users", "refused", times=20)
    with pytest.raises(TrackerUnavailable):
        tracker(kimai, max_attempts=3).publish_tasks([spec()])


def test_employees_carry_emails_or_an_email_like_username(kimai: FakeKimai) -> None:
    kimai.add_user("petr@example.ru", "petr@example.ru", enabled=False)
    assert {(e.email, e.name, e.active) for e in tracker(kimai).employees()} >= {
        ("Anna@Example.ru", "Анна Петрова", True),
        ("petr@example.ru", "petr@example.ru", False),
    }
    kimai.expose_email = False  # Kimai before 2.45 serializes no e-mail
    emails = {e.email for e in tracker(kimai).employees()}
    assert emails == {None, "petr@example.ru"}


def test_tasks_carry_codes_visibility_and_team_members(kimai: FakeKimai) -> None:
    k = tracker(kimai)
    k.publish_tasks([spec(), spec("CRM-2", open=False, assignee_emails=())])
    tasks = {t.code: t for t in k.tasks()}
    anna = next(str(u["id"]) for u in kimai.users.values() if u["username"] == "anna")
    assert tasks["CRM-1"].active and tasks["CRM-1"].employee_ids == (anna,)
    assert not tasks["CRM-2"].active and tasks["CRM-2"].employee_ids == ()


@pytest.fixture
def booked(kimai: FakeKimai) -> tuple[KimaiTracker, int, int]:
    k = tracker(kimai, page_size=2)
    (out,) = k.publish_tasks([spec()])
    return k, int(str(out.task_id)), next(u["id"] for u in kimai.users.values() if u["username"] == "anna")


def test_time_is_split_at_the_entrys_own_midnight_and_summed_per_day(
    kimai: FakeKimai, booked: tuple[KimaiTracker, int, int]
) -> None:
    k, act, anna = booked
    kimai.add_entry(anna, act, "2026-03-02T09:00:00+03:00", "2026-03-02T10:00:00+03:00")
    kimai.add_entry(anna, act, "2026-03-02T23:30:00+03:00", "2026-03-03T00:45:00+03:00")
    kimai.add_entry(anna, act, "2026-03-01T23:00:00+03:00", "2026-03-02T01:00:00+03:00")
    kimai.add_entry(anna, act, "2026-03-03T12:00:00+03:00", None)  # running: not counted
    kimai.add_entry(anna, act, "2026-03-04T10:00:00+03:00", "2026-03-04T12:00:00+03:00", duration=3600)
    got = list(k.time_per_day(date(2026, 3, 2), date(2026, 3, 5)))
    a, t = str(anna), str(act)
    assert got == [
        DayTime(a, t, "CRM-1", date(2026, 3, 2), 3600 + 1800 + 3600),
        DayTime(a, t, "CRM-1", date(2026, 3, 3), 2700),
        DayTime(a, t, "CRM-1", date(2026, 3, 4), 3600),
    ]
    pages = [r for r in kimai.transport.log if r.path == "/api/timesheets"]
    assert [r.param("page") for r in pages] == ["1", "2", "3"]
    assert pages[0].param("begin") == "2026-03-01T00:00:00" and pages[0].param("end") == "2026-03-04T23:59:59"


def test_time_is_asked_for_the_given_employees_only(
    kimai: FakeKimai, booked: tuple[KimaiTracker, int, int]
) -> None:
    k, act, anna = booked
    kimai.add_entry(anna, act, "2026-03-02T09:00:00+03:00", "2026-03-02T10:00:00+03:00")
    assert [d.seconds for d in k.time_per_day(date(2026, 3, 2), date(2026, 3, 3), [str(anna)])] == [3600]
    (ask,) = [r for r in kimai.transport.log if r.path == "/api/timesheets"]
    assert ask.params("users[]") == [str(anna)] and ask.param("user") is None


def test_an_entry_in_another_offset_counts_on_its_own_local_day() -> None:
    from datetime import datetime

    start = datetime.fromisoformat("2026-03-02T22:00:00-05:00")
    stop = datetime.fromisoformat("2026-03-03T01:00:00-05:00")
    assert split_by_local_day(start, stop, start.tzinfo or ZONE) == [
        (date(2026, 3, 2), 7200),
        (date(2026, 3, 3), 3600),
    ]
    assert split_by_local_day(start, stop, ZONE) == [(date(2026, 3, 3), 10800)]


def test_kimai_plays_all_three_roles_but_keeps_no_evidence(kimai: FakeKimai) -> None:
    k = tracker(kimai)
    assert isinstance(k, Tracker)
    assert k.capabilities.roles == ("task sink", "time source", "directory")
    with pytest.raises(NotSupported):
        k.evidence(date(2026, 3, 2), date(2026, 3, 3))
    assert k.check() == "Kimai: signed in as connector"
    assert TOKEN not in repr(k)


def test_a_customer_stored_with_quotes_by_an_older_kimai_is_found(kimai: FakeKimai) -> None:
    kimai.customers[5] = {"id": 5, "name": 'ООО  "Ромашка"', "visible": True}
    tracker(kimai).publish_tasks([spec()])
    assert list(kimai.customers) == [5]


def test_employee_ids_that_are_not_integers_are_refused_before_any_request(kimai: FakeKimai) -> None:
    with pytest.raises(ValueError, match="integers"):
        tracker(kimai).time_per_day(date(2026, 3, 2), date(2026, 3, 3), ["12", "x"])
    assert kimai.transport.log == []


def test_the_token_never_reaches_the_logs(kimai: FakeKimai, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    kimai.transport.fail("POST", "/api/activities", "lost")
    tracker(kimai).publish_tasks([spec()])
    with pytest.raises(TrackerAuthError):
        KimaiTracker(BASE, "other-secret-token", session=kimai.session).check()
    assert caplog.records and TOKEN not in caplog.text and "other-secret-token" not in caplog.text


def test_a_session_made_by_the_client_still_uses_the_proxy_from_the_environment(
    kimai: FakeKimai, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    k = KimaiTracker(BASE, TOKEN, rate_limit=1000)
    k.api._session.mount("http://", kimai.transport)
    k.check()
    k.check()
    assert [o["proxies"].get("http") for o in kimai.transport.options] == ["http://proxy.example:3128"] * 2


def test_the_registry_builds_kimai_from_settings() -> None:
    from pydantic import SecretStr

    from connector.settings import Settings
    from connector.tracker.registry import tracker_from_settings

    configured = Settings(  # type: ignore[call-arg]
        tracker_kind="kimai",
        tracker_url=BASE,
        tracker_api_key=SecretStr(TOKEN),
        tracker_kimai_auth="x-auth",
        tracker_kimai_user="bot",
        _env_file=None,
    )
    built = tracker_from_settings(configured)
    assert isinstance(built, KimaiTracker) and built.capabilities.publish_tasks


def test_on_a_kimai_hiding_emails_assignees_are_found_by_the_user_search(kimai: FakeKimai) -> None:
    kimai.expose_email = False  # before 2.45 no answer carries an e-mail, the search still matches it
    kimai.add_user("joanna", "joanna@example.ru")  # "anna@example.ru" is a substring of hers
    outcomes = tracker(kimai).publish_tasks(
        [spec(assignee_emails=("anna@example.ru", "ghost@example.ru")), spec("CRM-2")]
    )
    assert outcomes[0].unmatched_emails == ("ghost@example.ru",)
    anna = next(u["id"] for u in kimai.users.values() if u["username"] == "anna")
    team = next(t for t in kimai.teams.values() if t["name"] == "[CRM-1]")
    assert {m["user"] for m in team["members"]} == {1, anna}
    searches = [r.param("term") for r in kimai.transport.log if r.path == "/api/users" and r.param("term")]
    assert searches == ["anna@example.ru", "ghost@example.ru"]  # once per e-mail and call


@pytest.mark.parametrize("process_zone", ["UTC", "Asia/Vladivostok", "America/Los_Angeles"])
def test_days_do_not_depend_on_the_process_time_zone(
    kimai: FakeKimai,
    booked: tuple[KimaiTracker, int, int],
    process_zone: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time as clock

    k, act, anna = booked
    kimai.add_entry(anna, act, "2026-03-02T23:30:00+03:00", "2026-03-03T00:30:00+03:00")
    monkeypatch.setenv("TZ", process_zone)
    clock.tzset()
    try:
        got = [(d.day, d.seconds) for d in k.time_per_day(date(2026, 3, 2), date(2026, 3, 4))]
    finally:
        monkeypatch.undo()
        clock.tzset()
    assert got == [(date(2026, 3, 2), 1800), (date(2026, 3, 3), 1800)]
