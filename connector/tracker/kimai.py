"""Kimai 2 adapter: directory, time source and task sink over Kimai's JSON API (``…/api``).

Published facts this relies on (Kimai's ``src/API`` controllers and entities; see docs/trackers.md):

- Auth: ``Authorization: Bearer <API token>``, or ``X-AUTH-USER``/``X-AUTH-TOKEN`` (deprecated
  since 2.54). 401 = credentials refused, 403 = a permission is missing.
- Customers, projects, activities, teams and users are listed whole (no paging); ``visible=3``
  lists hidden objects too, ``ignoreDates=1`` projects outside their dates. Names: 2–150
  characters (teams 2–100), ``< > " =`` refused since 2.54. Team names are unique; the others not.
- A team needs at least one teamlead. Teams restrict access: an activity (project) with teams is
  visible and bookable only to their members (and admins). ``teams`` can be given when an
  activity or project is created; later bindings go through ``POST /api/teams/{id}/activities/{a}``
  (``…/projects/{p}``), which answers 400 "already" when the binding exists.
- ``timeBudget`` is read as seconds but **written as a duration string**: a bare number is
  decimal hours, so 90 minutes are sent as ``"1:30"``.
- ``GET /api/users?full=true`` carries each user's team ``memberships``; ``email`` is serialized
  only since 2.45 — before that the username stands in when it is an e-mail.
- ``GET /api/timesheets``: ``user=all`` or ``users[]``, ``begin``/``end`` as local datetimes of
  the API account (both filter the *start* of an entry, inclusive), ``page``/``size`` (≤ 500),
  ``X-Total-Pages``; ``begin``/``end`` of an entry carry its own offset, ``duration`` is seconds
  net of breaks, a running timer has no ``end``.

A 1C task becomes an activity ``[CODE] title`` in the project of its parent (``[PARENT] title``)
or of itself, under the customer named like the 1C customer; a team ``[CODE]`` (the API account as
teamlead, the assignees as members) is bound to the activity and the project, so only the
assignees may book. Closing hides the activity (``visible=false``), reopening shows it again.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

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
    is_already_done,
    item_id,
    pick,
    publish_each,
    reachable,
    ref,
    ref_id,
)
from connector.tracker.naming import (
    KIMAI_NAME,
    KIMAI_TEAM,
    NO_CUSTOMER,
    clean,
    coded_name,
    plain_name,
    split_by_local_day,
)

log = logging.getLogger(__name__)

KEY_SETTING = "ONEC_BRIDGE_TRACKER_API_KEY"
USER_SETTING = "ONEC_BRIDGE_TRACKER_KIMAI_USER"
ALL = {"visible": "3"}


class KimaiTracker:
    """A Kimai 2 instance: its users, its timesheets, and activities published from 1C."""

    capabilities = Capabilities(
        publish_tasks=True, time_per_day=True, evidence=False, push_time=False, directory=True
    )

    def __init__(
        self,
        base_url: str,
        api_key: str | SecretStr,
        *,
        timeout: float = 30.0,
        rate_limit: float = 5.0,
        auth_mode: str = "bearer",
        auth_user: str = "",
        session: requests.Session | None = None,
        max_attempts: int = 5,
        deadline: float = 120.0,
        page_size: int = 500,
        fallback_customer: str = NO_CUSTOMER,
        customer_defaults: dict[str, str] | None = None,
        create_settle: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        if not key:
            raise ValueError(f"the Kimai API token is empty; set {KEY_SETTING}")
        if auth_mode == "bearer":
            headers, hint = {"Authorization": f"Bearer {key}"}, KEY_SETTING
        elif auth_mode == "x-auth":
            if not auth_user:
                raise ValueError(f"{USER_SETTING} is empty while Kimai auth is x-auth")
            headers, hint = (
                {"X-AUTH-USER": auth_user, "X-AUTH-TOKEN": key},
                f"{USER_SETTING} and {KEY_SETTING}",
            )
        else:
            raise ValueError(f"unknown Kimai auth mode {auth_mode!r}; use bearer or x-auth")
        if not 1 <= page_size <= 500:
            raise ValueError(f"page_size must be 1..500 (Kimai's maximum), got {page_size}")
        self.page_size = page_size
        self.fallback_customer = fallback_customer
        self.customer_defaults = customer_defaults or {
            "country": "RU",
            "currency": "RUB",
            "timezone": "Europe/Moscow",
        }
        self.api = JsonApi(
            base_url,
            tracker="Kimai",
            headers=headers,
            secrets=[key],
            auth_hint=hint,
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
        return f"KimaiTracker({redact_url(self.api.base_url)!r})"

    def check(self) -> str:
        """One request: the credentials work (``GET /api/users/me``)."""
        me = as_object(self.api.get("users/me").body, "users/me")
        return f"Kimai: signed in as {me.get('username') or me.get('id')}"

    # -- directory ---------------------------------------------------------------------------

    def employees(self) -> list[TrackerEmployee]:
        """Every user, disabled ones included (their past time still counts)."""
        return [_employee(u) for u in self._list("users", ALL)]

    # -- time source -------------------------------------------------------------------------

    def tasks(self) -> list[TrackerTask]:
        """Every activity (hidden ones too) with our code and the members of its teams."""
        me = item_id(as_object(self.api.get("users/me").body, "users/me"), "id")
        members = _team_members(self._list("users", {**ALL, "full": "true"}))
        out = []
        for a in self._list("activities", ALL):
            people = {u for t in _team_ids(a) for u in members.get(t, {}) if u != me}
            name = str(a.get("name") or "")
            out.append(
                TrackerTask(
                    item_id(a, "id"),
                    name,
                    task_code_from_name(name),
                    bool(a.get("visible", True)),
                    tuple(sorted(people)),
                )
            )
        return out

    def time_per_day(
        self, begin: date, end: date, employee_ids: Sequence[str] | None = None
    ) -> Iterator[DayTime]:
        """Per-day totals per user and activity for local days ``[begin, end)``.

        Days are those of each entry's own offset; an entry crossing midnight counts on both days.
        One timesheet listing, paged by ``X-Total-Pages``, from the day before ``begin`` (an
        entry started then may run past midnight). Running timers are skipped."""
        ids = checked_period(begin, end, employee_ids)
        for bad in [i for i in ids or [] if not (i.isascii() and i.isdigit())][:1]:
            raise ValueError(f"Kimai user ids are integers, got {bad!r}")
        return self._time(begin, end, ids) if begin < end else iter(())

    def evidence(
        self, begin: date, end: date, employee_ids: Sequence[str] | None = None
    ) -> Iterator[Evidence]:
        raise NotSupported("Kimai keeps no screenshots: there is no evidence to read")

    def timesheets(self, begin: date, end: date, employee_ids: list[str] | None = None) -> Iterator[Item]:
        """The raw timesheet entries started in ``[begin, end)`` (the API account's local days)."""
        params: dict[str, Any] = {
            "full": "true",
            "begin": f"{begin.isoformat()}T00:00:00",
            "end": f"{(end - timedelta(days=1)).isoformat()}T23:59:59",
            "orderBy": "id",
            "order": "ASC",
            "size": str(self.page_size),
        }
        if employee_ids is None:
            params["user"] = "all"
        else:
            params["users[]"] = employee_ids
        page, pages, seen = 1, None, set()
        while pages is None or page <= pages:
            answer = self.api.get("timesheets", {**params, "page": str(page)})
            items = as_list(answer.body, "timesheets")
            pages = answer.header_int("X-Total-Pages")
            if pages is None:  # no paging headers: a short page is the last one
                pages = page + 1 if len(items) >= self.page_size else page
            for item in items:
                if item.get("id") not in seen:
                    seen.add(item.get("id"))
                    yield item
            page += 1

    def _time(self, begin: date, end: date, ids: list[str] | None) -> Iterator[DayTime]:
        totals: dict[tuple[str, str, date], int] = defaultdict(int)
        codes: dict[str, str | None] = {}
        running = 0
        for entry in self.timesheets(begin - timedelta(days=1), end, ids):
            if not entry.get("end"):
                running += 1
                continue
            start, stop = _instant(entry, "begin"), _instant(entry, "end")
            user = ref_id(entry.get("user"), "user")
            activity = entry.get("activity")
            activity_id = ref_id(activity, "activity")
            if isinstance(activity, dict) and "name" in activity:
                codes[activity_id] = task_code_from_name(str(activity.get("name") or ""))
            worked = entry.get("duration")
            seconds = (
                int(worked) if isinstance(worked, int | float) and not isinstance(worked, bool) else None
            )
            for day, part in split_by_local_day(start, stop, _own_zone(start), seconds):
                if begin <= day < end:
                    totals[(user, activity_id, day)] += part
        if running:
            log.info("Kimai: %d running timers not counted until they stop", running)
        missing = {a for _, a, _ in totals if a not in codes}
        if missing:
            codes.update({t.id: t.code for t in self.tasks() if t.id in missing})
        for (user, activity_id, day), seconds in sorted(
            totals.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1])
        ):
            yield DayTime(user, activity_id, codes.get(activity_id), day, seconds)

    # -- task sink ---------------------------------------------------------------------------

    def publish_tasks(self, specs: Sequence[TaskPublication]) -> list[PublishOutcome]:
        """Create, update, close and reopen activities so Kimai matches ``specs``; see the module doc.

        Everything is listed once per call (six requests) and then only differences are written:
        a publish of what Kimai already has sends no write at all."""
        if not specs:
            return []
        publisher = reachable("Kimai", lambda: _Publisher(self))
        return publish_each("Kimai", specs, publisher.one)

    def _list(self, path: str, params: dict[str, str] | None = None) -> list[Item]:
        return as_list(self.api.get(path, params).body, path)


class _Publisher:
    """One publish call: a snapshot of Kimai listed once, kept current as objects are written."""

    def __init__(self, kimai: KimaiTracker) -> None:
        self.k = kimai
        self.api = kimai.api
        get = kimai._list
        self.me = item_id(as_object(self.api.get("users/me").body, "users/me"), "id")
        users = get("users", {**ALL, "full": "true"})
        self.emails = _emails(users)
        # Kimai before 2.45 serializes no e-mail, but its user search still matches them
        self.hidden_emails = bool(users) and not any("email" in u for u in users)
        self.searched: dict[str, str | None] = {}
        self.members: dict[str, dict[str, bool]] | None = (
            _team_members(users) if any("memberships" in u for u in users) else None
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
        if (known and team_id in _team_ids(item)) or (not known and team_id not in self.fresh_teams):
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


def _emails(users: list[Item]) -> dict[str, str]:
    out: dict[str, str] = {}
    for user in users:
        email = _email(user)
        if email:
            out.setdefault(email.casefold(), item_id(user, "id"))
    return out


def _email(user: Item) -> str | None:
    email = str(user.get("email") or "").strip()
    if email:
        return email
    username = str(user.get("username") or "").strip()
    return username if "@" in username else None


def _employee(user: Item) -> TrackerEmployee:
    uid = item_id(user, "id")
    name = str(user.get("alias") or user.get("username") or uid).strip()
    return TrackerEmployee(uid, _email(user), name, bool(user.get("enabled", True)))


def _team_members(users: list[Item]) -> dict[str, dict[str, bool]]:
    members: dict[str, dict[str, bool]] = defaultdict(dict)
    for user in users:
        for m in user.get("memberships") or []:
            team = m.get("team") if isinstance(m, dict) else None
            if team is not None:
                members[ref_id(team, "team")][item_id(user, "id")] = bool(m.get("teamlead"))
    return members


def _team_ids(item: Item) -> set[str]:
    return {ref_id(t, "team") for t in item.get("teams") or []}


def _instant(entry: Item, name: str) -> datetime:
    raw = entry.get(name)
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        raise TrackerProtocolError(
            f"timesheet {entry.get('id')}: {name} {raw!r} is not an ISO datetime"
        ) from None
    if moment.tzinfo is None:
        raise TrackerProtocolError(f"timesheet {entry.get('id')}: {name} {raw!r} has no offset")
    return moment


def _own_zone(moment: datetime) -> tzinfo:
    """The entry's own offset: its days are the days of the person who tracked it."""
    if moment.tzinfo is None:
        raise TrackerProtocolError(f"timesheet instant {moment.isoformat()} has no offset")
    return moment.tzinfo
