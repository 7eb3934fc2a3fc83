"""Creating and editing leads by hand over REST (SPEC §1 Lead, §3.1)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadflow.db.database import Database
from tests.integration.api_world import (
    API,
    field_errors,
    http,  # noqa: F401  (the faster app fixture)
    items,
    post,
    seed,
)


@pytest.fixture
def world(api: TestClient, db: Database, site) -> TestClient:  # type: ignore[no-untyped-def]
    company = site.company.id
    seed(db, company, "accounts", {"name": "Acme Inc", "domain": "acme.test"})
    seed(db, company, "contacts", {"email": "ana@acme.test", "first_name": "Ana",
                                   "last_name": "Lima", "account_domain": "acme.test"},
         {"email": "bo@solo.test"})
    seed(db, company, "programs", {"key": "launch", "name": "Product launch"},
         {"key": "other", "name": "Other"})
    seed(db, company, "campaigns", {"key": "spring", "name": "Spring webinar",
                                    "program": "launch"}, {"key": "loose", "name": "Loose"})
    return api


def test_manual_lead_gets_defaults_and_inherits_context(world: TestClient) -> None:
    lead = post(world, "leads", {"contact_email": "ana@acme.test", "campaign": "spring"})
    assert lead["name"] == "Ana Lima - Spring webinar"
    assert (lead["program"], lead["account_domain"]) == ("launch", "acme.test")
    assert (lead["scope"], lead["source"], lead["stage"], lead["priority"]) == (
        "contact", "api", "nurture", "normal")
    assert lead["sales_ready"] is False and lead["owner"] is None
    assert lead["custom"] == {}


@pytest.mark.parametrize(("body", "name"), [
    ({"contact_email": "bo@solo.test"}, "bo@solo.test"),
    ({"contact_email": "bo@solo.test", "program": "launch"}, "bo@solo.test - Product launch"),
    ({"scope": "account", "account_domain": "acme.test", "campaign": "loose"},
     "Acme Inc - Loose"),
    ({"scope": "account", "contact_email": "ana@acme.test"}, "Acme Inc"),
    ({"contact_email": "ana@acme.test", "name": "  Big deal  "}, "Big deal"),
])
def test_default_lead_name(world: TestClient, body: dict[str, Any], name: str) -> None:
    assert post(world, "leads", body)["name"] == name


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"contact_email": "nobody@acme.test"}, "contact_email", "no contact"),
    ({"contact_id": 999}, "contact_id", "no contact with id 999"),
    ({"contact_email": "not-an-email"}, "contact_email", "not an email"),
    ({}, "contact_email", "needs a contact"),
    ({"scope": "account"}, "account_domain", "needs an account"),
    ({"scope": "account", "contact_email": "bo@solo.test"}, "account_domain", "needs an account"),
    ({"scope": "team", "contact_email": "bo@solo.test"}, "scope", "contact"),
    ({"contact_email": "bo@solo.test", "priority": "asap"}, "priority", "urgent"),
    ({"contact_email": "bo@solo.test", "due_date": "next week"}, "due_date", "date"),
    ({"contact_email": "bo@solo.test", "due_date": "2025-02-30"}, "due_date", "date"),
    ({"contact_email": "bo@solo.test", "campaign": "spring", "program": "other"}, "program",
     "another program"),
    ({"contact_email": "bo@solo.test", "campaign": "nothing"}, "campaign", "no campaign"),
    ({"contact_email": "bo@solo.test", "owner": "ghost@acme.test"}, "owner", "no owner"),
    ({"contact_email": "bo@solo.test", "source": "manual"}, "source", "unknown field"),
    ({"contact_email": "bo@solo.test", "stage": "won"}, "stage", "unknown field"),
    ({"contact_email": "bo@solo.test", "name": ""}, "name", "at least 1"),
    ({"contact_email": "bo@solo.test", "custom": {"tier": "gold"}}, "custom.tier",
     "unknown custom field"),
])
def test_invalid_lead_is_rejected_with_a_clear_field_message(
    world: TestClient, body: dict[str, Any], field: str, words: str
) -> None:
    errors = field_errors(world.post(f"{API}/leads", json=body))
    assert words in errors[field], errors
    assert items(world, "leads") == []


def test_every_problem_is_reported_at_once(world: TestClient) -> None:
    answer = world.post(f"{API}/leads", json={"contact_email": "nobody@acme.test",
                                              "campaign": "nothing", "owner": "x@y.z"})
    assert set(field_errors(answer)) == {"contact_email", "campaign", "owner"}


def test_patch_changes_only_given_fields_and_validates(world: TestClient) -> None:
    lead = post(world, "leads", {"contact_email": "ana@acme.test", "campaign": "spring",
                                 "status": "new", "due_date": "2025-03-01"})
    url = f"{API}/leads/{lead['id']}"
    changed = world.patch(url, json={"priority": "urgent", "due_date": None})
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert (after["priority"], after["due_date"], after["status"]) == ("urgent", None, "new")
    assert after["name"] == lead["name"] and after["campaign"] == "spring"
    assert "name" in field_errors(world.patch(url, json={"name": None}))
    bad = world.patch(url, json={"campaign": "loose", "program": "other", "priority": "soon"})
    assert {"priority"} <= set(field_errors(bad))
    mismatch = world.patch(url, json={"program": "other"})
    assert "another program" in field_errors(mismatch)["program"]
    assert world.get(url).json() == after


def test_changing_scope_to_account_needs_an_account(world: TestClient) -> None:
    lead = post(world, "leads", {"contact_email": "bo@solo.test"})
    url = f"{API}/leads/{lead['id']}"
    assert "account_domain" in field_errors(world.patch(url, json={"scope": "account"}))
    answer = world.patch(url, json={"scope": "account", "account_domain": "acme.test"})
    assert answer.status_code == 200 and answer.json()["account_domain"] == "acme.test"
    assert "contact_email" in field_errors(
        world.patch(url, json={"scope": "contact", "contact_email": None}))


def test_a_contact_may_have_many_leads(world: TestClient) -> None:
    post(world, "leads", {"contact_email": "ana@acme.test", "campaign": "spring"})
    post(world, "leads", {"contact_email": "ana@acme.test", "program": "other"})
    assert len(items(world, "leads", contact_email="ana@acme.test")) == 2


def test_lead_external_id_is_unique(world: TestClient) -> None:
    post(world, "leads", {"contact_email": "bo@solo.test", "external_id": "crm-1"})
    answer = world.post(f"{API}/leads", json={"contact_email": "ana@acme.test",
                                              "external_id": "crm-1"})
    assert answer.status_code == 409 and "crm-1" in answer.json()["detail"]


@pytest.mark.parametrize(("field", "value", "stored"), [
    ({"key": "budget", "type": "number"}, "1200.5", 1200.5),
    ({"key": "budget", "type": "number"}, 7, 7),
    ({"key": "vip", "type": "boolean"}, "yes", True),
    ({"key": "vip", "type": "boolean"}, False, False),
    ({"key": "met_on", "type": "date"}, "2025-01-31", "2025-01-31"),
    ({"key": "tier", "type": "choice", "choices": ["gold", "silver"]}, "gold", "gold"),
    ({"key": "note", "type": "text"}, "hello", "hello"),
    ({"key": "note", "type": "text"}, 42, "42"),
])
def test_custom_fields_are_stored_by_type(
    world: TestClient, field: dict[str, Any], value: Any, stored: Any
) -> None:
    post(world, "custom-fields", {**field, "entity": "lead"})
    lead = post(world, "leads", {"contact_email": "bo@solo.test", "custom": {field["key"]: value}})
    assert lead["custom"] == {field["key"]: stored}


@pytest.mark.parametrize(("field", "value"), [
    ({"key": "budget", "type": "number"}, "lots"),
    ({"key": "budget", "type": "number"}, True),
    ({"key": "budget", "type": "number"}, "NaN"),
    ({"key": "budget", "type": "number"}, "inf"),
    ({"key": "budget", "type": "number"}, [1]),
    ({"key": "vip", "type": "boolean"}, "maybe"),
    ({"key": "met_on", "type": "date"}, "31/01/2025"),
    ({"key": "tier", "type": "choice", "choices": ["gold", "silver"]}, "bronze"),
    ({"key": "note", "type": "text"}, {"a": 1}),
    ({"key": "note", "type": "text"}, ["a"]),
])
def test_custom_field_values_are_validated(
    world: TestClient, field: dict[str, Any], value: Any
) -> None:
    post(world, "custom-fields", {**field, "entity": "lead"})
    answer = world.post(f"{API}/leads", json={"contact_email": "bo@solo.test",
                                              "custom": {field["key"]: value}})
    assert field["type"] in field_errors(answer)[f"custom.{field['key']}"]
    assert items(world, "leads") == []


def test_custom_values_merge_on_patch_and_null_removes_one(world: TestClient) -> None:
    post(world, "custom-fields", {"key": "tier", "entity": "lead", "type": "choice",
                                  "choices": ["gold", "silver"]})
    post(world, "custom-fields", {"key": "budget", "entity": "lead", "type": "number"})
    lead = post(world, "leads", {"contact_email": "bo@solo.test",
                                 "custom": {"tier": "gold", "budget": 10}})
    url = f"{API}/leads/{lead['id']}"
    assert world.patch(url, json={"custom": {"budget": 20}}).json()["custom"] == {
        "tier": "gold", "budget": 20}
    assert world.patch(url, json={"custom": {"tier": None}}).json()["custom"] == {"budget": 20}
    # A field of another entity is not a lead field.
    post(world, "custom-fields", {"key": "segment", "entity": "contact", "type": "text"})
    answer = world.patch(url, json={"custom": {"segment": "smb"}})
    assert "unknown custom field on lead" in field_errors(answer)["custom.segment"]
