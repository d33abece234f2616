"""Clockify's clients, projects and tasks (``/api/v1/workspaces/{ws}/…``).

Names as the OpenAPI limits them (client ≤ 100, project 2–250, task 1–1000), duplicates refused
case-insensitively (client by name, project by name and client, task by name in its project),
``PUT`` of a project archives it, a task's ``PUT`` needs its name and, with
``--clockify-task-put replace``, clears the assignees and estimate it is not given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request

from mock_tracker.clockify_http import (
    COLOR,
    ClockifyContext,
    bad,
    body_of,
    flag_field,
    matches_name,
    page_of,
    text_field,
)
from mock_tracker.clockify_store import CLIENT, Client, ClockifyTask, Project, parse_iso_duration, parse_oid
from mock_tracker.model import Employee


def add_catalog_routes(router: APIRouter, ctx: ClockifyContext) -> None:
    account, store = ctx.account, ctx.store
    base = "/api/v1/workspaces/{workspace}"

    # -- clients ------------------------------------------------------------------------------

    @router.get(base + "/clients")
    def clients(request: Request, workspace: str) -> list[dict[str, Any]]:
        ctx.authenticate(request, workspace)
        q = ctx.query(request)
        page, size = q.page()
        name, archived = q.text("name"), q.flag("archived")
        descending = q.choice("sort-order", ("ASCENDING", "DESCENDING"), "ASCENDING") == "DESCENDING"
        with account.reading():
            chosen = [
                c
                for c in store.sorted_view(
                    "clients", store.clients.values, lambda c: (c.name.casefold(), c.n), descending
                )
                if matches_name(c.name, name, False) and (archived is None or c.archived == archived)
            ]
            return [ctx.client(c) for c in page_of(chosen, page, size)]

    @router.post(base + "/clients", status_code=201)
    async def create_client(request: Request, workspace: str) -> dict[str, Any]:
        ctx.authenticate(request, workspace)
        body = await body_of(request)
        name = text_field(body, "name", low=1, high=100, label="Client", required=True)
        assert name is not None
        with account.writing():
            if store.client_named(name) is not None:
                raise bad(f"Client with name '{name}' already exists")
            c = Client(
                store.next_client,
                name,
                address=body.get("address"),
                note=body.get("note"),
                email=body.get("email"),
            )
            store.next_client += 1
            store.clients[c.n] = c
            store.changed()
            account.created["clients"] += 1
            return ctx.client(c)

    @router.get(base + "/clients/{client_id}")
    def client(request: Request, workspace: str, client_id: str) -> dict[str, Any]:
        ctx.authenticate(request, workspace)
        n = parse_oid(client_id, CLIENT)
        with account.reading():
            if n is None or n not in store.clients:
                raise bad("Client doesn't belong to Workspace")
            return ctx.client(store.clients[n])

    # -- projects -----------------------------------------------------------------------------

    @router.get(base + "/projects")
    def projects(request: Request, workspace: str) -> list[dict[str, Any]]:
        ctx.authenticate(request, workspace)
        q = ctx.query(request)
        page, size = q.page()
        name, strict = q.text("name"), q.flag("strict-name-search")
        archived, billable = q.flag("archived"), q.flag("billable")
        client_ids = {parse_oid(c, CLIENT) for c in request.query_params.getlist("clients")}
        column = q.choice(
            "sort-column", ("ID", "NAME", "CLIENT_NAME", "DURATION", "BUDGET", "PROGRESS"), "NAME"
        )
        descending = q.choice("sort-order", ("ASCENDING", "DESCENDING"), "ASCENDING") == "DESCENDING"
        with account.reading():
            key: Callable[[Project], Any] = (
                (lambda p: p.n) if column == "ID" else (lambda p: (p.name.casefold(), p.n))
            )
            ordered = store.sorted_view(f"projects-{column}", store.projects.values, key, descending)
            if name is None and archived is None and billable is None and not client_ids:
                chosen = page_of(ordered, page, size)
            else:
                chosen = page_of(
                    [
                        p
                        for p in ordered
                        if matches_name(p.name, name, strict)
                        and (archived is None or p.archived == archived)
                        and (billable is None or p.billable == billable)
                        and (not client_ids or p.client in client_ids)
                    ],
                    page,
                    size,
                )
            return [ctx.project(p) for p in chosen]

    def project_fields(body: dict[str, Any], p: Project, *, new: bool) -> None:
        name = text_field(body, "name", low=2, high=250, label="Project", required=new)
        if name is not None:
            p.name = name
        if "clientId" in body:
            raw = body["clientId"]
            if raw in (None, ""):
                p.client = None
            else:
                n = parse_oid(str(raw), CLIENT)
                if n is None or n not in store.clients:
                    raise bad("Client doesn't belong to Workspace")
                p.client = n
        color = body.get("color")
        if color is not None:
            if not isinstance(color, str) or not COLOR.match(color):
                raise bad("color must look like #03A9F4")
            p.color = color
        note = body.get("note")
        if note is not None:
            if not isinstance(note, str) or len(note) > 16384:
                raise bad("Project note must be at most 16384 characters")
            p.note = note
        p.billable = flag_field(body, "billable", p.billable)
        p.public = flag_field(body, "isPublic", p.public)
        if not new:
            p.archived = flag_field(body, "archived", p.archived)
        if store.project_named(p.name, p.client, other_than=p.n) is not None:
            raise bad(f"Project with name '{p.name}' already exists")

    @router.post(base + "/projects", status_code=201)
    async def create_project(request: Request, workspace: str) -> dict[str, Any]:
        ctx.authenticate(request, workspace)
        body = await body_of(request)
        with account.writing():
            p = Project(store.next_project, "")
            project_fields(body, p, new=True)
            store.next_project += 1
            store.put_project(p)
            account.created["projects"] += 1
            return ctx.project(p)

    @router.get(base + "/projects/{project_id}")
    def project(request: Request, workspace: str, project_id: str) -> dict[str, Any]:
        ctx.authenticate(request, workspace)
        with account.reading():
            return ctx.project(ctx.project_of(project_id))

    @router.put(base + "/projects/{project_id}")
    async def update_project(request: Request, workspace: str, project_id: str) -> dict[str, Any]:
        ctx.authenticate(request, workspace)
        body = await body_of(request)
        with account.writing() as state:
            current = ctx.project_of(project_id)
            p = Project(**vars(current))
            project_fields(body, p, new=False)
            store.put_project(p)
            for t in store.project_tasks(p.n):
                store.sync_task(state, t)
            return ctx.project(p)

    # -- tasks --------------------------------------------------------------------------------

    @router.get(base + "/projects/{project_id}/tasks")
    def tasks(request: Request, workspace: str, project_id: str) -> list[dict[str, Any]]:
        ctx.authenticate(request, workspace)
        q = ctx.query(request)
        page, size = q.page()
        name, strict, active = q.text("name"), q.flag("strict-name-search"), q.flag("is-active")
        column = q.choice("sort-column", ("ID", "NAME"), "ID")
        descending = q.choice("sort-order", ("ASCENDING", "DESCENDING"), "ASCENDING") == "DESCENDING"
        with account.reading():
            p = ctx.project_of(project_id)
            chosen = [
                t
                for t in store.project_tasks(p.n)
                if matches_name(t.name, name, strict) and (active is None or (t.status == "ACTIVE") == active)
            ]
            chosen.sort(
                key=(lambda t: t.id) if column == "ID" else (lambda t: (t.name.casefold(), t.id)),
                reverse=descending,
            )
            return [ctx.task(t) for t in page_of(chosen, page, size)]

    def task_fields(
        body: dict[str, Any], t: ClockifyTask, employees: dict[int, Employee], *, new: bool
    ) -> None:
        name = text_field(body, "name", low=1, high=1000, label="Task", required=True)
        assert name is not None
        t.name = name
        replace = not new and ctx.config.clockify_task_put == "replace"
        if "assigneeIds" in body or "assigneeId" in body or replace:
            raw = body.get("assigneeIds")
            if raw is None and isinstance(body.get("assigneeId"), str):
                raw = [body["assigneeId"]]
            t.assignees = ctx.user_ids(raw, employees)
        if "estimate" in body or replace:
            raw_estimate = body.get("estimate")
            seconds = 0 if raw_estimate in (None, "") else parse_iso_duration(raw_estimate)
            if seconds is None:
                raise bad("estimate must be an ISO 8601 duration such as PT1H30M")
            t.estimate = seconds
        status = body.get("status")
        if status is not None:
            if status not in ("ACTIVE", "DONE"):
                raise bad("status must be ACTIVE or DONE")
            t.status = status
        t.billable = flag_field(body, "billable", t.billable)
        if store.task_named(t.project, t.name, other_than=t.id) is not None:
            raise bad(f"Task with name '{t.name}' already exists")

    @router.post(base + "/projects/{project_id}/tasks", status_code=201)
    async def create_task(request: Request, workspace: str, project_id: str) -> dict[str, Any]:
        ctx.authenticate(request, workspace)
        body = await body_of(request)
        with account.writing() as state:
            p = ctx.project_of(project_id)
            t = ClockifyTask(state.next_task_id, p.n, "", billable=p.billable)
            task_fields(body, t, state.employees, new=True)
            state.next_task_id += 1
            store.add_task(t)
            store.sync_task(state, t)
            account.created["tasks"] += 1
            return ctx.task(t)

    @router.get(base + "/projects/{project_id}/tasks/{task_id}")
    def task(request: Request, workspace: str, project_id: str, task_id: str) -> dict[str, Any]:
        ctx.authenticate(request, workspace)
        with account.reading():
            return ctx.task(ctx.task_of(ctx.project_of(project_id), task_id))

    @router.put(base + "/projects/{project_id}/tasks/{task_id}")
    async def update_task(request: Request, workspace: str, project_id: str, task_id: str) -> dict[str, Any]:
        ctx.authenticate(request, workspace)
        body = await body_of(request)
        with account.writing() as state:
            current = ctx.task_of(ctx.project_of(project_id), task_id)
            t = ClockifyTask(**{**vars(current), "assignees": list(current.assignees)})
            task_fields(body, t, state.employees, new=False)
            store.replace_task(t)
            store.sync_task(state, t)
            return ctx.task(t)
