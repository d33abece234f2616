"""One GET against an ``{status, items}`` JSON API: throttled, retried, errors classified, redacted.

This is the single place that decides what an HTTP answer means for a tracker call
(fatal / retriable), in the spirit of one ``validate_response``. The key travels as the
``apikey`` query parameter, so no URL leaves this module unredacted: not in logs, not in
exception texts, not in chained exceptions (requests' messages quote the URL).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import requests
from pydantic import SecretStr

from connector.http.redaction import install_log_redaction, redact_text, redact_url
from connector.http.retry import RetryPolicy, parse_retry_after
from connector.http.throttle import Throttle
from connector.tracker.errors import (
    TrackerApiError,
    TrackerAuthError,
    TrackerProtocolError,
    TrackerTransientError,
    TrackerUnavailable,
    retry_verdict,
)

log = logging.getLogger(__name__)

RETRIABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 504})


def tracker_retry_policy(
    *, max_attempts: int = 5, deadline: float = 120.0, sleep: Callable[[float], None] = time.sleep
) -> RetryPolicy:
    """The shared retry policy judged by the tracker's taxonomy: 429, 5xx, timeouts and connection
    errors retried with backoff up to 30 s, ``Retry-After`` honoured up to 60 s (pitfall 9)."""
    return RetryPolicy(
        classify=retry_verdict,
        max_attempts=max_attempts,
        deadline=deadline,
        cap=30.0,
        retry_after_cap=60.0,
        sleep=sleep,
    )


class JsonEnvelopeClient:
    """GETs ``{base_url}/{path}?apikey=…`` and returns the envelope's ``items``."""

    def __init__(
        self,
        base_url: str,
        api_key: str | SecretStr,
        *,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        throttle: Throttle | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(
                f"{redact_url(base_url)!r} is not an http(s) URL; example: http://127.0.0.1:8802/api/v1"
            )
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        if not key:
            raise ValueError("the tracker API key is empty; set ONEC_BRIDGE_TRACKER_API_KEY")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive seconds, got {timeout!r}")
        self.base_url = base_url.rstrip("/")
        self._key = key
        self._session = session or requests.Session()
        self._timeout = timeout
        self._throttle = throttle or Throttle(5.0)
        self._policy = policy or tracker_retry_policy()
        install_log_redaction()

    def get_items(self, path: str, params: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """The ``items`` of one GET, retried per the policy; raises a ``TrackerError`` otherwise."""
        return self._policy.call(lambda: self._get_once(path, dict(params or {})))

    def _get_once(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        url = f"{self.base_url}/{path.lstrip('/')}"
        shown = redact_url(f"{url}?{urlencode({**params, 'apikey': self._key})}")
        try:
            with self._throttle.slot():
                response = self._session.get(
                    url, params={**params, "apikey": self._key}, timeout=self._timeout
                )
        except requests.Timeout:
            raise TrackerTransientError(f"GET {shown} timed out after {self._timeout}s") from None
        except requests.RequestException as exc:
            reason = redact_text(str(exc), [self._key])
            raise TrackerTransientError(f"GET {shown} failed: {type(exc).__name__}: {reason}") from None
        log.debug("GET %s -> %s", shown, response.status_code)
        return self._items(response, shown)

    def _items(self, response: requests.Response, shown: str) -> list[dict[str, Any]]:
        status = response.status_code
        body = _json_or_none(response)
        message = self._message(body) or response.reason or "no message"
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status in (401, 403):
            raise TrackerAuthError(
                f"GET {shown}: the tracker refused the API key (HTTP {status})", status=status
            )
        if status == 503:
            raise TrackerUnavailable(
                f"GET {shown}: the tracker's Web API is unavailable (HTTP 503: {message})",
                status=status,
                retry_after=retry_after,
            )
        if status in RETRIABLE_STATUSES or status >= 500:
            raise TrackerTransientError(
                f"GET {shown}: HTTP {status}: {message}",
                status=status,
                retry_after=retry_after,
            )
        if status >= 300:
            raise TrackerApiError(f"GET {shown}: HTTP {status}: {message}", status=status)
        if not isinstance(body, dict):
            raise TrackerProtocolError(f"GET {shown}: the answer is not a JSON object", status=status)
        if body.get("status") != "success":
            raise TrackerApiError(
                f"GET {shown}: the tracker answered {body.get('status')!r}: {message}", status=status
            )
        items = body.get("items")
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise TrackerProtocolError(f"GET {shown}: 'items' is not a list of objects", status=status)
        return items

    def _message(self, body: Any) -> str | None:
        if isinstance(body, dict) and body.get("message") is not None:
            return redact_text(str(body["message"])[:500], [self._key])
        return None


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
