"""Hostile ``POST /webhooks/1c``: bad signatures, signed garbage, huge and non-UTF-8 bodies,
deep nesting, injection and path-traversal strings in ``type``/``Ref_Key``.

Contract: never a 5xx or a traceback; a rejected request stores nothing; an accepted one stores
at most one inbox row, and a repeat of it stores none.
"""

from __future__ import annotations

import json
import uuid

import requests
from hypothesis import given
from hypothesis import strategies as st

from connector.api.webhooks import SIGNATURE_HEADER, known_types, sign
from testbed.connector_app import WEBHOOK_SECRET
from tests.hostile.support import HOSTILE, HostileTarget, assert_sane, hostile_text, json_values

WEBHOOK = "/webhooks/1c"


def post(target: HostileTarget, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(target.url + WEBHOOK, data=body, headers=headers, timeout=30)


def signed(body: bytes, **extra: str) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign(body, WEBHOOK_SECRET), "Content-Type": "application/json", **extra}


def assert_rejected_and_nothing_stored(target: HostileTarget, body: bytes, headers: dict[str, str]) -> None:
    before = target.row_counts()
    resp = post(target, body, headers)
    assert_sane(resp)
    assert 400 <= resp.status_code < 500, resp.status_code
    assert target.row_counts() == before


bad_signatures = st.one_of(
    st.none(),
    st.just(""),
    st.just("sha256="),
    # header values a valid HTTP/1.1 request can carry (printable ASCII and Latin-1)
    st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=100
    ).map(str.lstrip),
    st.binary(min_size=32, max_size=32).map(lambda b: "sha256=" + b.hex()),
    st.sampled_from(["sha1=abc", "SHA256=" + "0" * 64, "sha256=" + "g" * 64]),
)


@HOSTILE
@given(
    body=st.one_of(st.binary(max_size=2000), json_values.map(lambda v: json.dumps(v).encode())),
    sig=bad_signatures,
)
def test_unsigned_or_badly_signed_bodies_are_refused(
    target: HostileTarget, body: bytes, sig: str | None
) -> None:
    headers = {"Content-Type": "application/json"}
    if sig is not None:
        headers[SIGNATURE_HEADER] = sig
    before = target.row_counts()
    resp = post(target, body, headers)
    assert_sane(resp)
    assert resp.status_code == 401
    assert target.row_counts() == before


@HOSTILE
@given(body=st.binary(max_size=3000))
def test_signed_random_bytes_never_break_the_endpoint(target: HostileTarget, body: bytes) -> None:
    before = target.row_counts()
    resp = post(target, body, signed(body))
    assert_sane(resp)
    if resp.status_code != 202:
        assert target.row_counts() == before


@HOSTILE
@given(event=json_values)
def test_signed_arbitrary_json_is_refused_unless_it_is_an_event(target: HostileTarget, event: object) -> None:
    body = json.dumps(event).encode("utf-8")
    assert_rejected_and_nothing_stored(target, body, signed(body))


@HOSTILE
@given(
    type_=hostile_text,
    ref=st.one_of(hostile_text, st.just(str(uuid.uuid4()) + "' or true or '")),
    version=st.one_of(hostile_text, st.integers(), st.none()),
)
def test_injection_and_traversal_in_type_or_ref_are_refused(
    target: HostileTarget, type_: str, ref: str, version: object
) -> None:
    body = json.dumps({"type": type_, "Ref_Key": ref, "DataVersion": version}).encode("utf-8")
    assert_rejected_and_nothing_stored(target, body, signed(body))


@HOSTILE
@given(data=st.data(), version=hostile_text.filter(lambda v: 0 < len(v.strip()) and len(v) <= 64))
def test_valid_event_with_hostile_extras_is_stored_once(
    target: HostileTarget, data: st.DataObject, version: str
) -> None:
    """Hostile text in DataVersion and the free fields is data, not structure: stored once, deduped."""
    type_ = data.draw(st.sampled_from(known_types(target.app.runtime)))
    extras = data.draw(
        st.dictionaries(st.sampled_from(["Number", "Date", "event", "Описание"]), hostile_text)
    )
    event = {**extras, "type": type_, "Ref_Key": str(uuid.uuid4()), "DataVersion": version}
    body = json.dumps(event, ensure_ascii=False).encode("utf-8")
    before = target.row_counts()
    first = post(target, body, signed(body))
    assert_sane(first)
    assert first.status_code == 202 and first.json()["status"] == "accepted"
    after_first = target.row_counts()
    assert after_first["inbox"] == before["inbox"] + 1
    again = post(target, body, signed(body))
    assert again.status_code == 202 and again.json()["status"] == "duplicate"
    assert target.row_counts() == after_first


def test_huge_bodies_are_refused_before_storing(target: HostileTarget) -> None:
    for size in (64 * 1024 + 1, 2 * 1024 * 1024):
        body = b'{"type": "' + b"x" * size + b'"}'
        assert_rejected_and_nothing_stored(target, body, signed(body))


def test_huge_body_without_content_length_is_refused(target: HostileTarget) -> None:
    chunks = (b"[" * 4096 for _ in range(64))
    before = target.row_counts()
    resp = requests.post(
        target.url + WEBHOOK, data=chunks, headers={SIGNATURE_HEADER: "sha256=" + "0" * 64}, timeout=30
    )
    assert_sane(resp)
    assert resp.status_code in (401, 413)
    assert target.row_counts() == before


def test_deeply_nested_json_is_a_client_error(target: HostileTarget) -> None:
    for depth in (1000, 30_000):
        body = b"[" * depth + b"]" * depth
        assert_rejected_and_nothing_stored(target, body, signed(body))
        obj = b'{"a":' * depth + b"1" + b"}" * depth
        assert_rejected_and_nothing_stored(target, obj, signed(obj))


def test_non_utf8_and_odd_encodings_are_client_errors(target: HostileTarget) -> None:
    bodies = [
        b"\xff\xfe{\x00}\x00",
        '{"type": "Document_CRM_Интерес"}'.encode("cp1251"),
        '{"type": "x"}'.encode("utf-16"),
        b"\xef\xbb\xbf" + b'{"type": 1}',
        b'{"type": "\\ud800"}',
    ]
    for body in bodies:
        assert_rejected_and_nothing_stored(target, body, signed(body))


def test_hostile_headers_do_not_break_the_endpoint(target: HostileTarget) -> None:
    body = b"{}"
    for headers in (
        {SIGNATURE_HEADER: "sha256=" + "a" * 10_000},
        {SIGNATURE_HEADER: sign(body, WEBHOOK_SECRET), "Content-Type": "text/plain; charset=koi8-r"},
        {SIGNATURE_HEADER: sign(body, WEBHOOK_SECRET), "Content-Length": "2", "X-Request-Id": "../../x" * 50},
        {SIGNATURE_HEADER: "sha256=\xe9\xe9".encode("latin-1").decode("latin-1")},
    ):
        assert_rejected_and_nothing_stored(target, body, headers)
