"""Early warning and estimates over a real store (SQLite and PostgreSQL) and the served API."""

from __future__ import annotations

from datetime import date
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connector.mapping.schema import Risk
from connector.mapping.validate import load_mappings
from connector.reports import build_report
from connector.store.links import LinkData, set_link_actuals, upsert_link
from connector.store.models import Link
from testbed.connector_app import ADMIN_TOKEN, running_connector
from testbed.servers import REPO_ROOT

TODAY = date(2026, 12, 3)


def link(s: Session, code: str, title: str, plan: int | None, fact: int, status: str, **payload: Any) -> None:
    data = LinkData(
        "projects",
        "Catalog_ЗадачиПроектов",
        f"ref-{code}",
        code,
        "h",
        status=status,
        category="project",
        title=title,
        planned_minutes=plan,
        payload=payload,
    )
    row, _ = upsert_link(s, data)
    set_link_actuals(s, row, fact, None)


def seed(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        link(s, "PRJ-1", "[PRJ-1] Этап 1. Настройка обмена", 600, 600, "open", percent_done=50)
        link(s, "PRJ-2", "[PRJ-2] Этап 2. Обучение", 600, 300, "open", percent_done=60)
        link(s, "PRJ-3", "[PRJ-3] Этап 3. Отчёты", None, 120, "open")
        link(s, "PRJ-4", "[PRJ-4] Этап 4. Доработка", 600, 100, "open")
        link(
            s,
            "PRJ-5",
            "[PRJ-5] Этап 5. Согласование",
            1000,
            900,
            "open",
            planned_start="2026-11-03",
            planned_finish="2026-12-13",
        )
        for n, fact in enumerate((540, 720, 600, 660, 900), start=10):
            link(s, f"PRJ-{n}", f"[PRJ-{n}] Этап {n}. Настройка обмена", 600, fact, "closed")


def test_early_warning_over_the_store(sessions: sessionmaker[Session]) -> None:
    seed(sessions)
    with sessions() as s:
        rows = build_report("early-warning", s, [], today=TODAY)
    verdicts = {r["task_code"]: r["verdict"] for r in rows}
    assert verdicts == {
        "PRJ-1": "at_risk",  # 100 % of the budget at 50 % done
        "PRJ-5": "at_risk",  # 90 % burnt at 30/40 days elapsed, projected 1,200 of 1,000
        "PRJ-2": "on_track",
        "PRJ-4": "no_progress",
        "PRJ-3": "no_plan",
    }
    first = rows[0]
    assert (
        first["task_code"] == "PRJ-1" and first["projected_hours"] == 20.0 and first["burn_percent"] == 100.0
    )
    assert [r["task_code"] for r in rows][:2] == ["PRJ-1", "PRJ-5"]
    assert next(r for r in rows if r["task_code"] == "PRJ-5")["progress_source"] == "elapsed"


def test_each_object_is_judged_by_its_mappings_thresholds(sessions: sessionmaker[Session]) -> None:
    seed(sessions)
    mappings = load_mappings(REPO_ROOT / "mappings")
    lenient = [
        m.model_copy(update={"labour": m.labour.model_copy(update={"risk": Risk(points=60, tolerance=1.5)})})
        if m.name == "projects" and m.labour is not None
        else m
        for m in mappings
    ]
    with sessions() as s:
        strict = {
            r["task_code"]: r["verdict"] for r in build_report("early-warning", s, mappings, today=TODAY)
        }
        loose = {r["task_code"]: r["verdict"] for r in build_report("early-warning", s, lenient, today=TODAY)}
    # PRJ-1: 50 points ahead, projected 200 % — at risk under 25 points / 10 %, not under 60 / 150 %
    assert (strict["PRJ-1"], loose["PRJ-1"]) == ("at_risk", "on_track")


def test_estimates_over_the_store(sessions: sessionmaker[Session]) -> None:
    seed(sessions)
    with sessions() as s:
        rows = build_report("estimates", s, [], stage="Этап 42. Настройка обмена")
        assert s.execute(select(Link).where(Link.status == "closed")).scalars().all()
    assert len(rows) == 1
    (row,) = rows
    assert row["stage"] == "этап настройка обмена" and row["samples"] == 5
    assert row["suggested_hours"] == 11.0 and row["p80_hours"] == 12.6 and row["overrun_ratio"] == 1.1
    with sessions() as s:
        few = build_report("estimates", s, [], stage="Этап 42. Настройка обмена", min_samples=6)
    assert few[0]["suggested_hours"] is None and few[0]["note"].startswith("not enough history")


def test_the_api_serves_both(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with running_connector(url) as conn:
        seed(conn.runtime.sessions)
        auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        answer = requests.get(
            f"{conn.url}/api/estimates", params={"stage": "Настройка обмена, этап"}, headers=auth, timeout=30
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["items"][0]["samples"] == 0  # word order matters: another template
        answer = requests.get(
            f"{conn.url}/api/estimates",
            params={"stage": "Этап 7 — настройка обмена"},
            headers=auth,
            timeout=30,
        )
        assert answer.json()["items"][0]["suggested_hours"] == 11.0
        warning = requests.get(
            f"{conn.url}/api/reports/early-warning", params={"format": "csv"}, headers=auth, timeout=30
        )
        assert warning.status_code == 200 and warning.text.splitlines()[0].startswith("task_code,")
        assert "PRJ-1" in warning.text
        refused = requests.get(f"{conn.url}/api/estimates", timeout=30)
        assert refused.status_code == 401


def test_the_early_warning_gauge_counts_verdicts_per_mapping(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with running_connector(url) as conn:
        seed(conn.runtime.sessions)
        text = requests.get(f"{conn.url}/metrics", timeout=30).text
    # PRJ-5 is judged against today's date (elapsed share), so count only what does not depend on it
    found = {
        line.split("{")[1].split("}")[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("onec_bridge_early_warning_objects{")
    }
    assert found['mapping="projects",verdict="no_plan"'] == 1
    assert found['mapping="projects",verdict="no_progress"'] == 1
    at_risk = found['mapping="projects",verdict="at_risk"']
    on_track = found['mapping="projects",verdict="on_track"']
    assert at_risk >= 1 and at_risk + on_track == 3  # PRJ-1 at risk whatever the date; PRJ-2, PRJ-5
