"""Hostile requests to the task feed, resync, failures, runs, links and reports.

Contract: never a 5xx (``/readyz`` and the tracker-backed list may say 503 by design, as their
dependencies are down here), never a traceback, errors in the JSON error shape, and nothing
stored by a rejected request. Query strings are sent raw, so non-UTF-8 percent escapes and
oversized values reach the server as a client could send them.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import requests
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile.support import HOSTILE, INJECTIONS, HostileTarget, assert_sane, hostile_text, json_values

raw_param_values = st.one_of(
    hostile_text.map(lambda s: quote(s, safe="")),
    st.binary(max_size=60).map(lambda b: quote(b, safe="")),
    st.sampled_from(["%ff%fe", "%c0%af", "%", "%zz", "-1", "0", "1e309", "99999999999999999999", "NaN"]),
    st.sampled_from(
        ["2025-13-45T25:61:61Z", "2025-02-29T00:00:00Z", "0000-01-01", "9999-12-31T23:59:59+99:00"]
    ),
    st.just("A" * 3000),
)
feed_params = st.sampled_from(["assignee", "status", "changed_since", "cursor", "limit", "unknown"])
tokens = st.sampled_from(["feed", "admin", "none", "garbage"])


def auth(target: HostileTarget, which: str) -> dict[str, str]:
    if which == "feed":
        return target.app.feed_headers
    if which == "admin":
        return target.app.admin_headers
    if which == "garbage":
        return {"Authorization": "Bearer ') or true or ('"}
    return {}


def get_raw(
    target: HostileTarget, path: str, pairs: list[tuple[str, str]], headers: dict[str, str]
) -> requests.Response:
    query = "&".join(f"{name}={value}" for name, value in pairs)
    return requests.get(f"{target.url}{path}?{query}", headers=headers, timeout=30)


@HOSTILE
@given(pairs=st.lists(st.tuples(feed_params, raw_param_values), max_size=4), who=tokens)
def test_feed_query_strings(target: HostileTarget, pairs: list[tuple[str, str]], who: str) -> None:
    before = target.row_counts()
    resp = get_raw(target, "/tracker/v1/tasks", pairs, auth(target, who))
    assert_sane(resp)
    if who != "feed":
        assert resp.status_code == 401
    assert target.row_counts() == before


@HOSTILE
@given(payload=json_values, seq=st.integers(), code=hostile_text)
def test_forged_cursors_are_400(target: HostileTarget, payload: object, seq: int, code: str) -> None:
    """Cursors built by hand (right shape, no valid signature) never page anything."""
    body = base64.urlsafe_b64encode(json.dumps({"s": seq, "c": code, "q": payload}).encode()).rstrip(b"=")
    for cursor in (body.decode(), body.decode() + ".0123456789abcdef0123456789abcdef", code):
        if not cursor.strip():
            continue
        resp = requests.get(
            target.url + "/tracker/v1/tasks",
            params={"cursor": cursor[:2000]},
            headers=target.app.feed_headers,
            timeout=30,
        )
        assert_sane(resp)
        assert resp.status_code in (400, 422)


@HOSTILE
@given(
    body=st.one_of(
        json_values,
        st.fixed_dictionaries(
            {},
            optional={
                "mapping": hostile_text,
                "refs": st.lists(hostile_text, max_size=5),
                "since": hostile_text,
                "until": hostile_text,
                "all": json_values,
            },
        ),
    )
)
def test_resync_bodies(target: HostileTarget, body: object) -> None:
    """Garbage resync requests are refused; a well-formed one queues at most one inbox row."""
    before = target.row_counts()
    resp = requests.post(target.url + "/api/resync", json=body, headers=target.app.admin_headers, timeout=30)
    assert_sane(resp)
    after = target.row_counts()
    if resp.status_code == 202:
        assert after["inbox"] - before["inbox"] in (0, 1)
        assert {k: v for k, v in after.items() if k != "inbox"} == {
            k: v for k, v in before.items() if k != "inbox"
        }
    else:
        assert after == before


@HOSTILE
@given(
    raw=st.binary(max_size=500),
    ctype=st.sampled_from(["application/json", "text/plain", "", "multipart/form-data"]),
)
def test_resync_raw_bytes(target: HostileTarget, raw: bytes, ctype: str) -> None:
    before = target.row_counts()
    headers = {**target.app.admin_headers, "Content-Type": ctype}
    resp = requests.post(target.url + "/api/resync", data=raw, headers=headers, timeout=30)
    assert_sane(resp)
    if resp.status_code != 202:
        assert target.row_counts() == before


ops_paths = st.sampled_from(
    [
        "/api/runs",
        "/api/runs/{x}",
        "/api/failures",
        "/api/links",
        "/api/overruns",
        "/api/reports/{x}",
        "/api/reports/plan-fact",
        "/api/reports/timesheet",
        "/readyz",
        "/healthz",
    ]
)
ops_params = st.sampled_from(
    ["limit", "kind", "mapping", "parked", "status", "code", "level", "from", "to", "period", "format"]
)


@HOSTILE
@given(
    path=ops_paths,
    segment=raw_param_values,
    pairs=st.lists(st.tuples(ops_params, raw_param_values), max_size=4),
    who=tokens,
)
def test_ops_and_reports_queries(
    target: HostileTarget, path: str, segment: str, pairs: list[tuple[str, str]], who: str
) -> None:
    before = target.row_counts()
    resp = get_raw(target, path.replace("{x}", segment or "x"), pairs, auth(target, who))
    assert_sane(resp, allow_503=path == "/readyz")
    if path.startswith("/api/") and who != "admin":
        assert resp.status_code in (401, 404)
    assert target.row_counts() == before


@HOSTILE
@given(
    failure_id=st.one_of(
        hostile_text,
        st.sampled_from(["outbox-1", "inbox-999999", "1", "-1", "outbox-", "²", "outbox-³", "9" * 30]),
    )
)
def test_retry_of_unknown_failures(target: HostileTarget, failure_id: str) -> None:
    before = target.row_counts()
    resp = requests.post(
        f"{target.url}/api/failures/{quote(failure_id, safe='')}/retry",
        headers=target.app.admin_headers,
        timeout=30,
    )
    assert_sane(resp)
    assert resp.status_code in (404, 405)
    assert target.row_counts() == before


def test_out_of_range_ids_are_client_errors(target: HostileTarget) -> None:
    for path in ("/api/runs/99999999999999999999", "/api/runs/-1", "/api/runs/²"):
        resp = requests.get(target.url + path, headers=target.app.admin_headers, timeout=30)
        assert_sane(resp)
        assert resp.status_code in (404, 422)
    for failure_id in ("²", "outbox-³", "9" * 30, "inbox-" + "9" * 30):
        resp = requests.post(
            f"{target.url}/api/failures/{failure_id}/retry", headers=target.app.admin_headers, timeout=30
        )
        assert_sane(resp)
        assert resp.status_code == 404


def test_known_injection_strings_in_every_filter(target: HostileTarget) -> None:
    """The fixed list, deterministic and readable in a failure: each value in each text filter."""
    for value in INJECTIONS:
        for path, name, headers in (
            ("/tracker/v1/tasks", "assignee", target.app.feed_headers),
            ("/api/links", "mapping", target.app.admin_headers),
            ("/api/links", "code", target.app.admin_headers),
            ("/api/runs", "kind", target.app.admin_headers),
            ("/api/overruns", "level", target.app.admin_headers),
            ("/api/reports/timesheet", "from", target.app.admin_headers),
        ):
            resp = requests.get(target.url + path, params={name: value}, headers=headers, timeout=30)
            assert_sane(resp)
            if resp.status_code == 200 and path != "/api/reports/timesheet":
                assert resp.json()["items"] == []
