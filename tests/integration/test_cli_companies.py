"""`leadflow company create|list|settings`, and what every command says on a bare database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from leadflow.db import companies as repo
from leadflow.db.database import Database
from tests.conftest import Tenant


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _stored_settings(db: Database, key: str) -> dict[str, Any]:
    with db.transaction() as session:
        company = repo.company_by_key(session, key)
        assert company is not None
        return dict(company.settings or {})


def _failed(result: Any, *words: str) -> None:
    """A user mistake: exit 1, one line on stderr naming the problem, no traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error:")
    for word in words:
        assert word in result.stderr, result.stderr


class TestCreate:
    def test_creates_a_client_of_the_site_company(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        created = _json(cli("company", "create", "acme", "--name", "Acme Inc", "--json"))
        assert created["key"] == "acme"
        assert created["name"] == "Acme Inc"
        assert created["is_site"] is False
        assert created["parent_id"] == site.company.id

    def test_prints_a_confirmation(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        result = cli("company", "create", "acme", "--name", "Acme Inc")
        assert result.exit_code == 0, result.output
        assert "Created company 'acme'" in result.stdout

    def test_stores_the_settings_given(self, cli, db: Database, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        created = _json(cli("company", "create", "acme", "--name", "Acme",
                            "--setting", "leads.creation_scope=account",
                            "--setting", "lifecycle.recycle_resets_behavior=false", "--json"))
        assert created["settings"]["leads.creation_scope"] == "account"
        assert _stored_settings(db, "acme") == {
            "leads.creation_scope": "account", "lifecycle.recycle_resets_behavior": False
        }

    def test_bad_setting_creates_nothing(self, cli, db: Database, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        result = cli("company", "create", "acme", "--name", "Acme",
                     "--setting", "leads.creation_scope=galaxy")
        _failed(result, "leads.creation_scope", "contact, account")
        with db.transaction() as session:
            assert repo.company_by_key(session, "acme") is None

    def test_malformed_setting_is_refused(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        _failed(cli("company", "create", "acme", "--name", "Acme", "--setting", "oops"),
                "--setting expects KEY=VALUE")

    def test_bad_key_is_refused(self, cli, db: Database, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        _failed(cli("company", "create", "Acme Inc", "--name", "Acme"), "key", "lower-case")
        with db.transaction() as session:
            assert len(repo.companies_visible_to(session, repo.site_company(session))) == 1  # type: ignore[arg-type]

    def test_duplicate_key_is_refused(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        assert cli("company", "create", "acme", "--name", "Acme").exit_code == 0
        _failed(cli("company", "create", "acme", "--name", "Other"), "already exists")

    def test_site_key_is_taken(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        _failed(cli("company", "create", site.company.key, "--name", "Again"), "already exists")

    def test_a_client_company_cannot_manage_clients(self, cli, make_client_company) -> None:  # type: ignore[no-untyped-def]
        make_client_company("acme")
        _failed(cli("company", "create", "sub", "--name", "Sub", "--company", "acme"),
                "client company")

    def test_name_is_required(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        result = cli("company", "create", "acme")
        assert result.exit_code == 2
        assert "--name" in result.stderr


    def test_brackets_in_a_name_print_as_typed(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        created = cli("company", "create", "odd", "--name", "Odd [/] [bold]x")
        assert created.exit_code == 0, created.output
        assert "(Odd [/] [bold]x)" in created.stdout
        listed = cli("company", "list")
        assert listed.exit_code == 0, listed.output
        assert "Odd [/] [bold]x" in listed.stdout


class TestList:
    def test_site_sees_itself_and_its_clients(self, cli, make_client_company) -> None:  # type: ignore[no-untyped-def]
        make_client_company("acme")
        make_client_company("beta")
        listed = _json(cli("company", "list", "--json"))
        assert [(c["key"], c["is_site"]) for c in listed] == [
            ("site", True), ("acme", False), ("beta", False)
        ]

    def test_a_client_sees_only_itself(self, cli, make_client_company) -> None:  # type: ignore[no-untyped-def]
        make_client_company("acme")
        make_client_company("beta")
        listed = _json(cli("company", "list", "--company", "beta", "--json"))
        assert [c["key"] for c in listed] == ["beta"]

    def test_table_names_each_company(self, cli, make_client_company) -> None:  # type: ignore[no-untyped-def]
        make_client_company("acme")
        result = cli("company", "list")
        assert result.exit_code == 0, result.output
        assert "acme" in result.stdout and "client" in result.stdout
        assert "site" in result.stdout


class TestSettings:
    def test_shows_defaults(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        shown = _json(cli("company", "settings", "--json"))
        assert shown == {
            "scoring.model_selection": "all",
            "leads.creation_strategy": "campaign",
            "leads.creation_scope": "contact",
            "lifecycle.auto_advance_on_sales_ready": True,
            "lifecycle.recycle_resets_behavior": True,
            "assignment.on_sales_ready": False,
        }

    def test_set_validates_and_stores(self, cli, db: Database, make_client_company) -> None:  # type: ignore[no-untyped-def]
        make_client_company("acme")
        shown = _json(cli("company", "settings", "--company", "acme",
                          "--set", "scoring.model_selection=context",
                          "--set", "lifecycle.auto_advance_on_sales_ready=no", "--json"))
        assert shown["scoring.model_selection"] == "context"
        assert shown["lifecycle.auto_advance_on_sales_ready"] is False
        assert _stored_settings(db, "acme") == {
            "scoring.model_selection": "context", "lifecycle.auto_advance_on_sales_ready": False
        }
        assert _stored_settings(db, "site") == {}

    def test_table_marks_what_was_set(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        result = cli("company", "settings", "--set", "leads.creation_strategy=program")
        assert result.exit_code == 0, result.output
        assert "Saved 1 setting" in result.stdout
        line = next(x for x in result.stdout.splitlines() if "leads.creation_strategy" in x)
        assert "program" in line and "set" in line

    def test_unknown_setting_changes_nothing(self, cli, db: Database, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        result = cli("company", "settings", "--set", "leads.creation_scope=account",
                     "--set", "scoring.colour=blue")
        _failed(result, "scoring.colour", "unknown setting")
        assert _stored_settings(db, "site") == {}

    def test_bad_value_changes_nothing(self, cli, db: Database, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        result = cli("company", "settings", "--set", "lifecycle.recycle_resets_behavior=maybe")
        _failed(result, "lifecycle.recycle_resets_behavior", "true or false")
        assert _stored_settings(db, "site") == {}

    def test_malformed_pair_is_refused(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        _failed(cli("company", "settings", "--set", "=context"), "--set expects KEY=VALUE")


@pytest.mark.parametrize("args", [
    ("company", "list"),
    ("company", "settings"),
    ("company", "create", "acme", "--name", "Acme"),
])
def test_unknown_company_is_named(cli, site: Tenant, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    _failed(cli(*args, "--company", "nope"), "no company 'nope'")
    _failed(cli(*args, "--company", "[/]"), "no company '[/]'")


@pytest.mark.parametrize("args", [
    ("company", "list"),
    ("company", "settings"),
    ("company", "create", "acme", "--name", "Acme"),
    ("keys", "list"),
    ("keys", "create", "--name", "x", "--role", "admin"),
    ("keys", "revoke", "1"),
    ("leads", "list"),
    ("leads", "show", "1"),
])
def test_uninitialised_database_says_run_init(cli, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    _failed(cli(*args), "leadflow init")


@pytest.fixture
def schemaless_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database with no leadflow tables, of the same kind as the test database."""
    if not database_url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'bare.db'}"
        return
    # An empty schema first on the search path is as bare as a new database, and far quicker.
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("CREATE SCHEMA IF NOT EXISTS bare"))
    yield f"{database_url}?options=-csearch_path%3Dbare"
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS bare CASCADE"))
    engine.dispose()


def test_database_without_schema_says_run_init(  # type: ignore[no-untyped-def]
    cli, schemaless_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", schemaless_url)
    for args in (("company", "list"), ("keys", "list"), ("leads", "list")):
        _failed(cli(*args), "no leadflow schema", "leadflow init")
