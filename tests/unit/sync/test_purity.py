"""The pure core imports no I/O: it can be reasoned about and tested without servers."""

from __future__ import annotations

import subprocess
import sys

PURE = [
    "model",
    "timeutil",
    "rounding",
    "keys",
    "aggregate",
    "labour_diff",
    "task_diff",
    "planfact",
    "timesheet",
]
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
        + "".join(f"import connector.sync.{m}\n" for m in PURE)
        + f"print(sorted(m for m in {FORBIDDEN!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
