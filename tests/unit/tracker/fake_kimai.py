"""An in-process Kimai 2 that answers like the published API (the parts the adapter uses).

Collections are serialized as Kimai does: ``project``/``customer`` as ids, ``teams`` as
``{id, name}``, ``timeBudget`` as seconds; ``users?full=true`` adds team ``memberships``.
Writes validate what Kimai validates: 2–150 character names (teams 100) without ``< > " =``, a
teamlead in every team, ``timeBudget`` as a duration string (a bare number is hours).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.unit.tracker.fake_http import Reply, Req, session_for

BASE = "http://kimai.test/api"
TOKEN = "kimai-T0KEN-secret"
ZONE = ZoneInfo("Europe/Moscow")
BAD = '<>"='


class FakeKimai:
    def __init__(self) -> None:
        self.users: dict[int, dict[str, Any]] = {
            1: {"id": 1, "username": "connector", "alias": None, "email": "bot@example.ru", "enabled": True}
        }
        self.customers: dict[int, dict[str, Any]] = {}
        self.projects: dict[int, dict[str, Any]] = {}
        self.activities: dict[int, dict[str, Any]] = {}
        self.teams: dict[int, dict[str, Any]] = {}
        self.timesheets: dict[int, dict[str, Any]] = {}
        self.next_id = 100
        self.expose_email = True
        self.session, self.transport = session_for(self.handle)

    def add_user(self, username: str, email: str, alias: str | None = None, enabled: bool = True) -> int:
        uid = self._id()
        self.users[uid] = {
            "id": uid,
            "username": username,
            "alias": alias,
            "email": email,
            "enabled": enabled,
        }
        return uid

    def add_entry(
        self, user: int, activity: int, begin: str, end: str | None, duration: int | None = None
    ) -> int:
        tid = self._id()
        b = datetime.fromisoformat(begin)
        e = datetime.fromisoformat(end) if end else None
        secs = duration if duration is not None else (int((e - b).total_seconds()) if e else 0)
        self.timesheets[tid] = {
            "id": tid,
            "user": user,
            "activity": activity,
            "begin": b,
            "end": e,
            "duration": secs,
        }
        return tid

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    # -- HTTP ---------------------------------------------------------------------------------

    def handle(self, req: Req) -> Reply:
        if req.headers.get("Authorization") != f"Bearer {TOKEN}" and req.headers.get("X-AUTH-TOKEN") != TOKEN:
            return Reply(401, {"code": 401, "message": "Invalid credentials"})
        parts = req.path.removeprefix("/api/").strip("/").split("/")
        kind, rest = parts[0], parts[1:]
        try:
            if kind == "users":
                return self._users(req, rest)
            if kind == "timesheets":
                return self._timesheets(req)
            if kind == "teams" and len(rest) == 3:
                return self._grant(int(rest[0]), rest[1], int(rest[2]))
            store = {
                "customers": self.customers,
                "projects": self.projects,
                "activities": self.activities,
                "teams": self.teams,
            }[kind]
        except KeyError:
            return Reply(404, {"code": 404, "message": "Not found"})
        if req.method == "GET" and not rest:
            return Reply(200, [self._view(kind, o, entity=False) for o in self._filter(kind, store, req)])
        if req.method == "GET":
            return Reply(200, self._view(kind, store[int(rest[0])], entity=True))
        if req.method == "POST" and not rest:
            return self._save(kind, store, {}, req.body or {}, new=True)
        if req.method == "PATCH":
            return self._save(kind, store, store[int(rest[0])], req.body or {}, new=False)
        return Reply(405, {"message": "method not allowed"})

    def _users(self, req: Req, rest: list[str]) -> Reply:
        if rest == ["me"]:
            return Reply(200, self._user(self.users[1], full=True))
        full = req.param("full") in ("1", "true")
        term = (req.param("term") or "").casefold()
        fields = ("username", "alias", "email")
        found = [
            u
            for u in self.users.values()
            if not term or any(term in str(u[f] or "").casefold() for f in fields)
        ]
        return Reply(200, [self._user(u, full) for u in found])

    def _user(self, user: dict[str, Any], full: bool) -> dict[str, Any]:
        out = {k: v for k, v in user.items() if k != "email" or self.expose_email}
        if full:
            out["memberships"] = [
                {"team": {"id": t["id"], "name": t["name"]}, "teamlead": m["teamlead"]}
                for t in self.teams.values()
                for m in t["members"]
                if m["user"] == user["id"]
            ]
        return out

    def _filter(self, kind: str, store: dict[int, dict[str, Any]], req: Req) -> list[dict[str, Any]]:
        out = list(store.values())
        visible = req.param("visible", "1")
        if kind != "teams" and visible in ("1", "2"):
            out = [o for o in out if o["visible"] == (visible == "1")]
        if req.param("term"):
            out = [o for o in out if str(req.param("term")).casefold() in o["name"].casefold()]
        if req.param("project"):
            out = [o for o in out if o["project"] == int(str(req.param("project")))]
        if req.param("customer"):
            out = [o for o in out if o["customer"] == int(str(req.param("customer")))]
        return out

    def _view(self, kind: str, obj: dict[str, Any], entity: bool) -> dict[str, Any]:
        out = dict(obj)
        if kind == "teams":
            if entity:
                out["members"] = [
                    {
                        "user": {"id": m["user"], "username": self.users[m["user"]]["username"]},
                        "teamlead": m["teamlead"],
                    }
                    for m in obj["members"]
                ]
            else:
                out.pop("members")
            return out
        if "teams" in obj:
            out["teams"] = [{"id": t, "name": self.teams[t]["name"]} for t in obj["teams"]]
        return out

    def _save(
        self,
        kind: str,
        store: dict[int, dict[str, Any]],
        obj: dict[str, Any],
        body: dict[str, Any],
        new: bool,
    ) -> Reply:
        errors: dict[str, Any] = {}
        limit = 100 if kind == "teams" else 150
        name = body.get("name", obj.get("name"))
        if name is None or not 2 <= len(name) <= limit:
            errors["name"] = {"errors": [f"This value should have {limit} characters or less."]}
        elif any(c in name for c in BAD):
            errors["name"] = {"errors": ['These characters are not allowed: < > " =']}
        if kind == "teams" and "members" in body and not any(m.get("teamlead") for m in body["members"]):
            errors["members"] = {"errors": ["At least one team leader must be assigned to the team."]}
        if kind == "teams" and new and any(t["name"] == name for t in self.teams.values()):
            errors["name"] = {"errors": ["This value is already used."]}
        budget = body.get("timeBudget")
        if budget is not None:
            try:
                body = {**body, "timeBudget": _duration(str(budget))}
            except ValueError:
                errors["timeBudget"] = {"errors": ["Invalid duration format given"]}
        if errors:
            return Reply(400, {"code": "400", "message": "Validation Failed", "errors": {"children": errors}})
        if new:
            obj = {"id": self._id(), "visible": True}
            obj.update({"customer": None} if kind == "projects" else {})
            obj.update({"project": None, "comment": None, "timeBudget": 0} if kind == "activities" else {})
            obj.update({"members": []} if kind == "teams" else {})
            if kind in ("projects", "activities"):
                obj["teams"] = []
            store[obj["id"]] = obj
        for key, value in body.items():
            if key == "members":
                obj["members"] = [
                    {"user": int(m["user"]), "teamlead": bool(m.get("teamlead"))} for m in value
                ]
            elif key == "teams" and new:
                obj["teams"] = [int(t) for t in value]
            elif key != "teams":
                obj[key] = value
        return Reply(200, self._view(kind, obj, entity=True))

    def _grant(self, team: int, kind: str, target: int) -> Reply:
        store = {"projects": self.projects, "activities": self.activities}[kind]
        if team in store[target]["teams"]:
            return Reply(400, {"code": 400, "message": f"Team has already access to {kind[:-1]}"})
        store[target]["teams"].append(team)
        return Reply(200, self._view("teams", self.teams[team], entity=True))

    def _timesheets(self, req: Req) -> Reply:
        rows = sorted(self.timesheets.values(), key=lambda t: t["id"])
        if req.param("user") != "all":
            wanted = {int(u) for u in req.params("users[]")} or {1}
            rows = [t for t in rows if t["user"] in wanted]
        local = lambda t: t["begin"].astimezone(ZONE).replace(tzinfo=None)  # noqa: E731
        if req.param("begin"):
            rows = [t for t in rows if local(t) >= datetime.fromisoformat(str(req.param("begin")))]
        if req.param("end"):
            rows = [t for t in rows if local(t) <= datetime.fromisoformat(str(req.param("end")))]
        size, page = int(req.param("size", "50") or 50), int(req.param("page", "1") or 1)
        pages = max(1, math.ceil(len(rows) / size))
        if page > pages:
            return Reply(404, {"code": 404, "message": "Not Found"})
        full = req.param("full") in ("1", "true")
        chunk = rows[(page - 1) * size : page * size]
        headers = {
            "X-Page": str(page),
            "X-Total-Count": str(len(rows)),
            "X-Total-Pages": str(pages),
            "X-Per-Page": str(size),
        }
        return Reply(200, [self._sheet(t, full) for t in chunk], headers)

    def _sheet(self, t: dict[str, Any], full: bool) -> dict[str, Any]:
        act = self.activities[t["activity"]]
        return {
            "id": t["id"],
            "begin": t["begin"].strftime("%Y-%m-%dT%H:%M:%S%z"),
            "end": t["end"].strftime("%Y-%m-%dT%H:%M:%S%z") if t["end"] else None,
            "duration": t["duration"],
            "user": self._user(self.users[t["user"]], False) if full else t["user"],
            "activity": {"id": act["id"], "name": act["name"], "project": act["project"]}
            if full
            else act["id"],
            "project": act["project"],
        }


def _duration(text: str) -> int:
    """Kimai's duration parsing: ``H:MM[:SS]``, or a decimal number of hours."""
    if ":" in text:
        parts = [int(p) for p in text.split(":")]
        return parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0)
    return round(float(text.replace(",", ".")) * 3600)
