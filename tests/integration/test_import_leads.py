"""`leadflow import leads`: references, contacts created on the way, open-lead matching."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from leadflow.cli import imports as cli_imports
from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.schemas import AccountIn, CampaignIn, ContactIn, CustomFieldIn, ProgramIn, UserIn
from leadflow.services import records
from leadflow.services import resources as r
from leadflow.services.imports import ImportOptions

DATA = Path(__file__).parent.parent / "data"
HEADER = "external_id,contact_email,account_domain,program,campaign,status\n"


@pytest.fixture
def world(db: Database, site: Any) -> None:
    """A program with a campaign, a salesperson, a lead custom field, an account, contacts."""
    company = site.company.id
    with db.transaction() as session:
        records.create(session, company, r.PROGRAMS, ProgramIn(key="launch", name="Launch"))
        records.create(session, company, r.PROGRAMS, ProgramIn(key="other", name="Other"))
        records.create(session, company, r.CAMPAIGNS, CampaignIn(
            key="spring", name="Spring webinar", program="launch"))
        records.create(session, company, r.USERS, UserIn(email="sam@seller.test", role="sales"))
        records.create(session, company, r.CUSTOM_FIELDS, CustomFieldIn(
            key="tier", entity="lead", type="choice", choices=["gold", "silver"]))
        records.create(session, company, r.ACCOUNTS, AccountIn(name="Acme", domain="acme.test"))
        for first, last in (("ana", "Lima"), ("bob", "Stone")):
            records.create(session, company, r.CONTACTS, ContactIn(
                email=f"{first}@acme.test", first_name=first.title(), last_name=last,
                account_domain="acme.test"))


def run(cli: Any, file: Path, *args: str) -> dict[str, Any]:
    result = cli("import", "leads", str(file), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def leads(db: Database) -> dict[str, t.Lead]:
    with db.transaction() as session:
        return {lead.external_id or str(lead.id): lead for lead in session.scalars(select(t.Lead))}


def ids(db: Database, table: Any, column: Any) -> dict[str, int]:
    with db.transaction() as session:
        return {key: row_id for key, row_id in session.execute(select(column, table.id))}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_leads_are_created_with_their_references(cli, db, world):
    summary = run(cli, DATA / "leads.csv")
    assert (summary["created"], summary["failed"], summary["warnings"]) == (4, 0, [])
    assert summary["also_created"] == {"contacts": 1}
    found = leads(db)
    contacts = ids(db, t.Contact, t.Contact.email)
    programs, campaigns = ids(db, t.Program, t.Program.key), ids(db, t.Campaign, t.Campaign.key)
    account = ids(db, t.Account, t.Account.domain)["acme.test"]
    ana = found["L-1"]
    assert (ana.contact_id, ana.account_id, ana.campaign_id, ana.program_id) == (
        contacts["ana@acme.test"], account, campaigns["spring"], programs["launch"])
    assert (ana.name, ana.status, ana.priority, ana.territory, ana.custom) == (
        "Ana at spring", "New", "high", "west", {"tier": "gold"})
    assert (ana.source, ana.stage, ana.scope, str(ana.due_date)) == (
        "import", "nurture", "contact", "2025-03-01")
    assert ana.owner_id == ids(db, t.User, t.User.email)["sam@seller.test"]
    assert found["L-2"].name == "Bob Stone - Launch"
    assert found["L-3"].contact_id == contacts["newbie@acme.test"]
    with db.transaction() as session:
        newbie = session.scalars(select(t.Contact).where(t.Contact.email == "newbie@acme.test"))
        assert newbie.one().account_id == account
    acme = found["L-4"]
    assert (acme.scope, acme.contact_id, acme.account_id, acme.name) == (
        "account", None, account, "Acme account")


def test_rerun_changes_nothing(cli, db, world):
    run(cli, DATA / "leads.csv")
    stamps = {k: lead.updated_at for k, lead in leads(db).items()}
    summary = run(cli, DATA / "leads.csv")
    assert (summary["unchanged"], summary["created"], summary["updated"]) == (4, 0, 0)
    assert summary["also_created"] == {}
    assert {k: lead.updated_at for k, lead in leads(db).items()} == stamps


def test_a_row_repeating_an_open_lead_updates_it(cli, db, world, tmp_path):
    run(cli, DATA / "leads.csv")
    summary = run(cli, write(tmp_path / "a.csv", HEADER + ",ana@acme.test,,,spring,Working\n"
                             ",ana@acme.test,,,,Company level\n"))
    assert (summary["updated"], summary["created"]) == (1, 1)
    found = leads(db)
    assert found["L-1"].status == "Working"
    assert len(found) == 5


def test_a_closed_lead_does_not_absorb_a_new_one(cli, db, world, tmp_path):
    run(cli, DATA / "leads.csv")
    with db.transaction() as session:
        session.execute(update(t.Lead).where(t.Lead.external_id == "L-1").values(stage="lost"))
    summary = run(cli, write(tmp_path / "a.csv", HEADER + ",ana@acme.test,,,spring,Again\n"))
    assert summary["created"] == 1
    assert leads(db)["L-1"].status == "New"


def test_a_second_external_id_for_an_open_lead_is_a_row_error(cli, db, world, tmp_path):
    run(cli, DATA / "leads.csv")
    summary = run(cli, write(tmp_path / "a.csv", HEADER + "L-9,ana@acme.test,,,spring,\n"))
    assert summary["failed"] == 1
    assert "already exists with external_id 'L-1'" in summary["errors"][0]["reason"]


def test_unknown_references_are_row_errors_naming_the_column(cli, db, world, tmp_path):
    summary = run(cli, write(tmp_path / "a.csv",
                             "Email,Campaign,Owner Email,account_domain,program\n"
                             "ana@acme.test,autumn,,,\n"
                             "ana@acme.test,,nobody@x.test,,\n"
                             "ana@acme.test,,,ghost.test,\n"
                             "ana@acme.test,spring,,,other\n"
                             "ana@acme.test,,,,LAUNCH\n"))
    assert (summary["failed"], summary["created"]) == (4, 1)
    assert [(e["row"], e["column"]) for e in summary["errors"]] == [
        (2, "Campaign"), (3, "Owner Email"), (4, "account_domain"), (5, "program")]
    assert "no campaign 'autumn'" in summary["errors"][0]["reason"]
    assert "belongs to another program" in summary["errors"][3]["reason"]
    assert leads(db) and all(lead.source == "import" for lead in leads(db).values())


def test_an_unknown_external_id_alone_cannot_create_a_lead(cli, db, world, tmp_path):
    summary = run(cli, write(tmp_path / "a.csv", HEADER + "L-77,,,,,Working\n"))
    assert summary["failed"] == 1
    assert summary["errors"][0]["column"] == "external_id"


def test_external_id_updates_a_lead_even_when_it_is_closed(cli, db, world, tmp_path):
    run(cli, DATA / "leads.csv")
    with db.transaction() as session:
        session.execute(update(t.Lead).where(t.Lead.external_id == "L-2").values(stage="won"))
    summary = run(cli, write(tmp_path / "a.csv", "Lead ID,Lead Status\nL-2,Closed happy\n"))
    assert summary["updated"] == 1
    assert leads(db)["L-2"].status == "Closed happy"


def test_skip_leaves_existing_leads_and_dry_run_writes_nothing(cli, db, world, tmp_path):
    dry = run(cli, DATA / "leads.csv", "--dry-run")
    assert (dry["created"], dry["also_created"]) == (4, {"contacts": 1})
    assert leads(db) == {}
    with db.transaction() as session:
        assert session.scalars(select(t.Contact).where(t.Contact.email == "newbie@acme.test")
                               ).first() is None
    run(cli, DATA / "leads.csv")
    changed = write(tmp_path / "a.csv", HEADER + "L-1,ana@acme.test,,,spring,Changed\n")
    assert run(cli, changed, "--on-duplicate", "skip")["skipped"] == 1
    assert leads(db)["L-1"].status == "New"


def test_dry_run_later_chunks_see_what_earlier_chunks_would_create(cli, db, world, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setattr(cli_imports, "ImportOptions",
                        functools.partial(ImportOptions, chunk_rows=1))
    file = write(tmp_path / "a.csv", HEADER + ",new@x.test,,,spring,A\n,new@x.test,,,spring,B\n"
                 ",new@x.test,,,spring,B\n")
    dry = run(cli, file, "--dry-run")
    real = run(cli, file)
    assert {k: dry[k] for k in ("created", "updated", "unchanged")} == {
        "created": 1, "updated": 1, "unchanged": 1}
    assert {k: real[k] for k in ("created", "updated", "unchanged")} == {
        "created": 1, "updated": 1, "unchanged": 1}
    assert [lead.status for lead in leads(db).values()] == ["B"]


def test_an_account_lead_reached_through_the_contact_is_matched_again(cli, db, world, tmp_path):
    file = write(tmp_path / "a.csv", "contact_email,scope,program\nana@acme.test,account,launch\n")
    assert run(cli, file)["created"] == 1
    assert run(cli, file)["unchanged"] == 1
    [lead] = leads(db).values()
    assert (lead.scope, lead.account_id) == ("account", ids(db, t.Account, t.Account.domain)[
        "acme.test"])
