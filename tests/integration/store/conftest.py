"""A migrated store on each back-end (SQLite file, fresh PostgreSQL database)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from connector.store.db import make_engine, session_factory
from connector.store.migrate import upgrade


@pytest.fixture
def sessions(store_url: str) -> Iterator[sessionmaker[Session]]:
    """Session factory over a database upgraded to head by the packaged migrations."""
    upgrade(store_url)
    engine = make_engine(store_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()
