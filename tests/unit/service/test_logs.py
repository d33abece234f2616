"""Log records never carry secrets, whatever path formats them; run ids ride along."""

from __future__ import annotations

import io
import json
import logging

from connector.logs import configure_logging, make_handler, register_secrets, run_context


def _logger(stream: io.StringIO, fmt: str = "json") -> logging.Logger:
    logger = logging.getLogger(f"test.logs.{id(stream)}")
    logger.handlers = [make_handler(stream, fmt)]  # type: ignore[arg-type]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger


def test_api_key_in_a_url_and_bearer_token_are_masked_in_json_lines() -> None:
    out = io.StringIO()
    log = _logger(out)
    log.warning("GET %s failed", "http://t/api/v1/employees?apikey=SUPERSECRETKEY&begin=20260101")
    log.info("header Authorization: Bearer abc.def-123")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert "SUPERSECRETKEY" not in out.getvalue() and "abc.def-123" not in out.getvalue()
    assert lines[0]["message"] == "GET http://t/api/v1/employees?apikey=***&begin=20260101 failed"
    assert lines[0]["level"] == "warning"


def test_registered_secret_values_are_masked_in_messages_and_tracebacks() -> None:
    register_secrets(["pa55-word-of-1c"])
    out = io.StringIO()
    log = _logger(out)
    try:
        raise RuntimeError("login failed for pa55-word-of-1c")
    except RuntimeError:
        log.exception("connecting with password pa55-word-of-1c")
    text = out.getvalue()
    assert "pa55-word-of-1c" not in text
    record = json.loads(text)
    assert "RuntimeError: login failed for ***" in record["exception"]


def test_run_id_is_attached_inside_run_context_only() -> None:
    out = io.StringIO()
    log = _logger(out)
    with run_context(42):
        log.info("inside")
    log.info("outside")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["run_id"] == "42"
    assert "run_id" not in second


def test_console_format_names_the_run() -> None:
    out = io.StringIO()
    log = _logger(out, "console")
    with run_context("job:labour"):
        log.info("token=abcdef123 used")
    assert "[run job:labour]" in out.getvalue()
    assert "token=***" in out.getvalue()


def test_configure_logging_routes_uvicorn_through_the_redacting_handler() -> None:
    out = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("json", secrets=["admin-token-xyz"], stream=out)
        logging.getLogger("uvicorn.error").warning("started with admin-token-xyz")
        assert "admin-token-xyz" not in out.getvalue()
        assert json.loads(out.getvalue())["logger"] == "uvicorn.error"
    finally:
        root.handlers, root.level = saved[0], saved[1]
