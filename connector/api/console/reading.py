"""The managers' pages: plan-fact (with drill-down and CSV), timesheet, output, sales structure,
early warning and billing — for operators and viewers alike."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy import select

from connector.api.console.locale import DEPARTMENTS, Lang, day, hours, number, word
from connector.api.console.svg import Bar, stacked_bars
from connector.api.console.views import (
    Cell,
    Col,
    Filter,
    Row,
    cols,
    date_filters,
    guard,
    lang_of,
    page_of,
    pager,
    parse_day,
    render,
    runtime_of,
    window,
)
from connector.mapping import MappingError
from connector.mapping.rates import rates_table
from connector.reports import (
    HourlyRates,
    Window,
    early_warning_page,
    output_totals,
    plan_fact_report,
    sales_report,
    timesheet_grid,
    to_csv,
)
from connector.reports.billing_page import billing_page
from connector.store.models import Employee, Labour, Link, TimeRow

router = APIRouter(include_in_schema=False)
PAGE_ROWS = 200


def _state(overrun: str | None, risk: str | None, lang: Lang) -> tuple[str, str]:
    """(row class, words): red for an overrun, amber for a warning or a risk — never colour alone."""
    if overrun == "alert":
        return "overrun", word("overrun", lang)
    if overrun == "warn":
        return "warn", word("warn", lang)
    if risk == "at_risk":
        return "at-risk", word("at_risk", lang)
    return "", word("ok", lang)


def _page(request: Request, items: list[Any]) -> tuple[list[Any], dict[str, Any] | None]:
    page = page_of(request)
    return items[(page - 1) * PAGE_ROWS : page * PAGE_ROWS], pager(request, len(items), PAGE_ROWS)


@router.get("/ui/plan-fact")
def plan_fact(request: Request) -> Response:
    who = guard(request)
    if isinstance(who, Response):
        return who
    lang = lang_of(request)
    q = request.query_params
    errors: dict[str, str] = {}
    first, last = window(request, errors, lang)
    department, customer, responsible = (
        q.get("department", ""),
        q.get("customer", ""),
        q.get("responsible", ""),
    )
    if department and department not in DEPARTMENTS:
        known = ", ".join(DEPARTMENTS)
        errors["department"] = (
            f"нет отдела «{department}»; есть: {known}"
            if lang == "ru"
            else f"no department {department!r}; known: {known}"
        )
    filters = date_filters(request, lang) + [
        Filter(
            "department",
            word("department", lang),
            value=department,
            options=[(k, v[0] if lang == "ru" else v[1]) for k, v in DEPARTMENTS.items()],
        ),
        Filter("responsible", word("responsible", lang), value=responsible),
        Filter("customer", word("customer", lang), value=customer),
    ]
    shown: list[dict[str, Any]] = []
    pager = None
    if not errors:
        shown, pager = _plan_fact_page(request, first, last, department, customer, responsible)
    if q.get("format") == "csv" and not errors:
        return Response(
            to_csv(shown),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="plan-fact.csv"'},
        )
    rows = []
    for r in shown:
        cls, state = _state(r.get("overrun"), r.get("risk"), lang)
        code = r.get("task_code")
        rows.append(
            Row(
                [
                    Cell(
                        code or r.get("project") or "", f"/ui/plan-fact/{code}?lang={lang}" if code else None
                    ),
                    Cell(r.get("title") or ""),
                    Cell(r.get("employee") or ""),
                    Cell(hours(r.get("planned_minutes"), lang)),
                    Cell(hours(r.get("actual_minutes"), lang)),
                    Cell("" if r.get("percent") is None else f"{number(r['percent'], lang)} %"),
                    Cell(state),
                ],
                cls,
            )
        )
    csv_params = {k: v for k, v in q.items() if k not in ("page", "format")} | {"format": "csv"}
    return render(
        request,
        "table.html",
        session=who,
        heading=word("plan_fact", lang),
        current="plan_fact",
        status=400 if errors else 200,
        errors=errors,
        filters=filters,
        csv_href=f"/ui/plan-fact?{urlencode(csv_params)}",
        columns=cols(lang, "code", "task", "employee", "plan_h#", "fact_h#", "percent#", "state"),
        rows=rows,
        pager=pager,
    )


TASKS_PER_PAGE = 100


def _plan_fact_page(
    request: Request, first: date | None, last: date | None, department: str, customer: str, responsible: str
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The page's tasks chosen first (filters, order, page), then the report for those only."""
    rt = runtime_of(request)
    page = page_of(request)
    names = [m.name for m in rt.mappings if not department or m.category == department]
    with rt.sessions() as s:
        wanted = (
            select(Link.onec_ref, Link.payload if customer or responsible else Link.task_code)
            .where(Link.onec_type != "", Link.category.in_(("service", "project")), Link.mapping.in_(names))
            .order_by(Link.mapping, Link.task_code)
        )
        refs = []
        for ref, extra in s.execute(wanted):
            if customer or responsible:
                payload = extra if isinstance(extra, dict) else {}
                if customer and customer.casefold() not in str(payload.get("customer") or "").casefold():
                    continue
                if responsible and not any(
                    responsible.casefold() in (a.get("name") or a.get("email") or "").casefold()
                    for a in payload.get("assignees") or []
                ):
                    continue
            refs.append(ref)
        chunk = refs[(page - 1) * TASKS_PER_PAGE : page * TASKS_PER_PAGE]
        report = plan_fact_report(s, rt.mappings, Window.of(first, last), refs=chunk) if chunk else []
        risks: dict[str, str | None] = {}
        if chunk:
            risks = {
                code: risk
                for code, risk in s.execute(select(Link.task_code, Link.risk).where(Link.onec_ref.in_(chunk)))
            }
    rows = [r | {"risk": risks.get(r["task_code"])} for r in report if r["level"] != "project"]
    return rows, pager(request, len(refs), TASKS_PER_PAGE)


@router.get("/ui/plan-fact/{code}")
def plan_fact_task(request: Request, code: str) -> Response:
    """One task's labour per employee per day, each day with its evidence (screenshot) links."""
    who = guard(request)
    if isinstance(who, Response):
        return who
    lang = lang_of(request)
    rt = runtime_of(request)
    with rt.sessions() as s:
        link = s.execute(select(Link).where(Link.task_code == code)).scalar_one_or_none()
        if link is None:
            return render(request, "base.html", session=who, heading=f"{code}: —", status=404)
        labour = list(
            s.execute(
                select(Labour)
                .where(Labour.object_ref == link.onec_ref)
                .order_by(Labour.work_date, Labour.employee_ref)
            ).scalars()
        )
        people = {
            e.onec_employee_ref: e for e in s.execute(select(Employee)).scalars() if e.onec_employee_ref
        }
        by_tracker = {
            e.tracker_employee_id: e.onec_employee_ref for e in people.values() if e.tracker_employee_id
        }
        evidence: dict[tuple[str | None, date], list[str]] = defaultdict(list)
        for t in s.execute(select(TimeRow).where(TimeRow.task_code == code)).scalars():
            if t.evidence:
                evidence[(by_tracker.get(t.employee), t.day)].append(t.evidence)
    rows = [
        Row(
            [
                Cell(people[row.employee_ref].name if row.employee_ref in people else row.employee_ref),
                Cell(day(row.work_date, lang)),
                Cell(hours(row.minutes, lang)),
                *(
                    [Cell(word("screenshots", lang), urls[0])]
                    if (urls := evidence.get((row.employee_ref, row.work_date)))
                    else [Cell("")]
                ),
            ]
        )
        for row in labour
        if row.minutes
    ]
    total = sum(r.minutes for r in labour)
    return render(
        request,
        "table.html",
        session=who,
        heading=f"{code}: {link.title}",
        current="plan_fact",
        columns=cols(lang, "employee", "date", "hours#", "evidence"),
        rows=rows,
        totals=[word("total", lang), "", hours(total, lang), ""],
    )


@router.get("/ui/timesheet")
def timesheet(request: Request) -> Response:
    """Employees × days of a week or a month, with totals."""
    who = guard(request)
    if isinstance(who, Response):
        return who
    lang = lang_of(request)
    rt = runtime_of(request)
    q = request.query_params
    errors: dict[str, str] = {}
    period = q.get("period", "week")
    if period not in ("week", "month"):
        errors["period"] = "неделя или месяц" if lang == "ru" else "week or month"
        period = "week"
    anchor = parse_day(q.get("date"), "date", errors, lang) or date.today()
    if period == "week":
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=6)
    else:
        first = anchor.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    filters = [
        Filter(
            "period",
            word("week", lang) + " / " + word("month", lang),
            value=period,
            options=[("week", word("week", lang)), ("month", word("month", lang))],
        ),
        Filter("date", word("date", lang), "date", q.get("date") or anchor.isoformat()),
    ]
    grid: dict[str, dict[date, int]] = {}
    if not errors:
        with rt.sessions() as s:
            grid = timesheet_grid(s, Window(first, last))
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    rows = [
        Row(
            [Cell(name)]
            + [Cell(hours(grid[name].get(d), lang)) for d in days]
            + [Cell(hours(sum(grid[name].values()), lang))]
        )
        for name in sorted(grid)
    ]
    columns = (
        [Col(word("employee", lang))]
        + [Col(d.strftime("%d.%m") if lang == "ru" else d.strftime("%m-%d"), True) for d in days]
        + [Col(word("total", lang), True)]
    )
    totals = [word("total", lang)] + [
        hours(sum(g.get(d, 0) for g in grid.values()) or None, lang) for d in days
    ]
    totals.append(hours(sum(sum(g.values()) for g in grid.values()), lang))
    return render(
        request,
        "table.html",
        session=who,
        heading=f"{word('timesheet', lang)}: {day(first, lang)} — {day(last, lang)}",
        current="timesheet",
        status=400 if errors else 200,
        errors=errors,
        filters=filters,
        columns=columns,
        rows=rows,
        totals=totals if rows else None,
    )


@router.get("/ui/output")
def output(request: Request) -> Response:
    """Hours, billable hours and amount at the configured rates, per employee and customer."""
    who = guard(request)
    if isinstance(who, Response):
        return who
    lang = lang_of(request)
    rt = runtime_of(request)
    errors: dict[str, str] = {}
    first, last = window(request, errors, lang)
    totals: dict[tuple[str, str], tuple[int, int, Any]] = {}
    if not errors:
        today = date.today()
        with rt.sessions() as s:
            totals = output_totals(
                s,
                Window(first or today.replace(day=1), last or today),
                HourlyRates.from_settings(rt.settings),
            )
    page_items, pager = _page(request, sorted(totals.items()))
    rows = [
        Row(
            [
                Cell(emp),
                Cell(cust),
                Cell(hours(m, lang)),
                Cell(hours(b, lang)),
                Cell("" if amount is None else number(float(amount), lang, 2)),
            ]
        )
        for (emp, cust), (m, b, amount) in page_items
    ]
    return render(
        request,
        "table.html",
        session=who,
        heading=word("output", lang),
        current="output",
        status=400 if errors else 200,
        errors=errors,
        filters=date_filters(request, lang),
        columns=cols(lang, "employee", "customer", "hours#", "billable_h#", "amount#"),
        rows=rows,
        pager=pager,
    )


@router.get("/ui/sales")
def sales(request: Request) -> Response:
    """Per manager and month, the shares of commercial work, administration, learning and breaks."""
    who = guard(request)
    if isinstance(who, Response):
        return who
    lang = lang_of(request)
    rt = runtime_of(request)
    errors: dict[str, str] = {}
    first, last = window(request, errors, lang)
    lines: list[dict[str, Any]] = []
    if not errors:
        today = date.today()
        with rt.sessions() as s:
            lines = sales_report(s, rt.mappings, Window(first or today.replace(day=1), last or today))
    categories = [t.title for m in rt.mappings if m.category == "sales" for t in m.static_tasks]
    per: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in lines:
        per[(r["employee"], r["month"])].append(r)
    bars = [
        Bar(
            f"{emp} · {month}",
            [
                (
                    r["category"],
                    r["share_percent"] / 100,
                    f"{r['category']}: {hours(r['minutes'], lang)} ({number(r['share_percent'], lang)} %)",
                )
                for c in categories
                for r in items
                if r["category"] == c
            ],
        )
        for (emp, month), items in sorted(per.items())
    ]
    chart = Markup(stacked_bars(bars, categories, title=word("sales", lang))) if bars else None
    rows = [
        Row(
            [
                Cell(r["employee"]),
                Cell(r["month"]),
                Cell(r["category"]),
                Cell(hours(r["minutes"], lang)),
                Cell(f"{number(r['share_percent'], lang)} %"),
            ]
        )
        for r in lines
    ]
    return render(
        request,
        "sales.html",
        session=who,
        heading=word("sales", lang),
        current="sales",
        status=400 if errors else 200,
        errors=errors,
        filters=date_filters(request, lang),
        chart=chart,
        columns=cols(lang, "manager", "month", "category", "hours#", "percent#"),
        rows=rows,
    )


@router.get("/ui/early-warning")
def early_warning(request: Request) -> Response:
    who = guard(request)
    if isinstance(who, Response):
        return who
    lang = lang_of(request)
    rt = runtime_of(request)
    page = page_of(request)
    with rt.sessions() as s:
        page_items, total = early_warning_page(
            s, date.today(), rt.mappings, (page - 1) * PAGE_ROWS, PAGE_ROWS
        )
    pager_ = pager(request, total, PAGE_ROWS)
    rows = []
    for r in page_items:
        at_risk = r["verdict"] == "at_risk"
        rows.append(
            Row(
                [
                    Cell(r["task_code"], f"/ui/plan-fact/{r['task_code']}?lang={lang}"),
                    Cell(r["title"] or ""),
                    Cell(
                        hours(
                            (r["planned_hours"] or 0) * 60 if r["planned_hours"] is not None else None, lang
                        )
                    ),
                    Cell("" if r["burn_percent"] is None else f"{number(r['burn_percent'], lang)} %"),
                    Cell("" if r["progress_percent"] is None else f"{number(r['progress_percent'], lang)} %"),
                    Cell(
                        hours(
                            (r["projected_hours"] or 0) * 60 if r["projected_hours"] is not None else None,
                            lang,
                        )
                    ),
                    Cell(word("at_risk", lang) if at_risk else r["verdict"]),
                    Cell(r["reason"] or ""),
                ],
                "at-risk" if at_risk else "",
            )
        )
    return render(
        request,
        "table.html",
        session=who,
        heading=word("early_warning", lang),
        current="early_warning",
        columns=cols(
            lang, "code", "task", "plan_h#", "burn#", "progress#", "projected_h#", "verdict", "reason"
        ),
        rows=rows,
        pager=pager_,
    )


@router.get("/ui/billing")
def billing(request: Request) -> Response:
    who = guard(request)
    if isinstance(who, Response):
        return who
    lang = lang_of(request)
    rt = runtime_of(request)
    errors: dict[str, str] = {}
    first, last = window(request, errors, lang)
    customer = request.query_params.get("customer") or None
    page_items: list[dict[str, Any]] = []
    pager_ = None
    message = None
    if not errors:
        try:
            table = rates_table(rt.settings.mappings_dir, rt.mappings)
        except MappingError as exc:
            table, message = {}, str(exc).splitlines()[0]
        today = date.today()
        page = page_of(request)
        with rt.sessions() as s:
            found = billing_page(
                s,
                rt.mappings,
                Window(first or today.replace(day=1), last or today),
                table,
                customer,
                (page - 1) * PAGE_ROWS,
                PAGE_ROWS,
            )
        page_items, pager_ = found.rows, pager(request, found.total, PAGE_ROWS)
    rows = []
    for r in page_items:
        if r["level"] == "total":
            rows.append(
                Row(
                    [
                        Cell(f"{word('total', lang)}: {r['customer'] or '—'}"),
                        Cell(""),
                        Cell(""),
                        Cell(""),
                        Cell(hours(r["minutes"], lang)),
                        Cell(number(r["amount"], lang, 2)),
                        Cell(""),
                    ],
                    "total",
                )
            )
            continue
        rows.append(
            Row(
                [
                    Cell(r["customer"] or "—"),
                    Cell(r["task_code"] or ""),
                    Cell(r["employee"] or ""),
                    Cell(day(r["date"], lang)),
                    Cell(hours(r["minutes"], lang)),
                    Cell(number(r["amount"], lang, 2)),
                    Cell(day(r["after_billing"], lang) if r.get("after_billing") else ""),
                ]
            )
        )
    filters = date_filters(request, lang) + [Filter("customer", word("customer", lang), value=customer)]
    return render(
        request,
        "table.html",
        session=who,
        heading=word("billing", lang),
        current="billing",
        status=400 if errors else 200,
        errors=errors,
        filters=filters,
        message=message,
        columns=cols(lang, "customer", "code", "employee", "date", "hours#", "amount#", "after_billing"),
        rows=rows,
        pager=pager_,
    )
