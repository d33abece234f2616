"""Checks of written values the way 1C checks them: JSON body, property names, value types.

Shared by OData writes and the admin endpoints so a 1C user and an API client are held to the
same rules. Returns normalised values (padded codes, Int64 as strings); raises OneCError.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from mock_1c.errors import OneCError
from mock_1c.odata.urls import DATETIME_RE, GUID_RE
from mock_1c.schema import ENTITY_SETS, UNDEFINED_TYPE, EntitySet, Field

_READ_ONLY = {"Posted", "Predefined", "PredefinedDataName", "IsFolder"}
_IGNORED = {"DataVersion", "odata.metadata"}


class _Duplicate(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Duplicate(k)
        out[k] = v
    return out


def parse_body(raw: bytes) -> dict[str, Any]:
    """The JSON object of a write; not JSON → 2, duplicate property → 18."""
    try:
        body = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except _Duplicate as dup:
        raise OneCError("18", f"Свойство «{dup}» указано повторно.") from None
    except (UnicodeDecodeError, ValueError):
        raise OneCError("2", "Неверный формат запроса: тело не является JSON-объектом.") from None
    if not isinstance(body, dict):
        raise OneCError("2", "Неверный формат запроса: ожидается JSON-объект.")
    return body


def check_values(es: EntitySet, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validated, normalised values of ``body`` for ``es`` (unknown → 10, bad value → 4)."""
    props = es.json_properties()
    out: dict[str, Any] = {}
    for name, value in body.items():
        if name in _IGNORED or name.endswith("@navigationLinkUrl"):
            continue
        if name in es.tables:
            out[name] = _check_rows(es, name, value)
            continue
        f = props.get(name)
        if f is None:
            raise OneCError("10", f"Свойство «{name}» не найдено у «{es.name}».")
        if name in _READ_ONLY or (name == "Ref_Key" and not creating):
            raise OneCError("16", f"Свойству «{name}» нельзя присвоить значение.")
        out[name] = check_value(f, name, value)
    for f in es.all_fields():
        if f.kind == "composite" and (f.name in out) != (f.name + "_Type" in out):
            if f.name in out and out[f.name] == "":
                out[f.name + "_Type"] = UNDEFINED_TYPE
            else:
                raise OneCError(
                    "5", f"Для составного свойства «{f.name}» нужно указать и {f.name}, и {f.name}_Type."
                )
    return out


def check_value(f: Field, name: str, value: Any) -> Any:
    def bad() -> OneCError:
        return OneCError("4", f"Неверное значение свойства «{name}»: {json.dumps(value, ensure_ascii=False)}")

    kind = f.kind
    if name.endswith("_Type"):
        if not isinstance(value, str) or (
            value != UNDEFINED_TYPE
            and not (value.startswith("StandardODATA.") and value.split(".", 1)[1] in ENTITY_SETS)
        ):
            raise bad()
        return value
    if kind in ("string", "composite"):
        if not isinstance(value, str) or (kind == "composite" and value and not GUID_RE.match(value)):
            raise bad()
        return value.lower() if kind == "composite" else value
    if kind == "fixed":
        if not isinstance(value, str) or len(value.rstrip()) > f.length:
            raise bad()
        return value.rstrip().ljust(f.length)
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad()
        return value
    if kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad()
        return value
    if kind == "int64":
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and value.isdigit())
        ):
            raise bad()
        return str(value)
    if kind == "date":
        if not isinstance(value, str) or not DATETIME_RE.match(value):
            raise bad()
        if not value.startswith("0001-01-01"):
            try:
                datetime.strptime(value, "%Y-%m-%dT%H:%M:%S")
            except ValueError:
                raise bad() from None
        return value
    if kind in ("ref", "guid"):
        if not isinstance(value, str) or not GUID_RE.match(value):
            raise bad()
        return value.lower()
    if kind == "enum":
        if not isinstance(value, str) or (value and value not in f.members):
            raise bad()
        return value
    raise bad()


def _check_rows(es: EntitySet, table: str, rows: Any) -> list[dict[str, Any]]:
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise OneCError("4", f"Табличная часть «{table}» должна быть массивом строк.")
    fields: dict[str, Field] = {}
    for f in es.tables[table]:
        for n in f.json_names:
            fields[n] = f
    out = []
    seen: set[str] = set()
    for row in rows:
        if "LineNumber" not in row:
            raise OneCError(
                "5", f"Не указано обязательное свойство LineNumber строки табличной части «{table}»."
            )
        line = check_value(Field("LineNumber", "int64"), "LineNumber", row["LineNumber"])
        if line in seen or line == "0":
            raise OneCError("4", f"Неверный или повторяющийся LineNumber {line} в табличной части «{table}».")
        seen.add(line)
        values: dict[str, Any] = {"LineNumber": line}
        for name, value in row.items():
            if name in ("LineNumber", "Ref_Key") or name.endswith("@navigationLinkUrl"):
                continue
            field = fields.get(name)
            if field is None:
                raise OneCError("10", f"Свойство «{name}» не найдено в табличной части «{table}».")
            values[name] = check_value(field, name, value)
        for f in es.tables[table]:
            if f.kind == "composite" and f.name in values and f.name + "_Type" not in values:
                if values[f.name]:
                    raise OneCError("5", f"Для составного свойства «{f.name}» нужно указать {f.name}_Type.")
                values[f.name + "_Type"] = UNDEFINED_TYPE
        out.append(values)
    out.sort(key=lambda r: int(r["LineNumber"]))
    return out
