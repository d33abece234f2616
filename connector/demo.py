"""``onec-bridge demo``: the whole loop on one machine with one command.

Starts mock 1C (seeded, webhooks to the connector in outbox mode), the mock tracker of the chosen
kind and the connector (SQLite in a temporary directory or ``--data-dir``) on free loopback
ports; registers incoming e-mails and runs the inbound sync. Then the tasks reach the tracker:
a Bitcop account imports the connector's task feed; a Kimai or Clockify account (whose users are
the 1C users with an e-mail) is given them by the task push. The tracker simulates a week of
work, the labour sync and delivery write it to 1C, and the demo prints what happened. The last
line of the summary is ``summary: {json}`` so scripts (and the demo's test) can check it.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import requests
from requests.auth import HTTPBasicAuth
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from connector.settings import Settings
from connector.tables import without_code

SHIPPED_MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"
ONEC_PASSWORD = "demo-1c-password"
EMAILS = (
    ("buh@romashka.ru", "Не формируется счёт-фактура"),
    ("it@vektor-stroy.ru", "Ошибка обмена с банком"),
    ("office@delta.ru", "Нужна консультация по закрытию месяца"),
)


# A sales manager's day as sales teams report it: mostly commercial work (calls, meetings,
# proposals), a fifth administration (CRM, documents), some self-learning and breaks.
SALES_SHARES = "SALES-COMMERCIAL=60,SALES-ADMIN=20,SALES-LEARNING=8,SALES-BREAK=12"


class DemoError(RuntimeError):
    """The demo could not run (a mock did not start, a step failed)."""


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def subprocess_server(argv: list[str], health: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A mock started with ``argv`` (logs into ``log``), stopped with SIGTERM at the end."""
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
                detail = ("\n  " + "\n  ".join(tail)) if tail else ""
                raise DemoError(f"{argv[2]} exited with code {proc.returncode}; see {log}{detail}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(health, timeout=1).ok:
                    break
            if time.monotonic() > deadline:
                raise DemoError(f"{argv[2]} did not answer {health}; see {log}")
            time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def mock_argvs(
    python: str, ports: dict[str, int], connector: str, tokens: dict[str, str], kind: str = "bitcop"
) -> tuple[list[str], list[str]]:
    """Command lines of the two mocks.

    Values go as ``--option=value``: a random token may start with ``-``, and a separate
    argument starting with ``-`` would be read as an option, not as the value.
    """
    onec = [python, "-m", "mock_1c.cli", "serve", f"--port={ports['onec']}", f"--password={ONEC_PASSWORD}"]
    onec += [f"--webhook-url={connector}/webhooks/1c", f"--webhook-secret={tokens['webhook']}"]
    onec += ["--webhook-mode=outbox", "--webhook-types=Document_CRM_Интерес"]
    tracker = [python, "-m", "mock_tracker.cli", "serve", f"--port={ports['tracker']}", f"--kind={kind}"]
    tracker += [f"--api-key={tokens['apikey']}", "--feed-interval=0", "--log-level=warning"]
    if kind == "bitcop":  # the account imports the task feed; the others take tasks through their API
        tracker += [f"--feed-url={connector}/tracker/v1/tasks", f"--feed-token={tokens['feed']}"]
    tracker += ["--follow-plan", f"--work-shares={SALES_SHARES}"]
    return onec, tracker


def register_emails(onec_odata: str, admin: str) -> list[str]:
    """Incoming e-mails become service interests in mock 1C (with a responsible and a customer)."""
    auth = HTTPBasicAuth("Интегратор".encode(), ONEC_PASSWORD.encode())
    users = requests.get(f"{onec_odata}/Catalog_Пользователи?$top=3&$format=json", auth=auth, timeout=30)
    interests = requests.get(f"{onec_odata}/Document_CRM_Интерес?$top=3&$format=json", auth=auth, timeout=30)
    people = [u["Ref_Key"] for u in users.json()["value"]]
    partners = [i["Партнер_Key"] for i in interests.json()["value"]]
    numbers = []
    for n, (sender, subject) in enumerate(EMAILS):
        body = {
            "from": sender,
            "subject": subject,
            "text": subject,
            "Ответственный_Key": people[n % len(people)],
        }
        body["Партнер_Key"] = partners[n % len(partners)]
        resp = requests.post(f"{admin}/emails", json=body, timeout=30)
        if resp.status_code != 201:
            raise DemoError(f"mock 1C refused the e-mail: {resp.text[:200]}")
        numbers.append(str(resp.json()["Number"]))
    return numbers


def summarise(runtime: Any) -> dict[str, Any]:
    """Tasks per department, labour written per employee, plan-fact lines (from the store)."""
    from connector.reports import Window, plan_fact_report
    from connector.store.models import Employee, Labour, Link

    with runtime.sessions() as s:
        tasks = Counter(link.category for link in s.execute(select(Link)).scalars())
        names = {e.onec_employee_ref: e.name for e in s.execute(select(Employee)).scalars()}
        written: Counter[str] = Counter()
        for row in s.execute(select(Labour)).scalars():
            if row.written_minutes:
                written[names.get(row.employee_ref, row.employee_ref)] += row.written_minutes
        plan = plan_fact_report(s, runtime.mappings, Window(None, None))
    return {"tasks": dict(tasks), "labour_minutes": dict(written), "plan_fact": plan}


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis (readable 80-column output)."""
    return text if len(text) <= width else text[: width - 1] + "…"


def print_summary(console: Console, result: dict[str, Any], feed: dict[str, Any]) -> None:
    t = Table(title="Tasks created per department")
    t.add_column("department")
    t.add_column("tasks", justify="right")
    for category, n in sorted(result["tasks"].items()):
        t.add_row(category, str(n))
    console.print(t)
    t = Table(title="Labour written to 1C per employee")
    t.add_column("employee")
    t.add_column("hours", justify="right")
    for name, minutes in sorted(result["labour_minutes"].items(), key=lambda kv: -kv[1]):
        t.add_row(name, f"{minutes / 60:.2f}")
    console.print(t)
    t = Table(title="Plan-fact (overruns in red)")
    t.add_column("task", no_wrap=True)
    t.add_column("title", no_wrap=True, overflow="ellipsis", max_width=18)
    for column in ("plan h", "fact h", "%"):
        t.add_column(column, justify="right", no_wrap=True, min_width=len(column))
    t.add_column("state", no_wrap=True, min_width=5)
    lines = [r for r in result["plan_fact"] if r["level"] == "task" and r["actual_minutes"]]
    lines.sort(key=lambda r: (r["overrun"] != "alert", r["overrun"] != "warn", -(r["percent"] or 0)))
    for r in lines[:20]:
        style = {"alert": "bold red", "warn": "yellow"}.get(r["overrun"] or "", "")
        t.add_row(
            r["task_code"],
            shorten(without_code(str(r["title"]), r["task_code"]), 18),
            "" if r["planned_hours"] is None else str(r["planned_hours"]),
            str(r["actual_hours"]),
            "" if r["percent"] is None else f"{r['percent']:.0f}",
            r["overrun"] or "",
            style=style,
        )
    console.print(t)
    overruns = sum(1 for r in lines if r["overrun"] == "alert")
    machine = {
        "tasks": result["tasks"],
        "tracker_imported_items": feed.get("items"),
        "labour_minutes": sum(result["labour_minutes"].values()),
        "employees_with_labour": len(result["labour_minutes"]),
        "overruns": overruns,
        "planned_tasks_with_labour": sum(1 for r in lines if r["planned_minutes"]),
    }
    console.print("summary: " + json.dumps(machine, ensure_ascii=False), soft_wrap=True, markup=False)


API_PATHS = {"bitcop": "/api/v1", "kimai": "/api", "clockify": "/api/v1"}


def tracker_users(runtime: Any, admin: str) -> int:
    """A Kimai or Clockify account has its users before any task: the 1C users with an e-mail."""
    from connector.store.models import Employee

    with runtime.sessions() as s:
        people = [
            {"email": e.email, "name": e.name}
            for e in s.execute(select(Employee)).scalars()
            if e.email and e.onec_user_ref
        ]
    resp = requests.post(f"{admin}/users", json=people, timeout=60)
    if not resp.ok:
        raise DemoError(f"the mock tracker refused its users: {resp.text[:200]}")
    return len(people)


def clockify_workspace(api: str, key: str) -> str:
    """The mock Clockify account's workspace (the first the key sees)."""
    resp = requests.get(f"{api}/workspaces", headers={"X-Api-Key": key}, timeout=30)
    if not resp.ok or not resp.json():
        raise DemoError(f"the mock Clockify account has no workspace: {resp.text[:200]}")
    return str(resp.json()[0]["id"])


def run_demo(no_wait: bool = False, data_dir: Path | None = None, tracker: str = "bitcop") -> dict[str, Any]:
    """Run the demo against a mock tracker of kind ``tracker``; returns the machine summary.
    Blocks until Ctrl-C unless ``no_wait``."""
    from connector.logs import configure_logging
    from connector.runtime import Runtime
    from connector.service import background_service, migrate
    from connector.sync.inbound.engine import InboundEngine
    from connector.sync.inbound.inbox import process_inbox
    from connector.sync.labour.deliver import deliver_pending
    from connector.sync.labour.engine import LabourEngine
    from connector.sync.push.engine import push_tasks

    console = Console()
    work = data_dir or Path(tempfile.mkdtemp(prefix="onec-bridge-demo-"))
    work.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in ("onec", "tracker", "connector")}
    connector = f"http://127.0.0.1:{ports['connector']}"
    tokens = {n: secrets.token_urlsafe(24) for n in ("admin", "viewer", "feed", "webhook", "apikey")}
    py = sys.executable
    if tracker not in API_PATHS:
        raise DemoError(f"unknown tracker kind {tracker!r}; known: {', '.join(API_PATHS)}")
    onec_argv, tracker_argv = mock_argvs(py, ports, connector, tokens, tracker)
    onec_root = f"http://127.0.0.1:{ports['onec']}"
    tracker_root = f"http://127.0.0.1:{ports['tracker']}"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{work / 'connector.db'}",
        onec_url=f"{onec_root}/crm",
        onec_password=ONEC_PASSWORD,  # type: ignore[arg-type]
        onec_exchange_node="TT",
        mappings_dir=SHIPPED_MAPPINGS if SHIPPED_MAPPINGS.is_dir() else Path("mappings"),
        tracker_kind=tracker,  # type: ignore[arg-type]  # one of API_PATHS, checked above
        tracker_url=f"{tracker_root}{API_PATHS[tracker]}",
        tracker_api_key=tokens["apikey"],  # type: ignore[arg-type]
        tracker_feed_token=tokens["feed"],  # type: ignore[arg-type]
        webhook_secret=tokens["webhook"],  # type: ignore[arg-type]
        admin_token=tokens["admin"],  # type: ignore[arg-type]
        viewer_token=tokens["viewer"],  # type: ignore[arg-type]
        log_format="console",
    )
    configure_logging("console", level="WARNING", secrets=list(tokens.values()) + [ONEC_PASSWORD])
    with contextlib.ExitStack() as stack:
        console.print(f"[bold]onec-bridge demo[/bold] — working directory {work}")
        stack.enter_context(subprocess_server(onec_argv, f"{onec_root}/_mock/health", work / "mock-1c.log"))
        stack.enter_context(
            subprocess_server(tracker_argv, f"{tracker_root}/_mock/health", work / "mock-tracker.log")
        )
        if tracker == "clockify":
            settings.tracker_clockify_workspace = clockify_workspace(settings.tracker_url, tokens["apikey"])
        migrate(settings.database_url)
        runtime = Runtime.from_settings(settings)
        stack.callback(runtime.close)
        service = stack.enter_context(background_service(runtime, "127.0.0.1", ports["connector"]))
        with console.status("registering incoming e-mails in 1C…"):
            numbers = register_emails(f"{onec_root}/crm/odata/standard.odata", f"{onec_root}/_mock")
        console.print(f"1C registered interests {', '.join(numbers)} from incoming e-mails")
        with console.status("inbound sync: 1C objects → tasks…"):
            engine = InboundEngine(runtime)
            for m in runtime.mappings:
                engine.run(m.name, trigger="manual")
            process_inbox(runtime, "demo", 500)
        if tracker == "bitcop":
            with console.status("tracker imports the task feed…"):
                feed = requests.post(f"{tracker_root}/_mock/sync-feed", timeout=120).json()
        else:
            with console.status(f"task push: tasks → {tracker}…"):
                users = tracker_users(runtime, f"{tracker_root}/_mock")
                pushed = push_tasks(runtime, trigger="manual")
                if pushed.status not in ("ok", "partial"):
                    raise DemoError(f"the task push failed: {pushed.error}")
                feed = {"items": pushed.counters.get("created", 0), "tracker_users": users}
            console.print(
                f"{tracker}: {users} users; the push created {feed['items']} tasks"
                + (f", {pushed.counters.get('failed', 0)} failed" if pushed.status == "partial" else "")
            )
        with console.status("tracker simulates a week of work…"):
            start = date.today() - timedelta(days=7)
            sim = requests.post(
                f"{tracker_root}/_mock/simulate", json={"start": start.isoformat(), "days": 7}, timeout=120
            )
            if not sim.ok:
                raise DemoError(f"the tracker simulation failed: {sim.text[:200]}")
        with console.status("labour sync: tracker time → 1C…"):
            LabourEngine(runtime, worker_id="demo", deliver=True).run(trigger="manual")
            deliver_pending(runtime, "demo", 1000)
        result = summarise(runtime)
        print_summary(console, result, feed)
        if no_wait:
            return result
        console.print(
            f"\nConsole: {service.url}/ui/  (viewer token: {tokens['viewer']}, operator: {tokens['admin']})",
            soft_wrap=True,
        )
        console.print(f"API: {service.url}/docs  (admin token: {tokens['admin']})", soft_wrap=True)
        console.print("Press Ctrl-C to stop everything.")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(1)
    return result
