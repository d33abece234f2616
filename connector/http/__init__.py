"""HTTP policy shared by every client that talks to a foreign system (1C, trackers).

One concern per module: ``redaction`` (secrets out of URLs, headers, texts and log records),
``retry`` (one tenacity policy; each client supplies the verdict on its own errors) and
``throttle`` (a rate limit and a cap on requests in flight). Domain decisions (which 1C or
tracker answer is worth retrying) stay in ``connector.onec`` and ``connector.tracker``.
"""

from connector.http.redaction import (
    REDACTED,
    RedactingFilter,
    install_log_redaction,
    redact_headers,
    redact_text,
    redact_url,
)
from connector.http.retry import Classifier, RetryPolicy, Verdict
from connector.http.throttle import RateLimiter, Throttle

__all__ = [
    "REDACTED",
    "Classifier",
    "RateLimiter",
    "RedactingFilter",
    "RetryPolicy",
    "Throttle",
    "Verdict",
    "install_log_redaction",
    "redact_headers",
    "redact_text",
    "redact_url",
]
