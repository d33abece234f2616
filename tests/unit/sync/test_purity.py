"""The pure core imports no I/O: it can be reasoned about and tested without servers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[3] / "connector" / "sync" / "core"
PURE = sorted(p.stem for p in CORE.glob("*.py") if p.stem != "__init__")
FORBIDDEN = [
    "requests",
    "httpx",
    "sqlalchemy",
    "fastapi",
    "zeep",
    "connector.onec",
    "connector.store",
    "connector.tracker",
]


def test_pure_core_modules_import_no_io_modules() -> None:
    code = (
        "import sys\n"
        + "".join(f"import connector.sync.core.{m}\n" for m in PURE)
        + f"print(sorted(m for m in {FORBIDDEN!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_core_holds_the_pure_parts() -> None:
    assert {"model", "transform", "task_diff", "labour_diff", "keys", "rounding", "timeutil"} <= set(PURE)
    assert {"aggregate", "planfact", "timesheet", "intake", "directory"} <= set(PURE)
