"""Which ``$filter`` literal fits which EDM property type, as 1C checks it when it parses a query.

1C refuses ``Date eq 'вчера'`` or ``Posted eq guid'…'`` before running anything (code 14), rather
than answering an empty result: the literal's type must fit the property's type. ``null`` fits
every type.
"""

from __future__ import annotations

from typing import Any

NUMERIC_TYPES = ("Edm.Double", "Edm.Decimal", "Edm.Single", "Edm.Int64", "Edm.Int32", "Edm.Int16", "Edm.Byte")

# EDM type -> (the literal kind it accepts, how the message names that literal)
_EXPECTED: dict[str, tuple[str, str]] = {
    "Edm.DateTime": ("datetime", "литерал datetime'ГГГГ-ММ-ДДTЧЧ:ММ:СС'"),
    "Edm.Boolean": ("bool", "true или false"),
    "Edm.String": ("str", "строковый литерал в кавычках '…'"),
    "Edm.Guid": ("guid", "литерал guid'…'"),
    **{t: ("num", "число") for t in NUMERIC_TYPES},
}
LITERAL_KINDS = frozenset({"str", "guid", "datetime", "num", "bool"})


def _shown(kind: str, value: Any) -> str:
    if kind == "str":
        return "строковый литерал '" + str(value).replace("'", "''") + "'"
    if kind == "guid":
        return f"литерал guid'{value}'"
    if kind == "datetime":
        return f"литерал datetime'{value}'"
    if kind == "bool":
        return "логический литерал " + ("true" if value else "false")
    return f"число {value}"


def literal_mismatch(prop: str, edm_type: str | None, kind: str, value: Any) -> str | None:
    """Why a literal of ``kind`` cannot be compared with ``prop`` of ``edm_type``; None when it can
    (also for ``null``, for non-literals and for types this table does not know)."""
    expected = _EXPECTED.get(edm_type) if edm_type is not None else None
    if expected is None or kind not in LITERAL_KINDS or kind == expected[0]:
        return None
    return (
        f"несовместимые типы: свойство «{prop}» имеет тип {edm_type}, ожидается {expected[1]} "
        f"или null, а передан {_shown(kind, value)}"
    )
