"""Kimai's ``/api/teams``: teams, their members, and the customers, projects and activities
bound to them (which decides who may book, see ``kimai_store.KimaiStore.bookers``).

As ``TeamController``: creating needs a unique name (2–100), at least one member and one team
lead; ``PATCH`` with ``members`` replaces them; linking what is linked, unlinking what is not,
adding a member twice or removing a team lead answer 400 Bad Request.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mock_tracker import kimai_forms as forms
from mock_tracker.kimai_http import KimaiContext, bad_request, lookup, read_body
from mock_tracker.kimai_store import Activity, Customer, Member, Project, Team

TEAM_FIELDS = ["name", "color", "members"]
TEAM_NAME_MAX = 100


def add_team_routes(router: APIRouter, ctx: KimaiContext) -> None:
    account, store, render = ctx.account, ctx.store, ctx.json

    @router.get("/teams")
    def teams(request: Request) -> list[dict[str, Any]]:
        ctx.authenticate(request)
        with account.reading():
            return [
                render.team(t) for t in sorted(store.teams.values(), key=lambda t: (t.name.lower(), t.id))
            ]

    @router.get("/teams/{team_id}")
    def team(request: Request, team_id: str) -> dict[str, Any]:
        ctx.authenticate(request)
        with account.reading() as state:
            return render.team_entity(lookup(store.teams, team_id), state)

    def team_form(form: forms.Form, t: Team, users: dict[int, Any], *, clear_missing: bool) -> None:
        t.name = form.text("name", None if clear_missing else t.name) or ""
        form.length("name", t.name, low=2, high=TEAM_NAME_MAX, required=True)
        if any(o.name == t.name and o.id != t.id for o in store.teams.values()):
            form.fail("name", forms.USED)
        t.color = form.text("color", t.color)
        if form.has("members") or clear_missing:
            raw = form.body.get("members") or []
            members: list[Member] = []
            for item in raw if isinstance(raw, list) else [None]:
                user_id = item.get("user") if isinstance(item, dict) else None
                if isinstance(user_id, bool) or not str(user_id).isdigit() or int(str(user_id)) not in users:
                    form.fail("members", forms.INVALID)
                    return
                lead = item.get("teamlead", False) if isinstance(item, dict) else False
                if int(str(user_id)) not in {m.user for m in members}:
                    members.append(Member(int(str(user_id)), lead in (True, 1, "1", "true")))
            t.members = members
        if not t.members:
            form.fail("members", "This collection should contain 1 element or more.")
        elif not any(m.teamlead for m in t.members):
            form.global_errors.append("At least one team leader must be assigned to the team.")

    @router.post("/teams")
    async def create_team(request: Request) -> dict[str, Any]:
        ctx.authenticate(request)
        form = forms.Form(await read_body(request), TEAM_FIELDS)
        with account.writing() as state:
            t = Team(store.next_team, "")
            team_form(form, t, state.employees, clear_missing=True)
            form.check()
            store.next_team += 1
            store.teams[t.id] = t
            store.dirty = True
            ctx.created("teams")
            return render.team_entity(t, state)

    @router.patch("/teams/{team_id}")
    async def update_team(request: Request, team_id: str) -> dict[str, Any]:
        ctx.authenticate(request)
        body = await read_body(request)
        with account.writing() as state:
            current = lookup(store.teams, team_id)
            t = Team(current.id, current.name, current.color, list(current.members))
            form = forms.Form(body, TEAM_FIELDS)
            team_form(form, t, state.employees, clear_missing=False)
            form.check()
            store.teams[t.id] = t
            store.dirty = True
            return render.team_entity(t, state)

    @router.delete("/teams/{team_id}", status_code=204)
    def delete_team(request: Request, team_id: str) -> Response:
        ctx.authenticate(request)
        with account.writing():
            t = lookup(store.teams, team_id)
            del store.teams[t.id]
            linked: list[Customer | Project | Activity] = [
                *store.customers.values(),
                *store.projects.values(),
                *store.activities.values(),
            ]
            for obj in linked:
                if t.id in obj.teams:
                    obj.teams.remove(t.id)
            store.dirty = True
        return Response(status_code=204)

    @router.api_route("/teams/{team_id}/members/{user_id}", methods=["POST", "DELETE"])
    def team_member(request: Request, team_id: str, user_id: str) -> dict[str, Any]:
        ctx.authenticate(request)
        with account.writing() as state:
            t = lookup(store.teams, team_id)
            emp = lookup(state.employees, user_id)
            member = next((m for m in t.members if m.user == emp.id), None)
            if request.method == "POST":
                if member is not None:
                    raise bad_request()
                t.members.append(Member(emp.id, False))
            else:
                if member is None or member.teamlead:
                    raise bad_request()
                t.members.remove(member)
            store.dirty = True
            return render.team_entity(t, state)

    def team_link(kind: str, table: dict[int, Any]) -> None:
        @router.api_route(f"/teams/{{team_id}}/{kind}/{{object_id}}", methods=["POST", "DELETE"])
        def link(request: Request, team_id: str, object_id: str) -> dict[str, Any]:
            ctx.authenticate(request)
            with account.writing() as state:
                t = lookup(store.teams, team_id)
                obj = lookup(table, object_id)
                linked = t.id in obj.teams
                if linked == (request.method == "POST"):
                    raise bad_request()
                if linked:
                    obj.teams.remove(t.id)
                else:
                    obj.teams.append(t.id)
                store.dirty = True
                return render.team_entity(t, state)

    team_link("customers", store.customers)
    team_link("projects", store.projects)
    team_link("activities", store.activities)
