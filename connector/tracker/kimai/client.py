"""Kimai's JSON API (``…/api``) as every role of the adapter uses it: sign-in, limits, listings.

Published facts this relies on (Kimai's ``src/API`` controllers; see docs/trackers.md):

- Auth: ``Authorization: Bearer <API token>``, or ``X-AUTH-USER``/``X-AUTH-TOKEN`` (deprecated
  since 2.54). 401 = credentials refused, 403 = a permission is missing.
- Customers, projects, activities, teams and users are listed whole (no paging); ``visible=3``
  lists hidden objects too.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import requests
from pydantic import SecretStr

from connector.http.redaction import redact_url
from connector.tracker.jsonapi import Item, as_list, as_object, tracker_api
from connector.tracker.naming import NO_CUSTOMER

KEY_SETTING = "ONEC_BRIDGE_TRACKER_API_KEY"
USER_SETTING = "ONEC_BRIDGE_TRACKER_KIMAI_USER"
ALL = {"visible": "3"}


class KimaiClient:
    """One Kimai instance reached with one API account; the roles build on it."""

    def __init__(
        self,
        base_url: str,
        api_key: str | SecretStr,
        *,
        timeout: float = 30.0,
        rate_limit: float = 5.0,
        auth_mode: str = "bearer",
        auth_user: str = "",
        session: requests.Session | None = None,
        max_attempts: int = 5,
        deadline: float = 120.0,
        page_size: int = 500,
        fallback_customer: str = NO_CUSTOMER,
        customer_defaults: dict[str, str] | None = None,
        create_settle: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        if not key:
            raise ValueError(f"the Kimai API token is empty; set {KEY_SETTING}")
        if auth_mode == "bearer":
            headers, hint = {"Authorization": f"Bearer {key}"}, KEY_SETTING
        elif auth_mode == "x-auth":
            if not auth_user:
                raise ValueError(f"{USER_SETTING} is empty while Kimai auth is x-auth")
            headers, hint = (
                {"X-AUTH-USER": auth_user, "X-AUTH-TOKEN": key},
                f"{USER_SETTING} and {KEY_SETTING}",
            )
        else:
            raise ValueError(f"unknown Kimai auth mode {auth_mode!r}; use bearer or x-auth")
        if not 1 <= page_size <= 500:
            raise ValueError(f"page_size must be 1..500 (Kimai's maximum), got {page_size}")
        self.page_size = page_size
        self.fallback_customer = fallback_customer
        self.customer_defaults = customer_defaults or {
            "country": "RU",
            "currency": "RUB",
            "timezone": "Europe/Moscow",
        }
        self.api = tracker_api(
            base_url,
            tracker="Kimai",
            headers=headers,
            key=key,
            auth_hint=hint,
            session=session,
            timeout=timeout,
            rate_limit=rate_limit,
            sleep=sleep,
            max_attempts=max_attempts,
            deadline=deadline,
            settle=create_settle,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({redact_url(self.api.base_url)!r})"

    def check(self) -> str:
        """One request: the credentials work (``GET /api/users/me``)."""
        me = as_object(self.api.get("users/me").body, "users/me")
        return f"Kimai: signed in as {me.get('username') or me.get('id')}"

    def _list(self, path: str, params: dict[str, str] | None = None) -> list[Item]:
        return as_list(self.api.get(path, params).body, path)
