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
