"""The running connector's wiring: settings, store, mappings and clients, built once per process.

Engines, the API, the scheduler and the CLI all receive a ``Runtime`` instead of building their
own clients, so tests can hand in a runtime pointing at the mocks, and every part shares one
polite 1C client (one session, one concurrency cap) and one store engine.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from connector.mapping.schema import Mapping
from connector.mapping.validate import load_mappings
from connector.onec.client import ODataClient
from connector.settings import Settings
from connector.store.db import make_engine, session_factory
from connector.tracker import Tracker, tracker_from_settings

if TYPE_CHECKING:  # zeep is heavy; imported only when the SOAP channel is used
    from connector.onec.soap import LabourService


def onec_client(s: Settings) -> ODataClient:
    """The OData client of the base the settings name (URL, credentials, zone, limits)."""
    return ODataClient(
        s.onec_url,
        s.onec_user,
        s.onec_password.get_secret_value(),
        timezone=s.onec_timezone,
        page_size=s.onec_page_size,
        timeout=s.onec_timeout,
        deadline=s.onec_deadline,
        max_concurrency=s.onec_max_concurrency,
        rate_limit=s.onec_rate_limit,
    )


@dataclass
class Runtime:
    """Everything a sync, a request handler or a job needs; clients are created lazily."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    mappings: list[Mapping]
    _onec: ODataClient | None = None
    _soap: LabourService | None = None
    _tracker: Tracker | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_settings(cls, settings: Settings, mappings: list[Mapping] | None = None) -> Runtime:
        engine = make_engine(settings.database_url)
        loaded = mappings if mappings is not None else load_mappings(Path(settings.mappings_dir))
        return cls(settings=settings, engine=engine, sessions=session_factory(engine), mappings=loaded)

    def mapping(self, name: str) -> Mapping:
        for m in self.mappings:
            if m.name == name:
                return m
        known = ", ".join(sorted(m.name for m in self.mappings)) or "none"
        raise KeyError(f"unknown mapping {name!r}; known mappings: {known}")

    @property
    def onec(self) -> ODataClient:
        with self._lock:
            if self._onec is None:
                self._onec = onec_client(self.settings)
            return self._onec

    @property
    def soap(self) -> LabourService:
        # The SOAP client shares the OData client's HTTP layer: one rate limit and one
        # concurrency cap for everything this process sends to 1C.
        http = self.onec.http
        with self._lock:
            if self._soap is None:
                from connector.onec.soap import LabourService

                s = self.settings
                self._soap = LabourService(
                    s.onec_url,
                    s.onec_user,
                    s.onec_password.get_secret_value(),
                    http=http,
                    batch_size=s.soap_batch_size,
                    timeout=s.onec_timeout,
                    deadline=s.onec_deadline,
                )
            return self._soap

    @property
    def tracker(self) -> Tracker:
        with self._lock:
            if self._tracker is None:
                self._tracker = tracker_from_settings(self.settings)
            return self._tracker

    def close(self) -> None:
        with self._lock:
            if self._onec is not None:
                self._onec.close()
                self._onec = None
        self.engine.dispose()
