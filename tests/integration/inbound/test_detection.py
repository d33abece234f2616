"""Date-cursor detection and resync by date range over the real mock 1C (both stores)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from connector.runtime import Runtime
from connector.sync.inbound.engine import InboundEngine
from testbed.mock1c import MockOneC
from tests.integration.inbound.helpers import admin_create, links, onec_objects, runtime_for
from tests.integration.inbound.test_lifecycle import INTEREST, MAPPINGS_DIR, expected_service_codes, state_ref

SERVICE = "ВидИнтереса eq 'Сервис' and DeletionMark eq false"


def date_cursor_mappings(tmp_path: Path) -> Path:
    """The shipped service mapping, detecting changes by a date cursor on ``Date`` instead."""
    out = tmp_path / "mappings"
    out.mkdir()
    text = (MAPPINGS_DIR / "service.yaml").read_text(encoding="utf-8")
    start = text.index("  change_detection:")
    end = text.index("task:")
    detection = (
        "  change_detection:\n"
        "    - kind: date_cursor\n      field: Date\n      overlap: 1h\n      interval: 5m\n"
    )
    (out / "service.yaml").write_text(text[:start] + detection + text[end:], encoding="utf-8")
    return out


def test_date_cursor_discovers_new_interests_and_re_reads_only_the_overlap(
    onec: MockOneC, store_url: str, tmp_path: Path
) -> None:
    runtime = runtime_for(onec, store_url, date_cursor_mappings(tmp_path), onec_page_size=20)
    try:
        engine = InboundEngine(runtime)
        first = engine.run("service", trigger="schedule")
        assert first.status == "ok", first.error
        total = len(onec_objects(onec, INTEREST, SERVICE))
        assert first.counters["detected"] == total
        assert open_codes(runtime) == expected_service_codes(onec)

        idle = engine.run("service", trigger="date_cursor")
        assert idle.changed == 0 and idle.counters.get("detected", 0) < total, "only the overlap is re-read"

        local_now = datetime.now(ZoneInfo(runtime.settings.onec_timezone)).replace(tzinfo=None)
        template = onec_objects(onec, INTEREST, SERVICE)[0]
        created = admin_create(
            onec,
            INTEREST,
            {
                "Date": (local_now - timedelta(minutes=2)).isoformat(timespec="seconds"),
                "Тема": "По курсору даты",
                "ВидИнтереса": "Сервис",
                "Ответственный_Key": template["Ответственный_Key"],
                "Состояние_Key": state_ref(onec, "Новый"),
            },
        )
        found = engine.run("service", trigger="date_cursor")
        assert found.counters.get("created") == 1, found.counters
        assert f"SRV-{created['Number']}" in open_codes(runtime)
    finally:
        runtime.close()


def test_resync_by_date_range_reads_exactly_the_interests_of_that_range(
    onec: MockOneC, runtime: Runtime
) -> None:
    rows = sorted(onec_objects(onec, INTEREST, SERVICE), key=lambda r: r["Date"])
    assert len(rows) >= 6
    lo, hi = rows[len(rows) // 3]["Date"], rows[2 * len(rows) // 3]["Date"]
    zone = ZoneInfo(runtime.settings.onec_timezone)
    since = datetime.fromisoformat(lo).replace(tzinfo=zone).astimezone(UTC)
    until = datetime.fromisoformat(hi).replace(tzinfo=zone).astimezone(UTC)
    result = InboundEngine(runtime).run(None, trigger="resync", since=since, until=until)
    assert result.status == "ok", result.error
    in_range = {f"SRV-{r['Number']}" for r in rows if lo <= r["Date"] <= hi}
    assert open_codes(runtime) == in_range & expected_service_codes(onec)
    assert 0 < len(open_codes(runtime)) < len(expected_service_codes(onec))
    assert not links(runtime, "sales"), "a date range reads objects, not static category tasks"
    assert result.counters["skipped:no_date_field"] == 1, "projects (a catalog) have no date to range on"


def open_codes(runtime: Runtime) -> set[str]:
    return {c for c, link in links(runtime, "service").items() if link.status == "open"}
