"""An in-process Clockify workspace answering like the published API (the parts the adapter uses).

``…/projects?hydrated=true`` carries each project's tasks; lists page by ``page``/``page-size``;
the detailed report lives under ``/reports/v1`` and reports ``totals[0].entriesCount``. Times in
the report carry the account's offset (+03:00), as Clockify renders them in the user's zone.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.unit.tracker.fake_http import Reply, Req, session_for

BASE = "http://clockify.test/api/v1"
KEY = "clockify-KEY-secret"
WS = "ws1"
ZONE = ZoneInfo("Europe/Moscow")


class FakeClockify:
    def __init__(self) -> None:
        self.users: list[dict[str, Any]] = []
        self.projects: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.entries: list[dict[str, Any]] = []
        self.hydrate = True
        self.report_cap: int | None = None
        self.counter = 0
        self.session, self.transport = session_for(self.handle)

    def add_user(self, email: str, name: str, status: str = "ACTIVE") -> str:
        uid = self._id("u")
        self.users.append({"id": uid, "email": email, "name": name, "status": status, "memberships": []})
        return uid

    def add_entry(self, user: str, task: str | None, start: str, end: str | None) -> None:
        s = datetime.fromisoformat(start)
        e = datetime.fromisoformat(end) if end else None
        project = self.tasks[task]["projectId"] if task else None
        self.entries.append(
            {"id": self._id("e"), "userId": user, "taskId": task, "projectId": project, "start": s, "end": e}
        )

    def _id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter:04d}"

    def handle(self, req: Req) -> Reply:
        if req.headers.get("X-Api-Key") != KEY:
            return Reply(401, {"message": "Api key does not exist", "code": 4003})
        if req.path.startswith("/reports/v1/"):
            return self._report(req)
        parts = req.path.removeprefix("/api/v1/").strip("/").split("/")
        if parts == ["workspaces"]:
            return Reply(200, [{"id": WS, "name": "Компания"}])
        if len(parts) < 3 or parts[1] != WS:
            return Reply(403, {"message": "Access Denied", "code": 403})
        rest = parts[2:]
        if rest == ["users"]:
            return self._page(req, self.users)
        if rest[0] != "projects":
            return Reply(404, {"message": "Not found"})
        if len(rest) == 1:
            return self._projects(req)
        project = self.projects.get(rest[1])
        if project is None:
            return Reply(404, {"message": "Project not found"})
        if len(rest) == 2 and req.method == "PUT":
            project.update(req.body or {})
            return Reply(200, project)
        if len(rest) == 3:
            return self._tasks(req, project)
        if len(rest) == 4 and req.method == "PUT":
            return self._save_task(project, self.tasks[rest[3]], req.body or {})
        return Reply(405, {"message": "method not allowed"})

    def _page(self, req: Req, items: list[dict[str, Any]]) -> Reply:
        size, page = int(req.param("page-size", "50") or 50), int(req.param("page", "1") or 1)
        return Reply(200, items[(page - 1) * size : page * size])

    def _named(self, req: Req, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        name = req.param("name")
        if not name:
            return items
        if req.param("strict-name-search") == "true":
            return [i for i in items if i["name"] == name]
        return [i for i in items if name.casefold() in i["name"].casefold()]

    def _projects(self, req: Req) -> Reply:
        if req.method == "POST":
            body = req.body or {}
            name = body.get("name", "")
            if not 2 <= len(name) <= 250:
                return Reply(
                    400, {"message": "Project name has to be between 2 and 250 characters", "code": 501}
                )
            if any(p["name"] == name for p in self.projects.values()):
                return Reply(400, {"message": "Project with the same name already exists", "code": 501})
            pid = self._id("p")
            self.projects[pid] = {
                "id": pid,
                "name": name,
                "archived": False,
                "public": bool(body.get("isPublic")),
            }
            return Reply(201, self.projects[pid])
        listed = self._named(req, list(self.projects.values()))
        if req.param("hydrated") == "true" and self.hydrate:
            listed = [
                {**p, "tasks": [t for t in self.tasks.values() if t["projectId"] == p["id"]]} for p in listed
            ]
        return self._page(req, listed)

    def _tasks(self, req: Req, project: dict[str, Any]) -> Reply:
        if req.method == "POST":
            return self._save_task(project, None, req.body or {})
        mine = [t for t in self.tasks.values() if t["projectId"] == project["id"]]
        return self._page(req, self._named(req, mine))

    def _save_task(self, project: dict[str, Any], task: dict[str, Any] | None, body: dict[str, Any]) -> Reply:
        if not body.get("name"):
            return Reply(400, {"message": "Task name is required", "code": 501})
        if task is None:
            tid = self._id("t")
            task = {
                "id": tid,
                "projectId": project["id"],
                "assigneeIds": [],
                "estimate": "PT0S",
                "status": "ACTIVE",
                "billable": True,
            }
            self.tasks[tid] = task
            status = 201
        else:
            status = 200
        task.update(
            {k: v for k, v in body.items() if k in ("name", "assigneeIds", "estimate", "status", "billable")}
        )
        return Reply(status, task)

    def _report(self, req: Req) -> Reply:
        body = req.body or {}
        lo = datetime.fromisoformat(body["dateRangeStart"])
        hi = datetime.fromisoformat(body["dateRangeEnd"])
        users = set((body.get("users") or {}).get("ids") or [])
        rows = [e for e in self.entries if lo <= e["start"] <= hi and (not users or e["userId"] in users)]
        flt = body["detailedFilter"]
        size = min(flt["pageSize"], self.report_cap or flt["pageSize"])
        page = flt["page"]
        chunk = rows[(page - 1) * size : page * size]
        totals: list[Any] = []
        if flt.get("options", {}).get("totals", "CALCULATE") == "CALCULATE" and rows:
            totals = [{"_id": "", "entriesCount": len(rows), "totalTime": 0}]
        return Reply(200, {"totals": totals, "timeentries": [self._row(e) for e in chunk]})

    def _row(self, e: dict[str, Any]) -> dict[str, Any]:
        task = self.tasks.get(e["taskId"] or "")
        start, end = e["start"].astimezone(ZONE), e["end"].astimezone(ZONE) if e["end"] else None
        return {
            "_id": e["id"],
            "userId": e["userId"],
            "taskId": e["taskId"],
            "taskName": task["name"] if task else None,
            "projectId": e["projectId"],
            "timeInterval": {
                "start": start.isoformat(),
                "end": end.isoformat() if end else None,
                "duration": math.floor((end - start).total_seconds()) if end else None,
            },
        }
