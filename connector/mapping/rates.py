"""The rates file beside the mappings (``rates.yaml``): hourly rates per work type, optionally
per customer, checked like the mappings (``file:line: field: message — fix``).

```yaml
currency: RUB
rates:
  - work_type: Консультация          # a work type the mappings name (description or GUID)
    rate: 2500
  - work_type: Консультация
    customer: ООО «Ромашка»          # this customer pays another rate for this work type
    rate: 3000
```
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from connector.mapping.errors import MappingError, MappingProblem
from connector.mapping.schema import Mapping
from connector.mapping.yamlpos import YamlSyntax, load_with_lines

RATES_FILE = "rates.yaml"


@dataclass(frozen=True)
class RateRow:
    work_type: str
    customer: str | None
    per_hour: Decimal
    line: int


@dataclass(frozen=True)
class RateFile:
    currency: str
    rows: tuple[RateRow, ...]

    def table(self) -> dict[tuple[str, str | None], Decimal]:
        return {(r.work_type, r.customer): r.per_hour for r in self.rows}


def work_type_refs(mappings: Iterable[Mapping]) -> list[object]:
    """The work types the mappings name (labour's and the static tasks'), as given there."""
    refs: list[object] = []
    for m in mappings:
        refs += [m.labour.work_type] if m.labour and m.labour.work_type else []
        refs += [t.work_type for t in m.static_tasks]
    return refs


def known_work_types(mappings: Iterable[Mapping]) -> set[str]:
    """Every work type the mappings name: descriptions and GUIDs of labour and static tasks."""
    names: set[str] = set()
    for ref in work_type_refs(mappings):
        names |= {v for v in (getattr(ref, "ref", None), getattr(ref, "description", None)) if v}
    return names


def parse_rates(text: str, path: str, work_types: Collection[str]) -> RateFile:
    """The rate rows of ``text``; ``MappingError`` lists every problem with its line."""
    try:
        data, lines = load_with_lines(text, path)
    except YamlSyntax as exc:
        raise MappingError([exc.problem]) from None
    problems: list[MappingProblem] = []

    def problem(loc: tuple[Any, ...], field: str, message: str, fix: str) -> None:
        line = lines.get(loc) or lines.get(loc[:-1]) or lines.get(()) or 0
        problems.append(MappingProblem(path, line, field, message, fix))

    if not isinstance(data, dict) or not isinstance(data.get("rates"), list):
        problem((), "rates", "missing or not a list", "write `rates:` with one item per work type")
        raise MappingError(problems)
    unknown_keys = set(data) - {"rates", "currency"}
    for key in sorted(unknown_keys):
        problem((key,), key, "unknown key", "only `currency` and `rates` belong here")
    currency = str(data.get("currency") or "RUB")
    rows: list[RateRow] = []
    seen: dict[tuple[str, str | None], int] = {}
    for i, item in enumerate(data["rates"]):
        loc = ("rates", i)
        if not isinstance(item, dict):
            problem(loc, f"rates[{i}]", "not a mapping", "give `work_type` and `rate`")
            continue
        for key in sorted(set(item) - {"work_type", "customer", "rate"}):
            problem((*loc, key), f"rates[{i}].{key}", "unknown key", "use work_type, customer and rate")
        work_type = str(item.get("work_type") or "").strip()
        if not work_type:
            problem(
                (*loc, "work_type"), f"rates[{i}].work_type", "missing", "name a work type of the mappings"
            )
            continue
        if work_type not in work_types:
            known = ", ".join(sorted(work_types)) or "none"
            problem(
                (*loc, "work_type"),
                f"rates[{i}].work_type",
                f"unknown work type {work_type!r}",
                f"use one the mappings name: {known}",
            )
            continue
        raw = item.get("rate")
        try:
            if isinstance(raw, bool) or raw is None:
                raise InvalidOperation
            rate = Decimal(str(raw))
        except InvalidOperation:
            problem(
                (*loc, "rate"),
                f"rates[{i}].rate",
                f"not a number: {raw!r}",
                "give the hourly rate, e.g. 2500",
            )
            continue
        if not rate.is_finite() or rate < 0:
            problem((*loc, "rate"), f"rates[{i}].rate", f"negative or not finite: {raw}", "a rate is ≥ 0")
            continue
        customer = str(item["customer"]).strip() if item.get("customer") not in (None, "") else None
        key = (work_type, customer)
        line = lines.get(loc, 0)
        if key in seen:
            whose = f" for {customer}" if customer else ""
            problem(
                loc,
                f"rates[{i}]",
                f"duplicate rate of {work_type}{whose} (first at line {seen[key]})",
                "keep one row per work type and customer",
            )
            continue
        seen[key] = line
        rows.append(RateRow(work_type, customer, rate, line))
    if problems:
        raise MappingError(problems)
    return RateFile(currency, tuple(rows))


def load_rates(directory: Path, mappings: Iterable[Mapping]) -> RateFile | None:
    """``rates.yaml`` in the mapping directory, or None when there is none."""
    path = directory / RATES_FILE
    if not path.is_file():
        return None
    return parse_rates(path.read_text("utf-8"), str(path), known_work_types(mappings))


def rates_table(directory: Path, mappings: Iterable[Mapping]) -> dict[tuple[str, str | None], Decimal]:
    """(work type, customer) → hourly rate from ``rates.yaml``; empty without the file (amounts
    are then left empty, hours still shown). ``MappingError`` for a bad file."""
    rates = load_rates(directory, mappings)
    return rates.table() if rates else {}
