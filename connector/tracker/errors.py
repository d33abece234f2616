"""The tracker error taxonomy: one place says what is fatal and what is worth retrying.

Callers (the sync engines) branch on ``retriable``: a retriable error parks the run step for a
later attempt, a fatal one needs an operator (wrong key, contract mismatch). Messages never
carry credentials: adapters build them from redacted URLs only.
"""

from __future__ import annotations

from connector.http.retry import FATAL, Verdict


class TrackerError(Exception):
    """Anything that went wrong talking to a tracker."""

    retriable: bool = False

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


class TrackerAuthError(TrackerError):
    """The tracker refused our credentials (HTTP 401/403): fix the key, retrying will not help."""


class TrackerApiError(TrackerError):
    """The tracker answered with a failure envelope or a 4xx: our request or the contract is wrong."""


class TrackerProtocolError(TrackerError):
    """The answer does not follow the assumed contract (not JSON, missing fields, wrong types)."""


class TrackerTransientError(TrackerError):
    """A network failure, timeout, 429 or 5xx: likely to pass, so retried with backoff."""

    retriable = True


class TrackerUnavailable(TrackerTransientError):
    """HTTP 503: the tracker's Web API is switched off (or down). Retriable, but may last."""


class NotSupported(TrackerError):
    """The tracker lacks the capability that was asked for (see ``Capabilities``)."""


def retry_verdict(exc: BaseException) -> Verdict:
    """The shared retry policy's view of a tracker failure: retry what ``retriable`` says,
    waiting what the tracker's ``Retry-After`` asked for."""
    if isinstance(exc, TrackerError) and exc.retriable:
        return Verdict(True, retry_after=exc.retry_after)
    return FATAL
