"""Delivering one employee-week to 1C as the connector's ``Document_УчетВремени``.

The document is found by employee + week + the connector's marker in ``Комментарий`` (or by the
reference remembered from an earlier write) before anything is created, so a retry after an
unknown outcome never makes a second document. Its rows carrying a ``ТТ_КлючСтроки`` are the
connector's and are replaced whole by the week's desired rows; rows a person added by hand
(no row key) are kept. A write is a PATCH with ``If-Match``: on 412 the document is re-read,
the rows rebuilt and the PATCH retried. After writing the document is posted; a week reduced to
nothing is unposted and emptied. An unchanged, posted document costs one read and no write.
Requests per changed week: a new week costs create + Post (its lookup is shared by a batch of
weeks, ``find_many``); a known document read + PATCH + Post.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from connector.onec.client import ODataClient
from connector.onec.errors import Conflict, NotFound, OutcomeUnknown
from connector.onec.query import F, Guid
from connector.sync.core.model import WeekRow

TIMESHEET = "Document_УчетВремени"
MARKER = "[onec-bridge]"
DAY_FIELDS = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")
CUSTOMER_TYPE = "StandardODATA.Catalog_Контрагенты"
UNDEFINED_TYPE = "StandardODATA.Undefined"
MAX_CONFLICTS = 3
FIND_GROUP = 40


def marker(employee_ref: str, monday: date) -> str:
    """The ownership tag in the document's ``Комментарий``."""
    return f"{MARKER} {employee_ref} {monday.isoformat()}"


def hours(minutes: int) -> float:
    return round(minutes / 60, 6)


def row_json(row: WeekRow, line: int) -> dict[str, Any]:
    """One ``Операции`` row in 1C's JSON."""
    out: dict[str, Any] = {
        "LineNumber": str(line),
        "ВидРабот_Key": row.work_type_ref,
        "Заказчик": row.customer_ref or "",
        "Заказчик_Type": CUSTOMER_TYPE if row.customer_ref else UNDEFINED_TYPE,
        "Всего": hours(row.total_minutes),
        "Комментарий": row.comment or "",
        "ТТ_Объект": row.object_ref or "",
        "ТТ_Объект_Type": f"StandardODATA.{row.object_type}" if row.object_type else UNDEFINED_TYPE,
        "ТТ_КлючСтроки": row.row_key,
        "ТТ_Доказательства": row.evidence_url or "",
    }
    for name, minutes in zip(DAY_FIELDS, row.day_minutes, strict=True):
        out[name + "Длительность"] = hours(minutes)
    return out


def _comparable(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        (k, round(float(v), 4) if isinstance(v, int | float) and not isinstance(v, bool) else (v or ""))
        for k, v in sorted(row.items())
        if k not in ("LineNumber", "Ref_Key") and not k.endswith("@navigationLinkUrl")
    )


def merged_rows(existing: Sequence[dict[str, Any]], rows: Sequence[WeekRow]) -> list[dict[str, Any]]:
    """Hand-made rows of ``existing`` (no row key) followed by the connector's ``rows``, renumbered."""
    # A hand-made row goes back as 1C gave it, minus what 1C refuses in a write body: empty
    # (null) properties and navigation links.
    foreign = [
        {k: v for k, v in r.items() if v is not None and not k.endswith("@navigationLinkUrl")}
        for r in existing
        if not r.get("ТТ_КлючСтроки")
    ]
    out = []
    for i, r in enumerate(foreign, 1):
        r.pop("Ref_Key", None)
        r["LineNumber"] = str(i)
        out.append(r)
    out.extend(row_json(r, len(foreign) + i) for i, r in enumerate(rows, 1))
    return out


def _same_rows(existing: Sequence[dict[str, Any]], wanted: Sequence[dict[str, Any]]) -> bool:
    keys = set().union(*(w.keys() for w in wanted)) if wanted else set()

    def norm(rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return sorted(_comparable({k: r.get(k) for k in keys}) for r in rows)

    return len(existing) == len(wanted) and norm(existing) == norm(wanted)


@dataclass
class WeekOutcome:
    """What happened to one week: the document, its requests, and whether anything was written."""

    doc_ref: str | None
    requests: int
    written: bool


@dataclass
class WeekWriter:
    """Writes employee-weeks through one OData client."""

    onec: ODataClient

    def find(self, employee_ref: str, monday: date) -> dict[str, Any] | None:
        flt = (
            (F("Сотрудник_Key") == Guid(employee_ref))
            & (F("ДатаС") == monday)
            & (F("Комментарий") == marker(employee_ref, monday))
        )
        found = list(self.onec.iter_entities(TIMESHEET, filter=flt, page_size=10))
        live = [d for d in found if not d.get("DeletionMark")]
        return sorted(live, key=lambda d: str(d["Ref_Key"]))[0] if live else None

    def find_many(self, weeks: Sequence[tuple[str, date]]) -> tuple[dict[tuple[str, date], str], int]:
        """The connector's live documents of ``weeks`` (employee, Monday) and the requests spent.

        Weeks are looked up a group of employees at a time (one filtered, narrow read per group)
        instead of one read per week; the marker is checked here.
        """
        wanted = set(weeks)
        employees = sorted({e for e, _ in wanted})
        low, high = min(m for _, m in wanted), max(m for _, m in wanted)
        fields = ["Ref_Key", "Сотрудник_Key", "ДатаС", "Комментарий", "DeletionMark"]
        out: dict[tuple[str, date], str] = {}
        requests = 0
        for start in range(0, len(employees), FIND_GROUP):
            group = employees[start : start + FIND_GROUP]
            who = F("Сотрудник_Key") == Guid(group[0])
            for e in group[1:]:
                who = who | (F("Сотрудник_Key") == Guid(e))
            flt = (F("ДатаС") >= low) & (F("ДатаС") <= high) & who
            requests += 1
            for d in self.onec.iter_entities(TIMESHEET, filter=flt, select=fields, page_size=500):
                monday = d["ДатаС"].date() if hasattr(d["ДатаС"], "date") else d["ДатаС"]
                week = (str(d["Сотрудник_Key"]), monday)
                if week in wanted and not d.get("DeletionMark") and d.get("Комментарий") == marker(*week):
                    ref = str(d["Ref_Key"])
                    out[week] = min(ref, out.get(week, ref))
        return out, requests

    def _read(
        self, doc_ref: str | None, employee_ref: str, monday: date
    ) -> tuple[dict[str, Any] | None, int]:
        if doc_ref:
            try:
                doc = self.onec.get(TIMESHEET, doc_ref)
                if not doc.get("DeletionMark"):
                    return doc, 1
            except NotFound:
                pass
            return self.find(employee_ref, monday), 2
        return self.find(employee_ref, monday), 1

    def write_week(
        self,
        employee_ref: str,
        monday: date,
        rows: Sequence[WeekRow],
        doc_ref: str | None = None,
        *,
        looked_up: bool = False,
    ) -> WeekOutcome:
        """Make the connector's rows of this employee-week exactly ``rows`` (empty: unpost + empty).

        ``looked_up`` says ``doc_ref`` is the result of a lookup just made (``find_many``): without
        a reference the week has no document yet, so the first attempt creates it unread.
        """
        requests = 0
        fresh = looked_up and doc_ref is None
        for _ in range(MAX_CONFLICTS):
            if fresh:
                doc, fresh = None, False
            else:
                doc, n = self._read(doc_ref, employee_ref, monday)
                requests += n
            if doc is None:
                if not rows:
                    return WeekOutcome(None, requests, False)
                body = {
                    "Date": monday,
                    "ДатаС": monday,
                    "ДатаПо": monday + timedelta(days=6),
                    "Сотрудник_Key": employee_ref,
                    "Комментарий": marker(employee_ref, monday),
                    "Операции": merged_rows([], rows),
                }
                try:
                    created = self.onec.create(TIMESHEET, body)
                except OutcomeUnknown:
                    requests += 1
                    doc_ref = None
                    continue
                requests += 1
                self.onec.post_document(TIMESHEET, created["Ref_Key"])
                return WeekOutcome(created["Ref_Key"], requests + 1, True)
            ref = str(doc["Ref_Key"])
            existing = doc.get("Операции") or []
            wanted = merged_rows(existing, rows)
            if not wanted:
                if not existing and not doc.get("Posted"):
                    return WeekOutcome(ref, requests, False)
                if doc.get("Posted"):
                    self.onec.unpost_document(TIMESHEET, ref)
                    requests += 1
                try:
                    self.onec.patch(TIMESHEET, ref, {"Операции": []}, if_match=None)
                except OutcomeUnknown:
                    requests += 1
                    doc_ref = ref
                    continue
                return WeekOutcome(ref, requests + 1, True)
            if _same_rows(existing, wanted) and doc.get("Posted"):
                return WeekOutcome(ref, requests, False)
            if not _same_rows(existing, wanted):
                try:
                    self.onec.patch(TIMESHEET, ref, {"Операции": wanted}, if_match=doc.get("DataVersion"))
                except Conflict:
                    requests += 1
                    doc_ref = ref
                    continue
                except OutcomeUnknown:
                    requests += 1
                    doc_ref = ref
                    continue
                requests += 1
            self.onec.post_document(TIMESHEET, ref)
            return WeekOutcome(ref, requests + 1, True)
        raise Conflict(
            f"{TIMESHEET} of {employee_ref}, week of {monday}: changed concurrently {MAX_CONFLICTS} times"
        )
