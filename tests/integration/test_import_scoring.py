"""Imports leave scores current, as of now: history is never replayed (SPEC §6.3, §2.5)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadflow.db.database import Database
from leadflow.services import worker

MODEL: dict[str, Any] = {
    "key": "engagement", "name": "Engagement", "status": "live", "sales_ready_score": 30,
    "grades": [{"name": "cold", "max": 9}, {"name": "warm", "min": 10, "max": 29},
               {"name": "hot", "min": 30}],
    "rules": [
        {"name": "Clicks", "points": 10, "limit": 5,
         "conditions": [{"entity": "EmailClicked", "frequency": "each", "window": {"days": 30},
                         "context": "any"}]},
        {"name": "Chicago", "points": 5, "conditions": [
            {"entity": "Lead.contact", "where": [{"field": "city", "op": "eq",
                                                  "value": "chicago"}]}]},
        {"name": "Big account", "points": 20, "conditions": [
            {"entity": "Lead.account", "where": [{"field": "employees", "op": "gt",
                                                  "value": 500}]}]},
    ],
}


@pytest.fixture
def live(api: TestClient, db: Database) -> TestClient:
    """A live model, a form that creates leads, and an email to click."""
    for path, body in [("campaigns", {"key": "spring", "name": "Spring"}),
                       ("landing-pages", {"key": "spring-form", "name": "Form",
                                          "campaign": "spring"}),
                       ("emails", {"key": "invite", "name": "Invite", "campaign": "spring"})]:
        assert api.post(f"/api/v1/{path}", json=body).status_code == 201
    assert api.post("/api/v1/scoring-models", json=MODEL).status_code == 201
    worker.tick(db)
    return api


def ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def run(cli: Any, kind: str, path: Path, text: str) -> dict[str, Any]:
    path.write_text(text, encoding="utf-8")
    result = cli("import", kind, str(path), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def only_lead(api: TestClient) -> dict[str, Any]:
    [lead] = api.get("/api/v1/leads").json()["items"]
    return dict(lead)


def score(api: TestClient, lead_id: int, **params: str) -> int:
    models = api.get(f"/api/v1/leads/{lead_id}/scores", params=params).json()["models"]
    return int(models[0]["score"])


def test_old_activity_gives_todays_score_and_never_last_years_sales_ready(
    cli: Any, live: TestClient, tmp_path: Path
) -> None:
    old_clicks = "".join(f"email_clicked,{ago(400 - i)},ana@acme.test,,invite\n"
                         for i in range(5))
    run(cli, "interactions", tmp_path / "history.csv",
        "type,occurred_at,contact_email,landing_page,email\n"
        f"form_submitted,{ago(401)},ana@acme.test,spring-form,\n" + old_clicks
        + f"email_clicked,{ago(2)},ana@acme.test,,invite\n")
    lead = only_lead(live)
    assert score(live, lead["id"]) == 10  # only the recent click is within 30 days
    # A year ago the same lead was hot: the import did not replay that moment.
    assert score(live, lead["id"], as_of=ago(395)) == 50
    assert (lead["sales_ready"], lead["stage"], lead["source"]) == (False, "nurture", "import")
    history = live.get(f"/api/v1/leads/{lead['id']}/score-history").json()["items"]
    assert [(e["cause"], e["new"]) for e in history] == [("import", 10)]


def test_recent_activity_over_the_threshold_makes_the_lead_sales_ready(
    cli: Any, live: TestClient, tmp_path: Path
) -> None:
    clicks = "".join(f"email_clicked,{ago(3 - i / 2)},ana@acme.test,,invite\n"
                     for i in range(3))
    run(cli, "interactions", tmp_path / "recent.csv",
        "type,occurred_at,contact_email,landing_page,email\n"
        f"form_submitted,{ago(5)},ana@acme.test,spring-form,\n" + clicks)
    lead = only_lead(live)
    assert (score(live, lead["id"]), lead["sales_ready"], lead["stage"]) == (
        30, True, "sales_ready")


def test_contact_account_and_lead_imports_rescore_what_they_touch(
    cli: Any, live: TestClient, tmp_path: Path
) -> None:
    assert live.post("/api/v1/contacts", json={"email": "ana@acme.test"}).status_code == 201
    lead = live.post("/api/v1/leads", json={"contact_email": "ana@acme.test"}).json()
    assert score(live, lead["id"]) == 0
    run(cli, "contacts", tmp_path / "people.csv",
        "email,city,account_domain,account_name\nana@acme.test,Chicago,acme.test,Acme\n")
    assert score(live, lead["id"]) == 5
    run(cli, "accounts", tmp_path / "companies.csv", "name,domain,employees\nAcme,acme.test,900\n")
    live.patch(f"/api/v1/leads/{lead['id']}", json={"account_domain": "acme.test"})
    assert score(live, lead["id"]) == 25
    run(cli, "accounts", tmp_path / "companies.csv", "name,domain,employees\nAcme,acme.test,90\n")
    assert score(live, lead["id"]) == 5
    summary = run(cli, "leads", tmp_path / "leads.csv",
                  "contact_email,account_domain,campaign\nbob@acme.test,acme.test,spring\n")
    assert summary["created"] == 1
    new = [item for item in live.get("/api/v1/leads").json()["items"] if item["id"] != lead["id"]]
    assert score(live, new[0]["id"]) == 0
    history = live.get(f"/api/v1/leads/{new[0]['id']}/score-history").json()["items"]
    assert [e["cause"] for e in history] == ["import"]
