"""Everything that speaks to time trackers: the ``Tracker`` protocol, its data and adapters.

Engines import from here; ``make_tracker`` builds the configured adapter (Bitcop first).
"""

from connector.tracker.base import (
    Capabilities,
    DayTime,
    Directory,
    Evidence,
    PublishOutcome,
    TaskPublication,
    TaskSink,
    TimeSource,
    Tracker,
    TrackerEmployee,
    TrackerTask,
    task_code_from_name,
)
from connector.tracker.errors import (
    NotSupported,
    TrackerApiError,
    TrackerAuthError,
    TrackerError,
    TrackerProtocolError,
    TrackerTransientError,
    TrackerUnavailable,
)
from connector.tracker.registry import UnknownTrackerKind, make_tracker, tracker_from_settings

__all__ = [
    "Capabilities",
    "DayTime",
    "Directory",
    "Evidence",
    "NotSupported",
    "PublishOutcome",
    "TaskPublication",
    "TaskSink",
    "TimeSource",
    "Tracker",
    "TrackerApiError",
    "TrackerAuthError",
    "TrackerEmployee",
    "TrackerError",
    "TrackerProtocolError",
    "TrackerTask",
    "TrackerTransientError",
    "TrackerUnavailable",
    "UnknownTrackerKind",
    "make_tracker",
    "task_code_from_name",
    "tracker_from_settings",
]
