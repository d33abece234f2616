"""Engines and sessions for the store: SQLite embedded by default, PostgreSQL in production.

The same URL setting (``ONEC_BRIDGE_DATABASE_URL``) selects the back-end; ``postgresql://`` is
accepted and mapped onto SQLAlchemy's psycopg 3 driver so operators can paste a libpq URL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker


class StoreUrlError(ValueError):
    """The database URL cannot be used; the message names the setting and the fix."""


def normalize_url(url: str) -> str:
    """Return a SQLAlchemy URL for ``url``; ``postgresql://``/``postgres://`` → ``postgresql+psycopg://``."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreUrlError(
            f"ONEC_BRIDGE_DATABASE_URL={url!r} is not a database URL: "
            "use sqlite:///onec_bridge.db or postgresql://user:password@host:5432/db"
        ) from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreUrlError(
            f"ONEC_BRIDGE_DATABASE_URL uses {parsed.get_backend_name()!r}: "
            "only sqlite:/// and postgresql:// are supported"
        )
    return url


def is_postgresql(engine_or_session: Engine | Session) -> bool:
    """True when the bound database is PostgreSQL (row locks and SKIP LOCKED are available)."""
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name == "postgresql"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; on SQLite, wait for locks instead of failing and enforce foreign keys."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit (callers read results after the transaction)."""
    return sessionmaker(engine, expire_on_commit=False)
