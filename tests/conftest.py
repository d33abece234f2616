"""Shared fixtures: store URLs for both back-ends (and migrated sessions over them), and the
PostgreSQL policy (REQUIRE_PG)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy.orm import Session, sessionmaker

from connector.store.db import make_engine, session_factory
from connector.store.migrate import upgrade
from tests.support.pg import fresh_database

# Hypothesis: "ci" (HYPOTHESIS_PROFILE=ci, set by .ci/run) bounds the examples of tests that do not
# set their own count and drops the per-example deadline (a shared box stalls at random);
# a test's own @settings(max_examples=…) still applies. "dev" is Hypothesis' default.
settings.register_profile("ci", max_examples=60, deadline=None, print_blob=True)
settings.register_profile("dev", settings.get_profile("default"))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (skips unless reachable; fails if REQUIRE_PG=1)."""
    with fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test on the embedded store and on the production store."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        with fresh_database() as url:
            yield url


@pytest.fixture
def sessions(store_url: str) -> Iterator[sessionmaker[Session]]:
    """Session factory over a store upgraded to head by the packaged migrations."""
    upgrade(store_url)
    engine = make_engine(store_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()
