"""Bench (self-contained): the Kimai and Clockify adapters against the mock tracker vs bare requests.

Per tracker kind, on a mock of that dialect started on a free loopback port with ``--employees``
users:

1. **Initial push** of ``--tasks`` tasks (projects of ``--per-project`` tasks: the project's own
   task plus stages under it, 1–2 assignees each, about 20 customers), in batches of ``--batch``
   as the push engine sends them: wall time, requests, objects created (the mock's count) and
   requests per created object (target ≤ 2 plus list pages).
2. **No-change publish** of the same tasks: writes must be 0.
3. **Pull** of ``--days`` simulated days for every employee: requests against
   ``ceil(entries / page size)`` (entries = timesheet entries or report rows in the window read)
   and the per-day totals checked against the mock's ground truth.

Baseline in the same run: a bare ``requests`` script making the same creates on a fresh mock of
the same kind (it knows the tracker is empty, so it lists nothing but users) and the same paged
reads on the simulated one. Ours and the bare script run interleaved ``--repeat`` times and the
best wall of each is kept (the box may be shared). The last line is one JSON object with the
figures and ``ratio`` = ours ÷ baseline wall time (push + pull), the worse kind's.

    .venv/bin/python bench/tracker_push.py [--tasks 2000] [--employees 200] [--days 30] [--repeat 2]
    .venv/bin/python bench/tracker_push.py --tasks 50 --employees 10 --days 3   # smoke

Figures (2-core box shared with other suites, load average 4–6.7 during the run, best of 2):
2,000 tasks (400 projects × 5), 200 employees, 30 days (33,389 entries read).
  kimai: push 26.6 s vs bare 23.4 s (1.14); 6,080 requests for 4,420 created objects = 1.38
  per object (6,020 writes = 1.36, lists 60 = 6 per batch of 200); no-change 60 requests, 0
  writes; pull 67 requests = ceil(33,389 / 500), 4.4 s vs bare 4.0 s (1.08), equal to the truth.
  ratio 1.13.
  clockify: push 5.6 s vs bare 6.9 s (0.80); 2,420 requests for 2,400 created objects = 1.01 per
  object; no-change 420 requests (users + projects per batch, and each project's tasks, which
  the mock's project listing does not carry), 0 writes; pull 34 requests = ceil(33,389 / 1,000),
  3.2 s vs bare 3.5 s (0.91). ratio 0.84.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests

from connector.tracker.base import TaskPublication
from connector.tracker.clockify import ClockifyTracker
from connector.tracker.kimai import KimaiTracker
from testbed.mocktracker import MockTracker, api_writes, running_mock_tracker

START = date(2026, 3, 2)
KINDS = ("kimai", "clockify")


def people(n: int) -> list[tuple[str, str]]:
    return [(f"emp{i:04d}@crm.example", f"Сотрудник {i}") for i in range(n)]


def publications(tasks: int, per_project: int, emails: list[str]) -> list[TaskPublication]:
    rnd = random.Random(7)
    out: list[TaskPublication] = []
    p = 0
    while len(out) < tasks:
        customer, project = f"ООО Клиент {p % 20}", f"Внедрение {p}"
        for s in range(min(per_project, tasks - len(out))):
            who = tuple(rnd.sample(emails, min(len(emails), rnd.randint(1, 2))))
            minutes = rnd.choice((60, 120, 240, 480, 960))
            if s == 0:
                out.append(TaskPublication(f"P-{p}", project, "", who, True, customer, None, None, minutes))
            else:
                out.append(
                    TaskPublication(
                        f"S-{p}-{s}", f"Этап {s}", "", who, True, customer, f"P-{p}", project, minutes
                    )
                )
        p += 1
    return out


def adapter(kind: str, mock: MockTracker) -> KimaiTracker | ClockifyTracker:
    options: dict[str, Any] = {"rate_limit": 1e6, "timeout": 60.0}
    if kind == "kimai":
        return KimaiTracker(mock.api_url, mock.api_key, **options)
    return ClockifyTracker(mock.api_url, mock.api_key, workspace=mock.workspace(), **options)


def publish(
    tracker: KimaiTracker | ClockifyTracker, specs: list[TaskPublication], batch: int
) -> tuple[float, int, int, int]:
    """Wall, requests, writes and failed outcomes of publishing ``specs`` in batches."""
    sent, wrote, failed = tracker.api.requests_sent, tracker.api.writes_sent, 0
    started = time.perf_counter()
    for i in range(0, len(specs), batch):
        failed += sum(o.action == "failed" for o in tracker.publish_tasks(specs[i : i + batch]))
    wall = time.perf_counter() - started
    return wall, tracker.api.requests_sent - sent, tracker.api.writes_sent - wrote, failed


def push_ours(kind: str, mock: MockTracker, specs: list[TaskPublication], batch: int) -> dict[str, Any]:
    """The initial push and the no-change publish that follows it, on ``mock``."""
    tracker = adapter(kind, mock)
    mock.stats(reset=True)
    push_s, push_requests, push_writes, failed = publish(tracker, specs, batch)
    created = sum(mock.stats(reset=True)["created"].values())
    again_s, again_requests, again_writes, _ = publish(tracker, specs, batch)
    return {
        "push_s": push_s,
        "push_requests": push_requests,
        "push_writes": push_writes,
        "failed": failed,
        "created": created,
        "requests_per_created": push_requests / created if created else math.inf,
        "writes_per_created": push_writes / created if created else math.inf,
        "nochange_s": again_s,
        "nochange_requests": again_requests,
        "nochange_writes": max(again_writes, api_writes(mock.stats())),
    }


def pull_ours(kind: str, mock: MockTracker, days: int) -> tuple[float, int, dict[tuple[str, str, str], int]]:
    """Wall, requests and per-(e-mail, code, day) seconds of one ``time_per_day`` pull."""
    tracker = adapter(kind, mock)
    emails = {e.id: (e.email or "").lower() for e in tracker.employees()}
    before = tracker.api.requests_sent
    started = time.perf_counter()
    got: dict[tuple[str, str, str], int] = defaultdict(int)
    for d in tracker.time_per_day(START, START + timedelta(days=days)):
        got[(emails.get(d.employee_id, d.employee_id), str(d.task_code), d.day.isoformat())] += d.seconds
    return time.perf_counter() - started, tracker.api.requests_sent - before, dict(got)


# -- the bare baseline -------------------------------------------------------------------------


def name(code: str, title: str) -> str:
    return f"[{code}] {title}"


def bare_kimai_push(mock: MockTracker, specs: list[TaskPublication]) -> tuple[float, int]:
    s = requests.Session()
    s.headers.update(mock.auth_headers())
    api, n = mock.api_url, 0
    started = time.perf_counter()
    me = s.get(f"{api}/users/me", timeout=60).json()["id"]
    users = {
        u["email"].lower(): u["id"] for u in s.get(f"{api}/users", params={"visible": 3}, timeout=60).json()
    }
    customers: dict[str, int] = {}
    projects: dict[str, int] = {}
    n += 2
    for p in specs:
        if p.customer not in customers:
            body = {"name": p.customer, "country": "RU", "currency": "RUB", "timezone": "Europe/Moscow"}
            customers[str(p.customer)] = s.post(f"{api}/customers", json=body, timeout=60).json()["id"]
            n += 1
        members = [{"user": me, "teamlead": True}] + [
            {"user": users[e.lower()], "teamlead": False} for e in p.assignee_emails if e.lower() in users
        ]
        team = s.post(f"{api}/teams", json={"name": f"[{p.code}]", "members": members}, timeout=60).json()[
            "id"
        ]
        code = p.parent_code or p.code
        if code not in projects:
            body = {
                "name": name(code, p.parent_title or p.title),
                "customer": customers[str(p.customer)],
                "teams": [team],
            }
            projects[code] = s.post(f"{api}/projects", json=body, timeout=60).json()["id"]
        else:
            s.post(f"{api}/teams/{team}/projects/{projects[code]}", timeout=60).raise_for_status()
        minutes = p.planned_minutes or 0
        body = {
            "name": name(p.code, p.title),
            "project": projects[code],
            "teams": [team],
            "timeBudget": f"{minutes // 60}:{minutes % 60:02d}",
        }
        s.post(f"{api}/activities", json=body, timeout=60).raise_for_status()
        n += 3  # team, project or its grant, activity
    return time.perf_counter() - started, n


def bare_clockify_push(mock: MockTracker, specs: list[TaskPublication]) -> tuple[float, int]:
    s = requests.Session()
    s.headers.update(mock.auth_headers())
    ws = f"{mock.api_url}/workspaces/{mock.workspace()}"
    started = time.perf_counter()
    users = s.get(f"{ws}/users", params={"page-size": 5000}, timeout=60).json()
    ids = {u["email"].lower(): u["id"] for u in users}
    projects: dict[str, str] = {}
    n = 1
    for p in specs:
        code = p.parent_code or p.code
        if code not in projects:
            body = {"name": name(code, p.parent_title or p.title), "isPublic": True}
            projects[code] = s.post(f"{ws}/projects", json=body, timeout=60).json()["id"]
            n += 1
        minutes = p.planned_minutes or 0
        body = {
            "name": name(p.code, p.title),
            "assigneeIds": [ids[e.lower()] for e in p.assignee_emails if e.lower() in ids],
            "estimate": f"PT{minutes // 60}H{minutes % 60}M",
            "status": "ACTIVE",
        }
        s.post(f"{ws}/projects/{projects[code]}/tasks", json=body, timeout=60).raise_for_status()
        n += 1
    return time.perf_counter() - started, n


def bare_kimai_pull(mock: MockTracker, days: int) -> tuple[float, int, int]:
    s = requests.Session()
    s.headers.update(mock.auth_headers())
    end = START + timedelta(days=days)
    params: dict[str, Any] = {
        "user": "all",
        "full": "true",
        "begin": f"{START - timedelta(days=1)}T00:00:00",
        "end": f"{end - timedelta(days=1)}T23:59:59",
        "size": 500,
    }
    started = time.perf_counter()
    totals: dict[tuple[Any, Any, str], int] = defaultdict(int)
    page, pages, entries = 1, 1, 0
    while page <= pages:
        answer = s.get(f"{mock.api_url}/timesheets", params={**params, "page": page}, timeout=60)
        pages = int(answer.headers.get("X-Total-Pages", "1"))
        for e in answer.json():
            entries += 1
            if e.get("end"):
                totals[(e["user"]["id"], e["activity"]["id"], e["begin"][:10])] += e["duration"]
        page += 1
    return time.perf_counter() - started, page - 1, entries


def bare_clockify_pull(mock: MockTracker, days: int) -> tuple[float, int, int]:
    s = requests.Session()
    s.headers.update(mock.auth_headers())
    url = f"{mock.reports_url}/workspaces/{mock.workspace()}/reports/detailed"
    zone_start = datetime.fromisoformat(f"{START - timedelta(days=1)}T00:00:00+03:00")
    zone_end = datetime.fromisoformat(f"{START + timedelta(days=days)}T00:00:00+03:00") - timedelta(
        milliseconds=1
    )
    body: dict[str, Any] = {
        "dateRangeStart": _z(zone_start),
        "dateRangeEnd": _z(zone_end),
        "exportType": "JSON",
    }
    started = time.perf_counter()
    totals: dict[tuple[Any, Any, str], int] = defaultdict(int)
    requests_made, fetched, count = 0, 0, None
    while count is None or fetched < count:
        body["detailedFilter"] = {"page": requests_made + 1, "pageSize": 1000}
        report = s.post(url, json=body, timeout=60).json()
        requests_made += 1
        rows = report["timeentries"]
        if count is None:
            count = report["totals"][0]["entriesCount"] if report.get("totals") else 0
        for r in rows:
            span = r["timeInterval"]
            if span.get("end"):
                totals[(r["userId"], r["taskId"], span["start"][:10])] += span["duration"]
        fetched += len(rows)
        if not rows:
            break
    return time.perf_counter() - started, requests_made, fetched


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def run_kind(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    """Ours and the bare script interleaved ``--repeat`` times; the best wall of each is kept."""
    staff = people(args.employees)
    specs = publications(args.tasks, args.per_project, [e for e, _ in staff])
    page = 500 if kind == "kimai" else 1000
    bare_push = bare_kimai_push if kind == "kimai" else bare_clockify_push
    bare_pull = bare_kimai_pull if kind == "kimai" else bare_clockify_pull
    common = {"kind": kind, "timezone": "Europe/Moscow"}
    pushes, bare_pushes = [], []
    with running_mock_tracker(**common) as mock:
        mock.add_users(staff)
        for round_ in range(args.repeat):
            if round_ == 0:
                pushes.append(push_ours(kind, mock, specs, args.batch))
            else:
                with running_mock_tracker(**common) as again:
                    again.add_users(staff)
                    pushes.append(push_ours(kind, again, specs, args.batch))
            with running_mock_tracker(**common) as fresh:
                fresh.add_users(staff)
                bare_pushes.append(bare_push(fresh, specs))
        mock.simulate(START.isoformat(), args.days)
        end = START + timedelta(days=args.days)
        truth = {
            (t["employee_email"].lower(), t["task_code"], t["date"]): t["seconds"]
            for t in mock.truth(START.isoformat(), end.isoformat())
        }
        pulls, bare_pulls = [], []
        for _ in range(args.repeat):
            pulls.append(pull_ours(kind, mock, args.days))
            bare_pulls.append(bare_pull(mock, args.days))
    got = min(pushes, key=lambda r: float(r["push_s"]))
    bare_push_s, bare_push_requests = min(bare_pushes)
    pull_s, pull_requests, _ = min(pulls, key=lambda r: r[0])
    bare_pull_s, bare_pull_requests, entries = min(bare_pulls)
    ours_s, bare_s = got["push_s"] + pull_s, bare_push_s + bare_pull_s
    return {
        "tasks": len(specs),
        **got,
        "nochange_writes": max(int(r["nochange_writes"]) for r in pushes),
        "pull_s": pull_s,
        "pull_requests": pull_requests,
        "truth_rows": len(truth),
        "truth_equal": all(p[2] == truth for p in pulls),
        "entries_read": entries,
        "pull_pages_bound": math.ceil(entries / page),
        "bare_push_s": bare_push_s,
        "bare_push_requests": bare_push_requests,
        "bare_pull_s": bare_pull_s,
        "bare_pull_requests": bare_pull_requests,
        "push_ratio": got["push_s"] / bare_push_s if bare_push_s else math.inf,
        "pull_ratio": pull_s / bare_pull_s if bare_pull_s else math.inf,
        "ratio": ours_s / bare_s if bare_s else math.inf,
    }


def report(kind: str, r: dict[str, Any]) -> list[str]:
    problems = []
    print(f"{kind}: {r['tasks']} tasks")
    print(
        f"  initial push: {r['push_s']:.2f} s, {r['push_requests']} requests ({r['push_writes']} writes) "
        f"for {r['created']} created objects = {r['requests_per_created']:.2f} requests "
        f"({r['writes_per_created']:.2f} writes) per object; {r['failed']} failed"
    )
    print(
        f"  bare push:    {r['bare_push_s']:.2f} s, {r['bare_push_requests']} requests; "
        f"ratio {r['push_ratio']:.2f}"
    )
    print(
        f"  no-change:    {r['nochange_s']:.2f} s, {r['nochange_requests']} requests, "
        f"{r['nochange_writes']} writes"
    )
    print(
        f"  pull:         {r['pull_s']:.2f} s, {r['pull_requests']} requests for {r['entries_read']} entries "
        f"(ceil(entries/page) = {r['pull_pages_bound']}); {r['truth_rows']} day totals, "
        f"equal to the truth: {r['truth_equal']}"
    )
    print(
        f"  bare pull:    {r['bare_pull_s']:.2f} s, {r['bare_pull_requests']} requests; "
        f"ratio {r['pull_ratio']:.2f}"
    )
    if r["nochange_writes"]:
        problems.append(f"{kind}: a no-change publish wrote {r['nochange_writes']} times")
    if not r["truth_equal"]:
        problems.append(f"{kind}: the pulled day totals differ from the mock's truth")
    if r["failed"]:
        problems.append(f"{kind}: {r['failed']} publications failed")
    if r["push_writes"] > 2 * r["created"]:
        problems.append(f"{kind}: more than two writes per created object")
    if r["pull_requests"] > r["pull_pages_bound"] + 3:
        problems.append(f"{kind}: the pull took more than ceil(entries/page) + 3 requests")
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--tasks", type=int, default=2000)
    ap.add_argument("--employees", type=int, default=200)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--per-project", type=int, default=5, help="tasks per 1C project (its own + stages)")
    ap.add_argument("--batch", type=int, default=200, help="tasks per publish call (the push engine's batch)")
    ap.add_argument("--kinds", default=",".join(KINDS), help="kimai,clockify")
    ap.add_argument("--repeat", type=int, default=2, help="interleaved rounds; the best wall of each side")
    args = ap.parse_args()
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if any(k not in KINDS for k in kinds) or not kinds:
        ap.error(f"--kinds takes {', '.join(KINDS)}")
    if min(args.tasks, args.employees, args.days, args.per_project, args.batch, args.repeat) < 1:
        ap.error("--tasks, --employees, --days, --per-project, --batch and --repeat must be at least 1")
    results, problems = {}, []
    for kind in kinds:
        results[kind] = run_kind(kind, args)
        problems += report(kind, results[kind])
    for problem in problems:
        print(f"FAIL {problem}")
    figures = {
        "bench": "tracker_push",
        "tasks": args.tasks,
        "employees": args.employees,
        "days": args.days,
        **{
            k: {n: (round(v, 3) if isinstance(v, float) else v) for n, v in r.items()}
            for k, r in results.items()
        },
        "ratio": round(max(r["ratio"] for r in results.values()), 3),
        "ok": not problems,
    }
    print(json.dumps(figures, ensure_ascii=False))
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
