"""``validate --online`` against the mock 1C's ``$metadata`` (a real ``mock-1c serve``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.integration.cli.test_cli import EXAMPLES, run

mock1c = pytest.importorskip("tests.support.mock1c", reason="tests/support/mock1c.py is not available yet")


@pytest.fixture(scope="module")
def onec() -> object:
    with mock1c.running_mock_1c() as m:
        yield m


def _env(m: object) -> dict[str, str]:
    return {
        "ONEC_BRIDGE_ONEC_URL": m.base_url,  # type: ignore[attr-defined]
        "ONEC_BRIDGE_ONEC_USER": m.user,  # type: ignore[attr-defined]
        "ONEC_BRIDGE_ONEC_PASSWORD": m.password,  # type: ignore[attr-defined]
    }


def test_examples_validate_against_the_mock_metadata(onec: object, tmp_path: Path) -> None:
    result = run("validate", str(EXAMPLES), "--online", cwd=tmp_path, **_env(onec))
    assert result.returncode == 0, result.stderr
    assert "valid against the 1C $metadata" in result.stdout


def test_a_field_the_base_does_not_publish_is_reported(onec: object, tmp_path: Path) -> None:
    bad = tmp_path / "mappings"
    shutil.copytree(EXAMPLES, bad)
    path = bad / "service.yaml"
    path.write_text(path.read_text("utf-8").replace("- Содержание", "- Описание"), "utf-8")
    result = run("validate", str(bad), "--online", cwd=tmp_path, **_env(onec))
    assert result.returncode == 1
    assert "source.select[6]: Document_CRM_Интерес has no field 'Описание'" in result.stderr
