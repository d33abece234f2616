"""The whole loop as separate processes on loopback, for chaos scenarios.

``ChaosLoop`` starts mock 1C (``--db`` so it can be restarted with its data, outbox-mode signed
webhooks to the connector), the mock tracker (importing the connector's task feed) and
``onec-bridge serve`` (settings in ``ONEC_BRIDGE_*`` env). Every process can be SIGKILLed and
started again. Expectations are computed from the systems themselves: open tasks from 1C's data
read over OData with ``requests``, labour from the tracker's ``/_mock/truth``.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
import yaml
from requests.auth import HTTPBasicAuth
from sqlalchemy import create_engine, select, update

from connector.store.models import Employee, OutboxIntent
from connector.store.types import utcnow
from connector.sync.core.model import RoundingRule
from connector.sync.core.rounding import round_seconds
from connector.sync.labour.deliver_odata import DAY_FIELDS
from testbed.servers import REPO_ROOT, ServerProcess, free_port, script

INTEREST = "Document_CRM_Интерес"
QUERY_SAFE = "$'(),:/*"
SERVICE_ROUNDING = RoundingRule(15, "up")  # mappings/service.yaml
FAULTS_ON = "error_rate=0.2,timeout_rate=0.05,busy_rate=0.05,lock_rate=0.05,hang_s=3"
FAULTS_OFF = "error_rate=0,timeout_rate=0,busy_rate=0,lock_rate=0"
USER, PASSWORD = "Интегратор", "chaos-1c-password"
TOKENS = {"admin": "chaos-admin", "feed": "chaos-feed", "webhook": "chaos-webhook", "apikey": "chaos-key"}


def poll(check: Callable[[], bool], deadline_s: float, step: float = 1.0, what: str = "condition") -> None:
    """Wait until ``check()`` is true; a generous deadline, never a timing assertion."""
    end = time.monotonic() + deadline_s
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"{what} not reached within {deadline_s:.0f}s")
        time.sleep(step)


def write_mapping(name: str, directory: Path, detection: dict[str, str]) -> Path:
    """Copy ``mappings/<name>.yaml`` into ``directory`` with its polled detections re-timed."""
    source = REPO_ROOT / "mappings" / f"{name}.yaml"
    target = directory / source.name
    if not detection:
        shutil.copy(source, target)
        return target
    doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    for d in doc.get("source", {}).get("change_detection", []):
        if d["kind"] in detection:
            d.pop("cron", None)
            d["interval"] = detection[d["kind"]]
    target.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


class ChaosLoop:
    """Mock 1C, mock tracker and one or more connector replicas sharing one store."""

    def __init__(
        self,
        work: Path,
        *,
        seed: int = 7,
        store_url: str | None = None,
        connector_env: dict[str, str] | None = None,
        mappings: Sequence[str] = ("service",),
        detection: dict[str, str] | None = None,
        tracker_of: ChaosLoop | None = None,
        onec_sessions: int = 20,
    ) -> None:
        """``mappings``: which files of ``mappings/`` the connector loads; ``detection``: polled
        change detections re-timed (kind → interval such as ``3s``; a cron becomes that interval);
        ``tracker_of``: use that loop's mock tracker instead of starting one (its connector's feed
        is what the tracker imports); ``onec_sessions``: mock 1C's IBSession pool (``--max-sessions``).
        The mock never ends a session by itself, while a real 1C server ends idle ones: every
        SIGKILLed connector process leaks its session for good, so a scenario that kills N
        processes needs a pool of at least N plus the live ones."""
        self.work = work
        work.mkdir(parents=True, exist_ok=True)
        self.seed = seed
        self.store_url = store_url or f"sqlite:///{work / 'connector.db'}"
        self.extra_env = connector_env or {}
        self.onec_sessions = onec_sessions
        self.onec_port = free_port()
        self.tracker_port: int = tracker_of.tracker_port if tracker_of else free_port()
        self.connector_ports = [free_port(), free_port()]
        self.onec_root = f"http://127.0.0.1:{self.onec_port}"
        self.tracker_root = f"http://127.0.0.1:{self.tracker_port}"
        self.mappings = work / "mappings"
        self.mappings.mkdir(exist_ok=True)
        for name in mappings:
            write_mapping(name, self.mappings, detection or {})
        self.onec: ServerProcess | None = None
        self.tracker: ServerProcess | None = None
        self.replicas: dict[int, ServerProcess] = {}

    # --- processes --------------------------------------------------------------------------
    @property
    def connector_url(self) -> str:
        return f"http://127.0.0.1:{self.connector_ports[0]}"

    @property
    def odata(self) -> str:
        return f"{self.onec_root}/crm/odata/standard.odata"

    def env(self) -> dict[str, str]:
        values = {
            "DATABASE_URL": self.store_url,
            "ONEC_URL": f"{self.onec_root}/crm",
            "ONEC_USER": USER,
            "ONEC_PASSWORD": PASSWORD,
            "ONEC_TIMEOUT": "2",
            "ONEC_DEADLINE": "15",
            "ONEC_EXCHANGE_NODE": "TT",
            "MAPPINGS_DIR": str(self.mappings),
            "TRACKER_URL": f"{self.tracker_root}/api/v1",
            "TRACKER_API_KEY": TOKENS["apikey"],
            "TRACKER_FEED_TOKEN": TOKENS["feed"],
            "WEBHOOK_SECRET": TOKENS["webhook"],
            "ADMIN_TOKEN": TOKENS["admin"],
            "LOG_FORMAT": "json",
        }
        env = {f"ONEC_BRIDGE_{k}": v for k, v in values.items()}
        env.update(self.extra_env)
        return env

    def start_onec(self) -> None:
        argv = [script("mock-1c"), "serve", "--host", "127.0.0.1", "--port", str(self.onec_port)]
        argv += ["--user", USER, "--password", PASSWORD, "--seed", "42", "--scale", "small"]
        argv += ["--max-sessions", str(self.onec_sessions)]
        argv += ["--db", f"sqlite:///{self.work / 'onec.db'}", "--fault-seed", str(self.seed)]
        argv += ["--webhook-url", f"{self.connector_url}/webhooks/1c", "--webhook-secret", TOKENS["webhook"]]
        argv += ["--webhook-mode", "outbox", "--webhook-types", INTEREST, "--log-level", "warning"]
        self.onec = ServerProcess(argv, ready_url=f"{self.onec_root}/_mock/health").start()

    def stop_onec(self) -> None:
        if self.onec:
            self.onec.kill()

    def start_tracker(self) -> None:
        argv = [script("mock-tracker"), "serve", "--host", "127.0.0.1", "--port", str(self.tracker_port)]
        argv += ["--api-key", TOKENS["apikey"], "--seed", str(self.seed), "--timezone", "Europe/Moscow"]
        argv += ["--feed-url", f"{self.connector_url}/tracker/v1/tasks", "--feed-token", TOKENS["feed"]]
        argv += ["--feed-interval", "0", "--log-level", "warning"]
        self.tracker = ServerProcess(argv, ready_url=f"{self.tracker_root}/_mock/health").start()

    def start_connector(self, replica: int = 0, scheduler: bool = True) -> ServerProcess:
        port = self.connector_ports[replica]
        argv = [script("onec-bridge"), "serve", "--host", "127.0.0.1", "--port", str(port)]
        argv += [] if scheduler else ["--no-scheduler"]
        proc = ServerProcess(argv, ready_url=f"http://127.0.0.1:{port}/healthz", env=self.env(), timeout=90)
        self.replicas[replica] = proc.start()
        return proc

    def kill_connector(self, replica: int = 0) -> None:
        self.replicas[replica].kill()

    def cli(
        self,
        *args: str,
        kill_after: float | None = None,
        timeout: float = 300,
        env: dict[str, str] | None = None,
    ) -> int | None:
        """Run ``onec-bridge ARGS`` with the loop's settings (plus ``env``); SIGKILL it after
        ``kill_after`` s. Returns the exit code (None when it was killed)."""
        proc = subprocess.Popen(
            [script("onec-bridge"), *args],
            env={**ServerProcess([], ready_url="").env, **self.env(), **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.work,
        )
        try:
            return proc.wait(kill_after if kill_after is not None else timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            return None

    def close(self) -> None:
        for proc in [*self.replicas.values(), self.tracker, self.onec]:
            if proc is not None:
                proc.stop()

    def logs(self) -> str:
        parts = [f"--- connector {n} ---\n{p.output()[-4000:]}" for n, p in self.replicas.items()]
        return "\n".join(parts)

    # --- the systems' own APIs --------------------------------------------------------------
    def set_faults(self, spec: str) -> None:
        resp = requests.post(f"{self.onec_root}/_mock/faults", data=spec, timeout=30)
        resp.raise_for_status()

    def open_onec_sessions(self) -> int:
        """IBSessions mock 1C holds open (killed processes' sessions included: it never ends them)."""
        return int(requests.get(f"{self.onec_root}/_mock/health", timeout=30).json()["sessions"])

    def onec_stats(self) -> dict[str, Any]:
        return dict(requests.get(f"{self.onec_root}/_mock/stats", timeout=30).json())

    def tracker_sync_feed(self) -> bool:
        try:
            return requests.post(f"{self.tracker_root}/_mock/sync-feed", timeout=120).ok
        except requests.RequestException:
            return False

    def simulate(self, start: date, days: int) -> None:
        resp = requests.post(
            f"{self.tracker_root}/_mock/simulate",
            json={"start": start.isoformat(), "days": days},
            timeout=120,
        )
        resp.raise_for_status()

    def truth(self, first: date, last: date) -> list[dict[str, Any]]:
        params = {"begin": first.isoformat(), "end": (last + timedelta(days=1)).isoformat()}
        resp = requests.get(f"{self.tracker_root}/_mock/truth", params=params, timeout=60)
        resp.raise_for_status()
        return list(resp.json()["items"])

    def onec_entities(self, entity_set: str, **params: str) -> list[dict[str, Any]]:
        """Every entity of a set through 1C's OData (paged with $top/$skip), as a client reads it."""
        out: list[dict[str, Any]] = []
        auth = HTTPBasicAuth(USER.encode(), PASSWORD.encode())
        while True:
            query = {"$format": "json", "$top": "500", "$skip": str(len(out)), **params}
            qs = "&".join(f"{k}={quote(v, safe=QUERY_SAFE)}" for k, v in query.items())  # 1C: %20, not +
            resp = requests.get(f"{self.odata}/{entity_set}?{qs}", auth=auth, timeout=60)
            resp.raise_for_status()
            page = resp.json()["value"]
            out += page
            if len(page) < 500:
                return out

    def feed_codes(self, status: str = "open") -> list[str]:
        """Every task code the feed lists (all pages), duplicates kept so a test can see them."""
        codes: list[str] = []
        cursor: str | None = None
        headers = {"Authorization": f"Bearer {TOKENS['feed']}"}
        while True:
            params = {"status": status, "limit": "200", **({"cursor": cursor} if cursor else {})}
            resp = requests.get(
                f"{self.connector_url}/tracker/v1/tasks", params=params, headers=headers, timeout=60
            )
            resp.raise_for_status()
            body = resp.json()
            codes += [item["code"] for item in body["items"]]
            cursor = body.get("next_cursor")
            if not cursor:
                return codes

    def expected_open_codes(self) -> set[str]:
        """Open service tasks by the rules of mappings/service.yaml, computed from 1C's data."""
        interests = self.onec_entities(
            INTEREST,
            **{"$filter": "ВидИнтереса eq 'Сервис' and DeletionMark eq false", "$expand": "Состояние"},
        )
        return {
            f"SRV-{i['Number'].strip()}" for i in interests if not (i.get("Состояние") or {}).get("Завершен")
        }

    def interest_refs(self) -> dict[str, str]:
        return {f"SRV-{i['Number'].strip()}": i["Ref_Key"] for i in self.onec_entities(INTEREST)}

    # --- labour -----------------------------------------------------------------------------
    def store_engine(self) -> Any:
        return create_engine(self.store_url)

    def employee_by_email(self) -> dict[str, str]:
        engine = self.store_engine()
        try:
            with engine.connect() as conn:
                rows = conn.execute(select(Employee.email, Employee.onec_employee_ref)).all()
        finally:
            engine.dispose()
        return {str(e).lower(): str(r) for e, r in rows if e and r}

    def expected_labour(self, first: date, last: date) -> dict[tuple[str, str, date], int]:
        """Tracker truth rounded per (1C employee, 1C object, local day) as the mapping rounds it."""
        refs = self.interest_refs()
        emps = self.employee_by_email()
        out: dict[tuple[str, str, date], int] = {}
        for item in self.truth(first, last):
            code = item["task_code"]
            if code not in refs:
                continue
            email = item["employee_email"].lower()
            assert email in emps, f"tracker employee {email} has no 1C employee in the store"
            minutes = round_seconds(int(item["seconds"]), SERVICE_ROUNDING)
            if minutes:
                out[(emps[email], refs[code], date.fromisoformat(item["date"]))] = minutes
        return out

    def labour_in_1c(self, first: date, last: date) -> dict[tuple[str, str, date], int]:
        """Minutes per (employee, object, day) in posted Document_УчетВремени, read over OData."""
        out: dict[tuple[str, str, date], int] = defaultdict(int)
        for doc in self.onec_entities("Document_УчетВремени"):
            if not doc.get("Posted") or doc.get("DeletionMark"):
                continue
            monday = date.fromisoformat(doc["ДатаС"][:10])
            for row in doc.get("Операции") or []:
                for i, field in enumerate(DAY_FIELDS):
                    day = monday + timedelta(days=i)
                    minutes = round(float(row.get(field + "Длительность") or 0) * 60)
                    if minutes and first <= day <= last:
                        out[(doc["Сотрудник_Key"], row["ТТ_Объект"], day)] += minutes
        return dict(out)

    def outbox(self) -> list[tuple[str, str, str | None]]:
        """(target key, state, last error) of every delivery intent."""
        engine = self.store_engine()
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    select(OutboxIntent.target_key, OutboxIntent.state, OutboxIntent.last_error)
                ).all()
        finally:
            engine.dispose()
        return [(str(k), str(s), e) for k, s, e in rows]

    def skip_backoff(self) -> None:
        """Make waiting intents due now: stands in for waiting out their backoff after faults end."""
        engine = self.store_engine()
        try:
            with engine.begin() as conn:
                conn.execute(
                    update(OutboxIntent)
                    .where(OutboxIntent.state == "pending")
                    .values(next_attempt_at=utcnow())
                )
        finally:
            engine.dispose()
