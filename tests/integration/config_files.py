"""Helpers of the configuration-as-code tests: configuration files and table snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from leadflow.db.database import Database


def rows_of(db: Database, tables: tuple[Any, ...]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of `tables` with every column, to compare before and after."""
    with db.transaction() as session:
        return {
            table.__tablename__: sorted(
                tuple(repr(getattr(row, c.name)) for c in table.__table__.columns)
                for row in session.scalars(select(table))
            )
            for table in tables
        }


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> str:
    """Write a configuration file in `tmp_path`; its name, for the CLI run there."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    return name
