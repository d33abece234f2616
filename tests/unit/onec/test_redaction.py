"""Redaction: passwords in URLs, secret parameters, auth headers and cookies never show."""

from __future__ import annotations

from connector.onec.redaction import redact_headers, redact_text, redact_url


def test_url_password_and_secret_params_are_masked() -> None:
    url = "http://Администратор:p%40ss@host:80/crm/odata?apikey=SECRET1&$top=5&token=SECRET2"
    out = redact_url(url)
    assert "p%40ss" not in out and "SECRET1" not in out and "SECRET2" not in out
    assert "Администратор:***@host:80" in out
    assert "$top=5" in out


def test_url_without_secrets_is_unchanged() -> None:
    url = "http://host/crm/odata/standard.odata/Catalog_X?$format=json&$filter=Code%20eq%20'1'"
    assert redact_url(url) == url


def test_headers_are_masked() -> None:
    out = redact_headers({"Authorization": "Basic eDp5", "Cookie": "ibsession=abc", "Accept": "a/b"})
    assert out == {"Authorization": "***", "Cookie": "***", "Accept": "a/b"}


def test_free_text_is_masked() -> None:
    text = (
        "GET https://u:hunter2@h/x?api_key=K9 failed; Authorization: Basic dTpodW50ZXIy; "
        "Bearer abc.def; Cookie ibsession=S1; pw=topsecret"
    )
    out = redact_text(text, secrets=["topsecret"])
    for leaked in ("hunter2", "K9", "dTpodW50ZXIy", "abc.def", "S1", "topsecret"):
        assert leaked not in out
