"""Local days follow the account's time zone, never the server process's TZ."""

from __future__ import annotations

import subprocess

import pytest
import requests

from testbed.mocktracker import running_mock_tracker
from testbed.servers import script
from tests.integration.mock_tracker.fakefeed import FakeFeed


def _observe(url: str, token: str, process_tz: str) -> dict:
    with running_mock_tracker(feed_url=url, feed_token=token, env={"TZ": process_tz}) as mt:
        mt.sync_feed()
        mt.simulate("2026-03-02", 7)
        requests.post(
            f"{mt.admin_url}/entries",
            json={
                "employee_email": "petrov.p@crm.example",
                "task_code": "CRM-000102",
                "start": "2026-03-03T20:40:00Z",  # 23:40 Moscow
                "end": "2026-03-03T22:10:00Z",  # 01:10 Moscow, next day
            },
            timeout=10,
        ).raise_for_status()
        period = {"begin": "20260302", "end": "20260310"}
        shots = mt.api_get("screenshots", **period).json()["items"]
        for shot in shots:
            shot["url"] = shot["url"].removeprefix(mt.url)  # each server has its own port
        return {
            "screenshots": shots,
            "truth": mt.truth("2026-03-02", "2026-03-10"),
            "midnight": mt.truth("2026-03-04", "2026-03-05"),
            **{m: mt.api_get(m, **period).json() for m in ("tasks/activity", "workperiods", "activity")},
        }


def test_truth_and_api_are_identical_under_utc_and_vladivostok(team_feed: tuple[FakeFeed, str]) -> None:
    fake, url = team_feed
    utc = _observe(url, fake.token, "UTC")
    vladivostok = _observe(url, fake.token, "Asia/Vladivostok")
    assert utc == vladivostok
    petrov = [t for t in utc["midnight"] if t["employee_email"].lower() == "petrov.p@crm.example"]
    assert any(t["task_code"] == "CRM-000102" and t["seconds"] >= 4200 for t in petrov)
    assert utc["workperiods"]["items"][0]["start"].endswith("+03:00")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timezone", "Mars/Olympus"], "unknown time zone"),
        (["--feed-interval", "-1"], "--feed-interval"),
        (["--api-key", ""], "--api-key"),
        (["--feed-url", "ftp://x"], "--feed-url"),
        (["--db", "nosuchdriver://x"], "cannot open the state database"),
    ],
)
def test_bad_options_end_with_a_message_not_a_traceback(args: list[str], message: str) -> None:
    argv = [script("mock-tracker"), "serve", "--api-key", "k", "--port", "1", *args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
