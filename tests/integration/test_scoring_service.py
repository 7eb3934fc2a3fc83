"""Stored scores follow models, activity, people and time (SPEC §2.1, §2.4, §2.5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadflow.db.database import Database
from leadflow.services import worker

ENGAGEMENT: dict[str, Any] = {
    "key": "engagement", "name": "Engagement", "lead_scope": "contact",
    "sales_ready_score": 30,
    "grades": [{"name": "cold", "max": 9}, {"name": "warm", "min": 10, "max": 29},
               {"name": "hot", "min": 30}],
    "rules": [
        {"name": "Clicks", "points": 10, "limit": 5,
         "conditions": [{"entity": "EmailClicked", "frequency": "each", "window": {"days": 30}}]},
        {"name": "Chicago", "points": 5,
         "conditions": [{"entity": "Lead.contact",
                         "where": [{"field": "city", "op": "eq", "value": "chicago"}]}]},
    ],
}


def click(api: TestClient, email: str = "ana@acme.test", days_ago: float = 0) -> dict[str, Any]:
    when = datetime.now(UTC) - timedelta(days=days_ago)
    body = {"type": "email_clicked", "contact_email": email, "occurred_at": when.isoformat()}
    result = api.post("/api/v1/interactions", json=body)
    assert result.status_code == 201, result.text
    return dict(result.json())


@pytest.fixture
def lead(api: TestClient, db: Database) -> dict[str, Any]:
    """A live engagement model and one contact-scope lead with no activity yet."""
    assert api.post("/api/v1/contacts", json={"email": "ana@acme.test", "city": "Lyon"}
                    ).status_code == 201
    created = api.post("/api/v1/leads", json={"contact_email": "ana@acme.test"}).json()
    saved = api.post("/api/v1/scoring-models", json=ENGAGEMENT | {"status": "live"})
    assert saved.status_code == 201, saved.text
    assert saved.json()["publish"]["version"] == 1
    worker.tick(db)
    return dict(created)


def scores(api: TestClient, lead_id: int, **params: str) -> dict[str, Any]:
    result = api.get(f"/api/v1/leads/{lead_id}/scores", params=params)
    assert result.status_code == 200, result.text
    return {m["model"]: m for m in result.json()["models"]}


def ledger(api: TestClient, lead_id: int) -> list[dict[str, Any]]:
    return list(api.get(f"/api/v1/leads/{lead_id}/score-history").json()["items"])


def test_publish_scores_existing_leads(api: TestClient, lead: dict[str, Any]) -> None:
    assert scores(api, lead["id"])["engagement"]["score"] == 0
    assert [e["cause"] for e in ledger(api, lead["id"])] == ["publish"]


def test_interaction_changes_the_score_before_the_call_returns(
    api: TestClient, lead: dict[str, Any]
) -> None:
    event = click(api)
    entries = ledger(api, lead["id"])
    assert entries[-1] == entries[-1] | {"old": 0, "new": 10, "delta": 10, "cause": "interaction",
                                         "cause_id": event["id"]}
    explained = scores(api, lead["id"])["engagement"]
    assert explained["grade"] == "warm"
    clicks = explained["rules"][0]
    assert (clicks["fires"], clicks["contribution"]) == (1, 10)
    assert clicks["conditions"][0]["matched_interaction_ids"] == [event["id"]]


def test_ledger_deltas_add_up_to_the_score(api: TestClient, lead: dict[str, Any]) -> None:
    for _ in range(3):
        click(api)
    api.patch("/api/v1/contacts/ana@acme.test", json={"city": "Chicago"})
    api.post(f"/api/v1/leads/{lead['id']}/score-adjustments",
             json={"model": "engagement", "points": -7, "reason": "spam trap"})
    total = sum(e["delta"] for e in ledger(api, lead["id"]))
    assert total == scores(api, lead["id"])["engagement"]["score"] == 30 + 5 - 7


def test_reaching_the_threshold_makes_the_lead_sales_ready_once(
    api: TestClient, lead: dict[str, Any]
) -> None:
    for _ in range(3):
        click(api)
    after = api.get(f"/api/v1/leads/{lead['id']}").json()
    assert after["sales_ready"] is True and after["stage"] == "sales_ready"
    assert after["sales_ready_at"] is not None
    click(api)
    later = api.get(f"/api/v1/leads/{lead['id']}").json()
    assert later["sales_ready_at"] == after["sales_ready_at"]


def test_time_travel_and_window_decay(api: TestClient, lead: dict[str, Any],
                                      db: Database) -> None:
    click(api, days_ago=29)
    assert scores(api, lead["id"])["engagement"]["score"] == 10
    past = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    assert scores(api, lead["id"], as_of=past)["engagement"]["score"] == 0
    expiry = scores(api, lead["id"])["engagement"]["next_change_at"]
    assert expiry is not None
    worker.tick(db, now=datetime.fromisoformat(expiry) + timedelta(seconds=1))
    last = ledger(api, lead["id"])[-1]
    assert (last["cause"], last["new"]) == ("window_expiry", 0)


def test_manual_adjustment_survives_rescoring(api: TestClient, lead: dict[str, Any]) -> None:
    api.post(f"/api/v1/leads/{lead['id']}/score-adjustments",
             json={"model": "engagement", "points": 4, "reason": "met at booth"})
    click(api)
    explained = scores(api, lead["id"])["engagement"]
    assert (explained["score"], explained["adjustment"]) == (14, 4)
    assert explained["adjustments"][0]["reason"] == "met at booth"


def test_stopping_removes_scores_and_keeps_history(api: TestClient, lead: dict[str, Any]) -> None:
    click(api)
    assert api.post("/api/v1/scoring-models/engagement/stop").json()["scores_removed"] == 1
    assert scores(api, lead["id"]) == {}
    entries = ledger(api, lead["id"])
    assert entries[-1]["cause"] == "stop" and sum(e["delta"] for e in entries) == 0


def test_invalid_model_is_refused_with_its_location(api: TestClient) -> None:
    bad = ENGAGEMENT | {"rules": [{"name": "Oops", "points": 5, "conditions": [
        {"entity": "Lead.contact", "where": [{"field": "cty", "op": "eq", "value": "x"}]}]}]}
    result = api.post("/api/v1/scoring-models", json=bad)
    assert result.status_code == 422
    assert "did you mean" in result.text and "city" in result.text
    assert api.get("/api/v1/scoring-models").json()["items"] == []


def test_text_form_round_trip_over_http(api: TestClient, lead: dict[str, Any]) -> None:
    text = api.get("/api/v1/scoring-models/engagement/text").text
    assert text.startswith("MODEL")
    again = api.post("/api/v1/scoring-models", content=text,
                     headers={"content-type": "text/plain"})
    assert again.status_code == 201 and again.json()["changed"] is False


def test_leads_show_scores_and_filter_by_grade(api: TestClient, lead: dict[str, Any]) -> None:
    click(api)
    listed = api.get("/api/v1/leads", params={"grade": "warm"}).json()["items"]
    assert [item["id"] for item in listed] == [lead["id"]]
    assert listed[0]["scores"] == {"engagement": {"score": 10, "grade": "warm", "version": 1}}
    assert api.get("/api/v1/leads", params={"grade": "hot"}).json()["items"] == []
