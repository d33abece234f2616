"""The layers of the house, kept by a test.

Each unit of the connector stands on a level; a module may import units on lower levels (and its
own unit), never a unit on its own level or above. The mocks are foreign systems: they import
nothing from the connector and the connector nothing from them. Benchmarks import nothing from
the tests (they run with only the project installed).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# unit → level. Higher levels may import lower ones, never the other way, never their peers.
LEVELS: dict[str, int] = {
    # entry points: they compose everything (the CLI starts the demo, the demo the service)
    "cli": 10,
    "demo": 9,
    "service": 8,
    # the web and the clock
    "api": 7,
    "scheduler": 7,
    # what is read off the flows' results
    "reports": 6,
    # the flows, and the check of a live base against what they need
    "doctor": 5,
    "sync.inbound": 5,
    "sync.labour": 5,
    "sync.push": 5,
    # what both flows share (runs, the user directory, GC tuning)
    "sync": 4,
    # the wiring of one process's systems
    "runtime": 3,
    # the Prometheus registry over the store (its early-warning gauge uses the pure core)
    "metrics": 4,
    # can 1C and the tracker be reached (one plain request each, said in words)
    "reach": 3,
    # the pure core of both flows (may read mapping definitions)
    "sync.core": 3,
    # the systems and the definitions: none of them knows another
    "onec": 2,
    "tracker": 2,
    "mapping": 2,
    "store": 2,
    # the ground every layer stands on
    "http": 1,
    "settings": 1,
    "logs": 2,
    # tables for people (pure text rendering)
    "tables": 1,
    "jsoncodec": 0,
    "connector": 0,
}

# The core reads mapping definitions and nothing else of the connector's systems.
CORE_MAY_IMPORT = {"sync.core", "mapping", "jsoncodec"}
# core must stay pure: no database, no HTTP client or server, no SOAP.
CORE_FORBIDDEN = ("sqlalchemy", "requests", "fastapi", "starlette", "zeep", "httpx", "uvicorn")


def unit_of(module: str) -> str:
    """``connector.sync.labour.deliver`` → ``sync.labour``; ``connector.api.ops`` → ``api``."""
    parts = module.split(".")
    if parts[0] != "connector" or len(parts) == 1:
        return parts[0]
    if parts[1] == "sync" and len(parts) > 2 and parts[2] in ("core", "inbound", "labour"):
        return f"sync.{parts[2]}"
    return parts[1]


def imported_modules(source: str, filename: str) -> Iterator[tuple[int, str]]:
    """(line, module) of every absolute import in the source, lazy ones inside functions too."""
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "connector":
                for alias in node.names:
                    yield node.lineno, f"connector.{alias.name}"
            else:
                yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_violations(module: str, source: str, filename: str = "<source>") -> list[str]:
    """Every import of ``module`` that breaks the layer rules, as ``file:line: what — why``."""
    problems: list[str] = []
    top = module.split(".")[0]
    for line, target in imported_modules(source, filename):
        target_top = target.split(".")[0]
        where = f"{filename}:{line}: {module} imports {target}"
        if top in ("mock_1c", "mock_tracker") and target_top == "connector":
            problems.append(f"{where} — a mock is a foreign system and imports nothing from the connector")
        elif top == "connector" and target_top in ("mock_1c", "mock_tracker", "tests"):
            problems.append(f"{where} — the connector imports nothing from the mocks or the tests")
        elif top == "bench" and target_top == "tests":
            problems.append(f"{where} — benchmarks run with only the project installed")
        elif top == "connector" and target_top == "connector":
            src, dst = unit_of(module), unit_of(target)
            if src == dst:
                continue
            if src == "sync.core" and dst not in CORE_MAY_IMPORT:
                problems.append(f"{where} — sync/core is pure: it reads mappings, no store, 1C or tracker")
            elif src not in LEVELS or dst not in LEVELS:
                problems.append(
                    f"{where} — unit {src if src not in LEVELS else dst!r} has no level in LEVELS"
                )
            elif LEVELS[dst] >= LEVELS[src]:
                problems.append(
                    f"{where} — {src} (level {LEVELS[src]}) may not import {dst} (level {LEVELS[dst]})"
                )
        if unit_of(module) == "sync.core" and target_top in CORE_FORBIDDEN:
            problems.append(f"{where} — sync/core is pure: no database, HTTP or SOAP")
    return problems


def python_files() -> Iterator[Path]:
    for folder in ("connector", "mock_1c", "mock_tracker", "bench"):
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_every_module_keeps_to_its_layer() -> None:
    problems: list[str] = []
    for path in python_files():
        problems += layer_violations(
            module_name(path), path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))
        )
    assert problems == [], "\n".join(problems)


def test_every_connector_unit_has_a_level() -> None:
    units = {unit_of(module_name(p)) for p in (ROOT / "connector").rglob("*.py")}
    assert units - set(LEVELS) == set(), "give each new unit a level in LEVELS"


@pytest.mark.parametrize(
    ("module", "source", "fragment"),
    [
        # the store asking the sync engine for something: upward
        (
            "connector.store.links",
            "from connector.sync.inbound.engine import InboundEngine\n",
            "may not import",
        ),
        # a lazy import inside a function counts too
        (
            "connector.sync.inbound.locks",
            "def f():\n    from connector.scheduler import job_lock\n",
            "may not import",
        ),
        # peers on one level do not know each other
        ("connector.mapping.online", "from connector.onec.client import ODataClient\n", "may not import"),
        ("connector.sync.core.transform", "import sqlalchemy\n", "sync/core is pure"),
        ("connector.sync.core.keys", "from connector.store.models import Link\n", "no store, 1C or tracker"),
        ("mock_1c.app", "from connector.settings import Settings\n", "foreign system"),
        ("connector.demo", "import mock_tracker.app\n", "imports nothing from the mocks"),
        ("bench.inbound_sync", "from tests.support.pg import fresh_database\n", "only the project installed"),
    ],
)
def test_an_upward_import_is_caught(module: str, source: str, fragment: str) -> None:
    problems = layer_violations(module, source)
    assert len(problems) == 1 and fragment in problems[0], problems


def test_downward_imports_pass() -> None:
    source = "from connector.store.links import get_cursor\nfrom connector.sync.core.model import TaskSpec\n"
    assert layer_violations("connector.sync.inbound.detect", source) == []
