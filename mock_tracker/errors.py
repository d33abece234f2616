"""Failures answered in the dialect's error body (Bitcop: ``{"status":"error","message":…}``)."""

from __future__ import annotations


class ApiError(Exception):
    """An HTTP failure whose message is safe to show to the caller; ``headers`` ride along
    (``Retry-After`` on a 429)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
