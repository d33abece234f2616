"""The console's words and numbers in Russian (default) or English: ``12,5 ч``, ``03.12.2026``."""

from __future__ import annotations

from datetime import date
from typing import Literal

Lang = Literal["ru", "en"]

WORDS: dict[str, tuple[str, str]] = {
    "title": ("onec-bridge: консоль", "onec-bridge console"),
    "overview": ("Обзор", "Overview"),
    "plan_fact": ("План-факт", "Plan vs fact"),
    "timesheet": ("Табель", "Timesheet"),
    "output": ("Выработка", "Output"),
    "sales": ("Структура времени продаж", "Sales time structure"),
    "early_warning": ("Раннее предупреждение", "Early warning"),
    "billing": ("Счета", "Billing"),
    "runs": ("Запуски", "Runs"),
    "failures": ("Ошибки", "Failures"),
    "unmatched": ("Несопоставленные сотрудники", "Unmatched employees"),
    "links": ("Связи", "Links"),
    "mappings": ("Сопоставления", "Mappings"),
    "resync": ("Пересинхронизация", "Resync"),
    "sign_in": ("Вход", "Sign in"),
    "sign_out": ("Выйти", "Sign out"),
    "token": ("Токен доступа", "Access token"),
    "from": ("С", "From"),
    "to": ("По", "To"),
    "department": ("Отдел", "Department"),
    "responsible": ("Ответственный", "Responsible"),
    "customer": ("Клиент", "Customer"),
    "show": ("Показать", "Show"),
    "download_csv": ("Скачать CSV", "Download CSV"),
    "code": ("Код", "Code"),
    "task": ("Задача", "Task"),
    "employee": ("Сотрудник", "Employee"),
    "plan_h": ("План, ч", "Plan, h"),
    "fact_h": ("Факт, ч", "Fact, h"),
    "percent": ("%", "%"),
    "state": ("Состояние", "State"),
    "hours": ("Часы", "Hours"),
    "billable_h": ("Оплачиваемые, ч", "Billable, h"),
    "amount": ("Сумма", "Amount"),
    "date": ("Дата", "Date"),
    "evidence": ("Доказательства", "Evidence"),
    "screenshots": ("скриншоты", "screenshots"),
    "total": ("Итого", "Total"),
    "week": ("Неделя", "Week"),
    "month": ("Месяц", "Month"),
    "manager": ("Менеджер", "Manager"),
    "retry": ("Повторить", "Retry"),
    "retry_parked": ("Повторить все отложенные", "Retry all parked"),
    "confirm_retry_parked": ("Повторить все отложенные элементы?", "Retry every parked item?"),
    "reason": ("Причина", "Reason"),
    "attempts": ("Попыток", "Attempts"),
    "parked": ("Отложено", "Parked"),
    "kind": ("Вид", "Kind"),
    "status": ("Статус", "Status"),
    "started": ("Начат", "Started"),
    "finished": ("Завершён", "Finished"),
    "counters": ("Счётчики", "Counters"),
    "items": ("Элементы", "Items"),
    "outcome": ("Исход", "Outcome"),
    "find": ("Найти", "Find"),
    "search": ("Код задачи или ссылка 1С", "Task code or 1C ref"),
    "mapping": ("Сопоставление", "Mapping"),
    "refs": ("Ссылки 1С (по одной в строке)", "1C refs (one per line)"),
    "queue": ("Поставить в очередь", "Queue"),
    "online_check": ("Проверить по базе 1С", "Check against the 1C base"),
    "reachable": ("доступен", "reachable"),
    "unreachable": ("недоступен", "unreachable"),
    "store": ("Хранилище", "Store"),
    "onec": ("1С", "1C"),
    "tracker": ("Трекер", "Tracker"),
    "last_runs": ("Последние запуски", "Last runs"),
    "outbox": ("Очередь в 1С", "Outbox to 1C"),
    "webhook_lag": ("Задержка уведомлений 1С", "1C webhook lag"),
    "depth": ("в очереди", "queued"),
    "oldest": ("старейший, с", "oldest, s"),
    "none": ("нет", "none"),
    "overrun": ("▲ перерасход", "▲ overrun"),
    "warn": ("△ близко к плану", "△ near plan"),
    "at_risk": ("◆ под угрозой", "◆ at risk"),
    "ok": ("в норме", "on track"),
    "forbidden": ("Эта страница — только для оператора.", "This page is for operators only."),
    "verdict": ("Оценка", "Verdict"),
    "burn": ("Израсходовано", "Burnt"),
    "progress": ("Выполнено", "Done"),
    "projected_h": ("Прогноз, ч", "Projected, h"),
    "after_billing": ("После счёта за", "After billing of"),
    "nothing": ("Нет данных за выбранный период.", "Nothing for the chosen period."),
    "side": ("Сторона", "Side"),
    "email": ("Почта", "E-mail"),
    "name": ("Имя", "Name"),
    "file": ("Файл", "File"),
    "problems": ("Замечания", "Problems"),
    "valid": ("в порядке", "valid"),
    "queued": ("Поставлено в очередь", "Queued"),
    "page": ("Страница", "Page"),
    "next": ("Дальше", "Next"),
    "prev": ("Назад", "Back"),
    "category": ("Категория", "Category"),
}

DEPARTMENTS: dict[str, tuple[str, str]] = {
    "service": ("Сервисный отдел", "Service"),
    "project": ("Проектный отдел", "Projects"),
    "sales": ("Отдел продаж", "Sales"),
}


def word(key: str, lang: Lang) -> str:
    ru, en = WORDS.get(key, (key, key))
    return ru if lang == "ru" else en


def number(value: float | int | None, lang: Lang, digits: int = 1) -> str:
    """``1 234,5`` in Russian, ``1,234.5`` in English; empty for None."""
    if value is None:
        return ""
    text = f"{value:,.{digits}f}"
    if lang == "ru":
        text = text.replace(",", " ").replace(".", ",")
    return text


def hours(minutes: int | float | None, lang: Lang) -> str:
    """Minutes as hours with the unit: ``12,5 ч`` / ``12.5 h``."""
    if minutes is None:
        return ""
    return f"{number(minutes / 60, lang)} {'ч' if lang == 'ru' else 'h'}"


def day(value: date | str | None, lang: Lang) -> str:
    """``03.12.2026`` in Russian, ISO in English."""
    if value is None or value == "":
        return ""
    d = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return d.strftime("%d.%m.%Y") if lang == "ru" else d.isoformat()
