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
