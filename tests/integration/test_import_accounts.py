"""`leadflow import accounts`: matching by domain, then name, then external_id; parents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.services.imports import ImportOptions, RowError, run_import

DATA = Path(__file__).parent.parent / "data"


def run(cli: Any, file: Path, *args: str) -> dict[str, Any]:
    result = cli("import", "accounts", str(file), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def accounts(db: Database) -> dict[str, t.Account]:
    with db.transaction() as session:
        return {a.name: a for a in session.scalars(select(t.Account))}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_export_headers_map_and_values_are_normalised(cli, db, site):
    summary = run(cli, DATA / "accounts.csv")
    assert (summary["created"], summary["failed"], summary["warnings"]) == (4, 0, [])
    found = accounts(db)
    acme = found["Acme"]
    assert (acme.domain, acme.industry, acme.employees, acme.annual_revenue, acme.external_id) == (
        "acme.test", "Manufacturing", 1200, 250000000.5, "A-2")
    assert acme.parent_id == found["Acme Holding"].id
    assert found["Initech"].domain is None


def test_accounts_match_by_domain_then_name_then_external_id(cli, db, site, tmp_path):
    run(cli, write(tmp_path / "a.csv", "name,domain,external_id\nAcme,acme.test,\n"
                   "Initech,,\nHooli,,H-1\n"))
    summary = run(cli, write(tmp_path / "b.csv", "name,domain,external_id,industry\n"
                             "Acme Corporation,acme.test,,Tools\n"
                             "INITECH,initech.test,,Software\n"
                             "Hooli XYZ,hooli.test,H-1,Search\n"))
    assert (summary["updated"], summary["created"]) == (3, 0)
    found = accounts(db)
    assert set(found) == {"Acme Corporation", "INITECH", "Hooli XYZ"}
    assert found["INITECH"].domain == "initech.test"
    assert found["Hooli XYZ"].domain == "hooli.test"


def test_a_same_named_account_with_another_domain_is_a_different_account(cli, db, site,
                                                                          tmp_path):
    run(cli, write(tmp_path / "a.csv", "name,domain\nAcme,acme.com\n"))
    summary = run(cli, write(tmp_path / "b.csv", "name,domain\nAcme,acme.de\n"))
    assert summary["created"] == 1
    with db.transaction() as session:
        assert sorted(session.scalars(select(t.Account.domain))) == ["acme.com", "acme.de"]


def test_a_parent_must_exist_or_come_earlier_in_the_file(cli, db, site, tmp_path):
    summary = run(cli, write(tmp_path / "a.csv", "name,domain,parent_domain\n"
                             "Child,child.test,parent.test\nParent,parent.test,\n"
                             "Other,other.test,parent.test\n"))
    assert (summary["created"], summary["failed"]) == (2, 1)
    error = summary["errors"][0]
    assert (error["row"], error["column"]) == (2, "parent_domain")
    assert "import the parent account first" in error["reason"]
    found = accounts(db)
    assert found["Other"].parent_id == found["Parent"].id


def test_an_account_cannot_become_its_own_ancestor(cli, db, site, tmp_path):
    run(cli, write(tmp_path / "a.csv", "name,domain,parent_domain\nTop,top.test,\n"
                   "Mid,mid.test,top.test\n"))
    summary = run(cli, write(tmp_path / "b.csv", "name,domain,parent_domain\n"
                             "Top,top.test,mid.test\n"))
    assert summary["failed"] == 1
    assert "own parent" in summary["errors"][0]["reason"]
    assert accounts(db)["Top"].parent_id is None


def test_bad_numbers_are_row_errors_naming_the_csv_column(cli, db, site, tmp_path):
    summary = run(cli, write(tmp_path / "a.csv", "Company,Number of Employees,Annual Revenue\n"
                             "Acme,lots,\nBeta,-5,\nGamma,12,1e6\n,3,\n"))
    assert (summary["created"], summary["failed"]) == (1, 3)
    assert [(e["row"], e["column"]) for e in summary["errors"]] == [
        (2, "Number of Employees"), (3, "Number of Employees"), (5, "Company")]
    assert accounts(db)["Gamma"].annual_revenue == 1_000_000


def test_rerun_changes_nothing_and_skip_leaves_accounts_alone(cli, db, site, tmp_path):
    run(cli, DATA / "accounts.csv")
    stamps = {n: a.updated_at for n, a in accounts(db).items()}
    again = run(cli, DATA / "accounts.csv")
    assert (again["unchanged"], again["updated"], again["created"]) == (4, 0, 0)
    assert {n: a.updated_at for n, a in accounts(db).items()} == stamps
    changed = write(tmp_path / "b.csv", "name,domain,industry\nGlobex,globex.test,Oil\n")
    assert run(cli, changed, "--on-duplicate", "skip")["skipped"] == 1
    assert accounts(db)["Globex"].industry == "Energy"


def test_small_chunks_see_what_earlier_chunks_wrote(db, site, tmp_path):
    file = write(tmp_path / "a.csv", "name,domain,parent_domain\nP,p.test,\nQ,q.test,\n"
                 "C1,c1.test,p.test\nC2,c2.test,q.test\nP,p.test,\nC1,c1.test,q.test\n")
    errors: list[RowError] = []
    options = ImportOptions("accounts", file, chunk_rows=2)
    summary = run_import(db.transaction, site.company.id, options, errors.append)
    assert (summary.counts["created"], summary.counts["unchanged"], summary.counts["updated"]) == (
        4, 1, 1)
    assert errors == []
    found = accounts(db)
    assert found["C1"].parent_id == found["Q"].id
    assert found["C2"].parent_id == found["Q"].id


def test_a_row_without_a_name_fails_and_the_others_land(cli, db, site, tmp_path):
    file = tmp_path / "names.csv"
    file.write_text("name,domain\n,nameless.test\nAcme,acme.test\n", encoding="utf-8")
    result = cli("import", "accounts", str(file), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["created"], summary["failed"]) == (1, 1)
    assert summary["errors"][0] | {"value": ""} == {
        "row": 2, "column": "name", "reason": "a value is required", "value": ""}
