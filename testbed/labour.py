"""A labour world for tests: mock 1C + mock tracker fed with tasks for real 1C interests.

``labour_world(channel, ...)`` starts both mocks, picks a few interests and users from the seeded
1C base, serves a task feed (those interests as ``SRV-<Number>`` tasks plus a task 1C does not
know) so the tracker imports tasks and employees, and builds a ``Runtime`` on a fresh store with
links for the interests. Helpers read back what 1C holds and what the tracker's truth says.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import requests
from fastapi import FastAPI, Header, HTTPException
from pydantic import SecretStr

from connector.mapping.schema import Mapping
from connector.onec.client import ODataClient
from connector.runtime import Runtime
from connector.settings import Settings
from connector.store.db import make_engine, session_factory
from connector.store.links import LinkData, upsert_link
from connector.store.migrate import upgrade
from connector.store.models import Employee
from connector.sync.core.model import RoundingRule
from connector.sync.core.rounding import round_seconds
from connector.sync.labour.deliver_odata import DAY_FIELDS
from connector.sync.labour.employees import read_people
from testbed.mock1c import MockOneC, running_mock_1c
from testbed.mocktracker import MockTracker, running_mock_tracker
from testbed.servers import ThreadedServer

FEED_TOKEN = "labour-feed-token"
INTEREST = "Document_CRM_Интерес"
UNKNOWN_CODE = "ZZZ-404"


def service_mapping(channel: str, rounding: int = 1) -> Mapping:
    return Mapping.model_validate(
        {
            "name": "service",
            "category": "service",
            "source": {
                "entity_set": INTEREST,
                "change_detection": [{"kind": "scan", "interval": "15m"}],
            },
            "task": {"code": "SRV-{{ Number }}", "title": "{{ Тема }}", "assignees": ["Ответственный_Key"]},
            "labour": {
                "channel": channel,
                "work_type": {"description": "Консультация"},
                "customer_field": "Партнер_Key",
                "rounding": {"unit_minutes": rounding, "mode": "nearest"},
                "totals_field": "ТТ_ФактическиеТрудозатраты",
                "overrun_field": "ТТ_ПревышениеПлана",
                "thresholds": {"warn": 0.8, "alert": 1.0},
            },
        }
    )


@dataclass
class LabourWorld:
    onec: MockOneC
    tracker: MockTracker
    runtime: Runtime
    interests: list[dict[str, Any]]
    emails: list[str]
    rounding: RoundingRule
    unemployed: str | None = None

    def add_entry(self, email: str, code: str, start: str, end: str) -> dict[str, Any]:
        """Book time in the tracker (ISO instants with offset) and return the entry."""
        resp = requests.post(
            f"{self.tracker.admin_url}/entries",
            json={"employee_email": email, "task_code": code, "start": start, "end": end},
            timeout=30,
        )
        resp.raise_for_status()
        return dict(resp.json())

    def entries(self, begin: date, end: date) -> list[dict[str, Any]]:
        """The tracker's entries of ``begin..end`` (end exclusive)."""
        resp = requests.get(
            f"{self.tracker.admin_url}/entries",
            params={"begin": begin.isoformat(), "end": end.isoformat()},
            timeout=30,
        )
        resp.raise_for_status()
        return list(resp.json()["items"])

    def documents(self) -> list[dict[str, Any]]:
        with self.client() as c:
            return list(c.iter_entities("Document_УчетВремени"))

    def code(self, interest: dict[str, Any]) -> str:
        return f"SRV-{interest['Number'].strip()}"

    def client(self) -> ODataClient:
        return ODataClient(self.onec.base_url, self.onec.user, self.onec.password, timezone="Europe/Moscow")

    def employee_by_email(self) -> dict[str, str]:
        with self.runtime.sessions() as s:
            return {
                e.email: e.onec_employee_ref for e in s.query(Employee) if e.email and e.onec_employee_ref
            }

    def expected(self, first: date, last: date) -> dict[tuple[str, str, date], int]:
        """The tracker's truth as rounded minutes per (1C employee, object ref, day)."""
        refs = {self.code(i): i["Ref_Key"] for i in self.interests}
        emps = self.employee_by_email()
        out: dict[tuple[str, str, date], int] = {}
        for item in self.tracker.truth(first.isoformat(), (last + timedelta(days=1)).isoformat()):
            if item["task_code"] not in refs or item["employee_email"].lower() not in emps:
                continue
            key = (
                emps[item["employee_email"].lower()],
                refs[item["task_code"]],
                date.fromisoformat(item["date"]),
            )
            minutes = round_seconds(int(item["seconds"]), self.rounding)
            if minutes:
                out[key] = minutes
        return out

    def in_1c(self, first: date, last: date) -> dict[tuple[str, str, date], int]:
        """Minutes per (employee, object, day) in the connector's posted weekly documents."""
        with self.client() as c:
            return timesheet_minutes(c, first, last)


def timesheet_minutes(client: ODataClient, first: date, last: date) -> dict[tuple[str, str, date], int]:
    """Minutes per (employee, object, day) of ``first..last`` in 1C's posted, unmarked
    ``Document_УчетВремени`` (the OData channel's weekly documents), read through ``client``."""
    out: dict[tuple[str, str, date], int] = defaultdict(int)
    for doc in client.iter_entities("Document_УчетВремени"):
        if not doc.get("Posted") or doc.get("DeletionMark"):
            continue
        monday = doc["ДатаС"].date()
        for row in doc.get("Операции") or []:
            for i, d in enumerate(DAY_FIELDS):
                day = monday + timedelta(days=i)
                minutes = round(float(row.get(d + "Длительность") or 0) * 60)
                if minutes and first <= day <= last:
                    out[(doc["Сотрудник_Key"], row["ТТ_Объект"], day)] += minutes
    return dict(out)


def _feed(tasks: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.get("/tracker/v1/tasks")
    def feed(authorization: str = Header(default="")) -> dict[str, Any]:
        if authorization != f"Bearer {FEED_TOKEN}":
            raise HTTPException(status_code=401)
        return {"items": tasks, "next_cursor": None}

    return app


def _task(code: str, title: str, emails: list[str]) -> dict[str, Any]:
    return {
        "code": code,
        "title": title,
        "description": "",
        "category": "service",
        "assignees": [{"email": e, "name": e} for e in emails],
        "planned_minutes": 600,
        "actual_minutes": 0,
        "overrun": "none",
        "status": "open",
        "onec_type": INTEREST,
        "onec_ref": None,
        "onec_url": None,
        "updated_at": "2026-03-01T09:00:00Z",
    }


UNEMPLOYED_EMAIL = "no.employee.record@example.test"


def _add_user_without_employee(onec: MockOneC) -> None:
    """A 1C user (with a person) for whom no ``Catalog_Сотрудники`` record exists."""

    def create(entity_set: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = requests.post(f"{onec.admin_url}/objects/{entity_set}", json=body, timeout=30)
        resp.raise_for_status()
        return dict(resp.json())

    person = create("Catalog_ФизическиеЛица", {"Description": "Без Сотрудника Иван"})
    create(
        "Catalog_Пользователи",
        {
            "Description": "Без Сотрудника Иван",
            "ФизическоеЛицо_Key": person["Ref_Key"],
            "CRM_ЕмейлДляСинхронизации": UNEMPLOYED_EMAIL,
        },
    )


@contextlib.contextmanager
def labour_world(
    db_url: str,
    channel: str = "odata_timesheet",
    *,
    n_interests: int = 3,
    n_users: int = 3,
    with_unemployed: bool = False,
    extra_mappings: Sequence[Mapping] = (),
    settings: dict[str, Any] | None = None,
    **onec_opts: Any,
) -> Iterator[LabourWorld]:
    """``with_unemployed`` adds a 1C user without an employee record to every task's assignees
    (``LabourWorld.unemployed``); ``extra_mappings``' static tasks join the feed; ``settings``
    overrides fields of the runtime's ``Settings``."""
    with running_mock_1c(**onec_opts) as onec:
        if with_unemployed:
            _add_user_without_employee(onec)
        with ODataClient(onec.base_url, onec.user, onec.password, timezone="Europe/Moscow") as c:
            everyone = [p for p in read_people(c) if p.email]
            people = [p for p in everyone if p.onec_employee_ref][:n_users]
            unemployed = next((p for p in everyone if not p.onec_employee_ref), None)
            interests = [
                i
                for i in c.iter_entities(INTEREST, select=["Ref_Key", "Number", "Тема", "DeletionMark"])
                if not i.get("DeletionMark")
            ][:n_interests]
        emails = [p.email for p in people if p.email]
        if with_unemployed:
            assert unemployed is not None and unemployed.email, "the seeded base has no user without employee"
        extra = unemployed.email if with_unemployed and unemployed else None
        assignees = emails + ([extra] if extra else [])
        tasks = [_task(f"SRV-{i['Number'].strip()}", i["Тема"], assignees) for i in interests]
        tasks.append(_task(UNKNOWN_CODE, "Not in 1C", assignees))
        tasks += [_task(st.code, st.title, assignees) for m in extra_mappings for st in m.static_tasks]
        with (
            ThreadedServer(_feed(tasks)) as feed,
            running_mock_tracker(
                feed_url=f"{feed.url}/tracker/v1/tasks", feed_token=FEED_TOKEN, timezone="Europe/Moscow"
            ) as tracker,
        ):
            tracker.sync_feed()
            upgrade(db_url)
            config = Settings(
                database_url=db_url,
                onec_url=onec.base_url,
                onec_user=onec.user,
                onec_password=SecretStr(onec.password),
                tracker_url=tracker.api_url,
                tracker_api_key=SecretStr(tracker.api_key),
                timezone="Europe/Moscow",
                onec_timezone="Europe/Moscow",
                **(settings or {}),
            )
            engine = make_engine(db_url)
            mapping = service_mapping(channel)
            runtime = Runtime(config, engine, session_factory(engine), [mapping, *extra_mappings])
            with runtime.sessions.begin() as s:
                for i in interests:
                    upsert_link(
                        s,
                        LinkData(
                            mapping="service",
                            onec_type=INTEREST,
                            onec_ref=i["Ref_Key"],
                            task_code=f"SRV-{i['Number'].strip()}",
                            content_hash="seed",
                            planned_minutes=600,
                        ),
                    )
            world = LabourWorld(onec, tracker, runtime, interests, emails, RoundingRule(1, "nearest"))
            world.unemployed = extra
            try:
                yield world
            finally:
                runtime.close()
                engine.dispose()
