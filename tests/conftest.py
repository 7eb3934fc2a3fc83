"""Shared fixtures: a real database (SQLite, or PostgreSQL when LEADFLOW_TEST_DATABASE_URL is
set), the HTTP app over it, API keys, and the CLI."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from leadflow.api.app import create_app
from leadflow.db.database import Database, normalise_url
from leadflow.db.tables import Base, Company
from leadflow.schemas import CompanyIn
from leadflow.services import companies, keys


def _postgres(base: str, sql: str) -> None:
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(sql))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    """A migrated, empty database of this test process (one per xdist worker)."""
    base = os.environ.get("LEADFLOW_TEST_DATABASE_URL", "")
    name = f"leadflow_test_{worker_id}_{os.getpid()}"
    if base.startswith("postgres"):
        _postgres(base, f'CREATE DATABASE "{name}"')
        url = normalise_url(base).rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'leadflow.db'}"
    database = Database(url)
    database.migrate()
    database.dispose()
    yield url
    if base.startswith("postgres"):
        _postgres(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty(database: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with database.engine.begin() as connection:
        # DELETE, not TRUNCATE: on PostgreSQL, TRUNCATE of every table costs ~1 s per test.
        # Models and their versions refer to each other: break the cycle first.
        connection.execute(text("UPDATE scoring_models SET live_version_id = NULL"))
        for name in tables:
            connection.execute(text(f"DELETE FROM {name}"))
        if database.dialect == "postgresql":
            sequences = connection.execute(
                text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
            ).scalars()
            for sequence in list(sequences):
                connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The test database, emptied after each test."""
    database = Database(database_url)
    try:
        yield database
    finally:
        _empty(database)
        database.dispose()


@dataclass
class Tenant:
    """A company and an admin key for it."""

    company: Company
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture
def site(db: Database) -> Tenant:
    """The site company with an admin key."""
    with db.transaction() as session:
        company = companies.ensure_site(session)
        _, secret = keys.create_key(session, company, name="admin", role="admin")
    return Tenant(company, secret)


@pytest.fixture
def make_client_company(db: Database, site: Tenant):  # type: ignore[no-untyped-def]
    """Factory: a client company of the site company with a key of the given role."""

    def make(key: str, role: str = "admin") -> Tenant:
        with db.transaction() as session:
            site_row = companies.require_site(session)
            existing = session.query(Company).filter_by(key=key).first()
            company = existing or companies.create_client(
                session, site_row, CompanyIn(key=key, name=key.title())
            )
            _, secret = keys.create_key(session, company, name=role, role=role)
        return Tenant(company, secret)

    return make


@pytest.fixture
def make_key(db: Database):  # type: ignore[no-untyped-def]
    """Factory: another key of a company, with a role."""

    def make(company: Company, role: str) -> Tenant:
        with db.transaction() as session:
            _, secret = keys.create_key(session, company, name=role, role=role)
        return Tenant(company, secret)

    return make


@pytest.fixture
def http(db: Database) -> Iterator[TestClient]:
    """The HTTP application over the test database."""
    with TestClient(create_app(db)) as client:
        yield client


@pytest.fixture
def api(http: TestClient, site: Tenant) -> TestClient:
    """The HTTP application, signed in as the site admin."""
    http.headers.update(site.headers)
    return http


@pytest.fixture
def cli(database_url: str, db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run `leadflow …` in-process against the test database; returns the Result."""
    from leadflow.cli.main import app

    monkeypatch.setenv("LEADFLOW_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return run


class _DryRun(Exception):
    pass


@pytest.fixture
def apply(db: Database) -> Callable[..., dict[str, Any]]:
    """Apply a configuration file's text through the service, as `leadflow apply --json` does
    (but faster): the plan as a dict; with `dry_run` nothing is kept."""
    from leadflow.services import config_as_code

    def run(text: str, dry_run: bool = False) -> dict[str, Any]:
        try:
            with db.transaction() as session:
                plan = config_as_code.apply(session, config_as_code.parse(text),
                                            dry_run=dry_run)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        return plan.as_dict()

    return run


@pytest.fixture
def ingest(site: Tenant, make_key: Any) -> Tenant:
    """An API key of the site company with role `ingest` (it may only send data)."""
    key: Tenant = make_key(site.company, "ingest")
    return key
