"""The web console in a real browser (Debian's Chromium driven by Playwright) over a real loop:
mock 1C, the mock tracker and ``onec-bridge serve``, with tasks synced and a week of tracked time
delivered to 1C.

Skipped with the reason when Chromium is absent; ``REQUIRE_BROWSER=1`` (set by ``.ci/run``) makes
its absence a failure. A screenshot of every page is saved under ``build/console-screenshots``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from connector.store.db import make_engine, session_factory
from connector.store.history import park
from connector.store.models import Failure
from testbed.mocktracker import MockTracker, running_mock_tracker
from testbed.servers import REPO_ROOT, free_port, script
from testbed.service import (
    ADMIN_TOKEN,
    FEED_TOKEN,
    WEBHOOK_SECRET,
    RunningService,
    running_service,
    service_env,
)
from tests.support.mock1c import MockOneC, running_mock_1c

VIEWER_TOKEN = "viewer-token-console-tests-24680"
SHOTS = REPO_ROOT / "build" / "console-screenshots"
HOSTILE_TITLE = "<script>window.__pwned = 1</script><b>Жирный</b> заголовок"
READING = ["/ui/plan-fact", "/ui/timesheet", "/ui/output", "/ui/sales", "/ui/early-warning", "/ui/billing"]
OPERATING = [
    "/ui/",
    "/ui/runs",
    "/ui/failures",
    "/ui/unmatched",
    "/ui/links?q=SRV",
    "/ui/mappings",
    "/ui/resync",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        reason = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return found


@dataclass
class Loop:
    onec: MockOneC
    tracker: MockTracker
    service: RunningService
    store_url: str
    hostile_code: str
    failure_id: int


def _sync(env: dict[str, str], cwd: Path, what: str) -> None:
    done = subprocess.run(
        [script("onec-bridge"), "sync", what],
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loop]:
    chromium_path()
    tmp = tmp_path_factory.mktemp("console")
    port = free_port()
    connector = f"http://127.0.0.1:{port}"
    store_url = f"sqlite:///{tmp / 'store.db'}"
    with (
        running_mock_1c(
            webhook_url=f"{connector}/webhooks/1c", webhook_secret=WEBHOOK_SECRET, webhook_mode="outbox"
        ) as onec,
        running_mock_tracker(
            feed_url=f"{connector}/tracker/v1/tasks", feed_token=FEED_TOKEN, follow_plan=True
        ) as tracker,
    ):
        created = requests.post(
            f"{onec.admin_url}/emails",
            json={"subject": HOSTILE_TITLE, "text": "см. тему", "from": "client@example.ru"},
            timeout=30,
        )
        assert created.status_code in (200, 201), created.text
        env = service_env(
            store_url,
            onec.base_url,
            onec.password,
            tracker.api_url,
            tracker.api_key,
            REPO_ROOT / "mappings",
            ONEC_BRIDGE_VIEWER_TOKEN=VIEWER_TOKEN,
        )
        with running_service(env, port=port, cwd=tmp) as service:
            _sync(env, tmp, "tasks")
            tracker.sync_feed()
            tracker.simulate((date.today() - timedelta(days=6)).isoformat(), 5)
            _sync(env, tmp, "labour")
            links = requests.get(
                f"{connector}/api/links", headers=service.admin, params={"limit": 5000}, timeout=30
            )
            hostile = next(i for i in links.json()["items"] if "<script>" in i["title"])
            engine = make_engine(store_url)
            with session_factory(engine).begin() as s:
                failure = park(s, "labour_input", "employee-x/2026-03-02", "over_24h: 26 h on one day")
                failure_id = failure.id
            engine.dispose()
            yield Loop(onec, tracker, service, store_url, hostile["task_code"], failure_id)


@pytest.fixture(scope="module")
def browser(loop: Loop) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def sign_in(browser: Any, loop: Loop, token: str, start: str = "/ui/") -> Any:
    page = browser.new_context(locale="ru-RU").new_page()
    page.goto(loop.service.url + start)
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def watch(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def test_every_page_renders_with_real_data_and_no_console_errors(browser: Any, loop: Loop) -> None:
    page = sign_in(browser, loop, ADMIN_TOKEN)
    problems = watch(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for path in OPERATING + READING:
        response = page.goto(loop.service.url + path)
        assert response.status == 200, (path, response.status)
        assert page.locator("h1").inner_text().strip(), path
        name = path.strip("/").replace("/", "_").replace("?", "_").replace("=", "-") or "ui"
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert problems == []
    page.goto(loop.service.url + "/ui/plan-fact")
    assert page.locator("tbody tr").count() > 5
    assert " ч" in page.locator("tbody").inner_text()  # hours in Russian: "12,5 ч"
    page.goto(loop.service.url + "/ui/")
    assert page.locator(".checks li.good").count() == 3, page.locator(".checks").inner_text()
    page.goto(loop.service.url + "/ui/sales")
    assert page.locator("svg rect").count() > 4
    assert (page.locator("svg rect title").first.text_content() or "").endswith("%)")


def test_overrun_rows_are_red_and_say_so_in_words(browser: Any, loop: Loop) -> None:
    page = sign_in(browser, loop, ADMIN_TOKEN, "/ui/plan-fact")
    red = page.locator("tr.overrun")
    assert red.count() >= 1, "the plan-following week has overruns"
    colour = red.first.locator("td").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(253, 226, 225)"
    assert "перерасход" in red.first.inner_text()
    normal = page.locator("tbody tr:not(.overrun):not(.warn):not(.at-risk)").first
    assert normal.locator("td").first.evaluate("e => getComputedStyle(e).backgroundColor") != colour


def test_the_drill_down_shows_labour_per_employee_and_day(browser: Any, loop: Loop) -> None:
    page = sign_in(browser, loop, ADMIN_TOKEN, "/ui/plan-fact")
    page.locator("tbody tr th a").first.click()
    page.wait_for_load_state()
    assert page.locator("tbody tr").count() >= 1
    assert "." in page.locator("tbody tr td").first.inner_text()  # a Russian date 03.12.2026
    assert page.locator("tfoot").inner_text().startswith("Итого")


def test_a_retry_button_changes_the_failures_state(browser: Any, loop: Loop) -> None:
    page = sign_in(browser, loop, ADMIN_TOKEN, "/ui/failures")
    button = page.get_by_role("button", name="Повторить employee-x/2026-03-02")
    button.click()
    page.wait_for_load_state()
    assert "поставлено на повтор" in page.locator(".notice").inner_text()
    engine = make_engine(loop.store_url)
    try:
        with session_factory(engine)() as s:
            failure = s.get(Failure, loop.failure_id)
            assert failure is not None and failure.parked is False
    finally:
        engine.dispose()


def test_a_post_without_the_csrf_token_is_refused(browser: Any, loop: Loop) -> None:
    page = sign_in(browser, loop, ADMIN_TOKEN)
    refused = page.request.post(loop.service.url + "/ui/failures/retry-parked", form={"confirm": "yes"})
    assert refused.status == 403
    forged = page.request.post(
        loop.service.url + "/ui/resync", form={"mapping": "service", "refs": "", "csrf": "not-the-token"}
    )
    assert forged.status == 403


def test_a_viewer_reads_reports_and_gets_403_on_operator_pages(browser: Any, loop: Loop) -> None:
    page = sign_in(browser, loop, VIEWER_TOKEN)
    assert page.url.endswith("/ui/plan-fact")
    for path in READING:
        assert page.goto(loop.service.url + path).status == 200, path
    for path in ("/ui/runs", "/ui/failures", "/ui/resync", "/ui/mappings"):
        response = page.goto(loop.service.url + path)
        assert response.status == 403, path
        assert "только для оператора" in page.locator("h1").inner_text()


def test_without_a_session_sign_in_leads_back_to_the_page_asked_for(browser: Any, loop: Loop) -> None:
    page = browser.new_context().new_page()
    page.goto(loop.service.url + "/ui/timesheet?period=month")
    assert "/ui/login" in page.url
    assert ADMIN_TOKEN not in page.url
    page.fill("#token", "wrong-token")
    page.click("button[type=submit]")
    assert "Неверный токен" in page.locator(".error").inner_text()
    page.fill("#token", VIEWER_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/ui/timesheet?period=month")
    assert VIEWER_TOKEN not in page.url


def test_bad_filters_are_explained_beside_the_field_with_400(browser: Any, loop: Loop) -> None:
    page = sign_in(browser, loop, ADMIN_TOKEN)
    response = page.goto(loop.service.url + "/ui/plan-fact?from=2026-03-10&to=2026-03-01")
    assert response.status == 400
    assert "раньше" in page.locator("#e-to").inner_text()
    response = page.goto(loop.service.url + "/ui/plan-fact?department=marketing")
    assert response.status == 400
    assert "нет отдела «marketing»" in page.locator("#e-department").inner_text()
    response = page.goto(loop.service.url + "/ui/output?from=03.12.2026")
    assert response.status == 400 and "ГГГГ-ММ-ДД" in page.locator("#e-from").inner_text()


def test_a_1c_title_with_html_is_shown_as_text(browser: Any, loop: Loop) -> None:
    page = sign_in(browser, loop, ADMIN_TOKEN)
    problems = watch(page)
    page.goto(loop.service.url + f"/ui/links?q={loop.hostile_code}")
    cell = page.locator("tbody tr td").first
    assert "<script>window.__pwned = 1</script>" in cell.inner_text()
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("tbody b").count() == 0
    assert problems == []


def test_english_is_available_with_its_number_format(browser: Any, loop: Loop) -> None:
    page = sign_in(browser, loop, ADMIN_TOKEN, "/ui/plan-fact")
    page.goto(loop.service.url + "/ui/plan-fact?lang=en")
    assert page.locator("h1").inner_text() == "Plan vs fact"
    assert " h" in page.locator("tbody").inner_text()
    page.goto(loop.service.url + "/ui/timesheet")
    assert page.locator("html").get_attribute("lang") == "en"  # the choice is remembered


def test_the_pages_numbers_equal_the_json_reports(browser: Any, loop: Loop) -> None:
    today = date.today()
    monday = today - timedelta(days=today.weekday())
    api = requests.get(
        loop.service.url + "/api/reports/timesheet",
        params={"from": monday.isoformat(), "to": (monday + timedelta(days=6)).isoformat()},
        headers=loop.service.admin,
        timeout=60,
    ).json()["items"]
    page = sign_in(browser, loop, ADMIN_TOKEN, f"/ui/timesheet?period=week&date={today.isoformat()}")
    total = page.locator("tfoot td").last.inner_text()
    minutes = sum(r["minutes"] for r in api)
    assert total == f"{minutes / 60:,.1f} ч".replace(",", " ").replace(".", ","), (total, minutes)
    report = requests.get(
        loop.service.url + "/api/reports/plan-fact", headers=loop.service.admin, timeout=60
    ).json()
    codes = list(dict.fromkeys(r["task_code"] for r in report["items"] if r["task_code"]))
    page.goto(loop.service.url + "/ui/plan-fact")
    shown = list(dict.fromkeys(page.locator("tbody tr th a").all_inner_texts()))
    assert shown == codes[: len(shown)] and shown
