"""When the rules run by themselves (SPEC §4): a lead created by every path (API, a form or
event interaction, an import), saved without an owner, and — with the company setting — when
it becomes sales-ready. A lead that has an owner is never reassigned automatically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadflow.db.database import Database
from leadflow.services import worker
from tests.conftest import Tenant
from tests.integration.assignment_world import contact, history, lead, owners, rule, users

ENGAGEMENT: dict[str, Any] = {
    "key": "engagement", "name": "Engagement", "lead_scope": "contact", "sales_ready_score": 30,
    "grades": [{"name": "cold", "max": 9}, {"name": "warm", "min": 10, "max": 29},
               {"name": "hot", "min": 30}],
    "rules": [
        {"name": "Forms", "points": 10,
         "conditions": [{"entity": "FormSubmitted", "frequency": "each"}]},
        {"name": "Clicks", "points": 20,
         "conditions": [{"entity": "EmailClicked", "frequency": "each"}]},
    ],
}


@pytest.fixture
def world(api: TestClient, db: Database) -> TestClient:
    """Two sales users, a form that creates leads, and a live engagement model."""
    users(api, "ana@s.test", "ben@s.test")
    for path, body in [
        ("campaigns", {"key": "spring", "name": "Spring"}),
        ("landing-pages", {"key": "spring-form", "name": "Spring", "campaign": "spring"}),
        ("events", {"key": "summit", "name": "Summit", "campaign": "spring"}),
    ]:
        assert api.post(f"/api/v1/{path}", json=body).status_code == 201
    saved = api.post("/api/v1/scoring-models", json=ENGAGEMENT | {"status": "live"})
    assert saved.status_code == 201, saved.text
    worker.tick(db)
    return api


def interact(api: TestClient, type: str, email: str, **extra: Any) -> dict[str, Any]:
    result = api.post("/api/v1/interactions",
                      json={"type": type, "contact_email": email, **extra})
    assert result.status_code == 201, result.text
    return dict(result.json())


def by_grade(api: TestClient) -> None:
    """Warm or better → ana; anything else → ben."""
    rule(api, name="Warm", assign={"user": "ana@s.test"},
         conditions=[{"grade": {"model": "engagement", "op": "in", "value": ["warm", "hot"]}}])
    rule(api, name="Rest", assign={"user": "ben@s.test"})


def test_a_lead_created_by_a_form_is_assigned_with_its_new_score(world: TestClient) -> None:
    by_grade(world)
    outcome = interact(world, "form_submitted", "ana@x.test", landing_page="spring-form")
    assert outcome["lead_created"] is True
    detail = world.get(f"/api/v1/leads/{outcome['lead_id']}").json()
    assert detail["owner"] == "ana@s.test"  # the form's 10 points made it warm first
    [entry] = history(world, outcome["lead_id"])
    assert (entry["trigger"], entry["rule"]) == ("created", "Warm")


def test_a_lead_created_by_an_event_registration_in_a_batch_is_assigned(
    world: TestClient
) -> None:
    rule(world, name="All", assign={"round_robin": ["ana@s.test", "ben@s.test"]})
    result = world.post("/api/v1/interactions", json=[
        {"type": "event_registered", "contact_email": f"p{i}@x.test", "event": "summit"}
        for i in range(3)])
    assert result.status_code in (200, 201, 207), result.text
    created = [item["lead_id"] for item in result.json()["items"]]
    assert [world.get(f"/api/v1/leads/{i}").json()["owner"] for i in created] == [
        "ana@s.test", "ben@s.test", "ana@s.test"]


def test_a_lead_created_with_an_owner_keeps_it(world: TestClient) -> None:
    by_grade(world)
    created = lead(world, owner="ben@s.test")
    assert created["owner"] == "ben@s.test"
    assert history(world, created["id"]) == []


def test_a_lead_saved_without_owner_goes_through_the_rules(world: TestClient) -> None:
    created = lead(world)
    assert created["owner"] is None  # no rules yet
    by_grade(world)
    saved = world.patch(f"/api/v1/leads/{created['id']}", json={"status": "Checked"}).json()
    assert saved["owner"] == "ben@s.test"
    assert [e["trigger"] for e in history(world, created["id"])] == ["saved"]
    # With an owner now, saving it again changes nobody.
    again = world.patch(f"/api/v1/leads/{created['id']}", json={"status": "Called"}).json()
    assert again["owner"] == "ben@s.test"
    assert len(history(world, created["id"])) == 1


def test_an_owned_lead_is_not_reassigned_by_later_activity(world: TestClient) -> None:
    by_grade(world)
    contact(world, "cold@x.test")
    created = lead(world, contact_email="cold@x.test")
    assert created["owner"] == "ben@s.test"
    interact(world, "email_clicked", "cold@x.test")  # now warm: the rules do not run again
    assert world.get(f"/api/v1/leads/{created['id']}").json()["owner"] == "ben@s.test"


@pytest.mark.parametrize("enabled", [True, False])
def test_becoming_sales_ready_runs_the_rules_when_the_setting_says(
    world: TestClient, enabled: bool
) -> None:
    rule(world, name="Ready", conditions=[{"sales_ready": True}],
         assign={"user": "ana@s.test"}, set={"priority": "urgent"})
    if enabled:
        changed = world.patch("/api/v1/companies/site/settings",
                              json={"assignment.on_sales_ready": True})
        assert changed.status_code == 200, changed.text
    contact(world, "hot@x.test")
    created = lead(world, contact_email="hot@x.test")
    assert created["owner"] is None  # not sales-ready yet: no rule holds
    for _ in range(2):
        interact(world, "email_clicked", "hot@x.test")
    detail = world.get(f"/api/v1/leads/{created['id']}").json()
    assert detail["sales_ready"] is True
    if enabled:
        assert (detail["owner"], detail["priority"]) == ("ana@s.test", "urgent")
        assert [e["trigger"] for e in history(world, created["id"])] == ["sales_ready"]
    else:
        assert detail["owner"] is None
        assert history(world, created["id"]) == []


def test_the_sales_ready_setting_is_validated(api: TestClient) -> None:
    result = api.patch("/api/v1/companies/site/settings",
                       json={"assignment.on_sales_ready": "sometimes"})
    assert result.status_code == 422
    assert "true or false" in result.text
    assert api.get("/api/v1/companies/site/settings").json()[
        "assignment.on_sales_ready"] is False


def test_imported_leads_are_assigned(world: TestClient, cli: Any, db: Database, site: Tenant,
                                     tmp_path: Path) -> None:
    rule(world, name="All", assign={"round_robin": ["ana@s.test", "ben@s.test"]})
    for email in ("a@x.test", "b@x.test", "c@x.test"):
        contact(world, email)
    file = tmp_path / "leads.csv"
    file.write_text("external_id,contact_email,owner\nL1,a@x.test,\nL2,b@x.test,ben@s.test\n"
                    "L3,c@x.test,\n", encoding="utf-8")
    result = cli("import", "leads", str(file), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 3
    found = world.get("/api/v1/leads", params={"sort": "external_id"}).json()["items"]
    assert [(x["external_id"], x["owner"]) for x in found] == [
        ("L1", "ana@s.test"), ("L2", "ben@s.test"), ("L3", "ben@s.test")]
    assert [e["trigger"] for e in history(world, found[0]["id"])] == ["import"]
    assert history(world, found[1]["id"]) == []


def test_leads_generated_by_imported_interactions_are_assigned(
    world: TestClient, cli: Any, db: Database, site: Tenant, tmp_path: Path
) -> None:
    rule(world, name="All", assign={"user": "ana@s.test"})
    file = tmp_path / "activity.csv"
    file.write_text("type,occurred_at,contact_email,landing_page\n"
                    "form_submitted,2025-01-02T10:00:00Z,new@x.test,spring-form\n",
                    encoding="utf-8")
    result = cli("import", "interactions", str(file), "--json")
    assert result.exit_code == 0, result.output
    assert list(owners(db, site.company.id).values()) == ["ana@s.test"]
    [found] = world.get("/api/v1/leads").json()["items"]
    assert [e["trigger"] for e in history(world, found["id"])] == ["import"]
