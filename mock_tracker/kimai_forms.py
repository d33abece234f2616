"""Kimai's form submission in the mock: field checks with Symfony's messages, and the
``{"code":400,"message":"Validation Failed","errors":{…}}`` body Kimai answers.

Kimai's API submits JSON into Symfony forms: a field that is not part of the form is a global
error ("This form should not contain extra fields."), every field of the form shows up under
``errors.children`` (``{}`` when fine, ``{"errors": [...]}`` when not).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from fastapi.responses import JSONResponse

from mock_tracker.errors import ApiReply

BLANK = "This value should not be blank."
NULL = "This value should not be null."
INVALID = "This value is not valid."
EXTRA = "This form should not contain extra fields."
USED = "This value is already used."
MAX_TIME_BUDGET = 2145600000

_DURATION = re.compile(
    r"^(?:(?P<dec>\d+(?:[.,]\d+)?)|(?P<h>\d+):(?P<m>\d+)(?::(?P<s>\d+))?"
    r"|(?=\d+[hHmMsS])(?:(?P<nh>\d+)[hH])?(?:(?P<nm>\d+)[mM])?(?:(?P<ns>\d+)[sS])?)$"
)


def too_long(limit: int) -> str:
    return f"This value is too long. It should have {limit} characters or less."


def too_short(limit: int) -> str:
    return f"This value is too short. It should have {limit} characters or more."


def validation_failed(
    fields: Sequence[str], errors: Mapping[str, list[str]], global_errors: list[str]
) -> ApiReply:
    children: dict[str, Any] = {name: {} for name in fields}
    for name, messages in errors.items():
        children[name] = {"errors": messages}
    body: dict[str, Any] = {"children": children}
    if global_errors:
        body = {"errors": global_errors, **body}
    return ApiReply(
        JSONResponse({"code": 400, "message": "Validation Failed", "errors": body}, status_code=400)
    )


def parse_duration(value: Any) -> int | None:
    """Kimai's duration field: ``"1:30"``, ``"1:30:00"``, ``"1h30m"``, ``"90m"``, or a plain number
    meaning **hours** (``1.5`` = 5400 s); None when it is not one of those."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    if text == "":
        return 0
    found = _DURATION.match(text)
    if found is None:
        return None
    if found.group("dec") is not None:
        return round(float(found.group("dec").replace(",", ".")) * 3600)
    if found.group("h") is not None:
        return int(found.group("h")) * 3600 + int(found.group("m")) * 60 + int(found.group("s") or 0)
    parts = (found.group("nh"), found.group("nm"), found.group("ns"))
    return int(parts[0] or 0) * 3600 + int(parts[1] or 0) * 60 + int(parts[2] or 0)


class Form:
    """One submission: read fields with :meth:`text`, :meth:`boolean`…, then :meth:`check`."""

    def __init__(self, body: Any, fields: Sequence[str]) -> None:
        if not isinstance(body, dict):
            body = {}
        self.body: dict[str, Any] = body
        self.fields = list(fields)
        self.errors: dict[str, list[str]] = {}
        self.global_errors: list[str] = []
        if any(key not in self.fields for key in body):
            self.global_errors.append(EXTRA)

    def has(self, name: str) -> bool:
        return name in self.body

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def text(self, name: str, current: str | None = None) -> str | None:
        """The submitted text (trimmed, like Symfony's TextType), else ``current``."""
        if name not in self.body:
            return current
        value = self.body[name]
        if value is None:
            return None
        if isinstance(value, (dict, list)):
            self.fail(name, INVALID)
            return current
        if isinstance(value, bool):
            return "1" if value else ""
        return str(value).strip()

    def length(
        self, name: str, value: str | None, *, low: int = 0, high: int, required: bool = False
    ) -> None:
        if value is None or value == "":
            if required:
                self.fail(name, BLANK)
            return
        if len(value) > high:
            self.fail(name, too_long(high))
        elif len(value) < low:
            self.fail(name, too_short(low))

    def boolean(self, name: str, current: bool) -> bool:
        if name not in self.body:
            return current
        value = self.body[name]
        if value in (True, 1, "1", "true"):
            return True
        if value in (False, 0, "0", "false", None, ""):
            return False
        self.fail(name, INVALID)
        return current

    def ref(self, name: str, table: Mapping[int, Any], current: int | None) -> int | None:
        """An id chosen from ``table`` (Symfony entity field): unknown ids are "not valid"."""
        if name not in self.body:
            return current
        value = self.body[name]
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not str(value).isdigit() or int(value) not in table:
            self.fail(name, INVALID)
            return current
        return int(value)

    def refs(self, name: str, table: Mapping[int, Any], current: list[int]) -> list[int]:
        if name not in self.body:
            return current
        value = self.body[name]
        if not isinstance(value, list):
            value = [value] if value not in (None, "") else []
        ids = []
        for item in value:
            if isinstance(item, bool) or not str(item).isdigit() or int(item) not in table:
                self.fail(name, INVALID)
                return current
            ids.append(int(item))
        return list(dict.fromkeys(ids))

    def duration(self, name: str, current: int) -> int:
        if name not in self.body:
            return current
        seconds = parse_duration(self.body[name])
        if seconds is None:
            self.fail(name, INVALID)
            return current
        if not 0 <= seconds <= MAX_TIME_BUDGET:
            self.fail(name, f"This value should be between 0 and {MAX_TIME_BUDGET}.")
            return current
        return seconds

    def money(self, name: str, current: float) -> float:
        if name not in self.body:
            return current
        value = self.body[name]
        try:
            amount = float(str(value).replace(",", ".")) if value not in (None, "") else 0.0
        except ValueError:
            self.fail(name, INVALID)
            return current
        if not 0 <= amount <= 900000000000:
            self.fail(name, "This value should be between 0.0 and 900000000000.0.")
            return current
        return amount

    def day(self, name: str, current: str | None) -> str | None:
        """A date (``YYYY-MM-DD``; a datetime's date part is taken)."""
        if name not in self.body:
            return current
        value = self.body[name]
        if value in (None, ""):
            return None
        try:
            return date.fromisoformat(str(value)[:10]).isoformat()
        except ValueError:
            self.fail(name, INVALID)
            return current

    def choice(self, name: str, options: Sequence[str | None], current: str | None) -> str | None:
        if name not in self.body:
            return current
        value = self.body[name]
        if value == "":
            value = None
        if value not in options:
            self.fail(name, INVALID)
            return current
        return value if value is None else str(value)

    def check(self) -> None:
        if self.errors or self.global_errors:
            raise validation_failed(self.fields, self.errors, self.global_errors)
