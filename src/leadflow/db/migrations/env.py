"""Alembic environment: runs with the connection leadflow hands it (see Database.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from leadflow.db.tables import Base

config = context.config
connection = config.attributes.get("connection")


def _run(conn: object) -> None:
    context.configure(
        connection=conn,  # type: ignore[arg-type]
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url") or "sqlite:///leadflow.db"
    with create_engine(url).begin() as conn:
        _run(conn)
