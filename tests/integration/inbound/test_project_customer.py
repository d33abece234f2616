"""Project tasks carry their project's customer when the mapping says
``labour.customer_field: Owner/Контрагент_Key``: the links the feed serves and the reports read
name the customer of the task's Owner project (a copy of the shipped mappings with that line)."""

from __future__ import annotations

import shutil
from pathlib import Path

from connector.runtime import Runtime
from connector.sync.inbound.engine import InboundEngine
from testbed.mock1c import MockOneC
from tests.integration.inbound.helpers import links, onec_objects, runtime_for

MAPPINGS_DIR = Path(__file__).resolve().parents[3] / "mappings"

EMPTY_REF = "00000000-0000-0000-0000-000000000000"


def test_project_tasks_carry_the_customer_of_their_project(
    onec: MockOneC, store_url: str, tmp_path: Path
) -> None:
    mappings = tmp_path / "mappings"
    shutil.copytree(MAPPINGS_DIR, mappings)
    path = mappings / "projects.yaml"
    text = path.read_text("utf-8")
    assert "  billable: true\n" in text
    path.write_text(
        text.replace("  billable: true\n", "  billable: true\n  customer_field: Owner/Контрагент_Key\n"),
        "utf-8",
    )
    runtime = runtime_for(onec, store_url, mappings, onec_page_size=20)
    try:
        _check(onec, runtime)
    finally:
        runtime.close()


def _check(onec: MockOneC, runtime: Runtime) -> None:
    result = InboundEngine(runtime).run("projects", trigger="full")
    assert result.status == "ok", result.error
    customer_of_project = {
        p["Ref_Key"]: (p["Контрагент_Key"] if p["Контрагент_Key"] != EMPTY_REF else None)
        for p in onec_objects(onec, "Catalog_Проекты")
    }
    owner_of_task = {t["Ref_Key"]: t["Owner_Key"] for t in onec_objects(onec, "Catalog_ЗадачиПроектов")}
    got = links(runtime, "projects")
    assert got
    with_customer = 0
    for link in got.values():
        expected = customer_of_project[owner_of_task[link.onec_ref]]
        assert link.payload["customer"] == expected, link.task_code
        with_customer += expected is not None
    assert with_customer > 0
