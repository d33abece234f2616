"""The ``onec-bridge`` command line. Commands stay thin: they call functions of other modules.

Exit codes: 0 done, 1 a run failed (or invalid mappings), 2 bad input or settings (a wrong
password or key included), 3 a system (1C, the tracker) unreachable.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError

from connector.settings import Settings

if TYPE_CHECKING:
    from connector.runtime import Runtime

EXIT_CODES = (
    "Exit codes: 0 done; 1 a run failed; 2 bad input or settings (a wrong password or key too); "
    "3 1C or the tracker unreachable."
)
app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help=f"Bridge between 1C:CRM and time trackers.\n\n{EXIT_CODES}",
)
db_app = typer.Typer(no_args_is_help=True, help="The connector's state store.")
app.add_typer(db_app, name="db")
failures_app = typer.Typer(no_args_is_help=True, help="Failed items: list and retry.")
app.add_typer(failures_app, name="failures")
billing_app = typer.Typer(no_args_is_help=True, help="Billed periods: close a customer's period, list them.")
app.add_typer(billing_app, name="billing")
tracker_app = typer.Typer(
    no_args_is_help=True, help="The tracker side: push tasks, tasks to create by hand, unmatched time."
)
app.add_typer(tracker_app, name="tracker")


VERBOSE = {"on": False}


@app.callback()
def main_options(
    verbose: Annotated[
        bool, typer.Option("-v", "--verbose", help="log what happens, with full requests, to stderr")
    ] = False,
) -> None:
    """Options of every command."""
    import logging

    from connector.logs import configure_logging

    VERBOSE["on"] = verbose
    configure_logging("console", logging.INFO if verbose else logging.CRITICAL, stream=sys.stderr)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` to stderr and exit with ``code`` (never a traceback for expected errors)."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    """Settings from the environment/.env; bad values exit 2 with one line per variable and the fix."""
    try:
        return Settings()
    except SettingsError as exc:
        field = str(exc).split('"')[1] if '"' in str(exc) else "settings"
        fail(f'ONEC_BRIDGE_{field.upper()}: not valid JSON (example: {{"<work type ref>": 2500}})', 2)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "ONEC_BRIDGE_" + "_".join(str(p) for p in err["loc"]).upper()
            lines.append(f"{name}: {err['msg'].removeprefix('Value error, ')}")
        fail("\n".join(lines), 2)


@app.command()
def validate(
    directory: Annotated[
        Path | None, typer.Argument(help="mapping directory (default: ONEC_BRIDGE_MAPPINGS_DIR)")
    ] = None,
    online: Annotated[bool, typer.Option("--online", help="check against the live 1C $metadata")] = False,
    schema: Annotated[bool, typer.Option("--schema", help="print the mapping JSON Schema and exit")] = False,
) -> None:
    """Check mapping files: syntax, schema, templates, fields, duplicates (exit 1 on problems)."""
    from connector.mapping import MappingError, mapping_json_schema
    from connector.mapping.validate import load_loaded

    if schema:
        typer.echo(json.dumps(mapping_json_schema(), ensure_ascii=False, indent=2))
        return
    settings = load_settings()
    target = directory or settings.mappings_dir
    sets = None
    if online:
        from connector.mapping.online import entity_sets
        from connector.runtime import onec_client

        try:
            with onec_client(settings) as client:
                published = client.metadata()
        except Exception as exc:  # any failure to reach 1C is reported, not raised as a trace
            fail(
                f"cannot read $metadata from ONEC_BRIDGE_ONEC_URL={settings.onec_url}: "
                f"{exc.__class__.__name__}: {exc}",
                1,
            )
        sets = entity_sets(published)
    try:
        files = load_loaded(target, sets)
    except MappingError as exc:
        fail(str(exc), 1)
    against = "the 1C $metadata" if online else "the built-in 1C:CRM model"
    from connector.mapping.rates import RATES_FILE, load_rates

    try:
        rates = load_rates(Path(target), [f.mapping for f in files])
    except MappingError as exc:
        fail(str(exc), 1)
    for f in files:
        typer.echo(f"ok  {f.path}  ({f.mapping.name}, {f.mapping.category})")
        if sets is not None and f.mapping.source is not None and f.mapping.task is not None:
            from connector.mapping.conditions import describe, server_filter

            for line in describe(server_filter(f.mapping, sets)):
                typer.echo(f"    {line}")
    if rates is not None:
        typer.echo(f"ok  {Path(target) / RATES_FILE}  ({len(rates.rows)} rate(s), {rates.currency})")
    typer.echo(f"{len(files)} mapping file(s) valid against {against}")


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Option(help="target revision")] = "head",
) -> None:
    """Create or upgrade the store's tables (ONEC_BRIDGE_DATABASE_URL) with the packaged migrations."""
    from sqlalchemy.exc import SQLAlchemyError

    from connector.store.db import StoreUrlError, normalize_url
    from connector.store.migrate import upgrade

    settings = load_settings()
    try:
        normalize_url(settings.database_url)
        reached = upgrade(settings.database_url, revision)
    except StoreUrlError as exc:
        fail(str(exc), 2)
    except SQLAlchemyError as exc:
        fail(f"database upgrade failed ({type(exc).__name__}): {str(exc).splitlines()[0]}", 1)
    typer.echo(f"database at revision {reached}")


def open_runtime(settings: Settings) -> Runtime:
    """The store migrated to head and a Runtime on it; bad URLs or mappings end the command."""
    from sqlalchemy.exc import SQLAlchemyError

    from connector.mapping import MappingError
    from connector.runtime import Runtime
    from connector.service import migrate
    from connector.store.db import StoreUrlError

    try:
        migrate(settings.database_url)
        return Runtime.from_settings(settings)
    except StoreUrlError as exc:
        fail(str(exc), 2)
    except MappingError as exc:
        fail(str(exc), 1)
    except SQLAlchemyError as exc:
        from connector.reach import readable

        first = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        down = any(word in first.lower() for word in ("refused", "timeout", "timed out", "translate host"))
        fail(f"the store: {readable(first)} — check ONEC_BRIDGE_DATABASE_URL", 3 if down else 2)


def print_rows(title: str, rows: list[dict[str, Any]]) -> None:
    """Rows as a rich table (columns of the first row)."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not rows:
        console.print(f"{title}: nothing to show")
        return
    table = Table(title=title)
    for column in rows[0]:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    console.print(table)


def summary_row(kind: str, result: Any) -> dict[str, Any]:
    counters = dict(getattr(result, "counters", {}) or {})
    return {
        "run": getattr(result, "run_id", None),
        "kind": kind,
        "mapping": getattr(result, "mapping", None) or "*",
        "status": getattr(result, "status", None) or ("failed" if counters.get("failed") else "ok"),
        "counters": ", ".join(f"{k}={v}" for k, v in sorted(counters.items()) if ":" not in k),
    }


def ensure_reachable(
    settings: Settings,
    onec: bool = True,
    tracker: bool = False,
    runtime: Runtime | None = None,
    kind: str = "inbound",
    mapping: str | None = None,
) -> None:
    """Ask 1C (and the tracker) once before any work: a system that cannot be used ends the
    command with one line naming the setting that fixes it (exit 3 unreachable, 2 refused us).
    With a ``runtime`` the run that needed the system (``kind`` for 1C, labour for the tracker)
    is recorded as failed with that reason and the rest are not started, so ``/api/runs`` shows
    why nothing happened; the runtime is closed before the command ends."""
    from connector.reach import check_onec, check_tracker

    for check, wanted, refused in ((check_onec, onec, kind), (check_tracker, tracker, "labour")):
        problem = check(settings) if wanted else None
        if problem is not None:
            if VERBOSE["on"] and problem.detail:
                typer.echo(problem.detail, err=True)
            if runtime is not None:
                record_refused_run(runtime, refused, mapping, problem.line())
                runtime.close()
            fail(problem.line(), problem.exit_code)


def refused_by_tracker(settings: Settings) -> None:
    """At start-up: a tracker that refuses our credentials, or settings its kind needs missing,
    end the command with one line (exit 2). An unreachable tracker or no key yet only warns: the
    task feed and the 1C side work without it, and ``/readyz`` keeps saying why."""
    from connector.reach import BAD_SETTINGS, check_tracker

    problem = check_tracker(settings)
    if problem is None:
        return
    definite = problem.exit_code == BAD_SETTINGS and problem.what != "no API key"
    if definite:
        fail(problem.line(), 2)
    typer.echo(f"warning: {problem.line()}", err=True)


def record_refused_run(runtime: Runtime, kind: str, mapping: str | None, reason: str) -> None:
    """A run that could not start: failed at once, counted ``failed:unreachable``, the reason kept."""
    from connector.sync.runs import RunRecorder

    recorder = RunRecorder(kind, "manual", mapping)
    with runtime.sessions.begin() as session:
        recorder.start(session)
        recorder.note("*", "failed", "unreachable", reason)
        recorder.flush(session, "failed")


def run_cycle(
    runtime: Runtime, what: str, mapping: str | None, dry_run: bool, lock_wait: float = 600.0
) -> bool:
    """One inbound run per mapping and/or one labour run, with a progress bar and a summary table.
    Each run holds the job lock(s) the service takes for the same work (waiting ``lock_wait`` s)."""
    from rich.progress import Progress

    from connector.sync.inbound.engine import InboundEngine
    from connector.sync.inbound.locks import LockBusy, inbound_locks

    if mapping is not None:
        runtime.mapping(mapping)
    steps: list[tuple[str, str | None]] = []
    if what in ("tasks", "all"):
        names = [mapping] if mapping else [m.name for m in runtime.mappings]
        steps += [("tasks", n) for n in names]
    if what in ("labour", "all"):
        steps.append(("labour", mapping))
    from connector.reach import readable, sounds_unreachable

    rows = []
    errors: list[tuple[dict[str, Any], str | None]] = []
    stopped = 0
    inbound = InboundEngine(runtime)
    with Progress(transient=True) as progress:
        bar = progress.add_task("sync", total=len(steps))
        for kind, name in steps:
            progress.update(bar, description=f"{kind} {name or ''}".strip())
            if kind == "tasks":
                assert name is not None
                try:
                    with inbound_locks(runtime, name, wait=lock_wait):
                        result: Any = inbound.run(name, trigger="manual", dry_run=dry_run)
                except LockBusy as exc:
                    fail(str(exc), 1)
            else:
                result = locked_labour_run(runtime, name, dry_run, lock_wait)
            rows.append(summary_row("inbound" if kind == "tasks" else "labour", result))
            errors.append((rows[-1], getattr(result, "error", None)))
            progress.advance(bar)
            failure = str(getattr(result, "error", None) or "")
            if rows[-1]["status"] == "failed" and sounds_unreachable(failure):
                stopped = len(steps) - len(rows)
                break
    print_rows("dry run (nothing written)" if dry_run else "sync", rows)
    for row, error in errors:
        if row["status"] == "failed" and error:
            number = f" {row['run']}" if row["run"] is not None else ""
            text = str(error) if VERBOSE["on"] else readable(str(error))
            typer.echo(f"{row['kind']} run{number} failed: {text}", err=True)
    if stopped:
        typer.echo(f"stopped: {stopped} more run(s) not started, the system did not answer", err=True)
        raise typer.Exit(3)
    return all(r["status"] != "failed" for r in rows)


def locked_labour_run(runtime: Runtime, mapping: str | None, dry_run: bool, wait: float = 600.0) -> Any:
    """A labour run under the service's ``labour`` job lock: a run of ``serve`` that pulled the
    tracker earlier must not commit its older picture over this one (waits up to 10 minutes)."""
    from connector.store.locks import job_lock
    from connector.sync.labour.engine import LabourEngine

    with job_lock(runtime.engine, "labour", wait=wait) as got:
        if not got:
            fail(f"another labour run (the service's?) held the lock for {wait:g} s; try again later", 1)
        return LabourEngine(runtime).run(trigger="manual", mapping=mapping, dry_run=dry_run)


def run_resync(runtime: Runtime, mapping: str, refs: list[str] | None, lock_wait: float = 600.0) -> bool:
    """Re-read a mapping (or some of its objects) from 1C now, under the service's job locks of
    that mapping (see ``connector.sync.inbound.locks``)."""
    from connector.sync.inbound.engine import InboundEngine
    from connector.sync.inbound.locks import LockBusy, inbound_locks

    runtime.mapping(mapping)
    try:
        with inbound_locks(runtime, mapping, wait=lock_wait):
            result = InboundEngine(runtime).run(mapping, trigger="resync", refs=refs)
    except LockBusy as exc:
        fail(str(exc), 1)
    print_rows("resync", [summary_row("inbound", result)])
    return result.status != "failed"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port", min=1, max=65535)] = 8080,
    scheduler: Annotated[bool, typer.Option("--scheduler/--no-scheduler", help="run the jobs")] = True,
) -> None:
    """Serve the API (webhooks, task feed, ops, reports) and run the scheduled jobs."""
    from connector.service import serve as run_service
    from connector.settings import UnsafeSettings, check_safe_to_serve

    settings = load_settings()
    try:
        check_safe_to_serve(settings, host)
    except UnsafeSettings as exc:
        fail(str(exc), 2)
    refused_by_tracker(settings)
    from connector.mapping import MappingError
    from connector.store.db import StoreUrlError

    try:
        run_service(settings, host, port, scheduler=scheduler)
    except StoreUrlError as exc:
        fail(str(exc), 2)
    except MappingError as exc:
        fail(str(exc), 1)


class TrackerKind(StrEnum):
    bitcop = "bitcop"
    kimai = "kimai"
    clockify = "clockify"


class SyncWhat(StrEnum):
    tasks = "tasks"
    labour = "labour"
    all = "all"


@app.command()
def sync(
    what: Annotated[SyncWhat, typer.Argument(help="tasks (1C → tracker), labour (tracker → 1C) or all")] = (
        SyncWhat.all
    ),
    mapping: Annotated[str | None, typer.Option(help="only this mapping")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="decide and report, write nothing")] = False,
    lock_wait: Annotated[
        float, typer.Option(help="seconds to wait for the service's job locks of the same work", min=0)
    ] = 600.0,
) -> None:
    """Run one sync cycle now and print a summary table (exit 1 if a run failed, 3 if 1C or the
    tracker cannot be reached, 2 if one refuses our credentials)."""
    settings = load_settings()
    runtime = open_runtime(settings)
    first_kind = "inbound" if what is not SyncWhat.labour else "labour"
    ensure_reachable(settings, True, what is not SyncWhat.tasks, runtime, first_kind, mapping)
    try:
        ok = run_cycle(runtime, what.value, mapping, dry_run, lock_wait)
    except KeyError as exc:
        fail(str(exc.args[0]), 2)
    finally:
        runtime.close()
    if not ok:
        raise typer.Exit(1)


@app.command()
def resync(
    mapping: Annotated[str, typer.Argument(help="mapping to re-read from 1C")],
    ref: Annotated[list[str] | None, typer.Option(help="only these 1C refs (GUIDs); repeatable")] = None,
    lock_wait: Annotated[
        float, typer.Option(help="seconds to wait for the service's job locks of the same work", min=0)
    ] = 600.0,
) -> None:
    """Re-read a mapping's objects from 1C now (all of them, or the given refs)."""
    settings = load_settings()
    runtime = open_runtime(settings)
    ensure_reachable(settings, True, False, runtime, "inbound", mapping)
    try:
        ok = run_resync(runtime, mapping, ref or None, lock_wait)
    except (KeyError, ValueError) as exc:
        fail(str(exc.args[0]) if exc.args else str(exc), 2)
    finally:
        runtime.close()
    if not ok:
        raise typer.Exit(1)


class ReportLang(StrEnum):
    ru = "ru"
    en = "en"


class ReportFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
def report(
    name: Annotated[
        str, typer.Argument(help="plan-fact, timesheet, output, sales, early-warning or estimates")
    ],
    from_: Annotated[datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="first day")] = None,
    to: Annotated[datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="last day")] = None,
    period: Annotated[str, typer.Option(help="timesheet grouping: day, week or month")] = "day",
    format: Annotated[ReportFormat, typer.Option(help="table, csv or json")] = ReportFormat.table,
    lang: Annotated[ReportLang, typer.Option(help="column titles and numbers: ru or en")] = ReportLang.ru,
    work_type: Annotated[str | None, typer.Option(help="estimates: the work type")] = None,
    stage: Annotated[str | None, typer.Option(help="estimates: a stage name, e.g. 'Этап 2'")] = None,
    customer: Annotated[str | None, typer.Option(help="billing: only this customer")] = None,
) -> None:
    """Print a report from the store (exit 2 on bad parameters). Tables show hours in the
    locale, fit the terminal (120 columns when not a terminal) and mark overruns ▲ and warnings △;
    CSV and JSON keep every field, minutes included."""
    from connector.reports import HourlyRates, ReportError, build_report, to_csv

    settings = load_settings()
    runtime = open_runtime(settings)
    rate_table = billing_rates(settings, runtime) if name == "billing" else None
    try:
        with runtime.sessions() as session:
            rows = build_report(
                name,
                session,
                runtime.mappings,
                from_ and from_.date(),
                to and to.date(),
                period,
                rates=HourlyRates.from_settings(settings),
                work_type=work_type,
                stage=stage,
                min_samples=settings.estimate_min_samples,
                billing_rates=rate_table,
                customer=customer,
            )
    except ReportError as exc:
        fail(str(exc), 2)
    finally:
        runtime.close()
    if format is ReportFormat.csv:
        typer.echo(to_csv(rows), nl=False)
    elif format is ReportFormat.json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print_report(name, rows, lang.value)


def billing_rates(settings: Settings, runtime: Runtime) -> dict[tuple[str, str | None], Any]:
    """The rates file beside the mappings (empty without one: hours shown, amounts left empty);
    a bad file ends the command with its problems, one per line (exit 2)."""
    from connector.mapping import MappingError
    from connector.mapping.rates import rates_table

    try:
        return rates_table(settings.mappings_dir, runtime.mappings)
    except MappingError as exc:
        runtime.close()
        fail(str(exc), 2)


def totalled(name: str) -> Callable[[Mapping[str, Any]], bool] | None:
    """Which rows add up into a report's totals (plan-fact: tasks; billing: lines), or all."""
    level = {"plan-fact": "task", "billing": "line"}.get(name)
    if level is None:
        return None
    return lambda row: row.get("level") == level


def print_report(name: str, rows: list[dict[str, Any]], lang: str) -> None:
    """A report as a table for people: the terminal's width on a terminal; in a pipe, ``COLUMNS``
    when set, else 120."""
    import os
    import shutil

    from connector.tables import REPORT_COLUMNS, hours_rows, render

    tty = sys.stdout.isatty()
    width = shutil.get_terminal_size((120, 24)).columns if tty else int(os.environ.get("COLUMNS") or 120)
    if not rows:
        typer.echo("нет данных" if lang == "ru" else "nothing to show")
        return
    table = render(
        hours_rows(name, rows),
        REPORT_COLUMNS[name],
        width=max(40, width),
        lang="en" if lang == "en" else "ru",
        colour=tty and "NO_COLOR" not in os.environ,
        state_key={"plan-fact": "overrun", "early-warning": "risk"}.get(name),
        in_total=totalled(name),
    )
    for line in table.lines:
        typer.echo(line)


@failures_app.command("list")
def failures_list(
    parked: Annotated[bool, typer.Option("--parked", help="only parked items")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
) -> None:
    """Failed items with their reason and the id to retry them by."""
    from connector.api.ops import failures as list_all

    runtime = open_runtime(load_settings())
    try:
        with runtime.sessions() as session:
            rows = list_all(None, session, parked=True if parked else None, limit=limit)["items"]
    finally:
        runtime.close()
    print_rows("failures", rows)


@failures_app.command("retry")
def failures_retry(failure_id: Annotated[str, typer.Argument(help="id from `failures list`")]) -> None:
    """Retry one failed item now."""
    from connector.api.errors import ApiError
    from connector.api.ops import retry_failure

    runtime = open_runtime(load_settings())
    try:
        with runtime.sessions.begin() as session:
            result = retry_failure(session, failure_id)
    except ApiError as exc:
        fail(exc.message, 1)
    finally:
        runtime.close()
    typer.echo(f"{failure_id}: {result['state']}")


@billing_app.command("close")
def billing_close(
    customer: Annotated[str, typer.Argument(help="the customer's name as reports show it, or its 1C ref")],
    to: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="last billed day, YYYY-MM-DD")],
) -> None:
    """Mark the customer's labour billed through --to: it stays in 1C as invoiced, later tracker
    corrections become adjustments after it. Refused (exit 1, with the rows) while any labour of
    the period is not settled in 1C; an unknown customer is exit 2."""
    from connector.store.billing import BillingError, close_period, resolve_customer

    runtime = open_runtime(load_settings())
    try:
        with runtime.sessions.begin() as session:
            try:
                who = resolve_customer(session, customer)
            except BillingError as exc:
                fail(str(exc), 2)
            period = close_period(session, who, to.date())
            closed = f"{period.customer or period.customer_ref}: billed through {period.last_day.isoformat()}"
    except BillingError as exc:
        lines = [str(exc)] + [
            f"  {u['date']}  {u['key']}  {u['minutes']} min, 1C {u['in_1c_minutes']}  ({u['state']})"
            for u in exc.unsettled[:50]
        ]
        fail("\n".join(lines), 1)
    finally:
        runtime.close()
    typer.echo(closed)


@billing_app.command("periods")
def billing_periods() -> None:
    """Billed periods, per customer."""
    from connector.api.billing import period_json
    from connector.store.billing import periods

    runtime = open_runtime(load_settings())
    try:
        with runtime.sessions() as session:
            rows = [period_json(p) for p in periods(session)]
    finally:
        runtime.close()
    print_rows("billed periods", rows)


def configured_tracker(runtime: Runtime) -> Any:
    """The runtime's tracker; settings it cannot be built from end the command in one line."""
    try:
        return runtime.tracker
    except ValueError as exc:
        runtime.close()
        fail(str(exc), 2)


@tracker_app.command("push")
def tracker_push() -> None:
    """Push the tasks that changed since the last push to a tracker whose API takes tasks
    (Kimai, Clockify); exit 1 when some task failed, 2 on a tracker that cannot take tasks."""
    from connector.sync.push.engine import push_tasks

    settings = load_settings()
    runtime = open_runtime(settings)
    try:
        ensure_reachable(settings, onec=False, tracker=True)
        if not configured_tracker(runtime).capabilities.publish_tasks:
            fail(
                f"the {settings.tracker_kind} tracker cannot take tasks through its API: its account "
                "imports the task feed; `onec-bridge tracker pending` lists what to create by hand",
                2,
            )
        result = push_tasks(runtime, trigger="manual")
    finally:
        runtime.close()
    print_rows("task push", [summary_row("push", result)])
    for email, codes in result.unmatched_emails.items():
        typer.echo(f"no tracker user for {email}: created without them on {', '.join(codes[:5])}", err=True)
    if result.error:
        fail(f"push stopped: {result.error}", 3)
    if result.status != "ok":
        raise typer.Exit(1)


@tracker_app.command("pending")
def tracker_pending(
    csv_: Annotated[bool, typer.Option("--csv", help="CSV for a spreadsheet instead of a table")] = False,
) -> None:
    """Open tasks the tracker has no task for yet, with the exact name to create each under
    (``[CODE] title``) and who to assign; a task leaves the list once the tracker has its code."""
    from connector.reports import to_csv
    from connector.sync.push.pending import pending_tasks

    settings = load_settings()
    runtime = open_runtime(settings)
    try:
        ensure_reachable(settings, onec=False, tracker=True)
        in_tracker = configured_tracker(runtime).tasks()
        with runtime.sessions() as session:
            rows = [p.as_dict() for p in pending_tasks(session, in_tracker)]
    finally:
        runtime.close()
    flat = [
        {
            "code": r["code"],
            "name": r["name"],
            "assignees": ", ".join(r["assignees"]),
            "category": r["category"],
            "customer": r["customer"] or "",
            "planned_hours": r["planned_hours"],
        }
        for r in rows
    ]
    if csv_:
        typer.echo(to_csv(flat), nl=False)
    elif flat:
        print_rows(f"tasks to create in the tracker ({len(flat)})", flat)
    else:
        typer.echo("the tracker has every open task")


@tracker_app.command("unmatched-time")
def tracker_unmatched_time(
    from_: Annotated[datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="first day")] = None,
    to: Annotated[datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="last day")] = None,
) -> None:
    """Tracked time (as last pulled) on tasks whose code matches no 1C object, with its hours."""
    from connector.sync.push.pending import unmatched_time

    last = to.date() if to else date.today()
    first = from_.date() if from_ else last - timedelta(days=30)
    if first > last:
        fail(f"--from {first} is after --to {last}: swap them", 2)
    runtime = open_runtime(load_settings())
    try:
        with runtime.sessions() as session:
            rows = unmatched_time(session, first, last)
    finally:
        runtime.close()
    if rows:
        print_rows(f"unmatched time {first}…{last}", rows)
    else:
        typer.echo(f"no unmatched time {first}…{last}")


@app.command()
def doctor() -> None:
    """Check the live 1C base against what the mappings need: published sets and fields, read
    rights, the closing-date constant, the exchange-plan node, the labour web service. One line
    per check, ✓ or ✗ with the fix; exit 1 when anything is missing (3 unreachable, 2 refused)."""
    from connector.doctor import run_checks

    settings = load_settings()
    runtime = open_runtime(settings)
    try:
        ensure_reachable(settings, onec=True)
        checks = run_checks(runtime)
    finally:
        runtime.close()
    for check in checks:
        mark = "✓" if check.ok else "✗"
        line = f"{mark} {check.name}" + (f" — {check.detail}" if check.detail else "")
        typer.echo(line if check.ok else f"{line}\n    fix: {check.fix}")
    missing = sum(not c.ok for c in checks)
    typer.echo(
        f"{len(checks) - missing} of {len(checks)} checks passed"
        + (f", {missing} missing" if missing else "")
    )
    if missing:
        raise typer.Exit(1)


@app.command()
def demo(
    no_wait: Annotated[bool, typer.Option("--no-wait", help="exit after the summary")] = False,
    data_dir: Annotated[Path | None, typer.Option(help="keep the demo's store here")] = None,
    tracker: Annotated[
        TrackerKind, typer.Option(help="the mock tracker: bitcop (imports the feed), kimai or clockify")
    ] = TrackerKind.bitcop,
) -> None:
    """Run the whole loop on one machine: mock 1C, mock tracker and the connector."""
    from connector.demo import DemoError, run_demo

    try:
        run_demo(no_wait=no_wait, data_dir=data_dir, tracker=tracker.value)
    except DemoError as exc:
        fail(f"demo failed: {exc}", 1)


def main() -> None:
    """Console entry point ``onec-bridge``."""
    app()
