"""Audit of issue 5 "nothing starts running": with a broken mapping file, ``serve`` and
``sync tasks`` exit non-zero naming file:line and make no request to 1C."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from testbed.servers import REPO_ROOT, free_port, script
from tests.support.mock1c import MockOneC, mock_1c  # noqa: F401  (module-scoped fixture)

EXAMPLES = REPO_ROOT / "mappings"


@pytest.mark.parametrize(
    "args",
    [["sync", "tasks"], ["serve", "--host", "127.0.0.1", "--port", "{port}"]],
    ids=["sync-tasks", "serve"],
)
def test_a_broken_mapping_stops_the_command_before_any_1c_request(
    tmp_path: Path,
    mock_1c: MockOneC,  # noqa: F811
    args: list[str],
) -> None:
    bad = tmp_path / "mappings"
    shutil.copytree(EXAMPLES, bad)
    path = bad / "service.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("unit_minutes: 15", "unit_minutes: 0"), "utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONEC_BRIDGE_")}
    env = {
        **clean,
        "ONEC_BRIDGE_ONEC_URL": mock_1c.base_url,
        "ONEC_BRIDGE_ONEC_USER": mock_1c.user,
        "ONEC_BRIDGE_ONEC_PASSWORD": mock_1c.password,
        "ONEC_BRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'state.db'}",
    }
    argv = [script("onec-bridge"), *(a.replace("{port}", str(free_port())) for a in args)]
    mock_1c.reset_stats()
    result = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "mappings/service.yaml:" in result.stderr
    assert "unit_minutes" in result.stderr
    assert mock_1c.stats()["total"] == 0
