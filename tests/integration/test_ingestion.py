"""Interactions arrive over REST: contacts are matched, leads generated (SPEC §1, §3)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadflow.db.database import Database

URL = "/api/v1/interactions"


@pytest.fixture
def world(api: TestClient) -> TestClient:
    """Two programs, campaigns, pages and an event: the marketing catalog of one company."""
    for body in [
        ("programs", {"key": "launch", "name": "Launch"}),
        ("programs", {"key": "other", "name": "Other"}),
        ("campaigns", {"key": "spring", "name": "Spring webinar", "program": "launch"}),
        ("campaigns", {"key": "fall", "name": "Fall", "program": "launch"}),
        ("campaigns", {"key": "loose", "name": "No program"}),
        ("landing-pages", {"key": "spring-form", "name": "Spring", "campaign": "spring"}),
        ("landing-pages", {"key": "fall-form", "name": "Fall", "campaign": "fall"}),
        ("landing-pages", {"key": "plain-form", "name": "No campaign"}),
        ("landing-pages", {"key": "quiet", "name": "Quiet", "campaign": "spring",
                           "creates_leads": False}),
        ("events", {"key": "summit", "name": "Summit", "campaign": "spring"}),
        ("emails", {"key": "invite", "name": "Invite", "campaign": "fall"}),
    ]:
        assert api.post(f"/api/v1/{body[0]}", json=body[1]).status_code == 201
    return api


def form(email: str = "ana@acme.test", page: str = "spring-form", **extra: Any) -> dict[str, Any]:
    return {"type": "form_submitted", "contact_email": email, "landing_page": page, **extra}


def leads(api: TestClient, **filters: str) -> list[dict[str, Any]]:
    return list(api.get("/api/v1/leads", params={"limit": "500", **filters}).json()["items"])


def settings(api: TestClient, **values: Any) -> None:
    assert api.patch("/api/v1/companies/site/settings", json=values).status_code == 200


class TestLeadGeneration:
    def test_form_submission_creates_contact_account_and_lead(self, world: TestClient) -> None:
        body = form(email=" Ana@Acme.TEST ", contact={"first_name": "Ana", "last_name": "Lima",
                                                      "company": "Acme", "domain": "acme.test"})
        result = world.post(URL, json=body)
        assert result.status_code == 201, result.text
        assert result.json()["lead_created"] is True
        contact = world.get("/api/v1/contacts/ana@acme.test").json()
        assert (contact["first_name"], contact["account_domain"]) == ("Ana", "acme.test")
        [lead] = leads(world)
        assert lead["campaign"] == "spring" and lead["program"] == "launch"
        assert lead["source"] == "auto"
        assert (lead["origin"], lead["stage"]) == ("landing_page", "nurture")
        assert lead["name"] == "Ana Lima - Spring webinar"

    def test_second_interaction_in_same_context_joins_the_open_lead(
        self, world: TestClient
    ) -> None:
        first = world.post(URL, json=form(attributes={"n": "1"})).json()
        second = world.post(URL, json={"type": "event_registered", "event": "summit",
                                       "contact_email": "ana@acme.test"}).json()
        assert second["lead_id"] == first["lead_id"] and second["lead_created"] is False
        assert len(leads(world)) == 1

    def test_other_campaign_creates_another_lead(self, world: TestClient) -> None:
        world.post(URL, json=form())
        world.post(URL, json=form(page="fall-form"))
        assert sorted(lead["campaign"] for lead in leads(world)) == ["fall", "spring"]

    def test_program_strategy_shares_one_lead_across_campaigns(self, world: TestClient) -> None:
        settings(world, **{"leads.creation_strategy": "program"})
        world.post(URL, json=form())
        world.post(URL, json=form(page="fall-form"))
        [lead] = leads(world)
        assert (lead["program"], lead["campaign"]) == ("launch", None)

    def test_company_strategy_has_no_context(self, world: TestClient) -> None:
        settings(world, **{"leads.creation_strategy": "company"})
        world.post(URL, json=form())
        world.post(URL, json=form(page="plain-form"))
        [lead] = leads(world)
        assert (lead["program"], lead["campaign"]) == (None, None)

    def test_campaign_strategy_falls_back_to_company_without_campaign(
        self, world: TestClient
    ) -> None:
        world.post(URL, json=form(page="plain-form"))
        [lead] = leads(world)
        assert (lead["program"], lead["campaign"]) == (None, None)

    def test_program_strategy_falls_back_to_a_campaign_without_program(
        self, world: TestClient
    ) -> None:
        settings(world, **{"leads.creation_strategy": "program"})
        world.post(URL, json=form(page="plain-form", campaign="loose"))
        [lead] = leads(world)
        assert (lead["program"], lead["campaign"]) == (None, "loose")

    def test_account_scope_gives_one_lead_per_account(self, world: TestClient) -> None:
        settings(world, **{"leads.creation_scope": "account"})
        world.post(URL, json=form("ana@acme.test", contact={"company": "Acme",
                                                            "domain": "acme.test"}))
        world.post(URL, json=form("bo@acme.test", contact={"domain": "acme.test"}))
        [lead] = leads(world)
        assert (lead["scope"], lead["account_domain"]) == ("account", "acme.test")

    def test_account_scope_without_account_falls_back_to_contact(self, world: TestClient) -> None:
        settings(world, **{"leads.creation_scope": "account"})
        world.post(URL, json=form("solo@gmail.test"))
        [lead] = leads(world)
        assert (lead["scope"], lead["contact_email"]) == ("contact", "solo@gmail.test")

    def test_creates_leads_false_stores_but_creates_nothing(self, world: TestClient) -> None:
        result = world.post(URL, json=form(page="quiet")).json()
        assert result["status"] == "created" and result["lead_id"] is None
        assert leads(world) == []
        assert len(world.get(URL).json()["items"]) == 1

    def test_behaviour_interactions_never_create_leads(self, world: TestClient) -> None:
        world.post(URL, json={"type": "email_clicked", "contact_email": "a@b.test",
                              "email": "invite"})
        assert leads(world) == []

    def test_closed_lead_is_not_matched(self, world: TestClient, db: Database) -> None:
        first = world.post(URL, json=form()).json()
        from leadflow.db.tables import Lead

        with db.transaction() as session:
            lead = session.get(Lead, first["lead_id"])
            assert lead is not None
            lead.stage, lead.open_key = "lost", None
        second = world.post(URL, json=form(attributes={"again": "yes"})).json()
        assert second["lead_created"] is True and second["lead_id"] != first["lead_id"]

    def test_form_interaction_can_be_added_to_a_lead_by_hand(self, world: TestClient) -> None:
        world.post("/api/v1/contacts", json={"email": "bo@b.test"})
        lead = world.post("/api/v1/leads", json={"contact_email": "bo@b.test"}).json()
        body = {"type": "form_submitted", "contact_email": "bo@b.test", "lead_id": lead["id"]}
        assert world.post(URL, json=body).json()["lead_id"] == lead["id"]
        click = {"type": "email_clicked", "contact_email": "bo@b.test", "lead_id": lead["id"]}
        refused = world.post(URL, json=click)
        assert refused.status_code == 422 and "lead_id" in refused.text


class TestIdempotency:
    def test_external_id_is_acknowledged_once(self, world: TestClient) -> None:
        body = {"type": "email_opened", "contact_email": "a@b.test", "external_id": "sg-1"}
        first = world.post(URL, json=body)
        again = world.post(URL, json=body)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["status"] == "duplicate" and again.json()["id"] == first.json()["id"]
        assert len(world.get(URL).json()["items"]) == 1

    def test_identical_form_resubmission_is_ignored(self, world: TestClient) -> None:
        world.post(URL, json=form())
        assert world.post(URL, json=form()).json()["status"] == "ignored"
        assert len(world.get(URL).json()["items"]) == 1

    def test_different_form_content_is_not_a_resubmission(self, world: TestClient) -> None:
        world.post(URL, json=form())
        assert world.post(URL, json=form(contact={"city": "Lyon"})).json()["status"] == "created"


class TestVisitors:
    def test_anonymous_visits_attach_when_identified(self, world: TestClient) -> None:
        visit = {"type": "website_visited", "visitor_id": "v-1", "url": "https://x.test/pricing"}
        assert world.post(URL, json=visit).json()["contact_id"] is None
        world.post(URL, json=form(visitor_id="v-1"))
        contact = world.get("/api/v1/contacts/ana@acme.test").json()
        visits = world.get(URL, params={"type": "website_visited"}).json()["items"]
        assert [v["contact_id"] for v in visits] == [contact["id"]]
        later = world.post(URL, json=visit | {"url": "https://x.test/docs"}).json()
        assert later["contact_id"] == contact["id"]


class TestBadInput:
    @pytest.mark.parametrize("body, field", [
        ({"type": "nope", "contact_email": "a@b.test"}, "type"),
        ({"type": "email_clicked"}, "contact_email"),
        ({"type": "email_clicked", "contact_email": "not-an-email"}, "contact_email"),
        ({"type": "email_clicked", "contact_email": "a@b.test", "campaign": "nope"}, "campaign"),
        ({"type": "email_clicked", "contact_id": 999999}, "contact_id"),
        ({"type": "email_clicked", "contact_email": "a@b.test", "colour": "red"}, "colour"),
        ({"type": "email_clicked", "contact_email": "a@b.test", "occurred_at": "yesterday"},
         "occurred_at"),
        ({"type": "email_clicked", "contact_email": "a@b.test", "url": "x" * 5000}, "url"),
    ])
    def test_bad_interaction_is_refused_and_nothing_is_stored(
        self, world: TestClient, body: dict[str, Any], field: str
    ) -> None:
        result = world.post(URL, json=body)
        assert result.status_code == 422, result.text
        assert result.headers["content-type"] == "application/problem+json"
        assert field in {e["field"] for e in result.json()["errors"]}
        assert world.get(URL).json()["items"] == []
        assert world.get("/api/v1/contacts").json()["items"] == []

    def test_malformed_json_is_refused(self, world: TestClient) -> None:
        result = world.post(URL, content=b"{nope", headers={"content-type": "application/json"})
        assert result.status_code == 422 and result.json()["errors"][0]["field"] == "body"

    def test_batch_reports_each_item_and_keeps_the_good_ones(self, world: TestClient) -> None:
        items = [
            form("a@b.test"),
            {"type": "nope", "contact_email": "c@d.test"},
            {"type": "email_clicked", "contact_email": "e@f.test", "campaign": "nope"},
            {"type": "email_clicked", "contact_email": "g@h.test"},
        ]
        result = world.post(URL, json={"items": items}).json()
        assert [i["status"] for i in result["items"]] == ["created", "error", "error", "created"]
        assert (result["created"], result["error"]) == (2, 2)
        emails = {c["email"] for c in world.get("/api/v1/contacts").json()["items"]}
        assert emails == {"a@b.test", "g@h.test"}  # the failed items left no contact behind

    def test_batch_over_the_limit_is_refused_whole(self, world: TestClient) -> None:
        items = [{"type": "email_opened", "contact_email": "a@b.test"}] * 1001
        assert world.post(URL, json={"items": items}).status_code == 422
        assert world.get(URL).json()["items"] == []

    def test_viewer_key_may_not_ingest(self, world: TestClient, site: Any, make_key: Any) -> None:
        viewer = make_key(site.company, "viewer")
        result = world.post(URL, json=form(), headers=viewer.headers)
        assert result.status_code == 403


def test_concurrent_batches_for_one_new_contact_create_one_contact(
    world: TestClient, db: Database
) -> None:
    items = [{"type": "email_opened", "contact_email": "new@racer.test"}] * 20
    errors: list[BaseException] = []

    def send() -> None:
        try:
            assert world.post(URL, json={"items": items}).status_code == 200
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    contacts = world.get("/api/v1/contacts", params={"email": "new@racer.test"}).json()["items"]
    assert len(contacts) == 1
    assert len(world.get(URL, params={"limit": "500"}).json()["items"]) == 80
