"""The database handle: one engine and its session factory, built from a URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use psycopg 3 for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Transactions are begun by hand (see _sqlite_begin), not by the sqlite3 module.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_savepoint(connection: Any, _name: str) -> None:
    # pysqlite opens its transaction late, at the first write: a SAVEPOINT taken before that
    # became the outermost transaction and its RELEASE committed, so a later rollback left
    # those rows behind. Open the real transaction first.
    dbapi_connection = connection.connection.dbapi_connection
    if not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN")


def _sqlite_begin(connection: Any) -> None:
    # A deferred transaction that reads and then writes fails at once with "database is locked"
    # when another one wrote meanwhile; taking the write lock up front makes writers queue
    # (busy_timeout) instead. Readers are not blocked under WAL.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """An engine and a session factory; sessions are opened and committed at the edges."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if self.url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
            event.listen(self.engine, "savepoint", _sqlite_savepoint)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def refresh_statistics(self) -> None:
        """SQLite: gather the statistics its query planner uses (ANALYZE, sampling at most a
        thousand rows per index, so it stays quick on big tables). Without them SQLite takes
        every table to be large and every index to be selective, and for "these thousand
        leads of the company" it reads all the company's leads instead of the thousand.
        PostgreSQL gathers its own (autovacuum): nothing to do."""
        if self.dialect != "sqlite":
            return
        with self.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA analysis_limit=1000")
            connection.exec_driver_sql("ANALYZE")
            connection.commit()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits when the block ends, rolls back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema up to `revision` with Alembic."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def dispose(self) -> None:
        self.engine.dispose()
