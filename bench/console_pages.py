"""Console pages benchmark: server render time of each page vs the JSON API answering the same query.

A fresh SQLite store is filled like a large base after a quarter: ``--links`` open project tasks
and service interests (the ``large`` seed has about 11,700), ``--employees`` employees with
``--days`` days of labour (three objects a day each). The connector is served on loopback
(uvicorn); each page and its JSON twin are fetched ``--repeat`` times, alternating. Printed: p50 and
p95 per page in ms, the JSON API's, and their ratio. Targets: page p95 ≤ 300 ms, ratio ≤ 1.5.
The last line is one JSON object (``ratio`` = the worst page's p95 ÷ its API p95).

    .venv/bin/python bench/console_pages.py [--links 11700] [--employees 200] [--days 90] [--repeat 15]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests

from connector.api.console import session as console_session
from connector.store.links import LinkData, upsert_links_bulk
from connector.store.models import Employee, Labour, Link
from testbed.connector_app import make_runtime, serve_runtime

PAGES = [
    ("plan-fact", "/ui/plan-fact", "/api/reports/plan-fact"),
    ("timesheet", "/ui/timesheet?period=month&date={last}", "/api/reports/timesheet?from={month}&to={last}"),
    ("output", "/ui/output?from={month}&to={last}", "/api/reports/output?from={month}&to={last}"),
    ("early-warning", "/ui/early-warning", "/api/reports/early-warning"),
    ("billing", "/ui/billing?from={month}&to={last}", "/api/reports/billing?from={month}&to={last}"),
]


def fill(runtime: object, links: int, employees: int, days: int, seed: int) -> date:
    rnd = random.Random(seed)
    last = date(2026, 11, 30)
    rt = runtime  # a Runtime
    with rt.sessions.begin() as s:  # type: ignore[attr-defined]
        data = []
        for n in range(links):
            project = n % 3 != 0
            data.append(
                LinkData(
                    "projects" if project else "service",
                    "Catalog_ЗадачиПроектов" if project else "Document_CRM_Интерес",
                    f"00000000-0000-4000-8000-{n:012d}",
                    f"{'PRJ' if project else 'SRV'}-{n:06d}",
                    f"h{n}",
                    category="project" if project else "service",
                    title=f"Задача {n}: настройка обмена",
                    planned_minutes=rnd.choice((None, 240, 480, 960, 2400)),
                    payload={"customer": f"ООО Клиент {n % 40}", "percent_done": rnd.choice((0, 50, 80))},
                )
            )
        upsert_links_bulk(s, data)
        for e in range(employees):
            s.add(
                Employee(
                    onec_employee_ref=f"00000000-0000-4000-9000-{e:012d}",
                    email=f"user{e}@example.ru",
                    tracker_employee_id=str(e),
                    name=f"Сотрудник {e:03d}",
                )
            )
        rows = []
        for e in range(employees):
            for d in range(days):
                day = last - timedelta(days=d)
                if day.weekday() >= 5:
                    continue
                for k in range(3):
                    n = rnd.randrange(links)
                    rows.append(
                        Labour(
                            key=f"odata_timesheet|e{e}|{n}|{day}|{k}",
                            employee_ref=f"00000000-0000-4000-9000-{e:012d}",
                            object_type="Catalog_ЗадачиПроектов" if n % 3 else "Document_CRM_Интерес",
                            object_ref=f"00000000-0000-4000-8000-{n:012d}",
                            work_date=day,
                            work_type_ref=f"00000000-0000-4000-a000-00000000000{k}",
                            minutes=rnd.choice((30, 60, 90, 120, 150)),
                            written_minutes=None,
                            customer_ref=f"00000000-0000-4000-b000-{n % 40:012d}",
                            state="written",
                        )
                    )
        s.add_all(rows)
    with rt.sessions.begin() as s:  # type: ignore[attr-defined]
        for link in s.query(Link).filter(Link.mapping == "projects").limit(links // 10):
            link.actual_minutes = (link.planned_minutes or 60) * 2
            link.overrun = "alert"
    return last


def p(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--links", type=int, default=11_700)
    ap.add_argument("--employees", type=int, default=200)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if min(args.links, args.employees, args.days, args.repeat) < 1:
        ap.error("every count must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        runtime = make_runtime(f"sqlite:///{Path(tmp) / 'store.db'}")
        try:
            t0 = time.perf_counter()
            last = fill(runtime, args.links, args.employees, args.days, args.seed)
            took = time.perf_counter() - t0
            print(f"store: {args.links} links, {args.employees} employees × {args.days} days in {took:.1f} s")
            cookie, _ = console_session.issue(runtime.settings, "operator")
            admin = {"Authorization": f"Bearer {runtime.settings.admin_token.get_secret_value()}"}
            fields = {"last": last.isoformat(), "month": last.replace(day=1).isoformat()}
            figures: dict[str, dict[str, float]] = {}
            with serve_runtime(runtime) as app, requests.Session() as http:
                http.cookies.set(console_session.COOKIE, cookie)
                for name, page, api in PAGES:
                    page_url, api_url = app.url + page.format(**fields), app.url + api.format(**fields)
                    http.get(page_url, timeout=120).raise_for_status()  # warm up both
                    http.get(api_url, headers=admin, timeout=120).raise_for_status()
                    times: dict[str, list[float]] = {"page": [], "api": []}
                    for _ in range(args.repeat):
                        for kind, url, headers in (("page", page_url, {}), ("api", api_url, admin)):
                            start = time.perf_counter()
                            resp = http.get(url, headers=headers, timeout=120)
                            times[kind].append((time.perf_counter() - start) * 1000)
                            resp.raise_for_status()
                    f = {
                        "page_p50_ms": round(statistics.median(times["page"]), 1),
                        "page_p95_ms": round(p(times["page"], 0.95), 1),
                        "api_p95_ms": round(p(times["api"], 0.95), 1),
                    }
                    f["ratio"] = round(f["page_p95_ms"] / f["api_p95_ms"], 2) if f["api_p95_ms"] else 0.0
                    figures[name] = f
                    print(
                        f"{name:14s} page p50 {f['page_p50_ms']:7.1f} ms, p95 {f['page_p95_ms']:7.1f} ms; "
                        f"JSON API p95 {f['api_p95_ms']:7.1f} ms; ratio {f['ratio']:.2f}"
                    )
        finally:
            runtime.close()
    worst = max(figures.values(), key=lambda f: f["ratio"])
    slowest = max(f["page_p95_ms"] for f in figures.values())
    print(json.dumps({"ratio": worst["ratio"], "slowest_page_p95_ms": slowest, "pages": figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
