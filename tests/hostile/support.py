"""Helpers shared by the hostile-input properties: case counts, hostile strings, store row counts,
and the checks every answer must pass (no 5xx, JSON error shape, no traceback)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from connector.store.models import Base
from testbed.connector_app import RunningConnector

EXAMPLES = max(1, int(os.environ.get("HOSTILE_EXAMPLES", "150")))

HOSTILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("HOSTILE_RANDOM") != "1",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    database=None,
)

INJECTIONS = [
    "') or true or ('",
    "' or 1=1 --",
    "'; DROP TABLE inbox; --",
    '" OR ""="',
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "/etc/passwd\x00.yaml",
    "Catalog_Пользователи')?$filter=true",
    "guid'00000000-0000-0000-0000-000000000000') or true or (",
    "${jndi:ldap://127.0.0.1/a}",
    "{{ 7*7 }}",
    "<script>alert(1)</script>",
    "\u202e\ufeff\u0000",
    "A" * 5000,
    "%00%0d%0aSet-Cookie: x=1",
    "$filter=DeletionMark eq true",
]

hostile_text = st.one_of(st.sampled_from(INJECTIONS), st.text(max_size=300))
"""Known attack strings and arbitrary Unicode."""

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), hostile_text
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(hostile_text, inner, max_size=5)),
    max_leaves=30,
)


@dataclass
class HostileTarget:
    """A served connector and what a hostile test needs from it."""

    app: RunningConnector

    @property
    def url(self) -> str:
        return self.app.url

    def row_counts(self) -> dict[str, int]:
        """Rows per store table: rejected requests must leave every count unchanged."""
        with self.app.runtime.sessions() as session:
            return {
                t.name: int(session.execute(select(func.count()).select_from(t)).scalar_one())
                for t in Base.metadata.sorted_tables
            }


def assert_sane(resp: requests.Response, *, allow_503: bool = False) -> None:
    """No server error, no traceback or source path in the body, errors in the JSON error shape."""
    ok_5xx = allow_503 and resp.status_code == 503
    assert resp.status_code < 500 or ok_5xx, f"{resp.status_code}: {resp.text[:500]}"
    body = resp.text
    assert "Traceback" not in body, body[:500]
    assert 'File "' not in body, body[:500]
    if resp.status_code >= 400 and not ok_5xx:
        payload = resp.json()
        assert isinstance(payload, dict) and isinstance(payload.get("error"), str), body[:300]
        assert len(str(payload.get("message", ""))) <= 300
