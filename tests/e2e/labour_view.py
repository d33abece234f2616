"""What 1C holds as labour, row by row, for scenarios that need more than per-day totals.

``ChaosLoop.labour_in_1c`` sums posted timesheets per (employee, object, day); after a closed-period
adjustment that is not enough: an adjustment row sits in the first open week but corrects an
earlier day. Here every row of both channels is read back with the day it *corrects* (from its
row key, ``…|adj:<date>``) and the day it is *placed* on, so tests can check 1C + adjustments +
parked deltas against the tracker's truth. Project tasks (``mappings/projects.yaml``) are written
through the SOAP channel into ``InformationRegister_ТТ_ТрудозатратыТрекера``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import requests
from requests.auth import HTTPBasicAuth
from sqlalchemy import select

from connector.store.models import Failure
from connector.sync.core.model import RoundingRule
from connector.sync.core.rounding import round_seconds
from connector.sync.labour.deliver_odata import DAY_FIELDS
from tests.e2e.harness import PASSWORD, TOKENS, USER, ChaosLoop

PROJECT_ROUNDING = RoundingRule(5, "nearest")  # mappings/projects.yaml
REGISTER = "InformationRegister_ТТ_ТрудозатратыТрекера"
ADJ = "|adj:"
CLOSED_KIND = "labour_closed_period"

Key = tuple[str, str, date]  # (1C employee, 1C object, day)


@dataclass(frozen=True, order=True)
class Row:
    """One labour amount in 1C: ``day`` is the day it counts for, ``placed`` where it is written."""

    channel: str
    employee: str
    obj: str
    day: date
    placed: date
    minutes: int
    comment: str

    @property
    def key(self) -> Key:
        return (self.employee, self.obj, self.day)

    @property
    def adjustment(self) -> bool:
        return self.day != self.placed


def _corrected_day(row_key: str) -> date | None:
    return date.fromisoformat(row_key.rsplit(ADJ, 1)[1][:10]) if ADJ in row_key else None


def timesheet_rows(loop: ChaosLoop) -> list[Row]:
    """Every non-zero day of every row of the posted ``Document_УчетВремени`` (OData channel)."""
    out: list[Row] = []
    for doc in loop.onec_entities("Document_УчетВремени"):
        if not doc.get("Posted") or doc.get("DeletionMark"):
            continue
        monday = date.fromisoformat(doc["ДатаС"][:10])
        for row in doc.get("Операции") or []:
            corrected = _corrected_day(row.get("ТТ_КлючСтроки") or "")
            for i, field in enumerate(DAY_FIELDS):
                minutes = round(float(row.get(field + "Длительность") or 0) * 60)
                if minutes:
                    placed = monday + timedelta(days=i)
                    out.append(
                        Row(
                            "odata_timesheet",
                            doc["Сотрудник_Key"],
                            row["ТТ_Объект"],
                            corrected or placed,
                            placed,
                            minutes,
                            row.get("Комментарий") or "",
                        )
                    )
    return out


def register_rows(loop: ChaosLoop) -> list[Row]:
    """Every non-zero row of the SOAP labour register (project tasks)."""
    out: list[Row] = []
    for r in loop.onec_entities(REGISTER):
        if not r.get("Минуты"):
            continue
        placed = date.fromisoformat(r["ДатаРабот"][:10])
        corrected = _corrected_day(r["КлючСтроки"])
        out.append(
            Row(
                "soap",
                r["Сотрудник_Key"],
                r["Объект"],
                corrected or placed,
                placed,
                int(r["Минуты"]),
                r.get("Комментарий") or "",
            )
        )
    return out


def all_rows(loop: ChaosLoop) -> list[Row]:
    return timesheet_rows(loop) + register_rows(loop)


def per_key(rows: list[Row], *, adjustments: bool = True) -> dict[Key, int]:
    """Minutes per (employee, object, corrected day); without adjustment rows when asked."""
    out: dict[Key, int] = defaultdict(int)
    for r in rows:
        if adjustments or not r.adjustment:
            out[r.key] += r.minutes
    return {k: v for k, v in out.items() if v}


def project_refs(loop: ChaosLoop) -> dict[str, str]:
    """Task code (``PRJ-<project code>-<task code>`` as projects.yaml renders it) → 1C ref."""
    tasks = loop.onec_entities(
        "Catalog_ЗадачиПроектов", **{"$filter": "IsFolder eq false", "$expand": "Owner"}
    )
    return {
        f"PRJ-{(t.get('Owner') or {}).get('Code', '').strip()}-{t['Code'].strip()}": t["Ref_Key"]
        for t in tasks
    }


def expected_project_labour(loop: ChaosLoop, first: date, last: date) -> dict[Key, int]:
    """Tracker truth on project tasks rounded per (employee, task, day) as projects.yaml rounds."""
    refs = project_refs(loop)
    emps = loop.employee_by_email()
    out: dict[Key, int] = {}
    for item in loop.truth(first, last):
        code = item["task_code"]
        if code not in refs:
            continue
        minutes = round_seconds(int(item["seconds"]), PROJECT_ROUNDING)
        if minutes:
            email = item["employee_email"].lower()
            out[(emps[email], refs[code], date.fromisoformat(item["date"]))] = minutes
    return out


def expected_all(loop: ChaosLoop, first: date, last: date) -> dict[Key, int]:
    """The truth of both mappings (service interests and project tasks) in 1C's terms."""
    return {**loop.expected_labour(first, last), **expected_project_labour(loop, first, last)}


def set_closing_date(loop: ChaosLoop, day: date) -> None:
    """Move 1C's closing date (``Constant_ТТ_ДатаЗапретаИзменения``) as an accountant would."""
    resp = requests.patch(
        f"{loop.odata}/Constant_ТТ_ДатаЗапретаИзменения?$format=json",
        data=json.dumps({"Value": f"{day.isoformat()}T00:00:00"}).encode(),
        headers={"Content-Type": "application/json"},
        auth=HTTPBasicAuth(USER.encode(), PASSWORD.encode()),
        timeout=30,
    )
    resp.raise_for_status()


def api_failures(loop: ChaosLoop) -> list[dict[str, Any]]:
    """``GET /api/failures`` of the loop's first connector replica (the operator's view)."""
    resp = requests.get(
        f"{loop.connector_url}/api/failures",
        params={"limit": "1000"},
        headers={"Authorization": f"Bearer {TOKENS['admin']}"},
        timeout=30,
    )
    resp.raise_for_status()
    return list(resp.json()["items"])


def parked_deltas(loop: ChaosLoop) -> dict[Key, int]:
    """Closed-period differences parked in the store: (employee, object, day) → minutes not written."""
    engine = loop.store_engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Failure.key, Failure.payload).where(Failure.kind == CLOSED_KIND, Failure.parked)
            ).all()
    finally:
        engine.dispose()
    out: dict[Key, int] = {}
    for key, payload in rows:
        employee, obj, day = str(key).split("/")
        out[(employee, obj, date.fromisoformat(day))] = int((payload or {}).get("delta_minutes", 0))
    return out


def store_failures(loop: ChaosLoop) -> list[dict[str, Any]]:
    """The failures the API would list, read from the store (for loops that serve no API)."""
    engine = loop.store_engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Failure.kind, Failure.key, Failure.reason, Failure.parked)).all()
    finally:
        engine.dispose()
    return [{"kind": k, "key": key, "reason": r, "parked": bool(p)} for k, key, r, p in rows]
