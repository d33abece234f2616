"""Bad tracker settings for people, per kind: a wrong token or key stops ``serve`` at start-up with
one line naming the setting (exit 2); ``/readyz`` says 401 with the setting; an unknown Clockify
workspace and a missing Kimai user name are one line each; a bad kind is refused by name."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from pydantic import SecretStr

from testbed.connector_app import running_connector
from testbed.mocktracker import MockTracker, running_mock_tracker
from testbed.servers import REPO_ROOT, free_port, script


@pytest.fixture(scope="module", params=["kimai", "clockify"])
def tracker(request: pytest.FixtureRequest) -> Iterator[MockTracker]:
    with running_mock_tracker(kind=str(request.param)) as mt:
        yield mt


def kind_of(mt: MockTracker) -> str:
    return "kimai" if mt.api_url.endswith("/api") else "clockify"


def serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONEC_BRIDGE_")}
    base = {
        "ONEC_BRIDGE_MAPPINGS_DIR": str(REPO_ROOT / "mappings"),
        "ONEC_BRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
    }
    return subprocess.run(
        [script("onec-bridge"), "serve", "--port", str(free_port()), "--no-scheduler"],
        cwd=tmp_path,
        env={**clean, **base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_for(mt: MockTracker, key: str) -> dict[str, str]:
    kind = kind_of(mt)
    env = {
        "ONEC_BRIDGE_TRACKER_KIND": kind,
        "ONEC_BRIDGE_TRACKER_URL": mt.api_url,
        "ONEC_BRIDGE_TRACKER_API_KEY": key,
    }
    if kind == "clockify":
        env["ONEC_BRIDGE_TRACKER_CLOCKIFY_WORKSPACE"] = mt.workspace()
    return env


def test_a_wrong_token_stops_serve_at_start_up_with_one_line(tracker: MockTracker, tmp_path: Path) -> None:
    result = serve(tmp_path, **settings_for(tracker, "not-the-key"))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "401" in lines[0] and "ONEC_BRIDGE_TRACKER_API_KEY" in lines[0]
    assert "not-the-key" not in result.stderr


def test_readyz_names_the_refused_credentials(tracker: MockTracker, tmp_path: Path) -> None:
    overrides = {
        "tracker_kind": kind_of(tracker),
        "tracker_url": tracker.api_url,
        "tracker_api_key": SecretStr("not-the-key"),
    }
    if kind_of(tracker) == "clockify":
        overrides["tracker_clockify_workspace"] = tracker.workspace()
    with running_connector(f"sqlite:///{tmp_path / 'store.db'}", **overrides) as app:
        ready = requests.get(app.url + "/readyz", timeout=30)
        assert ready.status_code == 503
        said = ready.json()["checks"]["tracker"]
        assert "401" in said and "ONEC_BRIDGE_TRACKER_API_KEY" in said
        app.runtime.settings.tracker_api_key = SecretStr(tracker.api_key)
        # 1C is not running here, so the probe stays 503; the tracker's own check turns ok
        assert requests.get(app.url + "/readyz", timeout=30).json()["checks"]["tracker"] == "ok"


def test_kind_specific_settings_are_one_line_each(tracker: MockTracker, tmp_path: Path) -> None:
    env = settings_for(tracker, tracker.api_key)
    if kind_of(tracker) == "clockify":
        env["ONEC_BRIDGE_TRACKER_CLOCKIFY_WORKSPACE"] = "ffffffffffffffffffffffff"
        wanted = "ONEC_BRIDGE_TRACKER_CLOCKIFY_WORKSPACE"
    else:
        env["ONEC_BRIDGE_TRACKER_KIMAI_AUTH"] = "x-auth"  # and no user name
        wanted = "ONEC_BRIDGE_TRACKER_KIMAI_USER"
    result = serve(tmp_path, **env)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and wanted in lines[0], result.stderr


def test_an_unknown_kind_is_refused_by_name(tmp_path: Path) -> None:
    result = serve(tmp_path, ONEC_BRIDGE_TRACKER_KIND="toggl")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "ONEC_BRIDGE_TRACKER_KIND" in result.stderr and "kimai" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["tracker", "push"], ["tracker", "pending"]])
def test_tracker_commands_without_a_key_say_so_in_one_line(command: list[str], tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONEC_BRIDGE_")}
    env = {
        **clean,
        "ONEC_BRIDGE_MAPPINGS_DIR": str(REPO_ROOT / "mappings"),
        "ONEC_BRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "ONEC_BRIDGE_TRACKER_KIND": "kimai",
    }
    result = subprocess.run(
        [script("onec-bridge"), *command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "ONEC_BRIDGE_TRACKER_API_KEY" in lines[0] and "Traceback" not in result.stderr
