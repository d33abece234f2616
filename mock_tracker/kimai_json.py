"""Kimai's JSON shapes (its serializer groups) for users, customers, projects, activities, teams
and timesheets, as the API controllers under Kimai's ``src/API`` render them.

Instants use Kimai's serializer format ``Y-m-d\\TH:i:sO`` (``2026-03-02T09:00:00+0300``: no colon
in the offset) in the account's zone; budgets (``budget``, ``timeBudget``, ``budgetType``) are
shown because the API user is an administrator.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from mock_tracker.kimai_store import Activity, Customer, KimaiStore, Project, Team
from mock_tracker.model import AccountState, Employee
from mock_tracker.timeline import Work

DEFAULT_COLOR = "#d2d6de"


def kimai_instant(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S%z")


def _colors(color: str | None) -> dict[str, Any]:
    return {"color": color, "color-safe": color or DEFAULT_COLOR}


def _budget(obj: Customer | Project | Activity) -> dict[str, Any]:
    return {"budget": obj.budget, "timeBudget": obj.time_budget, "budgetType": obj.budget_type}


class KimaiJson:
    """Renders one account's objects; ``emails`` is False for Kimai before 2.45 (no e-mail in
    any user answer)."""

    def __init__(
        self, store: KimaiStore, tz: ZoneInfo, *, emails: bool, api_user: int, username: str
    ) -> None:
        self.store = store
        self.tz = tz
        self.emails = emails
        self.api_user = api_user
        self.username = username

    # -- users --------------------------------------------------------------------------------

    def login(self, emp: Employee) -> str:
        return self.username if emp.id == self.api_user else emp.email.partition("@")[0]

    def user(self, emp: Employee) -> dict[str, Any]:
        alias = " ".join(part for part in (emp.last_name, emp.first_name) if part)
        initials = "".join(part[:1] for part in (emp.first_name, emp.last_name) if part).upper()
        out: dict[str, Any] = {
            "id": emp.id,
            "username": self.login(emp),
            "alias": alias,
            "title": None,
            "avatar": None,
            "accountNumber": None,
            "enabled": emp.active,
            "apiToken": emp.id == self.api_user,
            "systemAccount": False,
            "initials": initials or None,
            "language": "ru",
            "locale": "ru",
            "timezone": self.tz.key,
            **_colors(None),
        }
        if self.emails:
            out["email"] = emp.email
        return out

    def user_entity(self, emp: Employee) -> dict[str, Any]:
        memberships = [
            {"team": self.team(team), "teamlead": lead} for team, lead in self.store.user_teams(emp.id)
        ]
        roles = ["ROLE_SUPER_ADMIN"] if emp.id == self.api_user else ["ROLE_USER"]
        return {
            **self.user(emp),
            "roles": roles,
            "supervisor": None,
            "teams": [m["team"] for m in memberships],
            "memberships": memberships,
            "preferences": [],
        }

    # -- teams --------------------------------------------------------------------------------

    def team(self, team: Team) -> dict[str, Any]:
        return {"id": team.id, "name": team.name, **_colors(team.color)}

    def team_entity(self, team: Team, state: AccountState) -> dict[str, Any]:
        customers, projects, activities = self.store.team_objects(team.id)
        return {
            **self.team(team),
            "members": [
                {"user": self.user(state.employees[m.user]), "teamlead": m.teamlead}
                for m in team.members
                if m.user in state.employees
            ],
            "customers": [self.customer(c) for c in customers],
            "projects": [self.project(p) for p in projects],
            "activities": [self.activity(a) for a in activities],
        }

    def _teams(self, ids: list[int]) -> list[dict[str, Any]]:
        return [self.team(self.store.teams[i]) for i in ids if i in self.store.teams]

    # -- customers, projects, activities -------------------------------------------------------

    def customer(self, c: Customer) -> dict[str, Any]:
        return {
            "id": c.id,
            "name": c.name,
            "number": c.number,
            "comment": c.comment,
            "visible": c.visible,
            "billable": c.billable,
            "currency": c.currency,
            "country": c.country,
            "language": c.language,
            "company": c.company,
            "homepage": None,
            "timezone": c.timezone,
            "phone": None,
            "fax": None,
            "mobile": None,
            "metaFields": [],
            **_colors(c.color),
        }

    def customer_listed(self, c: Customer) -> dict[str, Any]:
        return {**self.customer(c), "teams": self._teams(c.teams), **_budget(c)}

    def customer_entity(self, c: Customer) -> dict[str, Any]:
        return {
            **self.customer_listed(c),
            "contact": None,
            "email": None,
            "vatId": None,
            "address": None,
            "addressLine1": None,
            "addressLine2": None,
            "addressLine3": None,
            "city": None,
            "postCode": None,
            "invoiceEmail": None,
            "buyerReference": None,
        }

    def project(self, p: Project, *, expanded: bool = False) -> dict[str, Any]:
        customer: Any = p.customer
        if expanded and p.customer in self.store.customers:
            customer = self.customer(self.store.customers[p.customer])
        return {
            "id": p.id,
            "name": p.name,
            "customer": customer,
            "number": p.number,
            "comment": p.comment,
            "orderNumber": p.order_number,
            "orderDate": p.order_date,
            "start": p.start,
            "end": p.end,
            "visible": p.visible,
            "billable": p.billable,
            "globalActivities": p.global_activities,
            "metaFields": [],
            **_colors(p.color),
        }

    def project_listed(self, p: Project) -> dict[str, Any]:
        customer = self.store.customers.get(p.customer)
        return {
            **self.project(p),
            "parentTitle": customer.name if customer else None,
            "teams": self._teams(p.teams),
            **_budget(p),
        }

    def activity(self, a: Activity) -> dict[str, Any]:
        return {
            "id": a.id,
            "name": a.name,
            "project": a.project,
            "number": a.number,
            "comment": a.comment,
            "visible": a.visible,
            "billable": a.billable,
            "metaFields": [],
            **_colors(a.color),
        }

    def activity_listed(self, a: Activity) -> dict[str, Any]:
        project = self.store.projects.get(a.project) if a.project is not None else None
        return {
            **self.activity(a),
            "parentTitle": project.name if project else None,
            "teams": self._teams(a.teams),
            **_budget(a),
        }

    # -- timesheets ---------------------------------------------------------------------------

    def timesheet(self, work: Work, state: AccountState, *, full: bool = False) -> dict[str, Any]:
        activity = self.store.activities.get(work.task_id)
        project_id = activity.project if activity and activity.project is not None else None
        if project_id is None:
            project_id = self.store.timesheet_projects.get(work.id)
        out: dict[str, Any] = {
            "id": work.id,
            "begin": kimai_instant(work.start, self.tz),
            "end": kimai_instant(work.end, self.tz) if work.end is not None else None,
            "duration": work.seconds,
            "break": 0,
            "description": self.store.descriptions.get(work.id),
            "rate": 0.0,
            "internalRate": 0.0,
            "exported": False,
            "billable": activity.billable if activity else True,
            "tags": [],
            "metaFields": [],
            "activity": work.task_id,
            "project": project_id,
            "user": work.employee_id,
        }
        if full:
            project = self.store.projects.get(project_id) if project_id is not None else None
            out["activity"] = self.activity(activity) if activity else None
            out["project"] = self.project(project, expanded=True) if project else None
            out["user"] = self.user(state.employees[work.employee_id])
        return out
