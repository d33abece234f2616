"""Options of one mock 1C server (the ``mock-1c serve`` flags as a dataclass)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class MockConfig:
    infobase: str = "crm"
    user: str = "Интегратор"
    password: str = "s3cret"
    seed: int = 42
    scale: str = "small"
    interests: int | None = None
    projects: int | None = None
    tasks: int | None = None
    users: int | None = None
    max_sessions: int = 20
    session_timeout: float | None = 1200.0
    db: str | None = None
    faults: str = ""
    fault_seed: int = 0
    webhook_url: str | None = None
    webhook_secret: str = ""
    webhook_mode: str = "sync"
    webhook_types: tuple[str, ...] = ()
    without: tuple[str, ...] = ()  # pieces of the 1C-side kit the base lacks (mock_1c.kit)
