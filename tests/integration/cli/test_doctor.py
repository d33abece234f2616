"""``onec-bridge doctor`` against a real mock 1C: all ✓ on the full base; each missing piece named
with its fix (exit 1); wrong credentials or an unreachable base in one line (exit 2 / 3)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from testbed.mock1c import MockOneC, running_mock_1c
from testbed.servers import REPO_ROOT, free_port, script


@pytest.fixture(scope="module")
def onec() -> Iterator[MockOneC]:
    with running_mock_1c() as m:
        yield m


def doctor(
    tmp_path: Path, onec_url: str, password: str, mappings: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONEC_BRIDGE_")}
    return subprocess.run(
        [script("onec-bridge"), "doctor"],
        cwd=tmp_path,
        env={
            **clean,
            "ONEC_BRIDGE_MAPPINGS_DIR": str(mappings or REPO_ROOT / "mappings"),
            "ONEC_BRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
            "ONEC_BRIDGE_ONEC_URL": onec_url,
            "ONEC_BRIDGE_ONEC_USER": "Интегратор",
            "ONEC_BRIDGE_ONEC_PASSWORD": password,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_full_base_passes_every_check(tmp_path: Path, onec: MockOneC) -> None:
    result = doctor(tmp_path, onec.base_url, onec.password, ONEC_BRIDGE_ONEC_EXCHANGE_NODE="TT")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    checks = [line for line in lines if line.startswith(("✓", "✗"))]
    assert checks and all(line.startswith("✓") for line in checks), result.stdout
    names = " ".join(checks)
    for needed in (
        "Document_CRM_Интерес fields",
        "Catalog_ЗадачиПроектов readable",
        "Document_УчетВремени",
        "Constant_ТТ_ДатаЗапретаИзменения readable",
        "exchange-plan node TT",
        "web service TimeTracking answers GetLabour",
    ):
        assert needed in names
    assert lines[-1] == f"{len(checks)} of {len(checks)} checks passed"


def test_a_missing_node_is_named_with_its_fix(tmp_path: Path, onec: MockOneC) -> None:
    result = doctor(tmp_path, onec.base_url, onec.password, ONEC_BRIDGE_ONEC_EXCHANGE_NODE="NOPE")
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    wanted = "✗ exchange-plan node NOPE — exchange plan ExchangePlan_ТТ_ОбменСТрекером has no node with code"
    assert wanted in out
    assert (
        "fix: create the node in ExchangePlan_ТТ_ОбменСТрекером or fix ONEC_BRIDGE_ONEC_EXCHANGE_NODE" in out
    )
    assert out.splitlines()[-1].endswith("1 missing")
    assert "Traceback" not in out + result.stderr


def test_a_mapping_naming_a_field_1c_lacks_stops_with_file_and_line(tmp_path: Path, onec: MockOneC) -> None:
    mappings = tmp_path / "mappings"
    shutil.copytree(REPO_ROOT / "mappings", mappings)
    service = mappings / "service.yaml"
    text = service.read_text("utf-8")
    service.write_text(text.replace("    - Тема\n", "    - Тема\n    - ТТ_НетТакогоПоля\n"), "utf-8")
    result = doctor(tmp_path, onec.base_url, onec.password, mappings, ONEC_BRIDGE_ONEC_EXCHANGE_NODE="TT")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{service}:" in result.stderr and "ТТ_НетТакогоПоля" in result.stderr


def test_an_empty_node_setting_is_named(tmp_path: Path, onec: MockOneC) -> None:
    result = doctor(tmp_path, onec.base_url, onec.password)
    assert result.returncode == 1
    assert "✗ exchange-plan node — ONEC_BRIDGE_ONEC_EXCHANGE_NODE is empty" in result.stdout


def test_wrong_password_and_unreachable_base_are_one_line(tmp_path: Path, onec: MockOneC) -> None:
    wrong = doctor(tmp_path, onec.base_url, "not-it")
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert wrong.stderr.strip().count("\n") == 0 and "401: wrong user or password" in wrong.stderr
    down = doctor(tmp_path, f"http://127.0.0.1:{free_port()}/crm", "x")
    assert (
        down.returncode == 3 and "connection refused" in down.stderr and "ONEC_BRIDGE_ONEC_URL" in down.stderr
    )
    assert down.stderr.strip().count("\n") == 0


KIT_FIX = "fix: load the ТТ_ТрекерВремени extension (onec_kit/) and run its command"


@pytest.fixture(scope="module")
def partial() -> Iterator[MockOneC]:
    """A second base whose kit pieces each case switches off (``POST /_mock/kit``) and back."""
    with running_mock_1c() as m:
        yield m


def test_the_kit_switch_refuses_a_bad_piece(partial: MockOneC) -> None:
    bad = requests.post(f"{partial.admin_url}/kit", json={"without": ["constant"]}, timeout=30)
    assert bad.status_code == 400 and "expected one of extension" in bad.json()["error"]


@pytest.mark.parametrize(
    ("without", "failed", "fix"),
    [
        (
            "closing-date",
            ["✗ Constant_ТТ_ДатаЗапретаИзменения readable — HTTP 404"],
            "fix: publish the closing-date constant of the ТТ_ТрекерВремени extension",
        ),
        (
            "web-service",
            ["✗ web service TimeTracking answers GetLabour — HTTP 404"],
            "fix: publish the TimeTracking web service",
        ),
        (
            "exchange-plan",
            ["✗ exchange-plan node TT — ExchangePlan_ТТ_ОбменСТрекером is not in $metadata"],
            KIT_FIX,
        ),
        (
            "field:Document_CRM_Интерес.ТТ_ФактическиеТрудозатраты",
            ["✗ Document_CRM_Интерес fields — missing: ТТ_ФактическиеТрудозатраты"],
            KIT_FIX,
        ),
        (
            "field:Document_УчетВремени.Операции.ТТ_КлючСтроки",
            ["✗ Document_УчетВремени fields — missing: Операции.ТТ_КлючСтроки"],
            KIT_FIX,
        ),
        (
            "extension",
            [
                "✗ Catalog_ЗадачиПроектов fields — missing: ТТ_ПревышениеПлана, ТТ_ФактическиеТрудозатраты",
                "✗ Document_CRM_Интерес fields — missing: ТТ_ПревышениеПлана, ТТ_СогласованныеТрудозатраты, "
                "ТТ_ФактическиеТрудозатраты",
                "✗ Document_УчетВремени fields — missing: Операции.ТТ_Доказательства, "
                "Операции.ТТ_КлючСтроки, Операции.ТТ_Объект, Операции.ТТ_Объект_Type",
                "✗ Constant_ТТ_ДатаЗапретаИзменения readable",
                "✗ exchange-plan node TT",
                "✗ web service TimeTracking answers GetLabour",
            ],
            KIT_FIX,
        ),
    ],
    ids=[
        "no-constant",
        "no-web-service",
        "no-exchange-plan",
        "no-totals-field",
        "no-row-key",
        "no-extension",
    ],
)
def test_each_missing_piece_of_the_kit_is_named_with_its_fix(
    tmp_path: Path, partial: MockOneC, without: str, failed: list[str], fix: str
) -> None:
    switched = requests.post(f"{partial.admin_url}/kit", json={"without": [without]}, timeout=30)
    assert switched.status_code == 200, switched.text
    try:
        result = doctor(tmp_path, partial.base_url, partial.password, ONEC_BRIDGE_ONEC_EXCHANGE_NODE="TT")
    finally:
        requests.post(f"{partial.admin_url}/kit", json={"without": []}, timeout=30)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    crosses = [line for line in result.stdout.splitlines() if line.startswith("✗")]
    assert len(crosses) == len(failed), result.stdout
    for want in failed:
        assert any(line.startswith(want) for line in crosses), (want, result.stdout)
    assert fix in result.stdout
    total = len([line for line in result.stdout.splitlines() if line.startswith(("✓", "✗"))])
    assert (
        result.stdout.splitlines()[-1]
        == f"{total - len(failed)} of {total} checks passed, {len(failed)} missing"
    )
