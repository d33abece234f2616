"""PostgreSQL for tests: a fresh database per use, skipped (or failed with REQUIRE_PG=1) when absent."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def admin_url() -> str:
    return os.environ.get("ONEC_BRIDGE_TEST_PG_URL", DEFAULT_PG_URL)


def sqlalchemy_url(url: str) -> str:
    """``postgresql://`` → ``postgresql+psycopg://`` (SQLAlchemy's psycopg 3 driver)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def pg_available() -> str | None:
    """None when PostgreSQL answers; otherwise the reason it does not."""
    try:
        import psycopg

        with psycopg.connect(admin_url(), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:  # any failure means "not usable here"
        return f"PostgreSQL at {admin_url()} unreachable: {exc.__class__.__name__}: {exc}"


def require_pg() -> None:
    """Skip with the reason, or fail when REQUIRE_PG=1 says PostgreSQL must be there."""
    reason = pg_available()
    if reason is None:
        return
    if os.environ.get("REQUIRE_PG") == "1":
        pytest.fail(f"REQUIRE_PG=1 but {reason}")
    pytest.skip(reason)


@contextmanager
def fresh_database() -> Iterator[str]:
    """Create an empty database, yield its SQLAlchemy URL, drop it afterwards."""
    import psycopg
    from psycopg import sql

    require_pg()
    name = f"ob_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = admin_url().rsplit("/", 1)[0]
    try:
        yield sqlalchemy_url(f"{base}/{name}")
    finally:
        with psycopg.connect(admin_url(), autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
