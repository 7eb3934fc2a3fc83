"""Contacts, accounts and users over REST: normalised natural keys, uniqueness per company."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.integration.api_world import (
    API,
    field_errors,
    http,  # noqa: F401  (the faster app fixture)
    items,
    post,
    problem,
)


@pytest.mark.parametrize("path", ["contacts", "users"])
def test_emails_are_trimmed_and_lowered(api: TestClient, path: str) -> None:
    made = post(api, path, {"email": "  Ana.Lima@ACME.Test "})
    assert made["email"] == "ana.lima@acme.test"
    assert api.get(f"{API}/{path}/ana.lima@acme.test").json()["id"] == made["id"]


@pytest.mark.parametrize("spelled", ["ACME.test", "https://www.acme.test/pricing?x=1",
                                     " www.Acme.TEST "])
def test_account_domains_are_normalised(api: TestClient, spelled: str) -> None:
    assert post(api, "accounts", {"name": "Acme", "domain": spelled})["domain"] == "acme.test"


@pytest.mark.parametrize(("path", "body"), [
    ("contacts", {"email": "ana@acme.test"}),
    ("users", {"email": "ana@acme.test"}),
    ("accounts", {"name": "Acme", "domain": "acme.test"}),
    ("programs", {"key": "launch", "name": "Launch"}),
])
def test_the_same_natural_key_is_allowed_in_two_companies(
    api: TestClient, make_client_company, path: str, body: dict[str, str]  # type: ignore[no-untyped-def]
) -> None:
    other = make_client_company("globex")
    mine = post(api, path, body)
    theirs = post(api, path, body, other.headers)
    assert mine["id"] != theirs["id"]
    assert len(items(api, path)) == 1 and len(items(api, path, other.headers)) == 1


def test_changing_an_email_onto_another_contacts_is_a_conflict(api: TestClient) -> None:
    post(api, "contacts", {"email": "ana@acme.test"})
    bo = post(api, "contacts", {"email": "bo@acme.test"})
    answer = problem(api.patch(f"{API}/contacts/{bo['id']}", json={"email": "ANA@acme.test"}), 409)
    assert "ana@acme.test" in answer["detail"]
    assert api.get(f"{API}/contacts/{bo['id']}").json()["email"] == "bo@acme.test"


@pytest.mark.parametrize(("path", "body", "field"), [
    ("contacts", {"email": "not an email"}, "email"),
    ("contacts", {"email": "a@b"}, "email"),
    ("contacts", {"email": "x" * 320 + "@acme.test"}, "email"),
    ("users", {"email": "@acme.test"}, "email"),
    ("users", {}, "email"),
    ("users", {"email": "x@y.z", "role": "ingest"}, "role"),
    ("users", {"email": "x@y.z", "role": "owner"}, "role"),
    ("users", {"email": "x@y.z", "capacity": -1}, "capacity"),
    ("users", {"email": "x@y.z", "territories": "west"}, "territories"),
    ("accounts", {"domain": "acme.test"}, "name"),
    ("accounts", {"name": "Acme", "domain": "localhost"}, "domain"),
    ("accounts", {"name": "Acme", "domain": "a" * 300 + ".test"}, "domain"),
    ("accounts", {"name": "Acme", "employees": -3}, "employees"),
    ("accounts", {"name": "Acme", "employees": 2**40}, "employees"),
    ("accounts", {"name": "Acme", "annual_revenue": -1}, "annual_revenue"),
    ("accounts", {"name": "Acme", "annual_revenue": "Infinity"}, "annual_revenue"),
    ("contacts", {"email": "a@acme.test", "account_domain": "nowhere.test"}, "account_domain"),
])
def test_invalid_people_are_rejected(
    api: TestClient, path: str, body: dict[str, object], field: str
) -> None:
    assert field in field_errors(api.post(f"{API}/{path}", json=body))
    assert items(api, path) == []


def test_a_contact_without_email_is_read_by_id(api: TestClient) -> None:
    made = post(api, "contacts", {"first_name": "Anon"})
    assert made["email"] is None
    assert api.get(f"{API}/contacts/{made['id']}").json()["first_name"] == "Anon"


def test_users_keep_sales_attributes(api: TestClient) -> None:
    user = post(api, "users", {"email": "sam@acme.test", "role": "sales", "capacity": 50,
                               "available": False, "territories": ["west", "north"]})
    assert (user["capacity"], user["available"], user["territories"]) == (
        50, False, ["west", "north"])
    changed = api.patch(f"{API}/users/sam@acme.test", json={"territories": []}).json()
    assert changed["territories"] == [] and changed["capacity"] == 50


def test_custom_fields_on_contacts_and_accounts(api: TestClient) -> None:
    post(api, "custom-fields", {"key": "segment", "entity": "contact", "type": "choice",
                                "choices": ["smb", "enterprise"]})
    post(api, "custom-fields", {"key": "tier", "entity": "account", "type": "number"})
    contact = post(api, "contacts", {"email": "a@acme.test", "custom": {"segment": "smb"}})
    account = post(api, "accounts", {"name": "Acme", "custom": {"tier": "2"}})
    assert contact["custom"] == {"segment": "smb"} and account["custom"] == {"tier": 2}
    errors = field_errors(api.post(f"{API}/contacts", json={"email": "b@acme.test",
                                                            "custom": {"tier": 1}}))
    assert "segment" in errors["custom.tier"]  # lists the known contact fields
