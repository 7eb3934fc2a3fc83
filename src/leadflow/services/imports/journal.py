"""How far an import run has got, kept with the work it describes so a crashed run can resume."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from sqlalchemy.orm import Session

from leadflow.services.imports.rows import RowError


@dataclass
class Journal:
    """Positions a run has committed; the base keeps them in memory only (the CLI).

    `checked_through` is the last file line whose row errors the ordering pass of an
    interactions import has reported; `imported_through` the last position applied (a file
    line, or for interactions a rank in `occurred_at` order); `rescored_through` the last lead
    id rescored once the rows are in. A background job keeps these in its row (see
    `background.JobJournal`), saved in the transaction of the work they describe, so after a
    crash it continues where it stopped and nothing is counted, reported or applied twice.
    """

    run_key: str = field(default_factory=lambda: uuid4().hex)
    checked_through: int = 0
    imported_through: int = 0
    rescored_through: int = 0
    totals: dict[str, Any] | None = None  # counts an earlier, interrupted run committed
    cause_id: int | None = None  # what the score ledger names as the cause (the job)
    durable = False  # whether `save` keeps anything (worth a transaction of its own)

    def save(self, session: Session, totals: dict[str, Any], errors: list[RowError]) -> None:
        """Keep the positions, the `totals` so far and this step's `errors` in the transaction
        that commits the step (nothing to do for a run that cannot resume)."""

    def positions(self) -> dict[str, int]:
        return {"checked_through": self.checked_through,
                "imported_through": self.imported_through,
                "rescored_through": self.rescored_through}
