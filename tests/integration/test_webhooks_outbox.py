"""The webhook outbox (SPEC §6.4): deliveries are written by the commit of the change they
report, with payloads built after scoring; nothing for a rolled-back change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.schemas import ContactIn, LeadIn
from leadflow.services import events, records
from leadflow.services import resources as r
from leadflow.services.ingestion.ingest import Ingestor
from tests.conftest import Tenant

API = "/api/v1"
HOOK = "http://127.0.0.1:9/hooks"  # never contacted here: these tests do not run the worker
ENGAGEMENT: dict[str, Any] = {
    "key": "engagement", "name": "Engagement", "lead_scope": "contact", "status": "live",
    "sales_ready_score": 30,
    "grades": [{"name": "cold", "max": 9}, {"name": "warm", "min": 10, "max": 29},
               {"name": "hot", "min": 30}],
    "rules": [
        {"name": "Forms", "points": 20,
         "conditions": [{"entity": "FormSubmitted", "frequency": "each"}]},
        {"name": "Clicks", "points": 10,
         "conditions": [{"entity": "EmailClicked", "frequency": "each"}]},
    ],
}


def subscribe(api: TestClient, *types: str, key: str = "crm", **headers: str) -> dict[str, Any]:
    body = {"key": key, "url": HOOK, "events": list(types)}
    result = api.post(f"{API}/webhooks", json=body, headers=headers or None)
    assert result.status_code == 201, result.text
    return dict(result.json())


def deliveries(db: Database, company_id: int | None = None) -> list[t.WebhookDelivery]:
    with db.transaction() as session:
        stmt = select(t.WebhookDelivery).order_by(t.WebhookDelivery.id)
        if company_id is not None:
            stmt = stmt.where(t.WebhookDelivery.company_id == company_id)
        return list(session.scalars(stmt))


def of_type(db: Database, type: str) -> list[dict[str, Any]]:
    return [d.payload for d in deliveries(db) if d.event_type == type]


def count(db: Database, table: Any) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
def scored(api: TestClient) -> TestClient:
    """A live model that scores forms and clicks, and a landing page that creates leads."""
    for path, body in [
        ("campaigns", {"key": "spring", "name": "Spring"}),
        ("landing-pages", {"key": "spring-form", "name": "Spring", "campaign": "spring"}),
    ]:
        assert api.post(f"{API}/{path}", json=body).status_code == 201, body
    assert api.post(f"{API}/scoring-models", json=ENGAGEMENT).status_code == 201
    return api


def new_lead(api: TestClient, name: str, email: str = "ana@acme.test",
             **headers: str) -> dict[str, Any]:
    """A contact (if needed) and a lead of it, created through REST."""
    api.post(f"{API}/contacts", json={"email": email}, headers=headers or None)
    result = api.post(f"{API}/leads", json={"name": name, "contact_email": email,
                                            "status": "New"}, headers=headers or None)
    assert result.status_code == 201, result.text
    return dict(result.json())


def lead_in(session: Any, company_id: int, name: str, email: str) -> None:
    records.create(session, company_id, r.CONTACTS, ContactIn(email=email))
    records.create(session, company_id, r.LEADS, LeadIn(name=name, contact_email=email))


def submit_form(api: TestClient, email: str = "ana@acme.test") -> dict[str, Any]:
    body = {"type": "form_submitted", "contact_email": email, "landing_page": "spring-form"}
    result = api.post(f"{API}/interactions", json=body)
    assert result.status_code == 201, result.text
    return dict(result.json())


class TestWhatIsWritten:
    def test_a_lead_created_by_a_form_carries_its_scores(self, scored: TestClient, db: Database
                                                         ) -> None:
        subscribe(scored, "lead.created", "lead.score_changed")
        outcome = submit_form(scored)
        [created] = of_type(db, "lead.created")
        assert created["type"] == "lead.created"
        lead = created["data"]["lead"]
        assert (lead["id"], lead["contact_email"], lead["campaign"], lead["source"]) == (
            outcome["lead_id"], "ana@acme.test", "spring", "auto")
        assert lead["scores"]["engagement"] | {"version": 1} == {
            "score": 20, "grade": "warm", "version": 1}
        [changed] = of_type(db, "lead.score_changed")
        assert {k: changed["data"][k] for k in ("model", "score", "grade")} == {
            "model": "engagement", "score": {"old": None, "new": 20},
            "grade": {"old": None, "new": "warm"}}

    def test_score_changed_has_old_and_new_and_sales_ready_follows(
        self, scored: TestClient, db: Database
    ) -> None:
        submit_form(scored)
        subscribe(scored, "lead.score_changed", "lead.sales_ready")
        click = {"type": "email_clicked", "contact_email": "ana@acme.test"}
        assert scored.post(f"{API}/interactions", json=click).status_code == 201
        [changed] = of_type(db, "lead.score_changed")
        assert (changed["data"]["score"], changed["data"]["grade"]) == (
            {"old": 20, "new": 30}, {"old": "warm", "new": "hot"})
        [ready] = of_type(db, "lead.sales_ready")
        lead = ready["data"]["lead"]
        assert (lead["sales_ready"], lead["stage"], lead["scores"]["engagement"]["score"]) == (
            True, "sales_ready", 30)
        assert ready["data"]["stage"] == {"old": "nurture", "new": "sales_ready"}

    def test_patch_of_a_lead_sends_old_and_new_values(self, api: TestClient, db: Database
                                                      ) -> None:
        lead = new_lead(api, "Ana")
        subscribe(api, "lead.updated", "lead.created")
        result = api.patch(f"{API}/leads/{lead['id']}",
                           json={"status": "Working", "priority": "high", "name": "Ana"})
        assert result.status_code == 200, result.text
        [updated] = of_type(db, "lead.updated")
        assert updated["data"]["changes"] == {"status": {"old": "New", "new": "Working"},
                                              "priority": {"old": "normal", "new": "high"}}
        assert updated["data"]["lead"]["status"] == "Working"
        assert of_type(db, "lead.created") == []  # it was created before the subscription

    def test_a_lead_created_by_rest_is_one_message(self, api: TestClient, db: Database
                                                   ) -> None:
        subscribe(api, "lead.created", "lead.updated")
        new_lead(api, "By REST")
        names = [p["data"]["lead"]["name"] for p in of_type(db, "lead.created")]
        assert names == ["By REST"]
        assert of_type(db, "lead.updated") == []  # created and saved at once: one message

    def test_only_the_subscribed_types_and_enabled_subscriptions(self, api: TestClient,
                                                                 db: Database) -> None:
        subscribe(api, "lead.updated", key="updates")
        off = subscribe(api, "lead.created", key="off")
        assert api.patch(f"{API}/webhooks/off", json={"enabled": False}).status_code == 200
        subscribe(api, "lead.created", key="on")
        new_lead(api, "Ana")
        found = deliveries(db)
        assert [(d.event_type, d.subscription_id != off["id"]) for d in found] == [
            ("lead.created", True)]
        assert found[0].message_id.startswith("msg_") and found[0].status == "pending"

    def test_one_delivery_per_interested_subscription(self, api: TestClient, db: Database
                                                      ) -> None:
        subscribe(api, "lead.created", key="a")
        subscribe(api, "lead.created", "lead.updated", key="b")
        new_lead(api, "Ana")
        found = deliveries(db)
        assert len(found) == 2 and len({d.message_id for d in found}) == 2
        assert found[0].payload == found[1].payload

    def test_nothing_is_written_without_subscriptions(self, scored: TestClient, db: Database
                                                      ) -> None:
        submit_form(scored)
        assert deliveries(db) == []
        with db.transaction() as session:
            types = set(session.scalars(select(t.DomainEvent.type)))
        assert not types & events.ON_DEMAND  # recorded only while someone wants them

    def test_a_company_sees_only_its_own_events(self, api: TestClient, db: Database,
                                                make_client_company: Any) -> None:
        other: Tenant = make_client_company("northwind")
        subscribe(api, "lead.created")
        new_lead(api, "Theirs", **other.headers)
        assert deliveries(db) == []


class TestAtomicity:
    def test_a_rolled_back_change_leaves_no_delivery(self, api: TestClient, db: Database,
                                                     site: Tenant) -> None:
        subscribe(api, "lead.created", "lead.sales_ready")
        with pytest.raises(RuntimeError), db.transaction() as session:
            lead_in(session, site.company.id, "Ghost", "ghost@acme.test")
            events.record(session, site.company.id, "lead.sales_ready", {"x": 1})
            session.flush()
            raise RuntimeError("the request failed after the lead was written")
        assert deliveries(db) == []
        assert count(db, t.DomainEvent) == 0

    def test_a_bad_item_of_a_batch_leaves_no_delivery(self, scored: TestClient, db: Database,
                                                      site: Tenant) -> None:
        subscribe(scored, "lead.created")
        items = [
            {"type": "form_submitted", "contact_email": "ana@acme.test",
             "landing_page": "spring-form"},
            {"type": "form_submitted", "contact_email": "bob@acme.test",
             "landing_page": "spring-form", "lead_id": 999999},
        ]
        with db.transaction() as session:
            company = session.get(t.Company, site.company.id)
            assert company is not None
            outcomes = Ingestor(session, company).batch(items)
        assert [o.status for o in outcomes] == ["created", "error"]
        [created] = of_type(db, "lead.created")
        assert created["data"]["lead"]["contact_email"] == "ana@acme.test"

    def test_a_savepoint_rolled_back_forgets_its_lead(self, api: TestClient, db: Database,
                                                      site: Tenant) -> None:
        subscribe(api, "lead.created")
        with db.transaction() as session:
            lead_in(session, site.company.id, "Kept", "kept@acme.test")
            with pytest.raises(RuntimeError), session.begin_nested():
                lead_in(session, site.company.id, "Undone", "undone@acme.test")
                raise RuntimeError
        assert [p["data"]["lead"]["name"] for p in of_type(db, "lead.created")] == ["Kept"]

    def test_a_subscription_made_in_the_same_transaction_is_seen(self, db: Database,
                                                                 site: Tenant) -> None:
        from leadflow.services.webhooks import subscriptions
        from leadflow.services.webhooks.inputs import WebhookIn

        with db.transaction() as session:
            records.create(session, site.company.id, r.CONTACTS, ContactIn(email="a@b.test"))
            assert not events.wanted(session, site.company.id, "lead.created")
            subscriptions.create(session, site.company.id, WebhookIn(
                key="crm", url=HOOK, events=["lead.created"]))
            assert events.wanted(session, site.company.id, "lead.created")
            records.create(session, site.company.id, r.LEADS,
                           LeadIn(name="Ana", contact_email="a@b.test"))
        assert len(of_type(db, "lead.created")) == 1


class TestImports:
    def test_imported_leads_are_created_and_updated_in_bulk(self, api: TestClient, cli: Any,
                                                            db: Database, tmp_path: Path
                                                            ) -> None:
        subscribe(api, "lead.created", "lead.updated")
        first = tmp_path / "leads.csv"
        first.write_text("external_id,name,contact_email,status\n"
                         "L-1,Ana,ana@acme.test,New\nL-2,Bob,bob@acme.test,New\n")
        assert cli("import", "leads", str(first)).exit_code == 0
        created = of_type(db, "lead.created")
        assert sorted(p["data"]["lead"]["external_id"] for p in created) == ["L-1", "L-2"]
        assert {p["data"]["lead"]["source"] for p in created} == {"import"}
        again = tmp_path / "again.csv"
        again.write_text("external_id,status,priority\nL-1,Working,high\nL-2,New,normal\n")
        assert cli("import", "leads", str(again)).exit_code == 0
        [updated] = of_type(db, "lead.updated")
        assert updated["data"]["lead"]["external_id"] == "L-1"
        assert updated["data"]["changes"] == {"status": {"old": "New", "new": "Working"},
                                              "priority": {"old": "normal", "new": "high"}}

    def test_imported_interactions_create_each_lead_once(self, scored: TestClient, cli: Any,
                                                         db: Database, tmp_path: Path) -> None:
        subscribe(scored, "lead.created")
        file = tmp_path / "interactions.csv"
        file.write_text("type,occurred_at,contact_email,landing_page\n"
                        "form_submitted,2025-01-01T10:00:00Z,ana@acme.test,spring-form\n"
                        "form_submitted,2025-01-02T10:00:00Z,ana@acme.test,spring-form\n"
                        "form_submitted,2025-01-02T10:00:00Z,bob@acme.test,spring-form\n")
        assert cli("import", "interactions", str(file)).exit_code == 0
        created = of_type(db, "lead.created")
        assert sorted(p["data"]["lead"]["contact_email"] for p in created) == [
            "ana@acme.test", "bob@acme.test"]
