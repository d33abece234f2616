"""Tables for people: widths, dropping order, locale numbers, marks and colours."""

from __future__ import annotations

from connector.tables import MIN_WIDTH, REPORT_COLUMNS, Column, hours_rows, number, render, without_code

COLUMNS = [
    Column("code", "Код", "Code", keep=True),
    Column("title", "Задача", "Task", max_width=60),
    Column("plan", "План, ч", "Plan h", "hours", total=True),
    Column("fact", "Факт, ч", "Actual h", "hours", total=True),
    Column("percent", "%", "%", "percent"),
    Column("state", "Состояние", "State", "state", drop=1),
    Column("employee", "Сотрудник", "Employee", drop=3, max_width=30),
    Column("mapping", "Раздел", "Mapping", drop=2),
]


def rows(n: int = 12) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i in range(n):
        state = "alert" if i % 6 == 0 else "warn" if i % 6 == 1 else "none"
        out.append(
            {
                "code": f"CRM-{i:06d}",
                "title": "Настройка обмена с банком и проверка выписок за прошлый квартал " * (1 + i % 2),
                "plan": 2.5 * (i + 1),
                "fact": 3.0 * (i + 1) if state == "alert" else 2.2 * (i + 1),
                "percent": 120.0 if state == "alert" else 88.0,
                "state": state,
                "employee": "Константинопольская Александра Владимировна",
                "mapping": "service",
            }
        )
    return out


def test_locale_numbers() -> None:
    assert number(12.5, "ru") == "12,5"
    assert number(1234.5, "ru") == "1\u202f234,5"
    assert number(1234.5, "en") == "1,234.5"


def test_the_table_fits_every_width_and_no_text_is_squeezed_below_the_minimum() -> None:
    for width in (80, 120, 200):
        table = render(rows(), COLUMNS, width=width, state_key="state")
        assert all(len(line) <= width for line in table.lines), width
        body = table.lines[2:14]
        for line in body:
            code, rest = line.split("  ", 1)
            assert code.startswith("CRM-") and "…" not in code  # codes are never cut
            title = rest.lstrip().split("  ")[0]
            assert len(title) >= MIN_WIDTH


def test_columns_are_dropped_in_their_order_and_the_note_says_which() -> None:
    narrow = render(rows(), COLUMNS, width=80, state_key="state")
    assert narrow.dropped[0] == "Сотрудник" and "Сотрудник" not in narrow.lines[0]
    assert "скрыты столбцы: " + ", ".join(narrow.dropped) in " ".join(narrow.lines[-2:])
    assert "--format csv" in " ".join(narrow.lines[-2:])
    wide = render(rows(), COLUMNS, width=250, state_key="state")
    assert wide.dropped == [] and "Сотрудник" in wide.lines[0]


def test_overruns_are_marked_in_text_and_coloured_only_on_a_colour_terminal() -> None:
    plain = render(rows(6), COLUMNS, width=200, state_key="state")
    assert "▲ 120 %" in plain.lines[2] and "перерасход" in plain.lines[2]
    assert "△ 88 %" in plain.lines[3] and "\x1b[" not in "".join(plain.lines)
    painted = render(rows(6), COLUMNS, width=200, state_key="state", colour=True)
    assert painted.lines[2].startswith("\x1b[31m") and painted.lines[3].startswith("\x1b[33m")
    assert "\x1b[" not in painted.lines[4]


def test_english_titles_and_totals() -> None:
    data = rows(3)
    table = render(data, COLUMNS, width=200, lang="en", state_key="state")
    assert table.lines[0].split()[:3] == ["Code", "Task", "Plan"]
    assert table.lines[-1].startswith("Total")
    assert number(sum(float(r["plan"]) for r in data), "en") in table.lines[-1]  # type: ignore[arg-type]


def test_totals_count_only_the_rows_asked_for() -> None:
    data = rows(3)
    table = render(data, COLUMNS, width=200, in_total=lambda r: r["code"] != "CRM-000000")
    assert table.lines[-1].split()[1] == number(2.5 * 2 + 2.5 * 3, "ru")


def test_report_rows_drop_the_repeated_code_and_show_hours() -> None:
    assert without_code("[CRM-000512] Не формируется счёт", "SRV-CRM-000512") == "Не формируется счёт"
    assert without_code("[X] title", "SRV-1") == "[X] title"
    shown = hours_rows(
        "plan-fact", [{"task_code": "SRV-CRM-1", "title": "[CRM-1] Тема", "billable_minutes": 90}]
    )
    assert shown[0]["title"] == "Тема" and shown[0]["billable_hours"] == 1.5
    for columns in REPORT_COLUMNS.values():  # tables show hours, never minutes
        assert not any("minutes" in c.key for c in columns)
