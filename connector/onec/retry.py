"""The retry policy and throttle of the 1C layer: the shared ones, judged by 1C's taxonomy.

Retries only ``Retriable`` errors (never ``OutcomeUnknown``), at once after a stale session,
otherwise after a capped exponential backoff with jitter or 1C's ``Retry-After`` (capped),
and gives up when the next wait would cross the call's overall deadline.
"""

from __future__ import annotations

from dataclasses import dataclass

from connector.http.retry import Classifier
from connector.http.retry import RetryPolicy as _SharedRetryPolicy
from connector.http.throttle import RateLimiter, Throttle
from connector.onec.errors import retry_verdict

__all__ = ["RateLimiter", "RetryPolicy", "Throttle"]


@dataclass(frozen=True, kw_only=True)
class RetryPolicy(_SharedRetryPolicy):
    """``connector.http.retry.RetryPolicy`` with 1C's verdict as its default classifier."""

    classify: Classifier = retry_verdict
