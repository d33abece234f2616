"""Helpers to write mapping directories for tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "mappings"

WriteMapping = Callable[[str, str], Path]


@pytest.fixture
def mapping_dir(tmp_path: Path) -> Path:
    """A copy of the shipped example mappings that a test may break."""
    target = tmp_path / "mappings"
    shutil.copytree(EXAMPLES, target)
    return target


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_no(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")
