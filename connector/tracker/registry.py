"""Builds the configured tracker adapter from its kind name (``ONEC_BRIDGE_TRACKER_KIND``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr

from connector.settings import Settings
from connector.tracker.base import Tracker

# kind -> "module:class"; adapters are imported only when their kind is configured.
_KINDS: dict[str, str] = {
    "bitcop": "connector.tracker.bitcop:BitcopTracker",
    "kimai": "connector.tracker.kimai:KimaiTracker",
    "clockify": "connector.tracker.clockify:ClockifyTracker",
}


class UnknownTrackerKind(ValueError):
    """The configured tracker kind has no adapter."""


def known_kinds() -> list[str]:
    return sorted(_KINDS)


def _factory(kind: str) -> Callable[..., Tracker]:
    target = _KINDS.get(kind.strip().lower())
    if target is None:
        raise UnknownTrackerKind(f"unknown tracker kind {kind!r}; known kinds: {', '.join(known_kinds())}")
    module, _, name = target.partition(":")
    factory: Callable[..., Tracker] = getattr(importlib.import_module(module), name)
    return factory


def make_tracker(kind: str, url: str, api_key: str | SecretStr, **options: Any) -> Tracker:
    """An adapter for ``kind`` talking to ``url``; ``options`` go to its constructor (timeouts, limits)."""
    return _factory(kind)(url, api_key, **options)


def tracker_options(settings: Settings) -> dict[str, Any]:
    """The constructor options of the configured kind, from its settings."""
    options: dict[str, Any] = {"timeout": settings.tracker_timeout, "rate_limit": settings.tracker_rate_limit}
    if settings.tracker_kind == "kimai":
        options.update(auth_mode=settings.tracker_kimai_auth, auth_user=settings.tracker_kimai_user)
    elif settings.tracker_kind == "clockify":
        options.update(
            workspace=settings.tracker_clockify_workspace,
            reports_url=settings.tracker_clockify_reports_url or None,
            project_by=settings.tracker_clockify_project_by,
            timezone=settings.timezone,  # Clockify reports UTC instants; days are the company's
        )
    return options


def tracker_from_settings(settings: Settings) -> Tracker:
    """The tracker configured by ``ONEC_BRIDGE_TRACKER_KIND``/``_URL``/``_API_KEY`` and its kind."""
    return make_tracker(
        settings.tracker_kind, settings.tracker_url, settings.tracker_api_key, **tracker_options(settings)
    )
