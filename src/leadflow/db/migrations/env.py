"""Alembic environment: runs with the connection leadflow hands it (see Database.migrate)."""

from __future__ import annotations

from collections.abc import Callable

from alembic import context
from sqlalchemy import Connection, create_engine

from leadflow.db.tables import Base

config = context.config
connection = config.attributes.get("connection")


def _declared_here(dialect: str) -> Callable[..., bool]:
    """Autogenerate's filter: an index declared for one database only (`Index.ddl_if`, such as
    ix_interactions_type_time on PostgreSQL) is not expected in another."""

    def include(obj: object, name: str | None, type_: str, reflected: bool,
                compare_to: object) -> bool:
        only = getattr(obj, "_ddl_if", None) if type_ == "index" else None
        return only is None or only.dialect in (None, dialect)

    return include


def _run(conn: Connection) -> None:
    context.configure(
        connection=conn,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=_declared_here(conn.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url") or "sqlite:///leadflow.db"
    with create_engine(url).begin() as conn:
        _run(conn)
