"""The two statements whose SQL differs per back-end: insert-or-ignore and insert-or-update."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from connector.store.db import is_postgresql


def insert_ignore(
    session: Session, model: Any, rows: Sequence[dict[str, Any]], conflict_cols: Sequence[str]
) -> Insert:
    """``INSERT … ON CONFLICT (cols) DO NOTHING`` for SQLite and PostgreSQL alike."""
    if is_postgresql(session):
        return (
            postgresql.insert(model).values(list(rows)).on_conflict_do_nothing(index_elements=conflict_cols)
        )
    return sqlite.insert(model).values(list(rows)).on_conflict_do_nothing(index_elements=conflict_cols)


def insert_or_update(
    session: Session, model: Any, row: dict[str, Any], conflict_cols: Sequence[str]
) -> Insert:
    """``INSERT … ON CONFLICT (cols) DO UPDATE`` setting every non-key column of ``row``."""
    changes = {k: v for k, v in row.items() if k not in conflict_cols}
    if is_postgresql(session):
        pg = postgresql.insert(model).values(row)
        return pg.on_conflict_do_update(index_elements=conflict_cols, set_=changes)
    lite = sqlite.insert(model).values(row)
    return lite.on_conflict_do_update(index_elements=conflict_cols, set_=changes)
