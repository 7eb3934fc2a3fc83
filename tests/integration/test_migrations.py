"""The Alembic revisions build exactly the schema the code declares (db/tables.py)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from leadflow.db.database import MIGRATIONS, Database


def test_migrations_build_the_declared_schema(db: Database) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.check(config)  # raises when the tables differ from the revisions


def test_stored_scores_leave_room_for_in_place_updates(db: Database) -> None:
    """PostgreSQL: `lead_scores` pages are half filled, so that a publish's rewrite of every
    score updates rows in place (migration 0009; docs/scoring-sql.md). SQLite has no fill
    factor: there the table is only checked to exist."""
    with db.engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            assert connection.exec_driver_sql("SELECT count(*) FROM lead_scores").scalar() == 0
            return
        options = connection.exec_driver_sql(
            "SELECT reloptions FROM pg_class WHERE relname = 'lead_scores'").scalar()
    assert options is not None and "fillfactor=50" in options
