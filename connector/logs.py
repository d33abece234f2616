"""Logging of the service: JSON lines (or a console format in a TTY), run ids, and redaction.

Every handler installed here carries a ``RedactionFilter`` that masks URL passwords, secret
query parameters (``apikey=``), Basic/Bearer credentials and the configured secret values in
the message *and* in the formatted traceback, so no code path can leak a token into a log
(pitfall 19). A run id set with ``run_context`` appears on every record logged inside it.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, Literal

from connector.http.redaction import RedactingFilter, redact_text

_run_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("onec_bridge_run_id", default=None)
_secrets: list[str] = []

LogFormat = Literal["auto", "json", "console"]


@contextlib.contextmanager
def run_context(run_id: str | int | None) -> Iterator[None]:
    """Tag every record logged inside the block with ``run_id``."""
    token = _run_id.set(None if run_id is None else str(run_id))
    try:
        yield
    finally:
        _run_id.reset(token)


def current_run_id() -> str | None:
    return _run_id.get()


def register_secrets(values: Iterable[str]) -> None:
    """Secret values (tokens, passwords) to mask wherever they appear in a log line."""
    for value in values:
        if value and len(value) >= 3 and value not in _secrets:
            _secrets.append(value)
    _secrets.sort(key=len, reverse=True)


def redact(text: str) -> str:
    """``text`` with credentials in URLs/headers and every registered secret masked."""
    return redact_text(text, _secrets)


class RedactionFilter(RedactingFilter):
    """Masks registered secrets in a record's message and exception text; adds ``run_id``."""

    def __init__(self) -> None:
        super().__init__(lambda: _secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        super().filter(record)
        if not hasattr(record, "run_id"):
            record.run_id = _run_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, run_id, exception, extras."""

    _STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "run_id", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        run_id = getattr(record, "run_id", None)
        if run_id:
            data["run_id"] = run_id
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_"):
                data[key] = (
                    value if isinstance(value, int | float | bool | type(None)) else redact(str(value))
                )
        if record.exc_text:
            data["exception"] = record.exc_text
        return json.dumps(data, ensure_ascii=False)


class ConsoleFormatter(logging.Formatter):
    """Human-readable lines for an operator at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        run_id = getattr(record, "run_id", None)
        run = f" [run {run_id}]" if run_id else ""
        line = f"{stamp} {record.levelname:<7} {record.name}{run}: {record.getMessage()}"
        if record.exc_text:
            line += "\n" + record.exc_text
        return line


def make_handler(stream: Any = None, fmt: LogFormat = "auto") -> logging.Handler:
    """A stream handler with the chosen format and the redaction filter attached."""
    stream = stream or sys.stderr
    if fmt == "auto":
        fmt = "console" if getattr(stream, "isatty", lambda: False)() else "json"
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else ConsoleFormatter())
    handler.addFilter(RedactionFilter())
    return handler


def configure_logging(
    fmt: LogFormat = "auto", level: int | str = logging.INFO, secrets: Iterable[str] = (), stream: Any = None
) -> logging.Handler:
    """Route the root logger (and uvicorn's, apscheduler's) through one redacting handler."""
    register_secrets(secrets)
    handler = make_handler(stream, fmt)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "apscheduler", "urllib3", "httpx", "zeep"):
        lg = logging.getLogger(name)
        for old in list(lg.handlers):
            lg.removeHandler(old)
        lg.propagate = True
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.INFO)
    return handler
