"""Redaction: passwords in URLs, secret parameters, auth headers, cookies and given secrets never show."""

from __future__ import annotations

import logging

import pytest

from connector.http.redaction import (
    RedactingFilter,
    install_log_redaction,
    redact_headers,
    redact_text,
    redact_url,
)


def test_url_password_and_secret_params_are_masked() -> None:
    url = "http://Администратор:p%40ss@host:80/crm/odata?apikey=SECRET1&$top=5&token=SECRET2"
    out = redact_url(url)
    assert "p%40ss" not in out and "SECRET1" not in out and "SECRET2" not in out
    assert "Администратор:***@host:80" in out
    assert "$top=5" in out


def test_url_without_secrets_is_unchanged() -> None:
    url = "http://host/crm/odata/standard.odata/Catalog_X?$format=json&$filter=Code%20eq%20'1'"
    assert redact_url(url) == url


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
        ("http://user@h/odata", "http://user@h/odata"),
        ("http://h/api/v1/tasks", "http://h/api/v1/tasks"),
        ("http://h/x?sig=abc&signature=d&passwd=e", "http://h/x?sig=***&signature=***&passwd=***"),
    ],
)
def test_redact_url_masks_credentials_and_keeps_the_rest(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_an_unparseable_url_is_still_redacted_as_text() -> None:
    out = redact_url("http://[::1/x?apikey=K3Y")
    assert "K3Y" not in out and "apikey=***" in out


def test_headers_are_masked() -> None:
    out = redact_headers({"Authorization": "Basic eDp5", "Cookie": "ibsession=abc", "Accept": "a/b"})
    assert out == {"Authorization": "***", "Cookie": "***", "Accept": "a/b"}
    pairs = [("Set-Cookie", "ibsession=x"), ("X-Api-Key", "k"), ("Proxy-Authorization", "p")]
    assert set(redact_headers(pairs).values()) == {"***"}


def test_free_text_is_masked() -> None:
    text = (
        "GET https://u:hunter2@h/x?api_key=K9 failed; Authorization: Basic dTpodW50ZXIy; "
        "Bearer abc.def; Cookie ibsession=S1; pw=topsecret"
    )
    out = redact_text(text, secrets=["topsecret"])
    for leaked in ("hunter2", "K9", "dTpodW50ZXIy", "abc.def", "S1", "topsecret"):
        assert leaked not in out


def test_redact_text_masks_parameters_inside_free_text_and_known_secrets() -> None:
    text = (
        "HTTPConnectionPool(host='h', port=1): Max retries exceeded with url: "
        "/api/v1/employees?begin=1&apikey=K3Y-value&x=2 (Caused by ...) raw K3Y-value"
    )
    redacted = redact_text(text, ["K3Y-value"])
    assert "K3Y-value" not in redacted
    assert "apikey=***&x=2" in redacted
    assert "begin=1" in redacted


def test_a_longer_secret_is_masked_whole_even_when_a_shorter_one_is_its_prefix() -> None:
    assert redact_text("pw abc and abcdef", ["abc", "abcdef"]) == "pw *** and ***"


def test_redact_text_leaves_harmless_words_and_tiny_secrets_alone() -> None:
    assert redact_text("monkey=banana donkey business") == "monkey=banana donkey business"
    assert redact_text("page 1 of 12", ["1", ""]) == "page 1 of 12"


def test_redacting_filter_rewrites_formatted_records() -> None:
    record = logging.LogRecord(
        "urllib3", logging.DEBUG, __file__, 1, '"GET %s HTTP/1.1" %s', ("/e?apikey=zz", 200), None
    )
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == '"GET /e?apikey=*** HTTP/1.1" 200'


def test_redacting_filter_masks_tracebacks_and_secrets_registered_later() -> None:
    secrets: list[str] = []
    flt = RedactingFilter(lambda: secrets)
    secrets.append("s3cr3t-value")
    try:
        raise RuntimeError("login with s3cr3t-value refused")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "using %s", ("s3cr3t-value",), sys.exc_info()
        )
    flt.filter(record)
    assert record.getMessage() == "using ***"
    assert record.exc_info is None
    assert record.exc_text is not None and "RuntimeError: login with *** refused" in record.exc_text
    assert "s3cr3t-value" not in logging.Formatter().format(record)


def test_install_log_redaction_attaches_one_filter_per_logger() -> None:
    name = "test.http.redaction.install"
    install_log_redaction([name])
    install_log_redaction([name])
    filters = [f for f in logging.getLogger(name).filters if isinstance(f, RedactingFilter)]
    assert len(filters) == 1
