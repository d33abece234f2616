"""What every console page shares: templates, the signed-in guard, language, cells and filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from connector.api.console import session as sessions
from connector.api.console.locale import Lang, word
from connector.api.console.session import ConsoleSession
from connector.runtime import Runtime

TEMPLATES = Environment(
    loader=PackageLoader("connector.api.console", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
LANG_COOKIE = "onec_bridge_lang"
READING = [
    ("plan_fact", "/ui/plan-fact"),
    ("timesheet", "/ui/timesheet"),
    ("output", "/ui/output"),
    ("sales", "/ui/sales"),
    ("early_warning", "/ui/early-warning"),
    ("billing", "/ui/billing"),
]
OPERATING = [
    ("runs", "/ui/runs"),
    ("failures", "/ui/failures"),
    ("unmatched", "/ui/unmatched"),
    ("links", "/ui/links"),
    ("mappings", "/ui/mappings"),
    ("resync", "/ui/resync"),
]


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None


@dataclass(frozen=True)
class Row:
    cells: list[Cell]
    cls: str = ""


@dataclass(frozen=True)
class Col:
    title: str
    num: bool = False


@dataclass
class Filter:
    name: str
    label: str
    type: str = "text"
    value: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)


def cols(lang: Lang, *keys: str) -> list[Col]:
    """Columns titled in ``lang``; a key ending in ``#`` is a number (right-aligned)."""
    return [Col(word(k.rstrip("#"), lang), k.endswith("#")) for k in keys]


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def lang_of(request: Request) -> Lang:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "ru"
    return "en" if asked == "en" else "ru"


def render(
    request: Request,
    template: str,
    *,
    session: ConsoleSession | None,
    heading: str,
    current: str = "",
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = lang_of(request)
    nav = ([("overview", "/ui/")] + READING + OPERATING) if session and session.operator else READING
    other = "en" if lang == "ru" else "ru"
    params = {k: v for k, v in request.query_params.items() if k != "lang"} | {"lang": other}
    html = TEMPLATES.get_template(template).render(
        lang=lang,
        w=lambda key: word(key, lang),
        session=session,
        heading=heading,
        current=current,
        nav=nav,
        other_lang=other,
        other_lang_query=urlencode(params),
        errors=context.pop("errors", {}),
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in ("ru", "en"):
        response.set_cookie(LANG_COOKIE, lang, httponly=True, samesite="strict", max_age=365 * 86400)
    response.headers["Cache-Control"] = "no-store"
    return response


def guard(request: Request, *, operator: bool = False) -> ConsoleSession | Response:
    """The signed-in session, or where to go instead: sign-in (then back here) or 403."""
    found = sessions.read(runtime_of(request).settings, request.cookies.get(sessions.COOKIE))
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/ui/login?next={quote(target, safe='')}", status_code=303)
    if operator and not found.operator:
        lang = lang_of(request)
        return render(request, "base.html", session=found, heading=word("forbidden", lang), status=403)
    return found


def page_of(request: Request) -> int:
    """The ``page`` query parameter (1 when absent or not a positive number)."""
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


def pager(request: Request, total: int, per_page: int) -> dict[str, Any] | None:
    """Links to the neighbouring pages of a list of ``total`` items, None when one page holds it."""
    if total <= per_page:
        return None
    page = page_of(request)
    base = {k: v for k, v in request.query_params.items() if k != "page"}
    return {
        "page": page,
        "prev": f"?{urlencode(base | {'page': page - 1})}" if page > 1 else None,
        "next": f"?{urlencode(base | {'page': page + 1})}" if page * per_page < total else None,
    }


async def form_of(request: Request) -> dict[str, str]:
    """The urlencoded form of a POST (first value of each field)."""
    body = (await request.body()).decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


async def posted(request: Request) -> tuple[ConsoleSession, dict[str, str]] | Response:
    """An operator's POST: the session and the form, or the answer instead (sign-in, 403 for a
    viewer, 403 for a form without this session's CSRF token)."""
    who = guard(request, operator=True)
    if isinstance(who, Response):
        return who
    form = await form_of(request)
    if sessions.csrf_ok(who, form.get("csrf")):
        return who, form
    text = (
        "Форма устарела или подделана (нет CSRF-токена). Обновите страницу."
        if lang_of(request) == "ru"
        else "The form is stale or forged (no CSRF token). Reload the page."
    )
    return render(request, "base.html", session=who, heading=text, status=403)


def parse_day(value: str | None, name: str, errors: dict[str, str], lang: Lang) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = (
            f"«{value}» — не дата; нужен формат ГГГГ-ММ-ДД"
            if lang == "ru"
            else f"{value!r} is not a date; use YYYY-MM-DD"
        )
        return None


def window(request: Request, errors: dict[str, str], lang: Lang) -> tuple[date | None, date | None]:
    """``from``/``to`` of the query; a reversed pair is an error beside ``to``."""
    first = parse_day(request.query_params.get("from"), "from", errors, lang)
    last = parse_day(request.query_params.get("to"), "to", errors, lang)
    if first and last and first > last:
        errors["to"] = (
            f"«по» ({last:%d.%m.%Y}) раньше, чем «с» ({first:%d.%m.%Y})"
            if lang == "ru"
            else f"'to' ({last}) is before 'from' ({first})"
        )
    return first, last


def date_filters(request: Request, lang: Lang) -> list[Filter]:
    q = request.query_params
    return [
        Filter("from", word("from", lang), "date", q.get("from")),
        Filter("to", word("to", lang), "date", q.get("to")),
    ]
