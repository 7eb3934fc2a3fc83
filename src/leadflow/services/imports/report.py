"""What an import did: counts per outcome, warnings, and the CSV error report."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from leadflow.errors import ValidationFailed
from leadflow.services.imports.rows import RowError

OUTCOMES = ("created", "updated", "unchanged", "skipped", "failed")
REPORT_COLUMNS = ("row", "column", "value", "reason")
KEPT_ERRORS = 100  # errors kept in memory for --json; the report file has them all


@dataclass
class Summary:
    """Counts of rows by outcome; every non-blank data row has exactly one outcome."""

    kind: str
    file: str
    dry_run: bool = False
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    warnings: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    errors_file: str | None = None
    also_created: dict[str, int] = field(default_factory=dict)
    fatal: str | None = None

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    @property
    def failed(self) -> int:
        return self.counts["failed"]

    def count(self, outcome: str) -> None:
        self.counts[outcome] += 1

    def add(self, counts: dict[str, int], also_created: dict[str, int]) -> None:
        """Add the outcomes of one committed chunk."""
        for name, count in counts.items():
            self.counts[name] += count
        for kind, count in also_created.items():
            self.also_created[kind] = self.also_created.get(kind, 0) + count

    def totals(self) -> dict[str, Any]:
        """Counts and records created on the way: what a resumed run starts from."""
        return {"counts": dict(self.counts), "also_created": dict(self.also_created)}

    def restore(self, totals: dict[str, Any] | None) -> None:
        """Start from the totals an earlier, interrupted run committed."""
        if totals:
            self.add(totals.get("counts", {}), totals.get("also_created", {}))

    def as_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data."""
        return {
            "kind": self.kind, "file": self.file, "dry_run": self.dry_run, "rows": self.rows,
            **self.counts, "warnings": self.warnings, "errors_file": self.errors_file,
            "also_created": self.also_created, "fatal": self.fatal,
            "errors": [vars(e) for e in self.errors],
        }


class ErrorReport:
    """Writes row errors to a CSV file, opened only when the first error arrives (or at once
    when `always`), so a clean import leaves no empty report behind."""

    def __init__(self, path: Path, *, always: bool = False) -> None:
        self.path = path
        self.written = 0
        self._handle: IO[str] | None = None
        self._writer: Any = None
        if always:
            self._open()

    def _open(self) -> None:
        try:
            self._handle = self.path.open("w", encoding="utf-8", newline="")
        except OSError as error:
            raise ValidationFailed(f"cannot write the error report {self.path}:"
                                   f" {error.strerror}") from error
        self._writer = csv.writer(self._handle)
        self._writer.writerow(REPORT_COLUMNS)

    def write(self, error: RowError) -> None:
        """Add one error line."""
        if self._writer is None:
            self._open()
        self._writer.writerow((error.row, error.column, error.value, error.reason))
        self.written += 1

    @property
    def opened(self) -> bool:
        return self._handle is not None

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
