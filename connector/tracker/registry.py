"""Builds the configured tracker adapter from its kind name (``ONEC_BRIDGE_TRACKER_KIND``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import SecretStr

from connector.settings import Settings
from connector.tracker.base import Tracker
from connector.tracker.bitcop import BitcopTracker

_KINDS: dict[str, Callable[..., Tracker]] = {"bitcop": BitcopTracker}


class UnknownTrackerKind(ValueError):
    """The configured tracker kind has no adapter."""


def known_kinds() -> list[str]:
    return sorted(_KINDS)


def make_tracker(kind: str, url: str, api_key: str | SecretStr, **options: Any) -> Tracker:
    """An adapter for ``kind`` talking to ``url``; ``options`` go to its constructor (timeouts, limits)."""
    factory = _KINDS.get(kind.strip().lower())
    if factory is None:
        raise UnknownTrackerKind(f"unknown tracker kind {kind!r}; known kinds: {', '.join(known_kinds())}")
    return factory(url, api_key, **options)


def tracker_from_settings(settings: Settings) -> Tracker:
    """The tracker configured by ``ONEC_BRIDGE_TRACKER_KIND``/``_URL``/``_API_KEY``."""
    return make_tracker(settings.tracker_kind, settings.tracker_url, settings.tracker_api_key)
