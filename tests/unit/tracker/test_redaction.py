from __future__ import annotations

import logging

import pytest

from connector.tracker.redaction import RedactingFilter, redact_text, redact_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://acme.bitcop.ru:4443/api/v1/employees?apikey=abc123&active=true",
            "https://acme.bitcop.ru:4443/api/v1/employees?apikey=***&active=true",
        ),
        ("http://h/api?APIKEY=abc", "http://h/api?APIKEY=***"),
        (
            "http://h/api?token=t&begin=20250101&employees=1,2",
            "http://h/api?token=***&begin=20250101&employees=1,2",
        ),
        ("http://user:pa55@h/odata?x=1", "http://user:***@h/odata?x=1"),
        ("http://h/api/v1/tasks", "http://h/api/v1/tasks"),
    ],
)
def test_redact_url_masks_credentials_and_keeps_the_rest(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_text_masks_parameters_inside_free_text_and_known_secrets() -> None:
    text = (
        "HTTPConnectionPool(host='h', port=1): Max retries exceeded with url: "
        "/api/v1/employees?begin=1&apikey=K3Y-value&x=2 (Caused by ...) raw K3Y-value"
    )
    redacted = redact_text(text, ["K3Y-value"])
    assert "K3Y-value" not in redacted
    assert "apikey=***&x=2" in redacted
    assert "begin=1" in redacted


def test_redact_text_leaves_harmless_words_alone() -> None:
    assert redact_text("monkey=banana donkey business") == "monkey=banana donkey business"


def test_redacting_filter_rewrites_formatted_records() -> None:
    record = logging.LogRecord(
        "urllib3", logging.DEBUG, __file__, 1, '"GET %s HTTP/1.1" %s', ("/e?apikey=zz", 200), None
    )
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == '"GET /e?apikey=*** HTTP/1.1" 200'
