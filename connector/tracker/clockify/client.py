"""Clockify's API (``…/api/v1``) as every role of the adapter uses it: key, workspace, paged lists.

Published facts this relies on (docs.clockify.me; see docs/trackers.md for what is unconfirmed):

- Auth: the ``X-Api-Key`` header; 401 = key refused. Rate limits per workspace (50 requests/s on
  paid plans, far fewer on new free ones): over the limit 429, honoured with ``Retry-After``.
- ``GET /workspaces`` lists the key's workspaces (the one-request ``check``).
- Lists are paged by ``page`` (1-based) and ``page-size``.
- Reports live on their own host (``reports_base``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import requests
from pydantic import SecretStr

from connector.http.redaction import redact_url
from connector.tracker.errors import TrackerApiError, TrackerAuthError, TrackerError
from connector.tracker.jsonapi import Item, as_list, ref, tracker_api
from connector.tracker.naming import NO_CUSTOMER

KEY_SETTING = "ONEC_BRIDGE_TRACKER_API_KEY"
WORKSPACE_SETTING = "ONEC_BRIDGE_TRACKER_CLOCKIFY_WORKSPACE"


def reports_base(base_url: str) -> str:
    """The reports API for an API base: Clockify's own hosts, else ``<scheme://host>/reports/v1``.

    ``api.clockify.me`` → ``reports.api.clockify.me/v1``; regional and subdomain hosts
    (``*.clockify.me``) serve reports under ``/report/v1``."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    if host == "api.clockify.me":
        return "https://reports.api.clockify.me/v1"
    if host.endswith(".clockify.me"):
        return f"{parts.scheme}://{parts.netloc}/report/v1"
    return f"{parts.scheme}://{parts.netloc}/reports/v1"


class ClockifyClient:
    """One Clockify workspace reached with one API key; the roles build on it."""

    def __init__(
        self,
        base_url: str,
        api_key: str | SecretStr,
        *,
        workspace: str,
        timeout: float = 30.0,
        rate_limit: float = 5.0,
        reports_url: str | None = None,
        project_by: Literal["project", "customer"] | str = "project",
        timezone: str = "Europe/Moscow",
        session: requests.Session | None = None,
        max_attempts: int = 5,
        deadline: float = 120.0,
        page_size: int = 5000,
        report_page_size: int = 1000,
        fallback_customer: str = NO_CUSTOMER,
        create_settle: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        if not key:
            raise ValueError(f"the Clockify API key is empty; set {KEY_SETTING}")
        if not workspace.strip():
            raise ValueError(f"{WORKSPACE_SETTING} is empty: set the Clockify workspace id")
        if project_by not in ("project", "customer"):
            raise ValueError(f"project_by must be 'project' or 'customer', got {project_by!r}")
        if page_size < 1 or report_page_size < 1:
            raise ValueError("page sizes must be at least 1")
        self.workspace = workspace.strip()
        self.project_by = project_by
        self.zone = ZoneInfo(timezone)
        self.page_size = page_size
        self.report_page_size = report_page_size
        self.fallback_customer = fallback_customer
        self.reports_url = (reports_url or reports_base(base_url)).rstrip("/")
        self.api = tracker_api(
            base_url,
            tracker="Clockify",
            headers={"X-Api-Key": key},
            key=key,
            auth_hint=KEY_SETTING,
            session=session,
            timeout=timeout,
            rate_limit=rate_limit,
            sleep=sleep,
            max_attempts=max_attempts,
            deadline=deadline,
            settle=create_settle,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({redact_url(self.api.base_url)!r}, workspace={self.workspace!r})"

    @property
    def ws(self) -> str:
        return f"workspaces/{self.workspace}"

    def check(self) -> str:
        """One request: the key works and sees the configured workspace (``GET /workspaces``)."""
        spaces = as_list(self.api.get("workspaces").body, "workspaces")
        if not any(ref(s.get("id")) == self.workspace for s in spaces):
            raise self._unknown_workspace()
        return f"Clockify: workspace {self.workspace} reachable"

    def _pages(self, path: str, params: dict[str, str] | None = None) -> Iterator[Item]:
        """Every item of a paged list (a page shorter than asked for is the last one)."""
        page = 1
        while True:
            query = {**(params or {}), "page": str(page), "page-size": str(self.page_size)}
            try:
                items = as_list(self.api.get(path, query).body, path)
            except (TrackerAuthError, TrackerApiError) as exc:
                raise self._workspace_error(exc) from None
            yield from items
            if len(items) < self.page_size:
                return
            page += 1

    def _workspace_error(self, exc: TrackerError) -> TrackerError:
        if exc.status == 401:
            return exc
        if exc.status in (403, 404) or (exc.status == 400 and "workspace" in exc.message.lower()):
            return self._unknown_workspace()
        return exc

    def _unknown_workspace(self) -> TrackerAuthError:
        return TrackerAuthError(
            f"Clockify has no workspace {self.workspace!r} for this API key; set {WORKSPACE_SETTING} "
            "to the id of a workspace the key's user belongs to",
            status=403,
        )
