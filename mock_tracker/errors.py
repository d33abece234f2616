"""Failures answered in the account's envelope: ``{"status":"error","message":…}``."""

from __future__ import annotations


class ApiError(Exception):
    """An HTTP failure whose message is safe to show to the caller."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
