"""`leadflow export leads` and GET /exports/leads: every lead with its scores (SPEC §6.1)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from leadflow.db.database import Database
from leadflow.services import worker
from leadflow.services.exports import LeadExport, json_text

MODEL: dict[str, Any] = {
    "key": "engagement", "name": "Engagement", "status": "live", "sales_ready_score": 30,
    "grades": [{"name": "cold", "max": 9}, {"name": "warm", "min": 10, "max": 29},
               {"name": "hot", "min": 30}],
    "rules": [{"name": "Clicks", "points": 10, "limit": 5, "conditions": [
        {"entity": "EmailClicked", "frequency": "each", "window": {"days": 30},
         "context": "any"}]}],
}
KEYS = ["id", "external_id", "name", "scope", "contact_email", "account_domain", "program",
        "campaign", "stage", "status", "priority", "territory", "owner", "sales_ready",
        "source", "scores"]


def ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


@pytest.fixture
def world(api: TestClient, db: Database) -> dict[str, Any]:
    """A live model; Ana's lead clicked three times 100 days ago, Bob's lead is bare."""
    for path, body in [
        ("programs", {"key": "launch", "name": "Launch"}),
        ("campaigns", {"key": "spring", "name": "Spring", "program": "launch"}),
        ("users", {"email": "sam@acme.test", "role": "sales"}),
        ("accounts", {"name": "Acme", "domain": "acme.test"}),
        ("contacts", {"email": "ana@acme.test", "account_domain": "acme.test"}),
        ("contacts", {"email": "bob@acme.test"}),
        ("scoring-models", MODEL),
    ]:
        assert api.post(f"/api/v1/{path}", json=body).status_code == 201, path
    ana = api.post("/api/v1/leads", json={
        "contact_email": "ana@acme.test", "campaign": "spring", "owner": "sam@acme.test",
        "external_id": "L-1", "status": "New", "territory": "west", "priority": "high"}).json()
    bob = api.post("/api/v1/leads", json={"contact_email": "bob@acme.test"}).json()
    worker.tick(db)
    for _ in range(3):
        body = {"type": "email_clicked", "contact_email": "ana@acme.test",
                "occurred_at": ago(100)}
        assert api.post("/api/v1/interactions", json=body).status_code == 201
    return {"ana": ana["id"], "bob": bob["id"]}


def export(cli: Any, *args: str) -> Any:
    result = cli("export", "leads", *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json_has_one_object_per_lead_in_the_documented_shape(
    cli: Any, world: dict[str, Any]
) -> None:
    ana, bob = json.loads(export(cli, "--format", "json"))
    assert list(ana) == KEYS
    assert ana == {
        "id": world["ana"], "external_id": "L-1", "name": ana["name"], "scope": "contact",
        "contact_email": "ana@acme.test", "account_domain": "acme.test", "program": "launch",
        "campaign": "spring", "stage": "nurture", "status": "New", "priority": "high",
        "territory": "west", "owner": "sam@acme.test", "sales_ready": False, "source": "api",
        "scores": {"engagement": {"score": 0, "grade": "cold", "version": 1}},
    }
    assert (bob["program"], bob["campaign"], bob["owner"], bob["account_domain"]) == (
        None, None, None, None)


def test_as_of_computes_scores_and_sales_ready_as_they_were_then(
    cli: Any, world: dict[str, Any]
) -> None:
    ana, bob = json.loads(export(cli, "--format", "json", "--as-of", ago(95)))
    assert ana["scores"] == {"engagement": {"score": 30, "grade": "hot", "version": 1}}
    assert ana["sales_ready"] is True
    assert bob["scores"]["engagement"]["score"] == 0 and bob["sales_ready"] is False
    today = json.loads(export(cli, "--format", "json", "--as-of", ago(0)))
    assert today[0]["scores"]["engagement"]["score"] == 0


def test_csv_flattens_scores_and_grades_per_model(cli: Any, world: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(export(cli, "--as-of", ago(95)[:10]))))
    assert list(rows[0])[-3:] == ["source", "score.engagement", "grade.engagement"]
    assert (rows[0]["score.engagement"], rows[0]["grade.engagement"],
            rows[0]["sales_ready"]) == ("30", "hot", "true")
    assert (rows[1]["program"], rows[1]["owner"]) == ("", "")


def test_parquet_goes_to_a_file(cli: Any, world: dict[str, Any], tmp_path: Path) -> None:
    target = tmp_path / "leads.parquet"
    result = cli("export", "leads", "--format", "parquet", "--output", str(target))
    assert result.exit_code == 0, result.output
    table = pq.read_table(target).to_pylist()
    assert [(r["id"], r["score.engagement"], r["grade.engagement"]) for r in table] == [
        (world["ana"], 0, "cold"), (world["bob"], 0, "cold")]
    assert not (tmp_path / "leads.parquet.part").exists()


def test_bad_options_are_refused_clearly(cli: Any, world: dict[str, Any]) -> None:
    for args, message in [(("--as-of", "last tuesday"), "not an ISO 8601"),
                          (("--format", "parquet"), "--output"),
                          (("--company", "nope"), "nope")]:
        result = cli("export", "leads", *args)
        assert result.exit_code == 1 and message in result.stderr
        assert "Traceback" not in result.output


def test_the_api_streams_the_same_export(
    api: TestClient, cli: Any, world: dict[str, Any]
) -> None:
    streamed = api.get("/api/v1/exports/leads", params={"format": "json", "as_of": ago(95)})
    assert streamed.status_code == 200
    assert streamed.headers["content-type"] == "application/json"
    assert [lead["scores"] for lead in streamed.json()] == [
        lead["scores"] for lead in json.loads(export(cli, "--format", "json", "--as-of", ago(95)))]
    as_csv = api.get("/api/v1/exports/leads")
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert len(list(csv.DictReader(io.StringIO(as_csv.text)))) == 2
    assert api.get("/api/v1/exports/leads", params={"format": "xml"}).status_code == 422


def test_a_company_exports_only_its_own_leads(
    api: TestClient, world: dict[str, Any], make_client_company: Any
) -> None:
    other = make_client_company("globex")
    mine = api.get("/api/v1/exports/leads", params={"format": "json"},
                   headers=other.headers)
    assert mine.status_code == 200 and mine.json() == []


def test_leads_stream_a_page_at_a_time(db: Database, site: Any, api: TestClient) -> None:
    for number in range(5):
        email = f"p{number}@acme.test"
        api.post("/api/v1/contacts", json={"email": email})
        api.post("/api/v1/leads", json={"contact_email": email})
    leads = LeadExport(db, site.company.id, page_size=2)
    pieces = list(json_text(leads))
    assert len(pieces) == 6  # five leads, then the closing bracket
    assert [lead["contact_email"] for lead in json.loads("".join(pieces))] == [
        f"p{n}@acme.test" for n in range(5)]
