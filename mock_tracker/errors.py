"""Failures answered in the dialect's error body (Bitcop: ``{"status":"error","message":…}``)."""

from __future__ import annotations

from starlette.responses import Response


class ApiError(Exception):
    """An HTTP failure whose message is safe to show to the caller; ``headers`` ride along
    (``Retry-After`` on a 429)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


class ApiReply(Exception):
    """A failure whose whole answer the dialect builds itself (a Kimai validation body, an empty
    401 with ``WWW-Authenticate``…); the app sends ``response`` as it is."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response
