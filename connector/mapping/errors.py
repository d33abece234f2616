"""Mapping problems, each pointing at a file, a line and a field, with the fix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class MappingProblem:
    """One mistake in a mapping file; ``str`` is ``path:line: field: message — fix``."""

    path: str
    line: int
    field: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        return f"{text} — {self.fix}" if self.fix else text


class MappingError(ValueError):
    """Mapping files that must not run; ``str`` is one line per problem, in file/line order."""

    def __init__(self, problems: Iterable[MappingProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.path, p.line, p.field))
        super().__init__("\n".join(str(p) for p in self.problems))
