"""`leadflow import interactions`: rows follow SPEC §3 in occurred_at order, idempotently."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.services.imports import ordering

HEADER = "type,occurred_at,contact_email,landing_page,campaign,email,external_id\n"


@pytest.fixture
def world(api: TestClient) -> TestClient:
    """A program, two campaigns, two forms of one campaign, an event and an email."""
    for path, body in [
        ("programs", {"key": "launch", "name": "Launch"}),
        ("campaigns", {"key": "spring", "name": "Spring webinar", "program": "launch"}),
        ("campaigns", {"key": "fall", "name": "Fall", "program": "launch"}),
        ("landing-pages", {"key": "spring-a", "name": "Spring A", "campaign": "spring"}),
        ("landing-pages", {"key": "spring-b", "name": "Spring B", "campaign": "spring"}),
        ("landing-pages", {"key": "fall-form", "name": "Fall", "campaign": "fall"}),
        ("events", {"key": "summit", "name": "Summit", "campaign": "fall"}),
        ("emails", {"key": "invite", "name": "Invite", "campaign": "spring"}),
    ]:
        assert api.post(f"/api/v1/{path}", json=body).status_code == 201
    return api


def write(folder: Path, text: str, name: str = "activity.csv") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def run(cli: Any, file: Path, *args: str) -> dict[str, Any]:
    result = cli("import", "interactions", str(file), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def leads(db: Database) -> list[t.Lead]:
    with db.transaction() as session:
        return list(session.scalars(select(t.Lead).order_by(t.Lead.id)))


def interactions(db: Database) -> list[t.Interaction]:
    with db.transaction() as session:
        return list(session.scalars(select(t.Interaction).order_by(t.Interaction.occurred_at)))


def page_id(db: Database, key: str) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(t.LandingPage.id).where(t.LandingPage.key == key)) or 0)


def test_rows_are_ingested_in_occurred_at_order_whatever_the_file_order(
    cli: Any, world: TestClient, db: Database, tmp_path: Path
) -> None:
    file = write(tmp_path, HEADER
                 + "form_submitted,2025-03-05T10:00:00Z,ana@acme.test,spring-b,,,\n"
                 + "FormSubmitted,2025-03-01T10:00:00+02:00,Ana@Acme.test,spring-a,,,\n"
                 + "email_clicked,2025-03-03,ana@acme.test,,,invite,\n")
    summary = run(cli, file)
    assert (summary["created"], summary["failed"]) == (3, 0)
    assert summary["also_created"] == {"contacts": 1, "leads": 1}
    [lead] = leads(db)
    # The earliest submission created the lead; the later one joined it.
    assert lead.origin_landing_page_id == page_id(db, "spring-a")
    assert lead.source == "import"
    stored = interactions(db)
    assert [i.type for i in stored] == ["form_submitted", "email_clicked", "form_submitted"]
    assert [i.lead_id for i in stored] == [lead.id, None, lead.id]
    assert all(i.source == "import" for i in stored)


def test_running_the_same_file_again_changes_nothing(
    cli: Any, world: TestClient, db: Database, tmp_path: Path
) -> None:
    file = write(tmp_path, HEADER
                 + "form_submitted,2025-03-01T10:00:00Z,ana@acme.test,spring-a,,,\n"
                 + "email_opened,2025-03-02T10:00:00Z,ana@acme.test,,,invite,\n"
                 + "email_opened,2025-03-02T11:00:00Z,bob@acme.test,,,invite,M-1\n")
    first = run(cli, file)
    second = run(cli, file)
    assert (first["created"], second["created"], second["unchanged"]) == (3, 0, 3)
    assert second["also_created"] == {}
    assert len(interactions(db)) == 3 and len(leads(db)) == 1
    ids = [i.external_id or "" for i in interactions(db)]
    assert ids[2] == "M-1" and all(e.startswith("csv:") for e in ids[:2])


def test_rows_with_the_same_external_id_are_one_interaction(
    cli: Any, world: TestClient, db: Database, tmp_path: Path
) -> None:
    file = write(tmp_path, HEADER
                 + "email_opened,2025-03-02T10:00:00Z,ana@acme.test,,,invite,E-1\n"
                 + "email_clicked,2025-03-03T10:00:00Z,ana@acme.test,,,invite,E-1\n")
    summary = run(cli, file, "--on-duplicate", "skip")
    assert (summary["created"], summary["skipped"]) == (1, 1)
    assert [i.type for i in interactions(db)] == ["email_opened"]


def test_bad_rows_are_reported_by_line_and_column_and_good_rows_land(
    cli: Any, world: TestClient, db: Database, tmp_path: Path
) -> None:
    file = write(tmp_path, "type,occurred_at,contact_email,campaign,duration_seconds\n"
                 "email_clicked,2025-03-01T10:00:00Z,ana@acme.test,spring,\n"
                 "webinar_watched,2025-03-01T10:00:00Z,ana@acme.test,,\n"
                 "email_clicked,yesterday,ana@acme.test,,\n"
                 "email_clicked,2025-03-01T10:00:00Z,bob@,,\n"
                 "email_clicked,2025-03-01T10:00:00Z,,,\n"
                 "email_clicked,2025-03-01T10:00:00Z,cy@acme.test,nope,\n"
                 "website_visited,2025-03-01T10:00:00Z,cy@acme.test,,-4\n")
    summary = run(cli, file)
    assert (summary["rows"], summary["created"], summary["failed"]) == (7, 1, 6)
    with (tmp_path / "activity.csv.errors.csv").open(encoding="utf-8") as handle:
        report = [(int(r["row"]), r["column"]) for r in csv.DictReader(handle)]
    # Rows the check finds bad come first, then those the database refuses (unknown keys).
    assert report == [(3, "type"), (4, "occurred_at"), (5, "contact_email"),
                      (6, "contact_email"), (8, "duration_seconds"), (7, "campaign")]
    reasons = {e["row"]: e["reason"] for e in summary["errors"]}
    assert "unknown interaction type 'webinar_watched'" in reasons[3]
    assert reasons[6] == "a value is required"
    assert "campaign" in reasons[7] and "nope" in reasons[7]
    assert [i.type for i in interactions(db)] == ["email_clicked"]
    with db.transaction() as session:  # a failed row leaves no contact behind
        emails = set(session.scalars(select(t.Contact.email)))
    assert emails == {"ana@acme.test"}


def test_a_file_without_the_required_columns_is_refused(
    cli: Any, world: TestClient, db: Database, tmp_path: Path
) -> None:
    file = write(tmp_path, "type,contact_email\nemail_clicked,ana@acme.test\n")
    result = cli("import", "interactions", str(file))
    assert result.exit_code == 1
    assert "'occurred_at'" in result.stderr and "Traceback" not in result.output


def test_export_names_attributes_and_form_fields_map(
    cli: Any, api: TestClient, db: Database, tmp_path: Path
) -> None:
    assert api.post("/api/v1/custom-fields", json={
        "key": "segment", "entity": "contact", "type": "choice",
        "choices": ["smb", "enterprise"]}).status_code == 201
    assert api.post("/api/v1/landing-pages", json={"key": "demo", "name": "Demo"}
                    ).status_code == 201
    file = write(tmp_path, "Event Type,Timestamp,Email Address,Landing Page Key,First Name,"
                 "Company Name,Website,segment,ATTR.Minutes\n"
                 "FormSubmitted,2025-03-01 10:00,ana@acme.test,demo,Ana,Acme,acme.test,smb,12\n"
                 "FormSubmitted,2025-03-02 10:00,bob@acme.test,demo,Bob,,,galactic,\n")
    summary = run(cli, file)
    assert (summary["created"], summary["failed"], summary["warnings"]) == (1, 1, [])
    assert summary["errors"][0]["column"] == "segment"
    contact = api.get("/api/v1/contacts/ana@acme.test").json()
    assert (contact["first_name"], contact["account_domain"]) == ("Ana", "acme.test")
    assert contact["custom"] == {"segment": "smb"}
    [stored] = interactions(db)
    assert stored.attributes == {"Minutes": "12"}


def test_identical_forms_a_week_apart_both_count_but_a_resubmission_does_not(
    cli: Any, world: TestClient, db: Database, tmp_path: Path
) -> None:
    file = write(tmp_path, "type,occurred_at,contact_email,landing_page,external_id\n"
                 "form_submitted,2025-03-01T10:00:00Z,ana@acme.test,spring-a,F-1\n"
                 "form_submitted,2025-03-01T10:02:00Z,ana@acme.test,spring-a,F-2\n"
                 "form_submitted,2025-03-08T10:00:00Z,ana@acme.test,spring-a,F-3\n")
    summary = run(cli, file)
    assert (summary["created"], summary["skipped"]) == (2, 1)
    assert [i.external_id for i in interactions(db)] == ["F-1", "F-3"]


def test_large_files_are_put_in_order_through_temporary_runs(
    cli: Any, world: TestClient, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ordering, "RUN_ROWS", 2)
    days = [9, 3, 7, 1, 5, 2, 8]
    rows = "".join(f"email_opened,2025-03-{d:02d}T10:00:00Z,ana@acme.test,,,invite,O-{d}\n"
                   for d in days)
    summary = run(cli, write(tmp_path, HEADER + rows))
    assert summary["created"] == len(days)
    with db.transaction() as session:
        order = list(session.scalars(select(t.Interaction.external_id).order_by(
            t.Interaction.id)))
    assert order == [f"O-{d}" for d in sorted(days)]


def test_dry_run_checks_everything_and_writes_nothing(
    cli: Any, world: TestClient, db: Database, tmp_path: Path
) -> None:
    file = write(tmp_path, HEADER
                 + "form_submitted,2025-03-01T10:00:00Z,ana@acme.test,spring-a,,,\n"
                 + "form_submitted,2025-03-02T10:00:00Z,ana@acme.test,spring-b,,,\n")
    summary = run(cli, file, "--dry-run")
    assert (summary["created"], summary["also_created"]) == (2, {"contacts": 1, "leads": 1})
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(t.Interaction)) == 0
        assert session.scalar(select(func.count()).select_from(t.Contact)) == 0
