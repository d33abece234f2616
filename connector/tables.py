"""Tables for people in a terminal: human titles (Russian by default, English on request), hours
in the locale, overruns marked in text as well as colour, and a table that fits the width.

Pure: rows and column definitions in, lines of text out. Columns that do not fit are dropped in
their stated order (the note under the table says which, and how to see them); a text column is
shortened with an ellipsis down to a readable minimum, never wrapped.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["text", "hours", "percent", "number", "state"]
Lang = Literal["ru", "en"]
MIN_WIDTH = 8
COMFORTABLE = 16
GAP = "  "
RED, AMBER, RESET = "\x1b[31m", "\x1b[33m", "\x1b[0m"
MARKS = {"alert": "▲", "warn": "△"}
STATES = {
    "ru": {
        "alert": "перерасход",
        "warn": "близко к плану",
        "none": "в плане",
        "at_risk": "под угрозой",
        "on_track": "идёт по плану",
        "no_plan": "нет плана",
        "no_progress": "нет данных о ходе",
    },
    "en": {
        "alert": "overrun",
        "warn": "near plan",
        "none": "within plan",
        "at_risk": "at risk",
        "on_track": "on track",
        "no_plan": "no plan",
        "no_progress": "no progress signal",
    },
}


@dataclass(frozen=True)
class Column:
    """One column: the row key it shows, its titles, how its values read, and when it goes.

    ``drop``: 0 never dropped; otherwise the higher, the earlier it goes when space is short.
    ``total``: summed into the totals line (hours and numbers)."""

    key: str
    ru: str
    en: str
    kind: Kind = "text"
    drop: int = 0
    total: bool = False
    max_width: int = 40
    keep: bool = False  # a code: never shortened (the one thing a person copies from the table)
    digits: int = 1

    def title(self, lang: Lang) -> str:
        return self.ru if lang == "ru" else self.en


def number(value: float, lang: Lang, digits: int = 1) -> str:
    """``12.5`` → ``12,5`` (ru) or ``12.5`` (en); thousands with a thin space / comma."""
    text = f"{value:,.{digits}f}"
    if lang == "ru":
        return text.replace(",", "\u202f").replace(".", ",")
    return text


def cell(column: Column, row: Mapping[str, Any], lang: Lang, state_key: str | None) -> str:
    value = row.get(column.key)
    if value is None or value == "":
        return ""
    if column.kind == "hours" or column.kind == "number":
        return number(float(value), lang, column.digits)
    if column.kind == "percent":
        mark = MARKS.get(str(row.get(state_key) or "")) if state_key else None
        text = f"{float(value):.0f} %"
        return f"{mark} {text}" if mark else text
    if column.kind == "state":
        return STATES[lang].get(str(value), str(value))
    return " ".join(str(value).split())


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


@dataclass(frozen=True)
class Rendered:
    lines: list[str]
    dropped: list[str]


def render(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    width: int,
    lang: Lang = "ru",
    colour: bool = False,
    state_key: str | None = None,
    title: str = "",
    in_total: Callable[[Mapping[str, Any]], bool] | None = None,
) -> Rendered:
    """The table as lines no longer than ``width``; ``state_key`` names the row field whose
    ``alert``/``warn`` colours the row (red/amber) and marks its percentages."""
    cells = [[cell(c, r, lang, state_key) for c in columns] for r in rows]
    totals = _totals([r for r in rows if in_total is None or in_total(r)], columns, lang)
    shown = list(range(len(columns)))
    every = cells + ([totals] if totals else [])
    widths = [_natural(columns[i], [row[i] for row in every], lang) for i in shown]

    def used() -> int:
        return sum(widths[i] for i in shown) + len(GAP) * (len(shown) - 1)

    def shrink(floor: int) -> None:
        """Shorten text columns, widest first, down to ``floor`` until the table fits."""
        for i in sorted(shown, key=lambda i: -widths[i]):
            if used() <= width:
                return
            if columns[i].kind == "text" and not columns[i].keep and widths[i] > floor:
                widths[i] = max(floor, widths[i] - (used() - width))

    # Texts first give up what they have beyond a comfortable width, then optional columns go
    # in their order, then texts shorten down to the readable minimum.
    shrink(COMFORTABLE)
    dropped: list[str] = []
    for i in sorted((i for i in shown if columns[i].drop), key=lambda i: -columns[i].drop):
        if used() <= width:
            break
        shown.remove(i)
        dropped.append(columns[i].title(lang))
    shrink(MIN_WIDTH)

    def line(values: list[str], paint: str = "") -> str:
        parts = []
        for i in shown:
            text = shorten(values[i], widths[i])
            right = columns[i].kind in ("hours", "number", "percent")
            parts.append(text.rjust(widths[i]) if right else text.ljust(widths[i]))
        out = GAP.join(parts).rstrip()
        return f"{paint}{out}{RESET}" if paint and colour else out

    out = [title] if title else []
    out.append(line([c.title(lang) for c in columns]))
    out.append("─" * min(width, used()))
    for row, values in zip(rows, cells, strict=True):
        state = str(row.get(state_key) or "") if state_key else ""
        out.append(line(values, {"alert": RED, "warn": AMBER}.get(state, "")))
    if totals:
        out.append("─" * min(width, used()))
        out.append(line(totals))
    if dropped:
        note = (
            f"скрыты столбцы: {', '.join(dropped)} — расширьте терминал или --format csv"
            if lang == "ru"
            else f"columns left out: {', '.join(dropped)} — widen the terminal or use --format csv"
        )
        out += textwrap.wrap(note, width)
    return Rendered(out, dropped)


def _natural(column: Column, values: list[str], lang: Lang) -> int:
    longest = max([len(v) for v in values] + [len(column.title(lang))])
    return min(longest, max(column.max_width, len(column.title(lang))))


def _totals(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], lang: Lang) -> list[str] | None:
    if not rows or not any(c.total for c in columns):
        return None
    values: list[str] = []
    labelled = False
    for c in columns:
        if c.total:
            values.append(number(sum(float(r.get(c.key) or 0) for r in rows), lang, c.digits))
        elif not labelled and c.kind == "text":
            values.append("Итого" if lang == "ru" else "Total")
            labelled = True
        else:
            values.append("")
    return values


# -- the reports' columns -------------------------------------------------------------------------

REPORT_COLUMNS: dict[str, list[Column]] = {
    "plan-fact": [
        Column("task_code", "Код", "Code", keep=True),
        Column("title", "Задача", "Task", max_width=48),
        Column("planned_hours", "План, ч", "Plan h", "hours", total=True),
        Column("actual_hours", "Факт, ч", "Actual h", "hours", total=True),
        Column("percent", "%", "%", "percent"),
        Column("overrun", "Состояние", "State", "state", drop=1),
        Column("employee", "Сотрудник", "Employee", drop=3, max_width=30),
        Column("project", "Проект", "Project", drop=4, max_width=24),
        Column("mapping", "Раздел", "Mapping", drop=5),
        Column("level", "Уровень", "Level", drop=6),
    ],
    "timesheet": [
        Column("employee", "Сотрудник", "Employee", max_width=32),
        Column("period_start", "Период с", "From"),
        Column("project", "Проект", "Project", drop=2, max_width=30),
        Column("hours", "Часы", "Hours", "hours", total=True),
        Column("billable_hours", "Оплачиваемые, ч", "Billable h", "hours", drop=1, total=True),
        Column("period", "Шаг", "Step", drop=3),
        Column("email", "Почта", "E-mail", drop=4, max_width=30),
    ],
    "output": [
        Column("employee", "Сотрудник", "Employee", max_width=32),
        Column("date", "Дата", "Date"),
        Column("customer", "Клиент", "Customer", drop=3, max_width=36),
        Column("hours", "Часы", "Hours", "hours", total=True),
        Column("billable_hours", "Оплачиваемые, ч", "Billable h", "hours", total=True),
        Column("money", "Сумма", "Amount", "number", drop=1, total=True),
        Column("email", "Почта", "E-mail", drop=4, max_width=30),
    ],
    "billing": [
        Column("customer", "Клиент", "Customer", max_width=30),
        Column("task_code", "Код", "Code", keep=True),
        Column("date", "Дата", "Date"),
        Column("employee", "Сотрудник", "Employee", max_width=30),
        Column("hours", "Часы", "Hours", "hours", total=True),
        Column("rate", "Ставка", "Rate", "number", drop=2, digits=2),
        Column("amount", "Сумма", "Amount", "number", total=True, digits=2),
        Column("after_billing", "После счёта за", "After billing of", drop=2),
        Column("work_type", "Вид работ", "Work type", drop=3, max_width=24),
        Column("title", "Задача", "Task", drop=4, max_width=40),
        Column("evidence_url", "Доказательства", "Evidence", drop=5, max_width=40),
    ],
    "early-warning": [
        Column("task_code", "Код", "Code", keep=True),
        Column("title", "Задача", "Task", max_width=40),
        Column("planned_hours", "План, ч", "Plan h", "hours"),
        Column("burn_percent", "Израсходовано", "Burnt", "percent"),
        Column("progress_percent", "Выполнено", "Done", "percent", drop=2),
        Column("projected_hours", "Прогноз, ч", "Projected h", "hours", drop=1),
        Column("verdict", "Оценка", "Verdict", "state", drop=3),
        Column("reason", "Почему", "Why", drop=4, max_width=40),
    ],
    "estimates": [
        Column("stage", "Этап", "Stage", max_width=40),
        Column("samples", "Выборка", "Samples", "number", digits=0),
        Column("suggested_hours", "Предложение, ч", "Suggested h", "hours"),
        Column("median_hours", "Медиана, ч", "Median h", "hours", drop=3),
        Column("p80_hours", "80-й перц., ч", "p80 h", "hours", drop=2),
        Column("overrun_ratio", "Факт/план", "Actual/plan", "number", drop=1, digits=2),
        Column("note", "Примечание", "Note", drop=4, max_width=50),
    ],
    "sales": [
        Column("employee", "Менеджер", "Manager", max_width=32),
        Column("month", "Месяц", "Month"),
        Column("category", "Вид работ", "Category", max_width=30),
        Column("hours", "Часы", "Hours", "hours", total=True),
        Column("share_percent", "Доля, %", "Share %", "number"),
        Column("email", "Почта", "E-mail", drop=2, max_width=30),
    ],
}


def hours_rows(name: str, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows as the table shows them: timesheet billable minutes as hours; plan-fact task titles
    without the code the code column already shows."""
    out: list[dict[str, Any]] = []
    for row in rows:
        shown = dict(row)
        if "billable_minutes" in shown and "billable_hours" not in shown:
            shown["billable_hours"] = round((shown["billable_minutes"] or 0) / 60, 2)
        if name in ("plan-fact", "early-warning") and isinstance(shown.get("title"), str):
            shown["title"] = without_code(shown["title"], str(shown.get("task_code") or ""))
        if name == "early-warning":  # at risk is a warning: amber, before the red of an overrun
            shown["risk"] = "warn" if shown.get("verdict") == "at_risk" else None
        out.append(shown)
    return out


def without_code(title: str, code: str) -> str:
    """The title without a leading ``[code]`` that names (part of) the task's code."""
    text = title.strip()
    if text.startswith("["):
        closing = text.find("]")
        if closing > 0 and text[1:closing] and text[1:closing] in code:
            return text[closing + 1 :].strip()
    return text
