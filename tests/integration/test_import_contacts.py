"""`leadflow import contacts`: header mapping, validation, matching, idempotence, dry runs."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.schemas import CustomFieldIn
from leadflow.services import records, resources

DATA = Path(__file__).parent.parent / "data"


def run(cli: Any, kind: str, file: Path, *args: str) -> dict[str, Any]:
    result = cli("import", kind, str(file), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def contacts(db: Database) -> dict[str, t.Contact]:
    with db.transaction() as session:
        return {c.email or "": c for c in session.scalars(select(t.Contact))}


def accounts(db: Database) -> list[t.Account]:
    with db.transaction() as session:
        return list(session.scalars(select(t.Account).order_by(t.Account.id)))


def declare_segment(db: Database, company_id: int) -> None:
    with db.transaction() as session:
        records.create(session, company_id, resources.CUSTOM_FIELDS, CustomFieldIn(
            key="segment", entity="contact", type="choice", choices=["smb", "enterprise"]))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def report_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_canonical_columns_create_contacts_their_accounts_and_custom_values(cli, db, site):
    declare_segment(db, site.company.id)
    summary = run(cli, "contacts", DATA / "contacts_canonical.csv")
    assert (summary["created"], summary["failed"], summary["warnings"]) == (3, 0, [])
    assert summary["also_created"] == {"accounts": 2}
    people = contacts(db)
    ana = people["ana@acme.test"]
    assert (ana.first_name, ana.job_title, ana.state, ana.external_id) == (
        "Ana", "CTO", "IL", "C-1")
    assert ana.custom == {"segment": "enterprise"}
    by_id = {a.id: a for a in accounts(db)}
    assert (by_id[ana.account_id].name, by_id[ana.account_id].domain) == ("Acme", "acme.test")
    assert people["bob@acme.test"].account_id == ana.account_id
    globex = by_id[people["cy@globex.test"].account_id]
    assert (globex.name, globex.domain) == ("Globex", None)


def test_hubspot_export_headers_map_automatically_and_unknown_headers_are_warned(cli, db, site):
    result = cli("import", "contacts", str(DATA / "contacts_hubspot.csv"))
    assert result.exit_code == 0, result.output
    assert "2 created" in result.stdout
    assert "'Lead Status', 'Create Date'" in result.stderr
    dee = contacts(db)["dee@initech.test"]
    assert (dee.first_name, dee.job_title, dee.state, dee.country, dee.external_id) == (
        "Dee", "VP Sales", "TX", "United States", "102")
    assert [(a.name, a.domain) for a in accounts(db)] == [
        ("Acme", "acme.test"), ("Initech", "initech.test")]


def test_salesforce_export_headers_map_automatically(cli, db, site):
    summary = run(cli, "contacts", DATA / "contacts_salesforce.csv")
    assert (summary["created"], summary["warnings"]) == (1, [])
    eve = contacts(db)["eve@umbrella.test"]
    assert (eve.job_title, eve.phone, eve.city, eve.external_id) == (
        "Director", "+44 20 0000", "London", "003A1")


def test_mapping_file_maps_headers_to_fields_and_custom_fields(cli, db, site, tmp_path):
    declare_segment(db, site.company.id)
    summary = run(cli, "contacts", DATA / "contacts_mapped.csv",
                  "--mapping", str(DATA / "contacts_mapping.yaml"))
    assert (summary["created"], summary["warnings"]) == (2, [])
    fred = contacts(db)["fred@hooli.test"]
    assert (fred.first_name, fred.last_name, fred.external_id, fred.custom) == (
        "Fred", "Hoo", "K-2", {"segment": "smb"})
    mapping = write(tmp_path / "map.json", json.dumps({"Work address": "email"}))
    again = run(cli, "contacts", DATA / "contacts_mapped.csv", "--mapping", str(mapping))
    assert again["unchanged"] == 2
    assert any("'Vorname'" in w for w in again["warnings"])


def test_mapping_to_an_unknown_field_is_refused_and_nothing_is_written(cli, db, site, tmp_path):
    mapping = write(tmp_path / "map.yaml", "Work address: email\nVorname: given\n")
    result = cli("import", "contacts", str(DATA / "contacts_mapped.csv"), "--mapping",
                 str(mapping))
    assert result.exit_code == 1
    assert "'Vorname' → 'given'" in result.stderr and "first_name" in result.stderr
    assert contacts(db) == {}


def test_messy_csv_is_read_correctly(cli, db, site):
    summary = run(cli, "contacts", DATA / "contacts_messy.csv")
    assert (summary["created"], summary["failed"], summary["rows"]) == (3, 0, 3)
    people = contacts(db)
    assert set(people) == {"ana@acme.test", "bob@acme.test", "carla@acme.test"}
    assert people["ana@acme.test"].first_name == "Ana"
    assert people["bob@acme.test"].last_name == "Stone, Jr."
    assert people["bob@acme.test"].city == "Chicago"
    assert people["carla@acme.test"].last_name == 'O"Brien'
    assert people["carla@acme.test"].city.startswith("Multi")
    assert [a.name for a in accounts(db)] == ["Acme; Inc."]


def test_a_huge_field_fails_its_row_and_the_other_rows_land(cli, db, site, tmp_path):
    huge = "x" * 300_000
    file = write(tmp_path / "huge.csv", f'email,job_title\na@x.test,CEO\nb@x.test,"{huge}"\n'
                 "c@x.test,CFO\n")
    summary = run(cli, "contacts", file)
    assert (summary["created"], summary["failed"]) == (2, 1)
    [error] = report_rows(tmp_path / "huge.csv.errors.csv")
    assert (error["row"], error["column"]) == ("3", "job_title")
    assert "longer than 200" in error["reason"] and len(error["value"]) < 300


def test_bad_rows_are_reported_by_row_and_column_while_good_rows_land(cli, db, site, tmp_path):
    declare_segment(db, site.company.id)
    file = tmp_path / "people.csv"
    shutil.copy(DATA / "contacts_bad_rows.csv", file)
    result = cli("import", "contacts", str(file))
    assert result.exit_code == 0, result.output
    assert "3 created" in result.stdout and "4 failed" in result.stdout
    assert "4 row(s) failed" in result.stderr and "people.csv.errors.csv" in result.stderr
    assert set(contacts(db)) == {"good1@acme.test", "good2@acme.test", "good3@acme.test"}
    errors = report_rows(tmp_path / "people.csv.errors.csv")
    assert [(e["row"], e["column"]) for e in errors] == [
        ("3", "email"), ("5", "email"), ("6", "segment"), ("7", "account_domain")]
    assert "not an email address" in errors[0]["reason"]
    assert "galactic" in errors[2]["reason"] and "smb, enterprise" in errors[2]["reason"]


def test_no_error_report_is_written_when_every_row_is_good(cli, db, site, tmp_path):
    write(tmp_path / "segmentless.csv", "email\na@x.test\n")
    summary = run(cli, "contacts", tmp_path / "segmentless.csv")
    assert summary["errors_file"] is None
    assert not (tmp_path / "segmentless.csv.errors.csv").exists()


def test_existing_contacts_get_their_changed_fields_updated(cli, db, site, tmp_path):
    declare_segment(db, site.company.id)
    run(cli, "contacts", DATA / "contacts_canonical.csv")
    before = contacts(db)
    file = write(tmp_path / "change.csv", "Email,Job Title,Phone\nana@acme.test,CEO,\n"
                 "bob@acme.test,Engineer,\n")
    summary = run(cli, "contacts", file)
    assert (summary["updated"], summary["unchanged"], summary["created"]) == (1, 1, 0)
    after = contacts(db)
    assert after["ana@acme.test"].job_title == "CEO"
    assert after["ana@acme.test"].phone == "+1 555 0100"  # a blank cell never clears a value
    assert after["bob@acme.test"].updated_at == before["bob@acme.test"].updated_at


def test_on_duplicate_skip_leaves_existing_contacts_alone(cli, db, site, tmp_path):
    run(cli, "contacts", write(tmp_path / "a.csv", "email,first_name\nana@acme.test,Ana\n"))
    file = write(tmp_path / "b.csv", "email,first_name\nana@acme.test,Anna\nnew@acme.test,New\n"
                 "ANA@acme.test,Annie\n")
    summary = run(cli, "contacts", file, "--on-duplicate", "skip")
    assert (summary["created"], summary["skipped"]) == (1, 2)
    assert contacts(db)["ana@acme.test"].first_name == "Ana"


def test_running_the_same_file_again_changes_nothing(cli, db, site):
    declare_segment(db, site.company.id)
    run(cli, "contacts", DATA / "contacts_canonical.csv")
    stamps = {e: c.updated_at for e, c in contacts(db).items()}
    account_stamps = [a.updated_at for a in accounts(db)]
    summary = run(cli, "contacts", DATA / "contacts_canonical.csv")
    assert (summary["unchanged"], summary["created"], summary["updated"]) == (3, 0, 0)
    assert summary["also_created"] == {}
    assert {e: c.updated_at for e, c in contacts(db).items()} == stamps
    assert [a.updated_at for a in accounts(db)] == account_stamps


def test_a_later_row_for_the_same_email_updates_the_earlier_one(cli, db, site, tmp_path):
    file = write(tmp_path / "dupes.csv", "email,first_name,last_name\na@x.test,Ann,\n"
                 "b@x.test,Bea,Bo\nA@X.test,,Lee\na@x.test,Anne,\n")
    summary = run(cli, "contacts", file)
    assert (summary["created"], summary["updated"]) == (2, 2)
    ann = contacts(db)["a@x.test"]
    assert (ann.first_name, ann.last_name) == ("Anne", "Lee")
    stamp = ann.updated_at
    again = run(cli, "contacts", file)
    assert (again["unchanged"], again["updated"]) == (4, 0)
    assert contacts(db)["a@x.test"].updated_at == stamp


def test_dry_run_counts_everything_and_writes_nothing(cli, db, site, tmp_path):
    declare_segment(db, site.company.id)
    file = tmp_path / "people.csv"
    shutil.copy(DATA / "contacts_canonical.csv", file)
    summary = run(cli, "contacts", file, "--dry-run")
    assert summary["dry_run"] is True
    assert (summary["created"], summary["also_created"]) == (3, {"accounts": 2})
    assert contacts(db) == {} and accounts(db) == []
    result = cli("import", "contacts", str(file), "--dry-run")
    assert "dry run, nothing was written" in result.stdout


def test_external_id_matches_a_contact_whose_email_changed(cli, db, site, tmp_path):
    run(cli, "contacts", write(tmp_path / "a.csv", "email,external_id\nold@x.test,C-9\n"))
    summary = run(cli, "contacts", write(tmp_path / "b.csv",
                                         "email,Contact ID\nnew@x.test,C-9\n"))
    assert summary["updated"] == 1
    assert set(contacts(db)) == {"new@x.test"}


def test_external_id_of_another_contact_is_a_row_error(cli, db, site, tmp_path):
    run(cli, "contacts", write(tmp_path / "a.csv", "email,external_id\na@x.test,1\nb@x.test,2\n"))
    summary = run(cli, "contacts", write(tmp_path / "b.csv", "email,external_id\na@x.test,2\n"))
    assert summary["failed"] == 1
    assert summary["errors"][0]["column"] == "external_id"
    assert "b@x.test" in summary["errors"][0]["reason"]
    assert contacts(db)["a@x.test"].external_id == "1"


def test_email_domain_alone_never_creates_an_account(cli, db, site, tmp_path):
    run(cli, "contacts", write(tmp_path / "a.csv", "email\nana@acme.test\n"))
    assert accounts(db) == []
    assert contacts(db)["ana@acme.test"].account_id is None


def test_account_name_matches_an_existing_account_in_any_case(cli, db, site, tmp_path):
    run(cli, "contacts", write(tmp_path / "a.csv", "email,company\na@x.test,Acme Corp\n"))
    summary = run(cli, "contacts", write(tmp_path / "b.csv", "email,company\nb@x.test,ACME CORP\n"))
    assert summary["also_created"] == {}
    people = contacts(db)
    assert people["a@x.test"].account_id == people["b@x.test"].account_id


def test_company_option_imports_into_that_company_only(cli, db, site, make_client_company):
    client = make_client_company("globex")
    run(cli, "contacts", DATA / "contacts_salesforce.csv", "--company", "globex")
    with db.transaction() as session:
        owners = set(session.scalars(select(t.Contact.company_id)))
    assert owners == {client.company.id}


def test_the_fast_row_check_agrees_with_the_schemas() -> None:
    """Rows are checked by compiled checks where they can be; values and refusals must be
    exactly the Pydantic schema's (the slow path gives the error messages)."""
    from pydantic import ValidationError

    from leadflow.schemas import AccountIn, ContactIn, LeadIn
    from leadflow.services.imports.fastcheck import compile_checks, fast_check

    samples = ["Ana", "  x", "a" * 100, "a" * 101, "a" * 200, "a" * 201, "a" * 300, "a" * 301,
               "ANA@Acme.TEST", "bob@", "no", "https://www.Acme.com/x", "acme", "x\x00y", "é",
               "Ünïcødé@exämple.test"]
    for schema in (ContactIn, AccountIn, LeadIn):
        checks = compile_checks(schema)
        assert checks.fields, schema
        assert fast_check(checks, {"city": "Oslo"}) is None or not checks.required
        base = {name: "Acme" for name in checks.required}
        for name in checks.fields:
            for text in samples:
                fast = fast_check(checks, {**base, name: text})
                try:
                    slow: Any = schema.model_validate({**base, name: text}).model_dump(
                        include={*base, name})
                except ValidationError:
                    slow = None
                # The fast path may hand a value to the slow path, never disagree with it.
                assert fast is None or fast == slow, (schema.__name__, name, text)
