"""A problem found in a record, and the one-line form every tool prints it in."""

from __future__ import annotations

from dataclasses import dataclass

from .pickling import by_fields


@by_fields
@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    line: int  # 1-based
    column: int  # 1-based
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}: {self.message}"
        return f"{where} ({self.hint})" if self.hint else where


class RecordError(Exception):
    """Raised when records fail to load: carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.path, p.line, p.column))
        super().__init__("\n".join(str(p) for p in self.problems))
