"""Clockify adapter: directory, time source and task sink over Clockify's API (``…/api/v1``).

Published facts this relies on (docs.clockify.me; see docs/trackers.md for what is unconfirmed):

- Auth: the ``X-Api-Key`` header; 401 = key refused. Rate limits per workspace (50 requests/s on
  paid plans, far fewer on new free ones): over the limit 429, honoured with ``Retry-After``.
- ``GET /workspaces`` lists the key's workspaces (the one-request ``check``).
- Lists are paged by ``page`` (1-based) and ``page-size``; ``GET …/projects?hydrated=true``
  carries each project's ``tasks``. Project names take 2–250 characters, unique per client.
- ``POST …/projects/{p}/tasks`` and ``PUT …/tasks/{t}`` take ``name``, ``assigneeIds``,
  ``estimate`` (ISO 8601 duration, ``PT1H30M``) and ``status`` (``ACTIVE``/``DONE``).
- Reports live on their own host: ``POST {reports}/workspaces/{ws}/reports/detailed`` with
  ``dateRangeStart``/``dateRangeEnd`` (UTC) and ``detailedFilter {page, pageSize}``; the first
  page's ``totals[0].entriesCount`` says how many pages follow. An entry's ``timeInterval`` has
  ``start``/``end`` (no end: a running timer) and ``duration`` in seconds.

A 1C task becomes a task ``[CODE] title`` in the Clockify project of its 1C project (``[PARENT]
title``, or itself without a parent) or of its customer (``project_by="customer"``); assignees
become ``assigneeIds``; closing sets ``DONE``, reopening ``ACTIVE``. Days are local days of the
account's zone (``timezone``, the company's by default).
"""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import requests
from pydantic import SecretStr

from connector.http.redaction import redact_url
from connector.http.throttle import Throttle
from connector.tracker.base import (
    Capabilities,
    DayTime,
    Evidence,
    PublishAction,
    PublishOutcome,
    TaskPublication,
    TrackerEmployee,
    TrackerTask,
    task_code_from_name,
)
from connector.tracker.client import tracker_retry_policy
from connector.tracker.errors import (
    NotSupported,
    TrackerApiError,
    TrackerAuthError,
    TrackerError,
    TrackerProtocolError,
)
from connector.tracker.jsonapi import (
    Item,
    JsonApi,
    as_list,
    as_object,
    by_code,
    checked_period,
    fold,
    item_id,
    pick,
    publish_each,
    reachable,
    ref,
)
from connector.tracker.naming import CLOCKIFY_NAME, NO_CUSTOMER, coded_name, plain_name, split_by_local_day

log = logging.getLogger(__name__)

KEY_SETTING = "ONEC_BRIDGE_TRACKER_API_KEY"
WORKSPACE_SETTING = "ONEC_BRIDGE_TRACKER_CLOCKIFY_WORKSPACE"
INACTIVE = {"INACTIVE", "DECLINED", "DELETED"}


def reports_base(base_url: str) -> str:
    """The reports API for an API base: Clockify's own hosts, else ``<scheme://host>/reports/v1``.

    ``api.clockify.me`` → ``reports.api.clockify.me/v1``; regional and subdomain hosts
    (``*.clockify.me``) serve reports under ``/report/v1``."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    if host == "api.clockify.me":
        return "https://reports.api.clockify.me/v1"
    if host.endswith(".clockify.me"):
        return f"{parts.scheme}://{parts.netloc}/report/v1"
    return f"{parts.scheme}://{parts.netloc}/reports/v1"


class ClockifyTracker:
    """A Clockify workspace: its users, its time entries (detailed report) and tasks from 1C."""

    capabilities = Capabilities(
        publish_tasks=True, time_per_day=True, evidence=False, push_time=False, directory=True
    )

    def __init__(
        self,
        base_url: str,
        api_key: str | SecretStr,
        *,
        workspace: str,
        timeout: float = 30.0,
        rate_limit: float = 5.0,
        reports_url: str | None = None,
        project_by: Literal["project", "customer"] | str = "project",
        timezone: str = "Europe/Moscow",
        session: requests.Session | None = None,
        max_attempts: int = 5,
        deadline: float = 120.0,
        page_size: int = 5000,
        report_page_size: int = 1000,
        fallback_customer: str = NO_CUSTOMER,
        create_settle: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        if not key:
            raise ValueError(f"the Clockify API key is empty; set {KEY_SETTING}")
        if not workspace.strip():
            raise ValueError(f"{WORKSPACE_SETTING} is empty: set the Clockify workspace id")
        if project_by not in ("project", "customer"):
            raise ValueError(f"project_by must be 'project' or 'customer', got {project_by!r}")
        if page_size < 1 or report_page_size < 1:
            raise ValueError("page sizes must be at least 1")
        self.workspace = workspace.strip()
        self.project_by = project_by
        self.zone = ZoneInfo(timezone)
        self.page_size = page_size
        self.report_page_size = report_page_size
        self.fallback_customer = fallback_customer
        self.reports_url = (reports_url or reports_base(base_url)).rstrip("/")
        self.api = JsonApi(
            base_url,
            tracker="Clockify",
            headers={"X-Api-Key": key},
            secrets=[key],
            auth_hint=KEY_SETTING,
            session=session,
            timeout=timeout,
            throttle=Throttle(rate_limit, sleep=sleep),
            # the client makes the first attempt itself; the policy governs the ones after it
            policy=tracker_retry_policy(
                max_attempts=max(1, max_attempts - 1), deadline=deadline, sleep=sleep
            ),
            settle=create_settle,
        )

    def __repr__(self) -> str:
        return f"ClockifyTracker({redact_url(self.api.base_url)!r}, workspace={self.workspace!r})"

    @property
    def ws(self) -> str:
        return f"workspaces/{self.workspace}"

    def check(self) -> str:
        """One request: the key works and sees the configured workspace (``GET /workspaces``)."""
        spaces = as_list(self.api.get("workspaces").body, "workspaces")
        if not any(ref(s.get("id")) == self.workspace for s in spaces):
            raise self._unknown_workspace()
        return f"Clockify: workspace {self.workspace} reachable"

    # -- directory ---------------------------------------------------------------------------

    def employees(self) -> list[TrackerEmployee]:
        """Every user of the workspace, inactive ones included (their past time still counts)."""
        return [self._employee(u) for u in self._pages(f"{self.ws}/users")]

    # -- time source -------------------------------------------------------------------------

    def tasks(self) -> list[TrackerTask]:
        """Every task of every project, with our code and its assignees."""
        out = []
        for project in self._pages(f"{self.ws}/projects", {"hydrated": "true"}):
            for task in self._tasks_of(project):
                name = str(task.get("name") or "")
                active = str(task.get("status") or "ACTIVE") == "ACTIVE" and not project.get("archived")
                people = tuple(str(a) for a in task.get("assigneeIds") or [])
                out.append(TrackerTask(item_id(task), name, task_code_from_name(name), active, people))
        return out

    def time_per_day(
        self, begin: date, end: date, employee_ids: Sequence[str] | None = None
    ) -> Iterator[DayTime]:
        """Per-day totals per user and task for local days ``[begin, end)`` of the account's zone.

        One detailed report, paged (``ceil(entries / report_page_size)`` requests), from the
        day before ``begin`` (an entry started then may run past midnight). Entries crossing
        local midnight are split there; running timers and entries without a task are skipped."""
        ids = checked_period(begin, end, employee_ids)
        return self._time(begin, end, ids) if begin < end else iter(())

    def evidence(
        self, begin: date, end: date, employee_ids: Sequence[str] | None = None
    ) -> Iterator[Evidence]:
        raise NotSupported("the connector reads no screenshots from Clockify")

    def report_entries(
        self, start: datetime, end: datetime, employee_ids: list[str] | None
    ) -> Iterator[Item]:
        """The detailed report's entries started in ``[start, end)``, page after page."""
        body: dict[str, Any] = {
            "dateRangeStart": _utc(start),
            "dateRangeEnd": _utc(end - timedelta(milliseconds=1)),
            "exportType": "JSON",
        }
        if employee_ids is not None:
            body["users"] = {"ids": employee_ids, "contains": "CONTAINS", "status": "ALL"}
        page, fetched, count = 1, 0, None
        while True:
            totals = "CALCULATE" if page == 1 else "EXCLUDE"
            body["detailedFilter"] = {
                "page": page,
                "pageSize": self.report_page_size,
                "options": {"totals": totals},
            }
            answer = self.api.read("POST", f"{self.ws}/reports/detailed", body, base=self.reports_url)
            report = as_object(answer.body, "reports/detailed")
            # the service sends "timeentries"; its OpenAPI schema spells it "timeEntries"
            rows = report.get("timeentries", report.get("timeEntries")) or []
            items = as_list(rows, "reports/detailed timeentries")
            if page == 1:
                count = _entries_count(report)
            yield from items
            fetched += len(items)
            if not items or (fetched >= count if count is not None else len(items) < self.report_page_size):
                return
            page += 1

    def _time(self, begin: date, end: date, ids: list[str] | None) -> Iterator[DayTime]:
        start = datetime.combine(begin - timedelta(days=1), clock(), tzinfo=self.zone)
        stop = datetime.combine(end, clock(), tzinfo=self.zone)
        totals: dict[tuple[str, str, date], int] = defaultdict(int)
        codes: dict[str, str | None] = {}
        skipped: dict[str, int] = defaultdict(int)
        for entry in self.report_entries(start, stop, ids):
            interval = entry.get("timeInterval") or {}
            task_id = ref(entry.get("taskId"))
            if not interval.get("end"):
                skipped["running"] += 1
                continue
            if task_id is None:
                skipped["without a task"] += 1
                continue
            if entry.get("taskName"):
                codes[task_id] = task_code_from_name(str(entry["taskName"]))
            user = ref(entry.get("userId"))
            if user is None:
                raise TrackerProtocolError(f"report entry {entry.get('_id')!r} has no userId")
            a, b = _instant(interval, "start"), _instant(interval, "end")
            for day, part in split_by_local_day(a, b, self.zone, _seconds(interval.get("duration"))):
                if begin <= day < end:
                    totals[(user, task_id, day)] += part
        for reason, n in skipped.items():
            log.info("Clockify: %d report entries not counted (%s)", n, reason)
        missing = {t for _, t, _ in totals if t not in codes}
        if missing:
            codes.update({t.id: t.code for t in self.tasks() if t.id in missing})
        for (user, task_id, day), seconds in sorted(
            totals.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1])
        ):
            yield DayTime(user, task_id, codes.get(task_id), day, seconds)

    # -- task sink ---------------------------------------------------------------------------

    def publish_tasks(self, specs: Sequence[TaskPublication]) -> list[PublishOutcome]:
        """Create, update, close and reopen tasks so Clockify matches ``specs``.

        Users and projects (with their tasks) are listed once per call; then only differences
        are written, so a publish of what Clockify already has sends no write."""
        if not specs:
            return []
        publisher = reachable("Clockify", lambda: _Publisher(self))
        return publish_each("Clockify", specs, publisher.one)

    # -- reading -----------------------------------------------------------------------------

    def _pages(self, path: str, params: dict[str, str] | None = None) -> Iterator[Item]:
        """Every item of a paged list (a page shorter than asked for is the last one)."""
        page = 1
        while True:
            query = {**(params or {}), "page": str(page), "page-size": str(self.page_size)}
            try:
                items = as_list(self.api.get(path, query).body, path)
            except (TrackerAuthError, TrackerApiError) as exc:
                raise self._workspace_error(exc) from None
            yield from items
            if len(items) < self.page_size:
                return
            page += 1

    def _tasks_of(self, project: Item) -> list[Item]:
        """A project's tasks: from the hydrated listing, else read (older answers lack them)."""
        if isinstance(project.get("tasks"), list):
            return [t for t in project["tasks"] if isinstance(t, dict)]
        return list(self._pages(f"{self.ws}/projects/{item_id(project)}/tasks"))

    def _workspace_error(self, exc: TrackerError) -> TrackerError:
        if exc.status == 401:
            return exc
        if exc.status in (403, 404) or (exc.status == 400 and "workspace" in exc.message.lower()):
            return self._unknown_workspace()
        return exc

    def _unknown_workspace(self) -> TrackerAuthError:
        return TrackerAuthError(
            f"Clockify has no workspace {self.workspace!r} for this API key; set {WORKSPACE_SETTING} "
            "to the id of a workspace the key's user belongs to",
            status=403,
        )

    def _employee(self, user: Item) -> TrackerEmployee:
        uid = item_id(user)
        email = str(user.get("email") or "").strip() or None
        status = str(user.get("status") or "ACTIVE").upper()
        here = [
            m
            for m in user.get("memberships") or []
            if isinstance(m, dict) and m.get("targetId") == self.workspace
        ]
        active = status not in INACTIVE and not any(
            str(m.get("membershipStatus") or "").upper() in INACTIVE for m in here
        )
        return TrackerEmployee(uid, email, str(user.get("name") or email or uid), active)


class _Publisher:
    """One publish call: users and projects (with tasks) listed once, kept current as written."""

    def __init__(self, clockify: ClockifyTracker) -> None:
        self.c = clockify
        self.api = clockify.api
        self.emails: dict[str, str] = {}
        for user in clockify._pages(f"{clockify.ws}/users"):
            if user.get("email"):
                self.emails.setdefault(str(user["email"]).strip().casefold(), item_id(user))
        projects = list(clockify._pages(f"{clockify.ws}/projects", {"hydrated": "true"}))
        self.project_codes = by_code(projects)
        self.project_names: dict[str, Item] = {}
        for project in sorted(projects, key=lambda p: bool(p.get("archived")), reverse=True):
            self.project_names[fold(project.get("name"))] = project  # an active one wins a tie
        self.tasks: dict[str, list[Item]] = {}  # project id -> its tasks, read when first needed
        for project in projects:
            if isinstance(project.get("tasks"), list):
                pid = item_id(project)
                self.tasks[pid] = [{"projectId": pid, **t} for t in project["tasks"] if isinstance(t, dict)]
        self.task_codes: dict[str, list[Item]] = {}
        for tasks in self.tasks.values():
            for code, group in by_code(tasks).items():
                self.task_codes.setdefault(code, []).extend(group)

    def one(self, spec: TaskPublication) -> PublishOutcome:
        writes = self.api.writes_sent
        name = coded_name(spec.code, spec.title, CLOCKIFY_NAME)
        users = [self.emails.get(e.strip().casefold()) for e in spec.assignee_emails]
        unmatched = tuple(e for e, u in zip(spec.assignee_emails, users, strict=True) if u is None)
        project = self.project(spec)
        task, created = self.task(spec, name, project, sorted({u for u in users if u}))
        action: PublishAction = (
            "created" if created else "updated" if self.api.writes_sent > writes else "unchanged"
        )
        return PublishOutcome(spec.code, action, item_id(task), unmatched)

    def project(self, spec: TaskPublication) -> Item:
        if self.c.project_by == "customer":
            name = plain_name(spec.customer, CLOCKIFY_NAME, self.c.fallback_customer)
            found = self.project_names.get(fold(name))
            title_known = True
        else:
            code = spec.parent_code or spec.code
            title = spec.parent_title if spec.parent_code else spec.title
            name = coded_name(code, title, CLOCKIFY_NAME)
            found = pick(self.project_codes.get(code, []), lambda p: not p.get("archived"))
            title_known = title is not None
        if found is None:
            found = self.api.create(
                f"{self.c.ws}/projects",
                {"name": name, "isPublic": True},
                lambda: self._read_project(name),
                f"project {name}",
            )
            self._remember_project(found)
            self.tasks.setdefault(item_id(found), [])
            return found
        change: dict[str, Any] = {}
        if title_known and found.get("name") != name:
            change["name"] = name
        if spec.open and found.get("archived"):
            change["archived"] = False
        if change:
            answer = self.api.write("PUT", f"{self.c.ws}/projects/{item_id(found)}", change)
            fresh = {**found, **change, **(answer.body if isinstance(answer.body, dict) else {})}
            self._remember_project(fresh)
            found = fresh
        return found

    def task(
        self, spec: TaskPublication, name: str, project: Item, assignees: list[str]
    ) -> tuple[Item, bool]:
        pid = item_id(project)
        tasks = self._tasks(pid)
        wanted: dict[str, Any] = {
            "name": name,
            "assigneeIds": assignees,
            "status": "ACTIVE" if spec.open else "DONE",
        }
        if spec.planned_minutes is not None:
            wanted["estimate"] = iso_duration(max(0, spec.planned_minutes) * 60)
        mine = [t for t in tasks if task_code_from_name(str(t.get("name") or "")) == spec.code]
        known = next((t for t in tasks if spec.known_id and ref(t.get("id")) == spec.known_id), None)
        if known is not None and task_code_from_name(str(known.get("name") or "")) not in (None, spec.code):
            known = None
        found = known or pick(mine, lambda t: True)
        if found is None:
            for stale in self.task_codes.get(spec.code, []):  # the task moved to another project
                if stale.get("status") == "ACTIVE" and ref(stale.get("projectId")) != pid:
                    self._put(stale, {**_task_body(stale), "status": "DONE"})
            created = self.api.create(
                f"{self.c.ws}/projects/{pid}/tasks",
                wanted,
                lambda: self._read_task(pid, spec.code, name),
                f"task {name}",
            )
            self._remember(pid, spec.code, created)
            return created, True
        if _task_differs(found, wanted):
            found = self._put(found, {**_task_body(found), **wanted})
            self._remember(pid, spec.code, found)
        return found, False

    def _remember_project(self, project: Item) -> None:
        self.project_names[fold(project.get("name"))] = project
        code = task_code_from_name(str(project.get("name") or ""))
        if code:
            others = [p for p in self.project_codes.get(code, []) if p.get("id") != project.get("id")]
            self.project_codes[code] = [project, *others]

    def _put(self, task: Item, body: dict[str, Any]) -> Item:
        pid = ref(task.get("projectId"))
        answer = self.api.write("PUT", f"{self.c.ws}/projects/{pid}/tasks/{item_id(task)}", body)
        return {**task, **body, **(answer.body if isinstance(answer.body, dict) else {})}

    def _tasks(self, pid: str) -> list[Item]:
        if pid not in self.tasks:
            read = self.c._pages(f"{self.c.ws}/projects/{pid}/tasks")
            self.tasks[pid] = [{"projectId": pid, **t} for t in read]
            for code, group in by_code(self.tasks[pid]).items():
                self.task_codes.setdefault(code, []).extend(group)
        return self.tasks[pid]

    def _remember(self, pid: str, code: str, task: Item) -> None:
        task = {"projectId": pid, **task}
        keep = [t for t in self.tasks.get(pid, []) if t.get("id") != task.get("id")]
        self.tasks[pid] = [*keep, task]
        others = [t for t in self.task_codes.get(code, []) if t.get("id") != task.get("id")]
        self.task_codes[code] = [*others, task]

    def _read_project(self, name: str) -> Item | None:
        params = {"name": name, "strict-name-search": "true"}
        return next(
            (p for p in self.c._pages(f"{self.c.ws}/projects", params) if p.get("name") == name), None
        )

    def _read_task(self, pid: str, code: str, name: str) -> Item | None:
        params = {"name": name, "strict-name-search": "true"}
        found = self.c._pages(f"{self.c.ws}/projects/{pid}/tasks", params)
        return next((t for t in found if task_code_from_name(str(t.get("name") or "")) == code), None)


def _task_body(task: Item) -> dict[str, Any]:
    """What a PUT must repeat so it changes nothing else (Clockify's update takes the whole task)."""
    body: dict[str, Any] = {
        k: task[k] for k in ("name", "assigneeIds", "status", "estimate", "billable") if k in task
    }
    body.setdefault("assigneeIds", [])
    return body


def _task_differs(have: Item, want: dict[str, Any]) -> bool:
    if have.get("name") != want["name"] or str(have.get("status") or "ACTIVE") != want["status"]:
        return True
    if sorted(str(a) for a in have.get("assigneeIds") or []) != want["assigneeIds"]:
        return True
    return "estimate" in want and _seconds(have.get("estimate")) != _seconds(want["estimate"])


_ISO = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def iso_duration(seconds: int) -> str:
    """An ISO 8601 duration as Clockify writes estimates: 5400 → ``PT1H30M``, 0 → ``PT0S``."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    return f"PT{text or '0S'}"


def _seconds(value: Any) -> int | None:
    """Seconds of a duration given as a number or an ISO 8601 string (``PT1H30M``); None if absent."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    match = _ISO.match(str(value).strip())
    if not match:
        raise TrackerProtocolError(f"unreadable duration {value!r}")
    d, h, m, s = (float(g) if g else 0.0 for g in match.groups())
    return int(round(((d * 24 + h) * 60 + m) * 60 + s))


def _entries_count(report: Item) -> int | None:
    """How many entries the whole report has (``totals[0].entriesCount``); None when not said."""
    totals = report.get("totals")
    if isinstance(totals, list) and totals and isinstance(totals[0], dict):
        count = totals[0].get("entriesCount")
        if isinstance(count, int) and not isinstance(count, bool):
            return count
    return None


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _instant(interval: Item, name: str) -> datetime:
    raw = str(interval.get(name))
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise TrackerProtocolError(f"report entry {name} {raw!r} is not an ISO datetime") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
