"""Schemathesis over the connector's own OpenAPI document, against the app served for real.

Every operation gets schema-conforming (positive) and schema-violating (negative) requests,
with the right token for its area, none, or a wrong one. Contract: never a 5xx (``/readyz`` and
the tracker-backed list may say 503: their dependencies are down here), never a traceback, and
no stored rows except the one queue row an accepted resync may add.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode

from connector.api.app import create_app
from tests.hostile.support import HOSTILE, HostileTarget, assert_sane

DEPENDENCY_PROBES = {
    "/readyz",
    "/api/unmatched-employees",
    "/api/tracker",
    "/api/tracker/push",
    "/api/tracker/pending-tasks",
}


def operations(target: HostileTarget) -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_dict(create_app(target.app.runtime).openapi())
    return [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]


def token_for(target: HostileTarget, path: str, which: str) -> dict[str, str]:
    if which == "none":
        return {}
    if which == "wrong":
        return {"Authorization": "Bearer not-the-token"}
    return target.app.feed_headers if path.startswith("/tracker/") else target.app.admin_headers


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_every_operation_survives_generated_requests(target: HostileTarget, mode: GenerationMode) -> None:
    ops = operations(target)
    assert len(ops) >= 10, [op.label for op in ops]

    @HOSTILE
    @given(data=st.data(), which=st.sampled_from(["right", "right", "none", "wrong"]))
    def check(data: st.DataObject, which: str) -> None:
        op = data.draw(st.sampled_from(ops), label="operation")
        case = data.draw(op.as_strategy(generation_mode=mode), label="case")
        before = target.row_counts()
        resp = case.call(base_url=target.url, headers=token_for(target, op.path, which), timeout=30)
        assert_sane(resp, allow_503=op.path in DEPENDENCY_PROBES)
        after = target.row_counts()
        if op.method.upper() == "POST" and op.path == "/api/resync" and resp.status_code == 202:
            assert after["inbox"] - before["inbox"] in (0, 1)
            after["inbox"] = before["inbox"]
        assert after == before, f"{op.label} stored rows while answering {resp.status_code}"
        if which != "right" and op.path.startswith(("/api/", "/tracker/")):
            # FastAPI parses and validates a JSON body before the auth dependency runs: 400/422 too
            assert resp.status_code in (400, 401, 404, 405, 422), (
                f"{op.label} without its token: {resp.status_code}"
            )

    check()
