"""Data problems found while reading and validating a study.

Every problem names the file, the row as the user sees it (CSV/sheet row, header = row 1), the column,
what is wrong and what was expected. Errors block analysis; warnings are carried into the report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Iterable, Literal

import numpy as np

Severity = Literal["error", "warning"]

#: At most this many rows are listed per (file, column, rule); the rest are summarised in one line.
MAX_ROWS_PER_RULE = 20


@dataclass(frozen=True)
class Problem:
    severity: Severity
    file: str
    row: int | None
    column: str | None
    message: str
    expected: str | None = None
    rule: str = ""
    patient_id: str | None = None

    def location(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = f"{self.severity.upper()}: {self.location()}: {self.message}"
        if self.expected:
            text += f" (expected {self.expected})"
        return text

    def to_dict(self) -> dict:
        return asdict(self)


class HasProblems:
    """``errors`` and ``warnings`` of anything holding a ``problems`` list."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


@dataclass
class ProblemLog(HasProblems):
    """Collects problems; caps the listing per rule so a million bad rows stay readable."""

    problems: list[Problem] = field(default_factory=list)
    _suppressed: Counter = field(default_factory=Counter)

    def add(self, severity: Severity, file: str, row: int | None, column: str | None, message: str,
            expected: str | None = None, rule: str = "", patient_id: str | None = None) -> None:
        self.problems.append(Problem(severity, file, None if row is None else int(row), column, message,
                                     expected, rule, patient_id))

    def error(self, *args, **kwargs) -> None:
        self.add("error", *args, **kwargs)

    def warning(self, *args, **kwargs) -> None:
        self.add("warning", *args, **kwargs)

    def add_rows(self, severity: Severity, file: str, rows: Iterable[int], column: str | None,
                 messages: Iterable[str], expected: str | None, rule: str,
                 patient_ids: Iterable[str | None] | None = None) -> None:
        """Add one problem per row, listing at most MAX_ROWS_PER_RULE and summarising the rest."""
        rows = np.asarray(list(rows) if not isinstance(rows, np.ndarray) else rows)
        messages = list(messages) if not isinstance(messages, str) else [messages] * len(rows)
        pids = list(patient_ids) if patient_ids is not None else [None] * len(rows)
        n = len(rows)
        for i in range(min(n, MAX_ROWS_PER_RULE)):
            pid = pids[i]
            self.add(severity, file, int(rows[i]), column, messages[i], expected, rule,
                     None if pid is None else str(pid))
        if n > MAX_ROWS_PER_RULE:
            rest = n - MAX_ROWS_PER_RULE
            self.add(severity, file, None, column,
                     f"... and {rest:,} more row(s) with the same problem ({rule})", expected, rule)

    def extend(self, other: Iterable[Problem]) -> None:
        self.problems.extend(other)

    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)
