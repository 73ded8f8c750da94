"""The error of a centre's own data file (agencies, boundaries, landmarks): every mistake listed, one line each,
so an administrator fixes them all in one go; the daemon exits 78 (EX_CONFIG) with it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar


class DataFileError(Exception):
    """A data file that cannot be used; ``problems`` says every reason, one line each."""

    what: ClassVar[str] = "data file"

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__(source, self.problems)

    def __str__(self) -> str:
        count = "1 problem" if len(self.problems) == 1 else f"{len(self.problems)} problems"
        return f"{self.what} {self.source}: {count}" + "".join(f"\n  - {p}" for p in self.problems)
