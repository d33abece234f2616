"""Options of one mock account, as given on the ``mock-tracker serve`` command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class MockConfig:
    api_key: str
    seed: int
    tz: ZoneInfo
    public_url: str
    feed_url: str | None = None
    feed_token: str = ""
    feed_interval: float = 0.0
    db: str | None = None
    shares: dict[str, float] = field(default_factory=dict)
    follow_plan: bool = False
    kind: str = "bitcop"
    """The published dialect served: ``bitcop`` (/api/v1), ``kimai`` (/api), ``clockify`` (/api/v1)."""
    rate_limit: float = 0.0
    """Requests per second the API answers before 429 (0 = unlimited)."""
    retry_after: int | None = None
    """Seconds sent in ``Retry-After`` with a 429; None = no header (Clockify publishes none)."""
    api_user_email: str = "admin@tracker.example"
    """E-mail of the user the API key belongs to (Kimai and Clockify list it like anyone)."""
    kimai_auth: str = "both"
    """Kimai credentials accepted: ``bearer`` (API token), ``x-auth`` (X-AUTH-USER/-TOKEN) or both."""
    kimai_user: str = "admin"
    """Kimai user name of the API user (X-AUTH-USER accepts it or the e-mail)."""
    kimai_version: str = "2.66.0"
    """Version answered by /api/version; user e-mails are serialised from 2.45.0 on."""
    clockify_workspace: str = "64a687e29ae1f428e7eb0001"
    """The id of the one Clockify workspace."""
    clockify_oversize_page: str = "reject"
    """A page size over Clockify's maximum: ``reject`` (400) or ``clamp`` to the maximum."""
    clockify_report_running: str = "include"
    """Running entries in the detailed report: ``include`` (no end) or ``exclude``."""
    clockify_report_times: str = "offset"
    """Detailed-report instants: ``offset`` (account's zone, ``+03:00``) or ``utc`` (``…Z``)."""
    clockify_task_put: str = "replace"
    """A task ``PUT`` without ``assigneeIds``/``estimate``: ``replace`` clears them, ``merge`` keeps."""
