"""An employee working in another zone books pushed time on their own local days
(ONEC_BRIDGE_EMPLOYEE_TIMEZONES), everyone else on the company's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from connector.settings import Settings
from connector.store.entries import EntryValues, upsert_entries
from connector.store.models import Employee
from connector.sync.labour.engine import LabourEngine, employee_zones
from connector.sync.labour.pull import EMAIL_KEY
from testbed.labour import LabourWorld, labour_world

WEEK = (date(2026, 3, 9), date(2026, 3, 15))


def test_zones_are_keyed_by_employee_from_emails_or_guids() -> None:
    known = {f"{EMAIL_KEY}a@x.ru": "emp-a", f"{EMAIL_KEY}b@x.ru": None}
    zones = employee_zones(
        {"a@x.ru": "Asia/Vladivostok", "b@x.ru": "UTC", "emp-c": "Europe/Kaliningrad", "z@x.ru": "UTC"}, known
    )
    assert zones == {"emp-a": "Asia/Vladivostok", "emp-c": "Europe/Kaliningrad"}


def test_settings_refuse_an_unknown_zone_and_normalise_keys() -> None:
    s = Settings(_env_file=None, employee_timezones={" A@X.ru ": "Asia/Vladivostok"})  # type: ignore[call-arg]
    assert s.employee_timezones == {"a@x.ru": "Asia/Vladivostok"}
    with pytest.raises(ValueError, match="Europe/Moscow"):
        Settings(_env_file=None, employee_timezones={"a@x.ru": "Moon/Base"})  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabourWorld]:
    db = tmp_path_factory.mktemp("tz") / "store.db"
    with labour_world(f"sqlite:///{db}", n_users=2) as w:
        zones = {w.emails[1]: "Asia/Vladivostok"}
        w.runtime.settings = w.runtime.settings.model_copy(update={"employee_timezones": zones})
        LabourEngine(w.runtime).run(trigger="test", since=WEEK[0], until=WEEK[1])  # fills the directory
        yield w


def test_pushed_time_lands_on_each_employees_own_local_day(world: LabourWorld) -> None:
    code = world.code(world.interests[0])
    people = {}
    with world.runtime.sessions.begin() as s:
        for email in world.emails[:2]:
            person = s.query(Employee).filter(Employee.email == email).one()
            people[email] = str(person.onec_employee_ref)
            # 16:00–17:00 UTC on 10 March: 19:00 in Moscow (10th), 02:00 on the 11th in Vladivostok
            upsert_entries(
                s,
                [
                    EntryValues(
                        entry_id=f"tz-{email}",
                        employee_id=person.id,
                        employee_email=email,
                        tracker_employee_id=None,
                        task_code=code,
                        start_at=datetime(2026, 3, 10, 16, 0, tzinfo=UTC),
                        end_at=datetime(2026, 3, 10, 17, 0, tzinfo=UTC),
                        seconds=3600,
                    )
                ],
            )
    LabourEngine(world.runtime).run(trigger="test", since=WEEK[0], until=WEEK[1])
    obj = world.interests[0]["Ref_Key"]
    rows = {k: v for k, v in world.in_1c(*WEEK).items() if k[1] == obj and k[0] in people.values()}
    home, far = people[world.emails[0]], people[world.emails[1]]
    assert rows == {(home, obj, date(2026, 3, 10)): 60, (far, obj, date(2026, 3, 11)): 60}
