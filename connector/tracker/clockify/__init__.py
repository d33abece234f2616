"""Clockify adapter: directory, time source and task sink over Clockify's API (``…/api/v1``).

One module per reason to change, all on one client (``client``: key, workspace, paged lists):
``directory`` reads the workspace's users, ``time_entries`` reads time from the detailed report,
``publish`` keeps tasks as 1C says; ``durations`` reads and writes Clockify's ISO 8601 durations.
The Clockify facts each relies on are in its docstring; see docs/trackers.md for what is
unconfirmed.
"""

from __future__ import annotations

from connector.tracker.base import Capabilities
from connector.tracker.clockify.client import reports_base
from connector.tracker.clockify.directory import ClockifyDirectory
from connector.tracker.clockify.durations import iso_duration
from connector.tracker.clockify.publish import ClockifyTaskSink
from connector.tracker.clockify.time_entries import ClockifyTimeEntries

__all__ = ["ClockifyTracker", "iso_duration", "reports_base"]


class ClockifyTracker(ClockifyTaskSink, ClockifyTimeEntries, ClockifyDirectory):
    """A Clockify workspace: its users, its time entries (detailed report) and tasks from 1C."""

    capabilities = Capabilities(
        publish_tasks=True, time_per_day=True, evidence=False, push_time=False, directory=True
    )
