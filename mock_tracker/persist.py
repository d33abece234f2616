"""Optional persistence (``--db``): the whole account state as one JSON snapshot row.

A mock account is small (thousands of entries at most), so a snapshot after every change is
simpler and safer than a relational schema, and survives restarts just the same.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine, select
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

_metadata = MetaData()
_state = Table(
    "mock_tracker_state",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("body", Text, nullable=False),
)


class SnapshotError(Exception):
    """The database URL is unusable; the message names the problem without credentials."""


class SnapshotStore:
    """Load and save the account snapshot in the database at ``url`` (any SQLAlchemy URL)."""

    def __init__(self, url: str) -> None:
        try:
            self._engine = create_engine(url)
            _metadata.create_all(self._engine)
        except (ArgumentError, SQLAlchemyError, ImportError) as exc:
            raise SnapshotError(f"cannot open the state database ({type(exc).__name__})") from None

    def load(self) -> dict[str, Any] | None:
        with self._engine.connect() as conn:
            body = conn.execute(select(_state.c.body).where(_state.c.id == 1)).scalar_one_or_none()
        return json.loads(body) if body is not None else None

    def save(self, data: dict[str, Any]) -> None:
        body = json.dumps(data, ensure_ascii=False)
        with self._engine.begin() as conn:
            updated = conn.execute(_state.update().where(_state.c.id == 1).values(body=body)).rowcount
            if not updated:
                conn.execute(_state.insert().values(id=1, body=body))
