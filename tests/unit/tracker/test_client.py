"""How one GET answer is classified: envelope, HTTP status, transport failures, redaction."""

from __future__ import annotations

import logging

import pytest
import requests

from connector.http.throttle import Throttle
from connector.tracker.client import JsonEnvelopeClient, tracker_retry_policy
from connector.tracker.errors import (
    TrackerApiError,
    TrackerAuthError,
    TrackerProtocolError,
    TrackerTransientError,
    TrackerUnavailable,
)
from tests.unit.tracker.fakes import BASE, KEY, Call, Reply, ok, session_with


def client_for(handler, *, attempts: int = 3) -> tuple[JsonEnvelopeClient, list[Call], list[float]]:
    session, adapter = session_with(handler)
    slept: list[float] = []
    client = JsonEnvelopeClient(
        BASE,
        KEY,
        session=session,
        throttle=Throttle(1000.0, sleep=lambda s: None),
        policy=tracker_retry_policy(max_attempts=attempts, sleep=slept.append),
    )
    return client, adapter.calls, slept


def test_items_of_a_success_envelope_and_the_key_sent_as_query_parameter() -> None:
    client, calls, _ = client_for(lambda call: ok([{"id": 1}]))
    assert client.get_items("employees", {"active": "true"}) == [{"id": 1}]
    assert calls[0].path == "employees"
    assert calls[0].params == {"active": "true", "apikey": KEY}


def test_failure_envelope_becomes_an_api_error_with_the_server_message() -> None:
    client, calls, _ = client_for(
        lambda call: Reply(200, {"status": "error", "message": "begin is malformed"})
    )
    with pytest.raises(TrackerApiError, match="begin is malformed") as info:
        client.get_items("tasks/activity")
    assert not info.value.retriable
    assert len(calls) == 1


def test_http_400_is_fatal_and_carries_the_message() -> None:
    client, calls, _ = client_for(lambda call: Reply(400, {"status": "error", "message": "bad employees"}))
    with pytest.raises(TrackerApiError, match="bad employees"):
        client.get_items("screenshots")
    assert len(calls) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_an_auth_error_and_never_retried(status: int) -> None:
    client, calls, _ = client_for(
        lambda call: Reply(status, {"status": "error", "message": "invalid api key"})
    )
    with pytest.raises(TrackerAuthError) as info:
        client.get_items("employees")
    assert info.value.status == status and not info.value.retriable
    assert len(calls) == 1


def test_503_is_unavailable_retried_and_the_last_error_surfaces() -> None:
    reply = Reply(503, {"status": "error", "message": "Web API is disabled"})
    client, calls, slept = client_for(lambda call: reply, attempts=3)
    with pytest.raises(TrackerUnavailable, match="Web API is disabled") as info:
        client.get_items("employees")
    assert info.value.retriable
    assert len(calls) == 3 and len(slept) == 2


def test_503_then_success_returns_the_items_and_honours_retry_after() -> None:
    replies = [Reply(503, {"status": "error", "message": "off"}, {"Retry-After": "4"}), ok([{"id": 2}])]
    client, calls, slept = client_for(lambda call: replies.pop(0))
    assert client.get_items("employees") == [{"id": 2}]
    assert slept == [4.0]


@pytest.mark.parametrize("status", [429, 500, 502, 504])
def test_overload_and_server_errors_are_retried(status: int) -> None:
    replies = [Reply(status, {"status": "error", "message": "busy"}), ok([])]
    client, calls, _ = client_for(lambda call: replies.pop(0))
    assert client.get_items("tasks") == []
    assert len(calls) == 2


def test_retry_after_as_an_http_date_in_the_past_means_no_wait() -> None:
    replies = [Reply(429, None, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), ok([])]
    client, _, slept = client_for(lambda call: replies.pop(0))
    client.get_items("tasks")
    assert slept == [0.0]


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, raw=b"<html>proxy error</html>"),
        Reply(200, ["not", "an", "object"]),
        Reply(200, {"status": "success", "items": {"id": 1}}),
        Reply(200, {"status": "success", "items": [1, 2]}),
        Reply(200, {"status": "success"}),
    ],
)
def test_answers_off_the_contract_are_protocol_errors(reply: Reply) -> None:
    client, calls, _ = client_for(lambda call: reply)
    with pytest.raises(TrackerProtocolError):
        client.get_items("tasks")
    assert len(calls) == 1


def test_connection_failures_are_transient_and_their_texts_are_redacted() -> None:
    error = requests.ConnectionError(f"Max retries exceeded with url: /api/v1/employees?apikey={KEY} ({KEY})")
    client, calls, _ = client_for(lambda call: error)
    with pytest.raises(TrackerTransientError) as info:
        client.get_items("employees")
    assert len(calls) == 3
    assert KEY not in str(info.value)
    assert "apikey=***" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_timeouts_are_transient() -> None:
    replies: list[Reply | Exception] = [requests.ReadTimeout("slow"), ok([{"id": 3}])]
    client, _, _ = client_for(lambda call: replies.pop(0))
    assert client.get_items("employees") == [{"id": 3}]


def test_the_key_never_reaches_logs_or_error_texts(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    replies: list[Reply | Exception] = [
        ok([]),
        Reply(503, {"status": "error", "message": f"disabled for key {KEY}"}),
        Reply(400, {"status": "error", "message": f"apikey={KEY} malformed"}),
    ]
    client, _, _ = client_for(lambda call: replies.pop(0), attempts=1)
    client.get_items("employees")
    texts = []
    for _ in range(2):
        with pytest.raises(Exception) as info:
            client.get_items("employees")
        texts.append(str(info.value))
    assert caplog.records, "the client logs its requests"
    assert all(KEY not in text for text in texts + [r.getMessage() for r in caplog.records])
    assert "apikey=***" in caplog.text


@pytest.mark.parametrize(
    ("url", "key", "message"),
    [("ftp://h/api", KEY, "not an http"), (BASE, "", "API key is empty")],
)
def test_bad_configuration_is_refused_clearly(url: str, key: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        JsonEnvelopeClient(url, key)
