"""Optional write-through persistence of the InfoBase in SQLite (``--db sqlite:///path``).

A restarted 1C keeps its data; so does a mock started with the same ``--db``: objects,
register records, the closing date, exchange-plan registrations and SOAP batches.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///path`` URL; any other URL is a clear error."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ValueError(f"--db must be a sqlite:///path URL, got {url!r}")
    return Path(url[len(prefix) :])


class SqliteStore:
    """Rows (set, key) → JSON body plus a small key/value table for the base's other state."""

    def __init__(self, url: str) -> None:
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS objects"
            " (set_name TEXT, key TEXT, body TEXT, PRIMARY KEY (set_name, key))"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, body TEXT)")

    def is_empty(self) -> bool:
        return self._db.execute("SELECT COUNT(*) FROM objects").fetchone()[0] == 0

    def load(self) -> tuple[dict[str, dict[str, dict[str, Any]]], dict[str, Any]]:
        sets: dict[str, dict[str, dict[str, Any]]] = {}
        for set_name, key, body in self._db.execute("SELECT set_name, key, body FROM objects ORDER BY rowid"):
            sets.setdefault(set_name, {})[key] = json.loads(body)
        meta = {k: json.loads(v) for k, v in self._db.execute("SELECT key, body FROM meta")}
        return sets, meta

    def save_all(self, sets: dict[str, dict[str, dict[str, Any]]]) -> None:
        rows = [
            (s, k, json.dumps(e, ensure_ascii=False)) for s, objs in sets.items() for k, e in objs.items()
        ]
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO objects VALUES (?, ?, ?)", rows)

    def save(self, set_name: str, key: str, entity: dict[str, Any] | None) -> None:
        if entity is None:
            self._db.execute("DELETE FROM objects WHERE set_name = ? AND key = ?", (set_name, key))
        else:
            self._db.execute(
                "INSERT OR REPLACE INTO objects VALUES (?, ?, ?)",
                (set_name, key, json.dumps(entity, ensure_ascii=False)),
            )

    def save_meta(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value, ensure_ascii=False))
        )

    def close(self) -> None:
        self._db.close()
