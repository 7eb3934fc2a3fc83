"""SQLite's planner statistics: gathered by the worker when it starts (and hourly) and after
an import, so that "these thousand leads" are read by key and not by scanning the company."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import insert

from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.services import worker


def _analysed_indexes(db: Database, table: str) -> set[str]:
    with db.engine.connect() as connection:
        if not connection.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
            return set()
        return {row[0] for row in connection.exec_driver_sql(
            "SELECT idx FROM sqlite_stat1 WHERE tbl = ?", (table,))}


def test_refreshing_statistics_analyses_the_tables(db: Database) -> None:
    with db.transaction() as session:
        company = t.Company(key="stats", name="Stats")
        session.add(company)
        session.flush()
        session.execute(insert(t.Lead), [
            {"company_id": company.id, "name": f"L{i}", "scope": "contact", "stage": "nurture",
             "priority": "normal", "source": "api", "sales_ready": False, "custom": {}}
            for i in range(50)])
    db.refresh_statistics()  # PostgreSQL: nothing to do (autovacuum), and no error
    if db.dialect == "sqlite":
        assert "ix_leads_company_contact" in _analysed_indexes(db, "leads")


class _OnePass(threading.Event):
    """Clear when the worker's loop first looks, set from then on."""

    def __init__(self) -> None:
        super().__init__()
        self.looks = 0

    def is_set(self) -> bool:
        self.looks += 1
        return self.looks > 1


def test_the_worker_refreshes_the_statistics_when_it_starts(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    refreshed: list[bool] = []
    monkeypatch.setattr(db, "refresh_statistics", lambda: refreshed.append(True))
    worker.run(db, interval=0, stop=_OnePass())
    assert refreshed == [True]
