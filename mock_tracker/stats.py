"""Request counts by path, method and status, so tests can see how the connector used the account."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class RequestStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str, int]] = Counter()

    def record(self, path: str, status: int, method: str = "GET") -> None:
        with self._lock:
            self._counts[(path, method, status)] += 1

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def snapshot(self) -> dict[str, Any]:
        """``{"total": n, "requests": {path: {status: count}}, "methods": {path: {method: {status:
        count}}}}`` (statuses as strings)."""
        with self._lock:
            by_path: dict[str, dict[str, int]] = {}
            by_method: dict[str, dict[str, dict[str, int]]] = {}
            for (path, method, status), count in sorted(self._counts.items()):
                statuses = by_path.setdefault(path, {})
                statuses[str(status)] = statuses.get(str(status), 0) + count
                by_method.setdefault(path, {}).setdefault(method, {})[str(status)] = count
            return {"total": sum(self._counts.values()), "requests": by_path, "methods": by_method}
