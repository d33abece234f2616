"""The Kimai 2 dialect under ``/api``: users, customers, projects, activities, teams, timesheets.

Follows Kimai's API controllers (``src/API`` of kimai/kimai): query parameters and their
defaults, serializer groups, Symfony validation messages and FOSRest error bodies
(``{"code": 404, "message": "Not Found"}``). Authentication, as Kimai does it:

- ``Authorization: Bearer <token>``: a wrong token → 401 with an **empty body** and
  ``WWW-Authenticate: Bearer error="invalid_token",error_description="Invalid credentials."``;
- ``X-AUTH-USER`` (user name or e-mail) + ``X-AUTH-TOKEN``: wrong → **403**
  ``{"message": "Invalid credentials"}``;
- no credentials → 401 ``{"code": 401, "message": "Unauthorized"}``.

The API user is a super administrator: it sees everything, may use ``user=all``, and books for
others. Details and the switches: ``docs/mock-tracker-dialects.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request

from mock_tracker import kimai_forms as forms
from mock_tracker.account import Account
from mock_tracker.api import ApiSwitch
from mock_tracker.config import MockConfig
from mock_tracker.kimai_http import (
    KimaiContext,
    Params,
    credential,
    error_body,
    http_error_body,
    lookup,
    matches,
    ordered,
    read_body,
)
from mock_tracker.kimai_store import Activity, Customer, Project
from mock_tracker.kimai_teams import add_team_routes
from mock_tracker.kimai_timesheets import add_timesheet_routes

__all__ = ["API_PREFIXES", "build_router", "credential", "error_body", "http_error_body", "is_create"]

API_PREFIXES = ("/api/",)
_CREATES = re.compile(r"^/api/(customers|projects|activities|teams|timesheets)/?$")

CUSTOMER_FIELDS = [
    "name", "number", "comment", "company", "vatId", "contact", "address", "addressLine1", "addressLine2",
    "addressLine3", "postCode", "city", "country", "language", "currency", "phone", "fax", "mobile", "email",
    "homepage", "timezone", "invoiceText", "invoiceTemplate", "invoiceEmail", "buyerReference", "color",
    "budget", "timeBudget", "budgetType", "metaFields", "visible", "billable",
]  # fmt: skip
PROJECT_FIELDS = [
    "name", "number", "comment", "invoiceText", "orderNumber", "orderDate", "start", "end", "customer",
    "globalActivities", "color", "budget", "timeBudget", "budgetType", "metaFields", "visible", "billable",
]  # fmt: skip
ACTIVITY_FIELDS = [
    "name", "number", "comment", "invoiceText", "project", "color", "budget", "timeBudget", "budgetType",
    "metaFields", "visible", "billable",
]  # fmt: skip
BUDGET_TYPES = [None, "month"]
NAME_MAX = 150


def is_create(method: str, path: str) -> bool:
    return method == "POST" and _CREATES.match(path) is not None


def visible_filter(params: Params) -> int:
    return int(params.get("visible", "1|2|3", "1") or "1")


def apply_common(form: forms.Form, obj: Customer | Project | Activity) -> None:
    obj.color = form.text("color", obj.color)
    obj.visible = form.boolean("visible", obj.visible)
    obj.billable = form.boolean("billable", obj.billable)
    obj.budget = form.money("budget", obj.budget)
    obj.time_budget = form.duration("timeBudget", obj.time_budget)
    obj.budget_type = form.choice("budgetType", BUDGET_TYPES, obj.budget_type)


def build_router(account: Account, config: MockConfig, switch: ApiSwitch) -> APIRouter:
    ctx = KimaiContext(account, config)
    router = APIRouter(prefix="/api")
    store, render = ctx.store, ctx.json

    @router.get("/ping")
    def ping(request: Request) -> dict[str, str]:
        ctx.authenticate(request)
        return {"message": "pong"}

    @router.get("/version")
    def version(request: Request) -> dict[str, Any]:
        ctx.authenticate(request)
        major, minor, *rest = (int(p) for p in config.kimai_version.split("."))
        patch = rest[0] if rest else 0
        text = f"{major}.{minor}.{patch}"
        return {
            "version": text,
            "versionId": major * 10000 + minor * 100 + patch,
            "copyright": f"Kimai {text} by Kevin Papst.",
        }

    # -- users --------------------------------------------------------------------------------

    @router.get("/users")
    def users(request: Request) -> list[dict[str, Any]]:
        ctx.authenticate(request)
        params = Params(request)
        visible = visible_filter(params)
        order_by = params.get("orderBy", "id|username|alias|email", "username")
        descending = params.get("order", "ASC|DESC", "ASC") == "DESC"
        term = params.get("term")
        full = params.get("full", "0|1|true|false") in ("1", "true")
        with account.reading() as state:
            chosen = [
                e
                for e in state.employees.values()
                if (visible == 3 or e.active == (visible == 1))
                and matches(term, e.email, render.login(e), e.first_name, e.last_name)
            ]
            keys: dict[str, Callable[[Any], Any]] = {
                "id": lambda e: e.id,
                "username": lambda e: (render.login(e).lower(), e.id),
                "alias": lambda e: (render.user(e)["alias"].lower(), e.id),
                "email": lambda e: (e.email.lower(), e.id),
            }
            chosen = ordered(chosen, keys[order_by or "username"], descending)
            return [render.user_entity(e) if full else render.user(e) for e in chosen]

    @router.get("/users/me")
    def me(request: Request) -> dict[str, Any]:
        ctx.authenticate(request)
        with account.reading() as state:
            return render.user_entity(state.employees[ctx.api_user.id])

    @router.get("/users/{user_id}")
    def user(request: Request, user_id: str) -> dict[str, Any]:
        ctx.authenticate(request)
        with account.reading() as state:
            return render.user_entity(lookup(state.employees, user_id))

    # -- customers ----------------------------------------------------------------------------

    @router.get("/customers")
    def customers(request: Request) -> list[dict[str, Any]]:
        ctx.authenticate(request)
        params = Params(request)
        visible = visible_filter(params)
        descending = params.get("order", "ASC|DESC", "ASC") == "DESC"
        order_by = params.get("orderBy", "id|name", "name")
        params.get("full", "0|1")
        term = params.get("term")
        with account.reading():
            chosen = [
                c
                for c in store.customers.values()
                if (visible == 3 or c.visible == (visible == 1))
                and matches(term, c.name, c.comment, c.company, c.number)
            ]
            key = (lambda c: c.id) if order_by == "id" else (lambda c: (c.name.lower(), c.id))
            return [render.customer_listed(c) for c in ordered(chosen, key, descending)]

    @router.get("/customers/{customer_id}")
    def customer(request: Request, customer_id: str) -> dict[str, Any]:
        ctx.authenticate(request)
        with account.reading():
            return render.customer_entity(lookup(store.customers, customer_id))

    def customer_form(form: forms.Form, c: Customer, *, new: bool) -> None:
        c.name = form.text("name", c.name) or ""
        form.length("name", c.name, low=2, high=NAME_MAX, required=True)
        c.number = form.text("number", c.number)
        form.length("number", c.number, high=50)
        c.comment = form.text("comment", c.comment)
        c.company = form.text("company", c.company)
        form.length("company", c.company, high=100)
        c.country = form.text("country", c.country) or ""
        form.length("country", c.country, high=2, required=True)
        c.currency = form.text("currency", c.currency) or ""
        form.length("currency", c.currency, high=3, required=True)
        c.language = form.text("language", c.language) or ""
        c.timezone = form.text("timezone", c.timezone) or ""
        form.length("timezone", c.timezone, high=64, required=True)
        apply_common(form, c)
        if new:
            c.teams = form.refs("teams", store.teams, c.teams)

    @router.post("/customers")
    async def create_customer(request: Request) -> dict[str, Any]:
        ctx.authenticate(request)
        form = forms.Form(await read_body(request), [*CUSTOMER_FIELDS, "teams"])
        with account.writing():
            c = Customer(id=store.next_customer, timezone=config.tz.key)
            customer_form(form, c, new=True)
            form.check()
            store.next_customer += 1
            store.customers[c.id] = c
            store.dirty = True
            ctx.created("customers")
            return render.customer_entity(c)

    @router.patch("/customers/{customer_id}")
    async def update_customer(request: Request, customer_id: str) -> dict[str, Any]:
        ctx.authenticate(request)
        body = await read_body(request)
        with account.writing():
            current = lookup(store.customers, customer_id)
            c = Customer(**{**vars(current), "teams": list(current.teams)})
            form = forms.Form(body, CUSTOMER_FIELDS)
            customer_form(form, c, new=False)
            form.check()
            store.customers[c.id] = c
            store.dirty = True
            return render.customer_entity(c)

    # -- projects -----------------------------------------------------------------------------

    @router.get("/projects")
    def projects(request: Request) -> list[dict[str, Any]]:
        ctx.authenticate(request)
        params = Params(request)
        visible = visible_filter(params)
        wanted = set(params.ids("customer")) & set(store.customers)
        descending = params.get("order", "ASC|DESC", "ASC") == "DESC"
        order_by = params.get("orderBy", "id|name|customer", "name")
        date_pattern = r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2})?"
        start, end = params.get("start", date_pattern), params.get("end", date_pattern)
        ignore = params.get("ignoreDates", "1") == "1"
        global_activities = params.get("globalActivities", "0|1")
        term = params.get("term")
        if not ignore and start is None and end is None:
            start = end = ctx.account_today()
        low, high = (start or "")[:10] or None, (end or "")[:10] or None
        with account.reading():

            def shown(p: Project) -> bool:
                customer = store.customers.get(p.customer)
                if visible != 3 and (p.visible != (visible == 1) or customer is None or not customer.visible):
                    return False
                if wanted and p.customer not in wanted:
                    return False
                if global_activities is not None and p.global_activities != (global_activities == "1"):
                    return False
                if not ignore and ((high and p.start and p.start > high) or (low and p.end and p.end < low)):
                    return False
                return matches(term, p.name, p.comment, p.order_number, p.number)

            keys: dict[str, Callable[[Project], Any]] = {
                "id": lambda p: p.id,
                "name": lambda p: (p.name.lower(), p.id),
                "customer": lambda p: (store.customers[p.customer].name.lower(), p.id),
            }
            chosen = ordered(filter(shown, store.projects.values()), keys[order_by or "name"], descending)
            return [render.project_listed(p) for p in chosen]

    @router.get("/projects/{project_id}")
    def project(request: Request, project_id: str) -> dict[str, Any]:
        ctx.authenticate(request)
        with account.reading():
            return render.project_listed(lookup(store.projects, project_id))

    def project_form(form: forms.Form, p: Project, *, new: bool) -> None:
        if form.has("name") or new:
            name = form.text("name", None if new else p.name)
            if name is None:
                form.fail("name", forms.NULL)
            else:
                p.name = name
                form.length("name", name, low=2, high=NAME_MAX)
        p.number = form.text("number", p.number)
        form.length("number", p.number, high=10)
        p.comment = form.text("comment", p.comment)
        p.order_number = form.text("orderNumber", p.order_number)
        form.length("orderNumber", p.order_number, high=50)
        p.order_date = form.day("orderDate", p.order_date)
        p.start = form.day("start", p.start)
        p.end = form.day("end", p.end)
        if p.start and p.end and p.end < p.start:
            form.fail("end", "End date must not be earlier then start date.")
        customer = form.ref("customer", store.customers, p.customer or None)
        if customer is None:
            form.fail("customer", forms.NULL)
        else:
            p.customer = customer
        p.global_activities = form.boolean("globalActivities", p.global_activities)
        apply_common(form, p)
        if new:
            p.teams = form.refs("teams", store.teams, p.teams)

    @router.post("/projects")
    async def create_project(request: Request) -> dict[str, Any]:
        ctx.authenticate(request)
        form = forms.Form(await read_body(request), [*PROJECT_FIELDS, "teams"])
        with account.writing():
            p = Project(id=store.next_project)
            project_form(form, p, new=True)
            form.check()
            store.next_project += 1
            store.projects[p.id] = p
            store.dirty = True
            ctx.created("projects")
            return render.project_listed(p)

    @router.patch("/projects/{project_id}")
    async def update_project(request: Request, project_id: str) -> dict[str, Any]:
        ctx.authenticate(request)
        body = await read_body(request)
        with account.writing():
            current = lookup(store.projects, project_id)
            p = Project(**{**vars(current), "teams": list(current.teams)})
            form = forms.Form(body, PROJECT_FIELDS)
            project_form(form, p, new=False)
            form.check()
            store.projects[p.id] = p
            store.dirty = True
            return render.project_listed(p)

    # -- activities ---------------------------------------------------------------------------

    @router.get("/activities")
    def activities(request: Request) -> list[dict[str, Any]]:
        ctx.authenticate(request)
        params = Params(request)
        visible = visible_filter(params)
        globals_only = params.get("globals", "0|1|true|false") in ("1", "true")
        wanted = [store.projects[i] for i in dict.fromkeys(params.ids("project")) if i in store.projects]
        descending = params.get("order", "ASC|DESC", "ASC") == "DESC"
        order_by = params.get("orderBy", "id|name|project", "name")
        term = params.get("term")
        with account.reading():

            def shown(a: Activity) -> bool:
                project = store.projects.get(a.project) if a.project is not None else None
                if visible != 3:
                    if a.visible != (visible == 1):
                        return False
                    if not globals_only and project is not None:
                        customer = store.customers.get(project.customer)
                        if not project.visible or customer is None or not customer.visible:
                            return False
                if globals_only:
                    if a.project is not None:
                        return False
                elif wanted:
                    with_globals = wanted[0].global_activities if len(wanted) == 1 else True
                    if a.project is None:
                        if not with_globals:
                            return False
                    elif a.project not in {p.id for p in wanted}:
                        return False
                return matches(term, a.name, a.comment, a.number)

            keys: dict[str, Callable[[Activity], Any]] = {
                "id": lambda a: a.id,
                "name": lambda a: (a.name.lower(), a.id),
                "project": lambda a: (store.projects[a.project].name.lower() if a.project else "", a.id),
            }
            chosen = ordered(filter(shown, store.activities.values()), keys[order_by or "name"], descending)
            return [render.activity_listed(a) for a in chosen]

    @router.get("/activities/{activity_id}")
    def activity(request: Request, activity_id: str) -> dict[str, Any]:
        ctx.authenticate(request)
        with account.reading():
            return render.activity_listed(lookup(store.activities, activity_id))

    def activity_form(form: forms.Form, a: Activity, *, new: bool) -> None:
        a.name = form.text("name", a.name) or ""
        form.length("name", a.name, low=2, high=NAME_MAX, required=True)
        a.number = form.text("number", a.number)
        form.length("number", a.number, high=10)
        a.comment = form.text("comment", a.comment)
        if new or a.project is not None:
            a.project = form.ref("project", store.projects, a.project)
        apply_common(form, a)
        if new:
            a.teams = form.refs("teams", store.teams, a.teams)

    @router.post("/activities")
    async def create_activity(request: Request) -> dict[str, Any]:
        ctx.authenticate(request)
        form = forms.Form(await read_body(request), [*ACTIVITY_FIELDS, "teams"])
        with account.writing() as state:
            a = Activity(id=state.next_task_id)
            activity_form(form, a, new=True)
            form.check()
            state.next_task_id += 1
            store.activities[a.id] = a
            store.sync_task(state, a)
            ctx.created("activities")
            return render.activity_listed(a)

    @router.patch("/activities/{activity_id}")
    async def update_activity(request: Request, activity_id: str) -> dict[str, Any]:
        ctx.authenticate(request)
        body = await read_body(request)
        with account.writing() as state:
            current = lookup(store.activities, activity_id)
            a = Activity(**{**vars(current), "teams": list(current.teams)})
            fields = (
                ACTIVITY_FIELDS
                if current.project is not None
                else [f for f in ACTIVITY_FIELDS if f != "project"]
            )
            form = forms.Form(body, fields)
            activity_form(form, a, new=False)
            form.check()
            store.activities[a.id] = a
            store.sync_task(state, a)
            return render.activity_listed(a)

    add_team_routes(router, ctx)
    add_timesheet_routes(router, ctx)
    return router
