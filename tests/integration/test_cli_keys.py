"""`leadflow keys create|list|revoke`: secrets shown once, never listed, revocation is immediate."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadflow.db import companies as repo
from leadflow.db.database import Database
from tests.conftest import Tenant


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _failed(result: Any, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error:")
    for word in words:
        assert word in result.stderr, result.stderr


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _key_count(db: Database, company_key: str) -> int:
    with db.transaction() as session:
        company = repo.company_by_key(session, company_key)
        assert company is not None
        return len(repo.keys_of(session, company.id))


class TestCreate:
    def test_json_gives_the_secret_once_and_it_authenticates(  # type: ignore[no-untyped-def]
        self, cli, http: TestClient, site: Tenant
    ) -> None:
        created = _json(cli("keys", "create", "--name", "CRM sync", "--role", "marketer",
                            "--json"))
        assert set(created) == {"key", "id", "role", "company"}
        assert created["key"].startswith("lf_")
        assert (created["role"], created["company"]) == ("marketer", "site")
        me = http.get("/api/v1/me", headers=_bearer(created["key"]))
        assert me.status_code == 200, me.text
        assert me.json()["role"] == "marketer"
        assert me.json()["key_id"] == created["id"]

    def test_key_of_a_client_company_acts_on_that_company(  # type: ignore[no-untyped-def]
        self, cli, http: TestClient, make_client_company
    ) -> None:
        make_client_company("acme")
        created = _json(cli("keys", "create", "--name", "Ingest", "--role", "ingest",
                            "--company", "acme", "--json"))
        assert created["company"] == "acme"
        me = http.get("/api/v1/me", headers=_bearer(created["key"]))
        assert me.json()["company"] == "acme"

    def test_plain_output_shows_the_secret_and_warns(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        result = cli("keys", "create", "--name", "CRM", "--role", "sales")
        assert result.exit_code == 0, result.output
        assert "lf_" in result.stdout
        assert "shown only now" in result.stdout

    def test_bad_role_creates_nothing(self, cli, db: Database, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        before = _key_count(db, "site")
        _failed(cli("keys", "create", "--name", "x", "--role", "boss"), "role must be one of",
                "ingest", "'boss'")
        assert _key_count(db, "site") == before

    def test_blank_name_is_refused(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        _failed(cli("keys", "create", "--name", "  ", "--role", "admin"), "needs a name")

    def test_unknown_company_is_named(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        _failed(cli("keys", "create", "--name", "x", "--role", "admin", "--company", "nope"),
                "no company 'nope'")


class TestList:
    def test_brackets_in_a_name_print_as_typed(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        created = cli("keys", "create", "--name", "[red]ops[/]", "--role", "viewer")
        assert created.exit_code == 0, created.output
        assert "'[red]ops[/]'" in created.stdout
        listed = cli("keys", "list")
        assert listed.exit_code == 0, listed.output
        assert "[red]ops[/]" in listed.stdout

    def test_never_shows_secrets(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        secret = _json(cli("keys", "create", "--name", "CRM", "--role", "sales", "--json"))["key"]
        listed = cli("keys", "list", "--json")
        assert secret not in listed.stdout and site.key not in listed.stdout
        keys = _json(listed)
        assert [k["name"] for k in keys] == ["admin", "CRM"]
        assert set(keys[1]) == {"id", "name", "prefix", "role", "company", "created_at",
                                "revoked_at"}
        assert secret.startswith(keys[1]["prefix"])
        table = cli("keys", "list")
        assert table.exit_code == 0 and "CRM" in table.stdout
        assert secret not in table.stdout

    def test_lists_only_the_company_asked_for(self, cli, make_client_company) -> None:  # type: ignore[no-untyped-def]
        make_client_company("acme", "viewer")
        names = [(k["role"], k["company"]) for k in
                 _json(cli("keys", "list", "--company", "acme", "--json"))]
        assert names == [("viewer", "acme")]

    def test_unknown_company_is_named(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        _failed(cli("keys", "list", "--company", "nope"), "no company 'nope'")


class TestRevoke:
    def test_revoked_key_stops_authenticating(  # type: ignore[no-untyped-def]
        self, cli, http: TestClient, site: Tenant
    ) -> None:
        created = _json(cli("keys", "create", "--name", "CRM", "--role", "admin", "--json"))
        assert http.get("/api/v1/programs", headers=_bearer(created["key"])).status_code == 200
        result = cli("keys", "revoke", str(created["id"]))
        assert result.exit_code == 0, result.output
        assert "no longer authenticates" in result.stdout
        refused = http.get("/api/v1/programs", headers=_bearer(created["key"]))
        assert refused.status_code == 401
        # Other keys keep working.
        assert http.get("/api/v1/programs", headers=site.headers).status_code == 200

    def test_list_shows_when_a_key_was_revoked(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        created = _json(cli("keys", "create", "--name", "CRM", "--role", "admin", "--json"))
        revoked = _json(cli("keys", "revoke", str(created["id"]), "--json"))
        assert revoked["revoked_at"] is not None
        listed = {k["id"]: k for k in _json(cli("keys", "list", "--json"))}
        assert listed[created["id"]]["revoked_at"] == revoked["revoked_at"]
        assert all(k["revoked_at"] is None for i, k in listed.items() if i != created["id"])

    def test_revoking_twice_is_harmless(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        created = _json(cli("keys", "create", "--name", "CRM", "--role", "admin", "--json"))
        first = _json(cli("keys", "revoke", str(created["id"]), "--json"))
        second = _json(cli("keys", "revoke", str(created["id"]), "--json"))
        assert first["revoked_at"] == second["revoked_at"]

    def test_unknown_key_is_named(self, cli, site: Tenant) -> None:  # type: ignore[no-untyped-def]
        _failed(cli("keys", "revoke", "9999"), "no API key 9999")

    def test_key_of_another_company_is_not_found(  # type: ignore[no-untyped-def]
        self, cli, http: TestClient, make_client_company
    ) -> None:
        acme = make_client_company("acme")
        acme_key_id = http.get("/api/v1/me", headers=acme.headers).json()["key_id"]
        _failed(cli("keys", "revoke", str(acme_key_id)), f"no API key {acme_key_id}")
        assert http.get("/api/v1/me", headers=acme.headers).status_code == 200
        assert cli("keys", "revoke", str(acme_key_id), "--company", "acme").exit_code == 0
        assert http.get("/api/v1/me", headers=acme.headers).status_code == 401

    @pytest.mark.parametrize("ident", ["abc", "0", "99999999999999999999"])
    def test_id_must_be_a_possible_key_id(self, cli, site: Tenant, ident: str) -> None:  # type: ignore[no-untyped-def]
        result = cli("keys", "revoke", ident)
        assert result.exit_code == 2
        assert "Invalid value for 'ID'" in result.stderr
