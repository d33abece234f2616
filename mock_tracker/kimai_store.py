"""Kimai's objects in the mock: customers → projects → activities, and teams.

Kimai has no "task": each **activity is one account task**. Its code is the bracketed prefix of
its name (``[CRM-000512] …``); an activity without one is still a task, under the code
``(activity N)``, so work on it shows in the ground truth but never matches a 1C object. The task
is active while the activity, its project and the project's customer are all visible; an
activity without a project (a "global" one) is never simulated. Its planned time is the
activity's ``timeBudget``.

Who may book (the task's employees) follows Kimai's team rules: on each level (activity,
project, customer) an object with no team is open to everyone, otherwise only members of one
of its teams may use it; all three levels must agree.

Activity ids are the account's task ids, so entries and timesheets share one id space.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from mock_tracker.model import AccountState, Task, code_and_title


@dataclass
class Budget:
    budget: float = 0.0
    time_budget: int = 0
    budget_type: str | None = None


@dataclass
class Customer(Budget):
    id: int = 0
    name: str = ""
    number: str | None = None
    comment: str | None = None
    visible: bool = True
    billable: bool = True
    company: str | None = None
    country: str = "RU"
    currency: str = "RUB"
    language: str = "ru"
    timezone: str = "Europe/Moscow"
    color: str | None = None
    teams: list[int] = field(default_factory=list)


@dataclass
class Project(Budget):
    id: int = 0
    customer: int = 0
    name: str = ""
    number: str | None = None
    comment: str | None = None
    order_number: str | None = None
    order_date: str | None = None
    start: str | None = None
    end: str | None = None
    visible: bool = True
    billable: bool = True
    global_activities: bool = True
    color: str | None = None
    teams: list[int] = field(default_factory=list)


@dataclass
class Activity(Budget):
    id: int = 0
    project: int | None = None
    name: str = ""
    number: str | None = None
    comment: str | None = None
    visible: bool = True
    billable: bool = True
    color: str | None = None
    teams: list[int] = field(default_factory=list)


@dataclass
class Member:
    user: int
    teamlead: bool = False


@dataclass
class Team:
    id: int
    name: str
    color: str | None = None
    members: list[Member] = field(default_factory=list)

    def user_ids(self) -> set[int]:
        return {m.user for m in self.members}


class KimaiStore:
    """The Kimai objects of one account; callers hold the account's lock."""

    def __init__(self) -> None:
        self.customers: dict[int, Customer] = {}
        self.projects: dict[int, Project] = {}
        self.activities: dict[int, Activity] = {}
        self.teams: dict[int, Team] = {}
        self.next_customer = 1
        self.next_project = 1
        self.next_team = 1
        self.timesheet_projects: dict[int, int] = {}
        """Project of a booking on a global activity (entry id → project id)."""
        self.descriptions: dict[int, str] = {}
        self.dirty = True
        """Teams, projects or customers changed since the tasks were last derived."""
        self._population = -1

    # -- persistence --------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "customers": [asdict(c) for c in self.customers.values()],
            "projects": [asdict(p) for p in self.projects.values()],
            "activities": [asdict(a) for a in self.activities.values()],
            "teams": [asdict(t) for t in self.teams.values()],
            "next": [self.next_customer, self.next_project, self.next_team],
            "timesheet_projects": {str(k): v for k, v in self.timesheet_projects.items()},
            "descriptions": {str(k): v for k, v in self.descriptions.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> KimaiStore:
        store = cls()
        if not data:
            return store
        store.customers = {c["id"]: Customer(**c) for c in data["customers"]}
        store.projects = {p["id"]: Project(**p) for p in data["projects"]}
        store.activities = {a["id"]: Activity(**a) for a in data["activities"]}
        store.teams = {
            t["id"]: Team(t["id"], t["name"], t["color"], [Member(**m) for m in t["members"]])
            for t in data["teams"]
        }
        store.next_customer, store.next_project, store.next_team = data["next"]
        store.timesheet_projects = {int(k): v for k, v in data["timesheet_projects"].items()}
        store.descriptions = {int(k): v for k, v in data["descriptions"].items()}
        return store

    # -- relations ----------------------------------------------------------------------------

    def team_objects(self, team_id: int) -> tuple[list[Customer], list[Project], list[Activity]]:
        return (
            [c for c in self.customers.values() if team_id in c.teams],
            [p for p in self.projects.values() if team_id in p.teams],
            [a for a in self.activities.values() if team_id in a.teams],
        )

    def user_teams(self, user_id: int) -> list[tuple[Team, bool]]:
        return [
            (team, member.teamlead)
            for team in self.teams.values()
            for member in team.members
            if member.user == user_id
        ]

    def _allowed(self, teams: list[int]) -> set[int] | None:
        """Users allowed by one level's teams; None = open to everyone."""
        if not teams:
            return None
        users: set[int] = set()
        for team_id in teams:
            team = self.teams.get(team_id)
            if team is not None:
                users |= team.user_ids()
        return users

    def bookers(self, activity: Activity, everyone: list[int]) -> list[int]:
        """Users who may book on the activity: every level must let them in."""
        allowed: set[int] | None = None
        levels = [activity.teams]
        project = self.projects.get(activity.project) if activity.project is not None else None
        if project is not None:
            levels.append(project.teams)
            customer = self.customers.get(project.customer)
            if customer is not None:
                levels.append(customer.teams)
        for teams in levels:
            users = self._allowed(teams)
            if users is not None:
                allowed = users if allowed is None else allowed & users
        return list(everyone) if allowed is None else [u for u in everyone if u in allowed]

    def is_active(self, activity: Activity) -> bool:
        project = self.projects.get(activity.project) if activity.project is not None else None
        if project is None or not activity.visible or not project.visible:
            return False
        customer = self.customers.get(project.customer)
        return customer is not None and customer.visible

    # -- the account's tasks ------------------------------------------------------------------

    def sync_task(self, state: AccountState, activity: Activity, everyone: list[int] | None = None) -> Task:
        """Write the account task that mirrors ``activity`` (created on first sight)."""
        if everyone is None:
            everyone = sorted(e.id for e in state.employees.values() if e.simulated)
        code, title = code_and_title(activity.name, f"(activity {activity.id})")
        planned = activity.time_budget / 60 if activity.time_budget > 0 else None
        active = self.is_active(activity)
        employees = self.bookers(activity, everyone)
        task = state.tasks.get(activity.id)
        if task is None:
            task = Task(activity.id, code, title, active, employees, activity.comment, planned)
            state.add_task(task)
            return task
        state.recode_task(task, code)
        task.title, task.active, task.employee_ids = title, active, employees
        task.description, task.planned_minutes = activity.comment, planned
        return task

    def sync_all(self, state: AccountState) -> None:
        """Re-derive every activity's task (after team, project, customer or user changes)."""
        everyone = sorted(e.id for e in state.employees.values() if e.simulated)
        for activity in self.activities.values():
            self.sync_task(state, activity, everyone)
        self.dirty = False

    def refresh(self, state: AccountState) -> None:
        """``task_sync`` hook: derive tasks again if anything they depend on changed (users
        joining count: an activity open to all is open to them too)."""
        if self.dirty or len(state.employees) != self._population:
            self.sync_all(state)
            self._population = len(state.employees)
