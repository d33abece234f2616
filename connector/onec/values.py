"""Typed values from 1C's JSON: naive datetimes become aware, empty refs and dates become None.

1C writes datetimes without a zone (server-local time of the base), an empty reference as the
all-zero GUID, an empty date as ``0001-01-01T00:00:00``, and ``Edm.Int64`` values such as
``LineNumber`` as JSON strings. Callers get Python values and never see those conventions.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

EMPTY_REF = "00000000-0000-0000-0000-000000000000"
EMPTY_DATE = "0001-01-01T00:00:00"
INT64_FIELDS = frozenset({"LineNumber"})
UNDEFINED_TYPE = "StandardODATA.Undefined"


def _is_datetime_text(s: str) -> bool:
    return (
        len(s) == 19
        and s[4] == "-"
        and s[7] == "-"
        and s[10] == "T"
        and s[13] == ":"
        and s[16] == ":"
        and s[:4].isdigit()
        and s[11:13].isdigit()
    )


def parse_datetime(text: str, tz: tzinfo) -> datetime | None:
    """A 1C datetime text as an aware datetime in the base's zone ``tz``; the empty date → None."""
    if text == EMPTY_DATE:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def typed_entity(entity: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    """``entity`` (a freshly decoded JSON object, changed in place and returned) with 1C
    conventions turned into Python values, recursively for tabular sections and expanded
    objects; ``odata.metadata`` is dropped.

    A string is taken as a datetime only when it has exactly 1C's ``YYYY-MM-DDTHH:MM:SS`` shape;
    a free-text field holding such text would be converted too (rare; use $select to avoid).
    This runs for every object read, so it dispatches on the string length first and only
    assigns fields that change."""
    for key, value in entity.items():
        kind = type(value)
        if kind is str:
            size = len(value)
            if size == 36:
                if value == EMPTY_REF and key.endswith("_Key"):
                    entity[key] = None
            elif size == 19:
                if value[10] == "T" and _is_datetime_text(value):
                    entity[key] = (
                        None if value == EMPTY_DATE else datetime.fromisoformat(value).replace(tzinfo=tz)
                    )
            elif size == 0:
                if entity.get(key + "_Type") == UNDEFINED_TYPE:
                    entity[key] = None
            elif key in INT64_FIELDS:
                entity[key] = int(value)
        elif kind is list:
            for item in value:
                if type(item) is dict:
                    typed_entity(item, tz)
        elif kind is dict:
            typed_entity(value, tz)
    entity.pop("odata.metadata", None)
    return entity


def onec_value(value: Any, tz: tzinfo) -> Any:
    """A Python value as 1C's JSON expects it: aware datetimes as naive text in the base's zone,
    dates as midnight, UUIDs and Decimals as plain JSON."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        local = value.astimezone(tz).replace(tzinfo=None) if value.tzinfo else value
        return local.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00"
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return onec_payload(value, tz)
    if isinstance(value, list | tuple):
        return [onec_value(v, tz) for v in value]
    raise TypeError(f"cannot send a {type(value).__name__} to 1C")


def onec_payload(data: Mapping[str, Any], tz: tzinfo) -> dict[str, Any]:
    """A write body for 1C; a ``None`` reference (``X_Key``) becomes the empty reference."""
    return {
        k: (EMPTY_REF if v is None and k.endswith("_Key") else onec_value(v, tz)) for k, v in data.items()
    }
