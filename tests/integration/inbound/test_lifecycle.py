"""Inbound runs over the real mock 1C: discovery, lifecycle, static tasks, dry run, restarts."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from connector.runtime import Runtime
from connector.store.models import Failure, Run, RunItem
from connector.sync.inbound.apply import unmatched_employees
from connector.sync.inbound.engine import InboundEngine
from testbed.mock1c import MockOneC
from tests.integration.inbound.helpers import (
    admin_create,
    admin_delete,
    admin_patch,
    links,
    onec_objects,
    runtime_for,
)

INTEREST = "Document_CRM_Интерес"
EMPTY_REF = "00000000-0000-0000-0000-000000000000"
MAPPINGS_DIR = Path(__file__).resolve().parents[3] / "mappings"
FINISHED = "Успешно завершен"


def expected_service_codes(onec: MockOneC) -> set[str]:
    """Open service interests according to 1C itself (the ground truth of the service mapping)."""
    states = {s["Ref_Key"]: s["Завершен"] for s in onec_objects(onec, "Catalog_CRM_СостоянияИнтересов")}
    rows = onec_objects(onec, INTEREST, "ВидИнтереса eq 'Сервис' and DeletionMark eq false")
    return {f"SRV-{r['Number']}" for r in rows if not states[r["Состояние_Key"]]}


def open_codes(runtime: Runtime, mapping: str) -> set[str]:
    return {c for c, link in links(runtime, mapping).items() if link.status == "open"}


def state_ref(onec: MockOneC, name: str) -> str:
    return next(
        s["Ref_Key"] for s in onec_objects(onec, "Catalog_CRM_СостоянияИнтересов") if s["Description"] == name
    )


def new_interest(onec: MockOneC, subject: str = "Новая заявка") -> dict[str, object]:
    template = onec_objects(onec, INTEREST, "ВидИнтереса eq 'Сервис'")[0]
    return admin_create(
        onec,
        INTEREST,
        {
            "Тема": subject,
            "ВидИнтереса": "Сервис",
            "Партнер_Key": template["Партнер_Key"],
            "Ответственный_Key": template["Ответственный_Key"],
            "Состояние_Key": state_ref(onec, "Новый"),
        },
    )


def test_full_sync_creates_exactly_the_open_tasks_and_a_second_run_changes_nothing(
    onec: MockOneC, runtime: Runtime
) -> None:
    engine = InboundEngine(runtime)
    first = engine.run(None, trigger="full")
    assert first.status == "ok", first.error
    assert open_codes(runtime, "service") == expected_service_codes(onec)
    assert first.counters["created"] == len(links(runtime))
    assert first.counters.get("warning:unmapped_assignee", 0) > 0
    onec.reset_stats()
    second = engine.run(None, trigger="full")
    assert second.changed == 0 and second.counters["unchanged"] > 0
    with runtime.sessions() as session:
        run = session.get(Run, second.run_id)
        assert run is not None and run.status == "ok" and run.counters == second.counters
        assert unmatched_employees(session), "users without e-mail are reported"
    # paged reads: ~ceil(objects / page size) per set plus the directory, never one per object
    assert onec.stats()["total"] <= 2 + 2 + 3 + 5 + 3 + 1


def test_static_sales_tasks_go_to_the_sales_department(runtime: Runtime) -> None:
    InboundEngine(runtime).run("sales", trigger="schedule")
    sales = links(runtime, "sales")
    assert set(sales) == {"SALES-COMMERCIAL", "SALES-ADMIN", "SALES-LEARNING", "SALES-BREAK"}
    assert all(link.assignees and link.payload["onec_type"] is None for link in sales.values())


def test_schedule_only_discovery_with_the_scan_and_the_lifecycle(onec: MockOneC, runtime: Runtime) -> None:
    engine = InboundEngine(runtime)
    engine.run("service", trigger="full")
    onec.reset_stats()
    idle = engine.run("service", trigger="scan")
    assert idle.changed == 0 and onec.stats()["total"] <= 3 + 2

    created = new_interest(onec)
    ref = str(created["Ref_Key"])
    code = f"SRV-{created['Number']}"
    assert engine.run("service", trigger="scan").counters["created"] == 1
    assert links(runtime)[code].status == "open"

    admin_patch(onec, INTEREST, ref, {"Тема": "Уточнённая тема"})
    assert engine.run("service", trigger="scan").counters["updated"] == 1
    assert "Уточнённая тема" in links(runtime)[code].title

    admin_patch(onec, INTEREST, ref, {"Состояние_Key": state_ref(onec, FINISHED)})
    assert engine.run("service", trigger="scan").counters["closed:object_closed"] == 1
    assert links(runtime)[code].status == "closed"

    admin_patch(onec, INTEREST, ref, {"Состояние_Key": state_ref(onec, "В работе")})
    assert engine.run("service", trigger="scan").counters["reopened"] == 1
    assert links(runtime)[code].status == "open"

    admin_delete(onec, INTEREST, ref)
    result = engine.run("service", trigger="scan")
    assert result.counters["closed"] == 1 and links(runtime)[code].status == "closed"


def test_deletion_mark_closes_through_the_exchange_plan_acknowledged_after_commit(
    onec: MockOneC, runtime: Runtime
) -> None:
    engine = InboundEngine(runtime)
    engine.run(None, trigger="full")
    engine.run(None, trigger="exchange_plan")  # drain what the seed registered
    code = sorted(open_codes(runtime, "service"))[0]
    ref = links(runtime)[code].onec_ref

    class Crash(BaseException):
        pass

    def crash() -> None:
        raise Crash

    admin_patch(onec, INTEREST, ref, {"DeletionMark": True})
    engine.before_commit = crash
    with pytest.raises(Crash):
        engine.run(None, trigger="exchange_plan")
    assert links(runtime)[code].status == "open", "nothing committed"

    engine.before_commit = None
    redelivered = engine.run(None, trigger="exchange_plan")
    assert redelivered.counters.get("closed") == 1, redelivered.counters
    assert links(runtime)[code].status == "closed"
    assert engine.run(None, trigger="exchange_plan").counters.get("detected") == 0


def test_exchange_plan_discovers_a_new_interest_in_two_requests_when_idle(
    onec: MockOneC, runtime: Runtime
) -> None:
    engine = InboundEngine(runtime)
    engine.run(None, trigger="exchange_plan")
    onec.reset_stats()
    assert engine.run(None, trigger="exchange_plan").changed == 0
    assert onec.stats()["total"] <= 2
    created = new_interest(onec, "Через план обмена")
    result = engine.run(None, trigger="exchange_plan")
    assert result.counters.get("created", 0) >= 1
    assert f"SRV-{created['Number']}" in open_codes(runtime, "service")


def test_dry_run_reports_changes_and_writes_nothing(onec: MockOneC, runtime: Runtime) -> None:
    result = InboundEngine(runtime).run(None, trigger="full", dry_run=True)
    assert result.counters["created"] > 0 and result.run_id is None
    assert links(runtime) == {}
    with runtime.sessions() as session:
        assert session.execute(select(Run)).first() is None


def test_a_restart_mid_run_resumes_without_duplicates(onec: MockOneC, runtime: Runtime) -> None:
    engine = InboundEngine(runtime)
    commits = {"n": 0}

    class Crash(BaseException):
        pass

    def crash_on_third() -> None:
        commits["n"] += 1
        if commits["n"] == 3:
            raise Crash

    engine.before_commit = crash_on_third
    with pytest.raises(Crash):
        engine.run("service", trigger="full")
    partial = set(links(runtime, "service"))
    assert partial, "the first pages were committed"
    InboundEngine(runtime).run("service", trigger="full")
    assert open_codes(runtime, "service") == expected_service_codes(onec)
    assert len(links(runtime, "service")) == len(set(links(runtime, "service")))


def test_a_template_error_is_isolated_counted_and_parked(onec: MockOneC, tmp_path: Path) -> None:
    """A mapping whose title needs a partner fails for a partner-less interest, and only for it."""
    strict = tmp_path / "mappings"
    strict.mkdir()
    text = (MAPPINGS_DIR / "service.yaml").read_text(encoding="utf-8")
    lenient = "{{ Партнер.Description if Партнер else 'без контрагента' }}"
    assert lenient in text
    (strict / "service.yaml").write_text(text.replace(lenient, "{{ Партнер.Description }}"), encoding="utf-8")
    runtime = runtime_for(onec, f"sqlite:///{tmp_path / 'strict.db'}", strict, onec_page_size=20)
    try:
        broken = new_interest(onec, "Без партнёра")
        admin_patch(onec, INTEREST, str(broken["Ref_Key"]), {"Партнер_Key": EMPTY_REF})
        engine = InboundEngine(runtime, park_after=2)
        result = engine.run("service", trigger="full")
        assert result.status == "partial" and result.counters["skipped:template_error"] == 1
        assert open_codes(runtime, "service") == expected_service_codes(onec) - {f"SRV-{broken['Number']}"}
        engine.run("service", trigger="full")
        with runtime.sessions() as session:
            failure = session.execute(select(Failure)).scalar_one()
            assert failure.parked and "Партнер" in failure.reason
            reasons = set(session.execute(select(RunItem.reason)).scalars())
            assert "template_error" in reasons
    finally:
        runtime.close()
