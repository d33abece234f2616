"""Under injected 1C faults the inbound flow still converges to exactly the expected task set."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.sync.inbound.engine import InboundEngine
from tests.integration.inbound.helpers import links, onec_objects, runtime_for
from tests.support.mock1c import running_mock_1c


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 11])
def test_error_rate_faults_converge_to_the_expected_tasks(tmp_path: Path, seed: int) -> None:
    with running_mock_1c(faults="error_rate=0.2", fault_seed=seed) as onec:
        runtime = runtime_for(
            onec, f"sqlite:///{tmp_path / 'store.db'}", onec_page_size=20, onec_deadline=60.0
        )
        try:
            engine = InboundEngine(runtime)
            for _ in range(5):
                result = engine.run(None, trigger="full")
                if result.status == "ok":
                    break
            assert result.status == "ok", result.error
        finally:
            runtime.close()
        with running_mock_1c() as clean:  # same seed data, no faults: the ground truth
            states = {
                s["Ref_Key"]: s["Завершен"] for s in onec_objects(clean, "Catalog_CRM_СостоянияИнтересов")
            }
            rows = onec_objects(
                clean, "Document_CRM_Интерес", "ВидИнтереса eq 'Сервис' and DeletionMark eq false"
            )
            expected = {f"SRV-{r['Number']}" for r in rows if not states[r["Состояние_Key"]]}
        got = {c for c, link in links(runtime, "service").items() if link.status == "open"}
        assert got == expected
        assert len(links(runtime, "sales")) == 4
