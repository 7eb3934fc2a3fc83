"""Inserting many rows of one company at once (seed data, generated worlds)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy.orm import Session

from leadflow.db.tables import Base

T = TypeVar("T", bound=Base)


def add_all(session: Session, company_id: int, rows: Sequence[T]) -> Sequence[T]:
    """Insert `rows` as records of `company_id` in one flush; their ids are set afterwards.

    The ORM sends rows that fill the same columns as one multi-row INSERT … RETURNING, so
    callers should fill every column (None included) on every row to keep one batch.
    """
    for row in rows:
        row.company_id = company_id  # type: ignore[attr-defined]
    session.add_all(rows)
    session.flush()
    return rows
