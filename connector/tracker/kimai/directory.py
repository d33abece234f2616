"""Kimai's users as the connector's directory: who they are, their e-mails and their teams.

- ``GET /api/users?full=true`` carries each user's team ``memberships``; ``email`` is serialized
  only since 2.45 — before that the username stands in when it is an e-mail.
"""

from __future__ import annotations

from collections import defaultdict

from connector.tracker.base import TrackerEmployee
from connector.tracker.jsonapi import Item, item_id, ref_id
from connector.tracker.kimai.client import ALL, KimaiClient


class KimaiDirectory(KimaiClient):
    """The directory role: Kimai's users."""

    def employees(self) -> list[TrackerEmployee]:
        """Every user, disabled ones included (their past time still counts)."""
        return [_employee(u) for u in self._list("users", ALL)]


def ids_by_email(users: list[Item]) -> dict[str, str]:
    """User ids by e-mail (case folded); the first user listed keeps a shared e-mail."""
    out: dict[str, str] = {}
    for user in users:
        email = email_of(user)
        if email:
            out.setdefault(email.casefold(), item_id(user, "id"))
    return out


def email_of(user: Item) -> str | None:
    """The user's e-mail, or the username when it is one (Kimai before 2.45 serializes none)."""
    email = str(user.get("email") or "").strip()
    if email:
        return email
    username = str(user.get("username") or "").strip()
    return username if "@" in username else None


def team_members(users: list[Item]) -> dict[str, dict[str, bool]]:
    """Team id → {user id: is teamlead}, from the ``memberships`` of a full user listing."""
    members: dict[str, dict[str, bool]] = defaultdict(dict)
    for user in users:
        for m in user.get("memberships") or []:
            team = m.get("team") if isinstance(m, dict) else None
            if team is not None:
                members[ref_id(team, "team")][item_id(user, "id")] = bool(m.get("teamlead"))
    return members


def team_ids(item: Item) -> set[str]:
    """The ids of the teams an activity or project is bound to."""
    return {ref_id(t, "team") for t in item.get("teams") or []}


def _employee(user: Item) -> TrackerEmployee:
    uid = item_id(user, "id")
    name = str(user.get("alias") or user.get("username") or uid).strip()
    return TrackerEmployee(uid, email_of(user), name, bool(user.get("enabled", True)))
