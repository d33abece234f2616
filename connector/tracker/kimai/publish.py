"""Kimai as the connector's task sink: 1C tasks published as activities, projects and teams.

Published facts this relies on (Kimai's ``src/API`` controllers and entities; see docs/trackers.md):

- Names: 2–150 characters (teams 2–100), ``< > " =`` refused since 2.54. Team names are unique;
  the others not. ``ignoreDates=1`` lists projects outside their dates too.
- A team needs at least one teamlead. Teams restrict access: an activity (project) with teams is
  visible and bookable only to their members (and admins). ``teams`` can be given when an
  activity or project is created; later bindings go through ``POST /api/teams/{id}/activities/{a}``
  (``…/projects/{p}``), which answers 400 "already" when the binding exists.
- ``timeBudget`` is read as seconds but **written as a duration string**: a bare number is
  decimal hours, so 90 minutes are sent as ``"1:30"``.
- ``GET /api/users?term=…`` still matches e-mails on versions that serialize none (before 2.45).

A 1C task becomes an activity ``[CODE] title`` in the project of its parent (``[PARENT] title``)
or of itself, under the customer named like the 1C customer; a team ``[CODE]`` (the API account as
teamlead, the assignees as members) is bound to the activity and the project, so only the
assignees may book. Closing hides the activity (``visible=false``), reopening shows it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connector.tracker.base import PublishAction, PublishOutcome, TaskPublication, task_code_from_name
from connector.tracker.errors import TrackerError
from connector.tracker.jsonapi import (
    Item,
    as_object,
    by_code,
    fold,
    is_already_done,
    item_id,
    pick,
    publish_each,
    reachable,
    ref,
    ref_id,
)
from connector.tracker.kimai.client import ALL, KimaiClient
from connector.tracker.kimai.directory import ids_by_email, team_ids, team_members
from connector.tracker.naming import KIMAI_NAME, KIMAI_TEAM, clean, coded_name, plain_name


class KimaiTaskSink(KimaiClient):
    """The task sink role: activities kept as 1C says."""

    def publish_tasks(self, specs: Sequence[TaskPublication]) -> list[PublishOutcome]:
        """Create, update, close and reopen activities so Kimai matches ``specs``; see the module doc.

        Everything is listed once per call (six requests) and then only differences are written:
        a publish of what Kimai already has sends no write at all."""
        if not specs:
            return []
        publisher = reachable("Kimai", lambda: _Publisher(self))
        return publish_each("Kimai", specs, publisher.one)


class _Publisher:
    """One publish call: a snapshot of Kimai listed once, kept current as objects are written."""

    def __init__(self, kimai: KimaiClient) -> None:
        self.k = kimai
        self.api = kimai.api
        get = kimai._list
        self.me = item_id(as_object(self.api.get("users/me").body, "users/me"), "id")
        users = get("users", {**ALL, "full": "true"})
        self.emails = ids_by_email(users)
        # Kimai before 2.45 serializes no e-mail, but its user search still matches them
        self.hidden_emails = bool(users) and not any("email" in u for u in users)
        self.searched: dict[str, str | None] = {}
        self.members: dict[str, dict[str, bool]] | None = (
            team_members(users) if any("memberships" in u for u in users) else None
        )
        self.customers = {_customer_key(c.get("name")): c for c in get("customers", ALL)}
        self.projects = by_code(get("projects", {**ALL, "ignoreDates": "1"}))
        activities = get("activities", ALL)
        self.activities = by_code(activities)
        self.activity_ids = {item_id(a, "id"): a for a in activities}
        self.teams = {str(t.get("name")): t for t in get("teams")}
        self.fresh_teams: set[str] = set()  # created here: bound wherever a listing cannot say

    def one(self, spec: TaskPublication) -> PublishOutcome:
        writes = self.api.writes_sent
        name = coded_name(spec.code, spec.title, KIMAI_NAME)
        users = [self.user_for(e) for e in spec.assignee_emails]
        unmatched = tuple(e for e, u in zip(spec.assignee_emails, users, strict=True) if u is None)
        team = self.team(spec.code, {u for u in users if u})
        customer = self.customer(spec)
        project = self.project(spec, customer, team)
        activity, created = self.activity(spec, name, project, team)
        action: PublishAction = (
            "created" if created else "updated" if self.api.writes_sent > writes else "unchanged"
        )
        return PublishOutcome(spec.code, action, item_id(activity, "id"), unmatched)

    def user_for(self, email: str) -> str | None:
        """The Kimai user with this e-mail (case ignored); on versions that hide e-mails, one
        ``GET /api/users?term=<e-mail>`` per e-mail and call, accepted when it finds one user."""
        key = email.strip().casefold()
        found = self.emails.get(key)
        if found is not None or not self.hidden_emails:
            return found
        if key not in self.searched:
            hits = self.k._list("users", {**ALL, "term": key})
            if len(hits) > 1:  # the search is a substring match: keep one named like the e-mail
                hits = [
                    u for u in hits if str(u.get("username") or "").casefold() in (key, key.split("@")[0])
                ]
            self.searched[key] = item_id(hits[0]) if len(hits) == 1 else None
        return self.searched[key]

    def team(self, code: str, assignees: set[str]) -> Item:
        name = coded_name(code, None, KIMAI_TEAM)
        wanted = {self.me: True} | {u: False for u in assignees if u != self.me}
        body = {"members": [{"user": _num(u), "teamlead": lead} for u, lead in wanted.items()]}
        team = self.teams.get(name)
        if team is None:
            team = self.api.create(
                "teams", {"name": name, **body}, lambda: self._read_team(name), f"team {name}"
            )
        elif self._members(team) != wanted:
            team = as_object(self.api.write("PATCH", f"teams/{item_id(team, 'id')}", body).body, "teams")
        else:
            return team
        self.teams[name] = team
        self.fresh_teams.add(item_id(team, "id"))
        if self.members is not None:
            self.members[item_id(team, "id")] = wanted
        return team

    def customer(self, spec: TaskPublication) -> Item:
        name = plain_name(spec.customer, KIMAI_NAME, self.k.fallback_customer)
        found = self.customers.get(_customer_key(name))
        if found is None:
            body = {"name": name, "visible": True, **self.k.customer_defaults}
            found = self.api.create(
                "customers", body, lambda: self._read("customers", name=name), f"customer {name}"
            )
        elif spec.open and found.get("visible") is False:
            found = self._patch("customers", found, {"visible": True})
        self.customers[_customer_key(name)] = found
        return found

    def project(self, spec: TaskPublication, customer: Item, team: Item) -> Item:
        code = spec.parent_code or spec.code
        title = spec.parent_title if spec.parent_code else spec.title
        cid, tid = item_id(customer, "id"), item_id(team, "id")
        found = pick(self.projects.get(code, []), lambda p: ref(p.get("customer")) == cid)
        if found is None:
            name = coded_name(code, title, KIMAI_NAME)
            body = {"name": name, "customer": _num(cid), "visible": True, "teams": [_num(tid)]}
            found = self.api.create(
                "projects", body, lambda: self._read("projects", code=code, customer=cid), f"project {name}"
            )
        else:
            change: dict[str, Any] = {}
            if title is not None and found.get("name") != coded_name(code, title, KIMAI_NAME):
                change["name"] = coded_name(code, title, KIMAI_NAME)
            if ref(found.get("customer")) != cid:
                change["customer"] = _num(cid)
            if spec.open and found.get("visible") is False:
                change["visible"] = True
            if change:
                found = self._patch("projects", found, change)
            found = self._bind(tid, "projects", found)
        self.projects[code] = [
            found,
            *(p for p in self.projects.get(code, []) if p.get("id") != found.get("id")),
        ]
        return found

    def activity(self, spec: TaskPublication, name: str, project: Item, team: Item) -> tuple[Item, bool]:
        pid, tid = item_id(project, "id"), item_id(team, "id")
        wanted: dict[str, Any] = {
            "name": name,
            "project": _num(pid),
            "comment": spec.description or "",
            "visible": spec.open,
        }
        if spec.planned_minutes is not None:
            wanted["timeBudget"] = max(0, spec.planned_minutes) * 60
        known = self.activity_ids.get(spec.known_id or "")
        if known is not None and task_code_from_name(str(known.get("name") or "")) not in (None, spec.code):
            known = None  # the stored id now names another task: find ours by its code
        found = known or pick(self.activities.get(spec.code, []), lambda a: ref(a.get("project")) == pid)
        if found is None:
            body = {**wanted, "teams": [_num(tid)]}
            if "timeBudget" in body:
                body["timeBudget"] = _duration(body["timeBudget"])
            created = self.api.create(
                "activities",
                body,
                lambda: self._read("activities", code=spec.code, project=pid),
                f"activity {name}",
            )
            self._remember(spec.code, created)
            return created, True
        # a field the listing does not show (a budget without the permission) is left alone
        change = {k: v for k, v in wanted.items() if k in found and _differs(k, found[k], v)}
        if change:
            if "timeBudget" in change:
                change["timeBudget"] = _duration(change["timeBudget"])
            found = self._patch("activities", found, change)
        found = self._bind(tid, "activities", found)
        self._remember(spec.code, found)
        return found, False

    def _remember(self, code: str, activity: Item) -> None:
        self.activity_ids[item_id(activity, "id")] = activity
        group = [a for a in self.activities.get(code, []) if a.get("id") != activity.get("id")]
        self.activities[code] = [activity, *group]

    def _bind(self, team_id: str, kind: str, item: Item) -> Item:
        """Grant the team access to ``item``; without ``teams`` in the listing only new teams are."""
        known = "teams" in item
        if (known and team_id in team_ids(item)) or (not known and team_id not in self.fresh_teams):
            return item
        try:
            self.api.write("POST", f"teams/{team_id}/{kind}/{item_id(item, 'id')}")
        except TrackerError as exc:
            if not is_already_done(exc):
                raise
        teams = [*item.get("teams", []), {"id": _num(team_id)}]
        return {**item, "teams": teams}

    def _patch(self, kind: str, item: Item, change: dict[str, Any]) -> Item:
        answer = self.api.write("PATCH", f"{kind}/{item_id(item, 'id')}", change)
        fresh = answer.body if isinstance(answer.body, dict) else {}
        merged = {**item, **change, **fresh}
        if "teams" in item and "teams" not in fresh:
            merged["teams"] = item["teams"]
        return merged

    def _members(self, team: Item) -> dict[str, bool]:
        tid = item_id(team, "id")
        if self.members is not None:
            return self.members.get(tid, {})
        full = as_object(self.api.get(f"teams/{tid}").body, "teams")
        return {ref_id(m.get("user"), "user"): bool(m.get("teamlead")) for m in full.get("members") or []}

    def _read_team(self, name: str) -> Item | None:
        return next((t for t in self.k._list("teams") if t.get("name") == name), None)

    def _read(
        self, kind: str, *, name: str = "", code: str = "", customer: str = "", project: str = ""
    ) -> Item | None:
        """A fresh lookup after an unconfirmed create: by code (``term`` narrows the listing) or by
        exact name (customers: listed whole, as a search term would split a name at its colons)."""
        params = {**ALL, "term": code} if code else dict(ALL)
        if kind == "projects":
            params |= {"ignoreDates": "1", "customer": customer}
        if kind == "activities":
            params["project"] = project
        for item in self.k._list(kind, params):
            if name and _customer_key(item.get("name")) == _customer_key(name):
                return item
            if code and task_code_from_name(str(item.get("name") or "")) == code:
                return item
        return None


def _differs(key: str, have: Any, want: Any) -> bool:
    if key in ("project", "timeBudget"):
        return ref(have) != str(want)
    if key == "comment":
        return (have or "") != want
    return bool(have != want)


def _customer_key(name: Any) -> str:
    """A customer name as compared: cleaned like ours (a name stored by an older Kimai may hold
    the quotes newer ones refuse), spaces collapsed, case ignored."""
    return fold(clean(str(name or ""), KIMAI_NAME))


def _num(ref: str) -> int | str:
    """An id as Kimai's forms take it: a number when it is one."""
    return int(ref) if ref.isdigit() else ref


def _duration(seconds: int) -> str:
    """Kimai's duration string for a budget: ``5400`` → ``"1:30"`` (a bare number means hours)."""
    minutes = seconds // 60
    return f"{minutes // 60}:{minutes % 60:02d}"
