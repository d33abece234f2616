"""Kimai 2 adapter: directory, time source and task sink over Kimai's JSON API (``…/api``).

One module per reason to change, all on one client (``client``: sign-in, limits, listings):
``directory`` reads users and their teams, ``timesheets`` reads booked time, ``publish`` keeps
activities, projects and teams as 1C says. The Kimai facts each relies on are in its docstring;
see docs/trackers.md for the whole picture.
"""

from __future__ import annotations

from connector.tracker.base import Capabilities
from connector.tracker.kimai.directory import KimaiDirectory
from connector.tracker.kimai.publish import KimaiTaskSink
from connector.tracker.kimai.timesheets import KimaiTimesheets

__all__ = ["KimaiTracker"]


class KimaiTracker(KimaiTaskSink, KimaiTimesheets, KimaiDirectory):
    """A Kimai 2 instance: its users, its timesheets, and activities published from 1C."""

    capabilities = Capabilities(
        publish_tasks=True, time_per_day=True, evidence=False, push_time=False, directory=True
    )
