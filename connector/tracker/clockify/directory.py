"""Clockify's workspace users as the connector's directory: who they are and whether they are active.

A user counts as inactive when their own status, or their membership of this workspace, is
``INACTIVE``, ``DECLINED`` or ``DELETED``; their past time still counts.
"""

from __future__ import annotations

from connector.tracker.base import TrackerEmployee
from connector.tracker.clockify.client import ClockifyClient
from connector.tracker.jsonapi import Item, item_id

INACTIVE = {"INACTIVE", "DECLINED", "DELETED"}


class ClockifyDirectory(ClockifyClient):
    """The directory role: the workspace's users."""

    def employees(self) -> list[TrackerEmployee]:
        """Every user of the workspace, inactive ones included (their past time still counts)."""
        return [self._employee(u) for u in self._pages(f"{self.ws}/users")]

    def _employee(self, user: Item) -> TrackerEmployee:
        uid = item_id(user)
        email = str(user.get("email") or "").strip() or None
        status = str(user.get("status") or "ACTIVE").upper()
        here = [
            m
            for m in user.get("memberships") or []
            if isinstance(m, dict) and m.get("targetId") == self.workspace
        ]
        active = status not in INACTIVE and not any(
            str(m.get("membershipStatus") or "").upper() in INACTIVE for m in here
        )
        return TrackerEmployee(uid, email, str(user.get("name") or email or uid), active)
