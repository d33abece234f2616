"""Clockify as the connector's task sink: 1C tasks published as tasks in Clockify projects.

Published facts this relies on (docs.clockify.me; see docs/trackers.md for what is unconfirmed):

- Project names take 2–250 characters, unique per client; ``GET …/projects?hydrated=true``
  carries each project's ``tasks``.
- ``POST …/projects/{p}/tasks`` and ``PUT …/tasks/{t}`` take ``name``, ``assigneeIds``,
  ``estimate`` (ISO 8601 duration, ``PT1H30M``) and ``status`` (``ACTIVE``/``DONE``).

A 1C task becomes a task ``[CODE] title`` in the Clockify project of its 1C project (``[PARENT]
title``, or itself without a parent) or of its customer (``project_by="customer"``); assignees
become ``assigneeIds``; closing sets ``DONE``, reopening ``ACTIVE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connector.tracker.base import PublishAction, PublishOutcome, TaskPublication, task_code_from_name
from connector.tracker.clockify.client import ClockifyClient
from connector.tracker.clockify.durations import iso_duration, seconds_of
from connector.tracker.jsonapi import Item, by_code, fold, item_id, pick, publish_each, reachable, ref
from connector.tracker.naming import CLOCKIFY_NAME, coded_name, plain_name


class ClockifyTaskSink(ClockifyClient):
    """The task sink role: tasks kept as 1C says."""

    def publish_tasks(self, specs: Sequence[TaskPublication]) -> list[PublishOutcome]:
        """Create, update, close and reopen tasks so Clockify matches ``specs``.

        Users and projects (with their tasks) are listed once per call; then only differences
        are written, so a publish of what Clockify already has sends no write."""
        if not specs:
            return []
        publisher = reachable("Clockify", lambda: _Publisher(self))
        return publish_each("Clockify", specs, publisher.one)


class _Publisher:
    """One publish call: users and projects (with tasks) listed once, kept current as written."""

    def __init__(self, clockify: ClockifyClient) -> None:
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
    return "estimate" in want and seconds_of(have.get("estimate")) != seconds_of(want["estimate"])
