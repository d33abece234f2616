"""Benchmarks and the test bed run with only the project installed (``pip install .``): every
module they import is the standard library's, the project's own, or a runtime dependency."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, distribution, packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN = {"connector", "mock_1c", "mock_tracker", "testbed", "bench"}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; (]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def runtime_distributions() -> set[str]:
    """The runtime dependencies and, installed with them, what they require (extras aside)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    todo = [_name(dep) for dep in project["dependencies"]]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:
            continue
        todo += [_name(r) for r in requires if "extra ==" not in r]
    return seen


def top_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def not_installed_with_the_project(paths: list[Path]) -> list[str]:
    runtime = runtime_distributions()
    providers = packages_distributions()
    problems = []
    for path in paths:
        for module in sorted(top_imports(path)):
            if module in OWN or module in sys.stdlib_module_names or module == "__future__":
                continue
            dists = {d.lower().replace("_", "-") for d in providers.get(module, [])}
            if not dists & runtime:
                problems.append(f"{path.name}: imports {module} ({', '.join(sorted(dists)) or '?'})")
    return problems


def test_benchmarks_and_the_test_bed_need_only_runtime_dependencies() -> None:
    paths = sorted((ROOT / "bench").glob("*.py")) + sorted((ROOT / "testbed").glob("*.py"))
    assert paths
    assert not_installed_with_the_project(paths) == []


def test_a_dev_only_import_is_caught(tmp_path: Path) -> None:
    bench = tmp_path / "x.py"
    bench.write_text(
        "import json\nimport psutil\nimport pytest\nimport requests\nimport connector.cli\n", "utf-8"
    )
    assert not_installed_with_the_project([bench]) == [
        "x.py: imports psutil (psutil)",
        "x.py: imports pytest (pytest)",
    ]
