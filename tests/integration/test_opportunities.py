"""Opportunities over REST (SPEC §5): made by hand, listed like every record, changed with
events carrying old and new values, and upserted by a CRM by its own id — a CRM closing one
closes its lead."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from leadflow.db import tables as t
from leadflow.db.database import Database
from tests.integration.api_world import (
    API,
    field_errors,
    http,  # noqa: F401  (the faster app fixture)
    post,
    problem,
)
from tests.integration.test_lifecycle import PATHS, done

URL = f"{API}/opportunities"
CRM = f"{URL}/by-external-id"


def events(db: Database, kind: str) -> list[dict[str, Any]]:
    with db.transaction() as session:
        return [e.payload for e in session.scalars(
            select(t.DomainEvent).where(t.DomainEvent.type == kind).order_by(t.DomainEvent.id))]


def history(client: TestClient, lead_id: int) -> list[dict[str, Any]]:
    return list(client.get(f"{API}/leads/{lead_id}/stage-changes").json()["items"])


@pytest.fixture
def world(api: TestClient) -> TestClient:
    post(api, "accounts", {"name": "Acme", "domain": "acme.test"})
    post(api, "contacts", {"email": "ana@acme.test", "first_name": "Ana",
                           "account_domain": "acme.test"})
    post(api, "contacts", {"email": "bo@solo.test"})
    return api


def new_lead(client: TestClient, stage: str = "nurture", **body: Any) -> dict[str, Any]:
    lead: dict[str, Any] = post(client, "leads", {"contact_email": "ana@acme.test", **body})
    for action in PATHS[stage]:
        lead = done(client, lead["id"], action)["lead"]
    return lead


def test_create_by_hand_with_and_without_a_lead(world: TestClient, db: Database) -> None:
    alone = post(world, "opportunities", {"name": " Renewal ", "contact_email": "ana@acme.test",
                                          "estimated_revenue": 900.5, "currency": "gbp"})
    assert alone == alone | {"name": "Renewal", "lead_id": None, "account_domain": "acme.test",
                             "currency": "GBP", "status": "open", "source": "promoted",
                             "probability": None, "external_ids": {}}
    lead = new_lead(world, external_id="SF-1")
    linked = post(world, "opportunities", {"lead_external_id": "SF-1", "probability": 20})
    assert linked == linked | {"name": lead["name"], "lead_id": lead["id"],
                               "contact_email": "ana@acme.test", "account_domain": "acme.test"}
    assert [e["opportunity"]["id"] for e in events(db, "opportunity.created")] == [
        alone["id"], linked["id"]]
    assert world.get(f"{API}/leads/{lead['id']}").json()["stage"] == "nurture"


@pytest.mark.parametrize(("body", "field", "words"), [
    ({}, "name", "needs a name"),
    ({"name": "X", "currency": "eu"}, "currency", "three letters"),
    ({"name": "X", "currency": "€€€"}, "currency", "three letters"),
    ({"name": "X", "probability": 101}, "probability", "100"),
    ({"name": "X", "probability": -1}, "probability", "0"),
    ({"name": "X", "estimated_revenue": -5}, "estimated_revenue", "0"),
    ({"name": "X", "expected_close_date": "2031-02-30"}, "expected_close_date", "date"),
    ({"name": "X", "status": "pending"}, "status", "open"),
    ({"name": "X", "source": "crm"}, "source", "unknown field"),
    ({"lead_id": 999}, "lead_id", "no lead with id 999"),
    ({"name": "X", "contact_email": "nobody@acme.test"}, "contact_email", "no contact"),
    ({"name": "X", "account_domain": "nowhere.test"}, "account_domain", "no account"),
])
def test_invalid_opportunity_is_refused_and_nothing_is_saved(
    world: TestClient, body: dict[str, Any], field: str, words: str
) -> None:
    errors = field_errors(world.post(URL, json=body))
    assert words in errors[field], errors
    assert world.get(URL).json()["items"] == []


def test_patch_emits_old_and_new_values_of_what_changed(world: TestClient, db: Database) -> None:
    made = post(world, "opportunities", {"name": "Deal", "estimated_revenue": 100,
                                         "probability": 10})
    answer = world.patch(f"{URL}/{made['id']}", json={"probability": 50,
                                                      "estimated_revenue": 100})
    assert answer.status_code == 200, answer.text
    assert answer.json()["probability"] == 50
    [updated] = events(db, "opportunity.updated")
    assert updated["changes"] == {"probability": {"old": 10, "new": 50}}
    assert updated["opportunity"]["probability"] == 50
    assert world.patch(f"{URL}/{made['id']}", json={"name": "Deal"}).status_code == 200
    assert len(events(db, "opportunity.updated")) == 1  # nothing changed: no event
    assert "needs a name" in field_errors(world.patch(f"{URL}/{made['id']}",
                                                      json={"name": None}))["name"]


def test_closing_by_hand_closes_the_open_lead(world: TestClient) -> None:
    lead = new_lead(world, "opportunity")
    [made] = world.get(URL, params={"lead_id": lead["id"]}).json()["items"]
    answer = world.patch(f"{URL}/{made['id']}", json={"status": "lost"})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["probability"]) == ("lost", 0)
    assert answer.json()["closed_at"] is not None
    assert world.get(f"{API}/leads/{lead['id']}").json()["stage"] == "lost"
    last = history(world, lead["id"])[-1]
    assert (last["action"], last["from_stage"], last["to_stage"]) == (
        "lose", "opportunity", "lost")
    assert last["actor"].startswith("key ") and str(made["id"]) in last["reason"]
    reopened = world.patch(f"{URL}/{made['id']}", json={"status": "open"}).json()
    assert reopened["closed_at"] is None
    assert world.get(f"{API}/leads/{lead['id']}").json()["stage"] == "lost"  # stays closed


def test_list_filters_sorts_searches_and_pages(world: TestClient) -> None:
    for name, revenue, status in [("Alpha", 300, "open"), ("Beta", 100, "won"),
                                  ("Gamma", 200, "open"), ("Alphabet", None, "lost")]:
        post(world, "opportunities", {"name": name, "estimated_revenue": revenue,
                                      "status": status, "contact_email": "bo@solo.test"})

    def names(**params: Any) -> list[str]:
        answer = world.get(URL, params=params)
        assert answer.status_code == 200, answer.text
        return [item["name"] for item in answer.json()["items"]]

    assert names(status="open") == ["Alpha", "Gamma"]
    assert names(sort="-estimated_revenue") == ["Alpha", "Gamma", "Beta", "Alphabet"]
    assert names(q="alpha") == ["Alpha", "Alphabet"]
    assert names(contact_email="bo@solo.test", status="won") == ["Beta"]
    first = world.get(URL, params={"limit": 3, "sort": "name"}).json()
    rest = world.get(URL, params={"limit": 3, "sort": "name",
                                  "cursor": first["next_cursor"]}).json()
    assert [i["name"] for i in first["items"] + rest["items"]] == [
        "Alpha", "Alphabet", "Beta", "Gamma"]
    assert rest["next_cursor"] is None
    assert "unknown filter" in field_errors(world.get(URL, params={"colour": "red"}))["colour"]


class TestCrmUpsert:
    def test_put_creates_then_updates_by_external_id(self, world: TestClient,
                                                     db: Database) -> None:
        lead = new_lead(world, external_id="00Q1")
        body = {"name": "Acme rollout", "lead_external_id": "00Q1", "estimated_revenue": 5000,
                "currency": "usd", "probability": 30}
        created = world.put(f"{CRM}/salesforce/006A", json=body)
        assert created.status_code == 201, created.text
        made = created.json()
        assert made == made | {"source": "crm", "lead_id": lead["id"], "currency": "USD",
                               "external_ids": {"salesforce": "006A"}}
        updated = world.put(f"{CRM}/Salesforce/006A", json={"probability": 60})
        assert updated.status_code == 200, updated.text
        assert updated.json() == made | {"probability": 60,
                                         "updated_at": updated.json()["updated_at"]}
        assert [e["opportunity"]["external_ids"] for e in events(db, "opportunity.created")] == [
            {"salesforce": "006A"}]
        assert events(db, "opportunity.updated")[-1]["changes"]["probability"] == {
            "old": 30, "new": 60}
        assert world.get(f"{CRM}/salesforce/006A").json()["id"] == made["id"]
        assert len(world.get(URL).json()["items"]) == 1

    def test_crm_closing_the_opportunity_closes_its_lead(self, world: TestClient) -> None:
        lead = new_lead(world, "accepted")
        made = world.put(f"{CRM}/hubspot/9001", json={
            "name": "Deal", "lead_id": lead["id"]}).json()
        assert made["status"] == "open"
        assert world.get(f"{API}/leads/{lead['id']}").json()["stage"] == "accepted"
        won = world.put(f"{CRM}/hubspot/9001", json={"status": "won"})
        assert won.status_code == 200, won.text
        assert (won.json()["status"], won.json()["probability"]) == ("won", 100)
        after = world.get(f"{API}/leads/{lead['id']}").json()
        assert after["stage"] == "won"
        last = history(world, lead["id"])[-1]
        assert (last["action"], last["from_stage"], last["actor"]) == (
            "win", "accepted", "crm:hubspot")

    def test_crm_may_create_a_closed_opportunity_for_an_open_lead(self, world: TestClient,
                                                                  db: Database) -> None:
        lead = new_lead(world, "sales_ready")
        made = world.put(f"{CRM}/salesforce/006B", json={
            "lead_id": lead["id"], "status": "lost"})
        assert made.status_code == 201, made.text
        assert made.json()["name"] == lead["name"]
        assert world.get(f"{API}/leads/{lead['id']}").json()["stage"] == "lost"
        with db.transaction() as session:
            row = session.get(t.Lead, lead["id"])
            assert row is not None and row.open_key is None

    def test_crm_links_its_id_to_the_opportunity_a_convert_made(self, world: TestClient,
                                                                 db: Database) -> None:
        lead = new_lead(world, "opportunity")
        [ours] = world.get(URL).json()["items"]
        linked = world.put(f"{CRM}/salesforce/006L", json={"id": ours["id"], "probability": 55})
        assert linked.status_code == 200, linked.text
        assert linked.json() == linked.json() | {
            "id": ours["id"], "source": "promoted", "lead_id": lead["id"], "probability": 55,
            "external_ids": {"salesforce": "006L"}}
        assert len(events(db, "opportunity.created")) == 1
        again = world.put(f"{CRM}/salesforce/006L", json={"status": "won"})
        assert again.json()["id"] == ours["id"]
        assert world.get(f"{API}/leads/{lead['id']}").json()["stage"] == "won"
        other = post(world, "opportunities", {"name": "Other"})
        problem(world.put(f"{CRM}/salesforce/006L", json={"id": other["id"]}), 409)
        problem(world.put(f"{CRM}/salesforce/006M", json={"id": ours["id"]}), 409)
        problem(world.put(f"{CRM}/salesforce/006N", json={"id": 999_999}), 404)
        assert world.get(f"{URL}/{other['id']}").json()["external_ids"] == {}
        assert len(world.get(URL).json()["items"]) == 2

    def test_crm_names_contact_and_account_by_natural_key(self, world: TestClient) -> None:
        made = world.put(f"{CRM}/pipedrive/77", json={
            "name": "Solo", "contact_email": "BO@solo.test", "account_domain": "acme.test"})
        assert made.status_code == 201, made.text
        assert (made.json()["contact_email"], made.json()["account_domain"]) == (
            "bo@solo.test", "acme.test")

    @pytest.mark.parametrize(("path", "field"), [
        ("sales force/1", "system"), ("salesforce/" + "x" * 201, "external_id")])
    def test_bad_external_key_is_refused(self, world: TestClient, path: str, field: str) -> None:
        assert field in field_errors(world.put(f"{CRM}/{path}", json={"name": "X"}))
        assert world.get(URL).json()["items"] == []

    def test_unknown_external_id_is_not_found(self, world: TestClient) -> None:
        problem(world.get(f"{CRM}/salesforce/nope"), 404)


def test_roles(world: TestClient, make_key, site) -> None:  # type: ignore[no-untyped-def]
    made = post(world, "opportunities", {"name": "Deal"})
    viewer = make_key(site.company, "viewer").headers
    assert world.get(f"{URL}/{made['id']}", headers=viewer).json() == made
    for answer in (world.post(URL, json={"name": "X"}, headers=viewer),
                   world.patch(f"{URL}/{made['id']}", json={"name": "Y"}, headers=viewer),
                   world.put(f"{CRM}/crm/1", json={"name": "Z"}, headers=viewer)):
        problem(answer, 403)
    for role in ("sales", "marketer"):
        headers = make_key(site.company, role).headers
        assert world.patch(f"{URL}/{made['id']}", json={"name": role},
                           headers=headers).status_code == 200


def test_another_companys_opportunities_are_invisible(
    world: TestClient, make_client_company  # type: ignore[no-untyped-def]
) -> None:
    lead = new_lead(world)
    made = world.put(f"{CRM}/salesforce/1", json={"name": "Ours"}).json()
    other = make_client_company("globex").headers
    problem(world.get(f"{URL}/{made['id']}", headers=other), 404)
    problem(world.patch(f"{URL}/{made['id']}", json={"name": "x"}, headers=other), 404)
    problem(world.get(f"{CRM}/salesforce/1", headers=other), 404)
    assert world.get(URL, headers=other).json()["items"] == []
    assert "no lead" in field_errors(world.post(URL, json={"lead_id": lead["id"]},
                                                headers=other))["lead_id"]
    theirs = world.put(f"{CRM}/salesforce/1", json={"name": "Theirs"}, headers=other)
    assert theirs.status_code == 201 and theirs.json()["id"] != made["id"]
    assert world.get(f"{URL}/{made['id']}").json()["name"] == "Ours"
