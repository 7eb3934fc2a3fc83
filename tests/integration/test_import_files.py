"""`leadflow import`: unusable files are refused clearly; odd but valid CSV files are read."""

from __future__ import annotations

import codecs
import csv
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.services.imports import source


def count_contacts(db: Database) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(t.Contact)) or 0)


def refused(cli: Any, file: Path, *args: str) -> str:
    result = cli("import", "contacts", str(file), *args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return str(result.stderr)


def imported(cli: Any, file: Path, *args: str) -> dict[str, Any]:
    result = cli("import", "contacts", str(file), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_a_missing_file_is_refused(cli, db, site, tmp_path):
    assert "no such file" in refused(cli, tmp_path / "nope.csv")


def test_a_directory_is_refused(cli, db, site, tmp_path):
    assert "is a directory" in refused(cli, tmp_path)


def test_an_empty_file_is_refused(cli, db, site, tmp_path):
    (tmp_path / "empty.csv").write_text("\n\n", encoding="utf-8")
    assert "is empty" in refused(cli, tmp_path / "empty.csv")


def test_a_spreadsheet_is_refused_as_not_csv(cli, db, site, tmp_path):
    (tmp_path / "people.xlsx").write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(64))
    assert "not a CSV text file" in refused(cli, tmp_path / "people.xlsx")


def test_a_latin1_file_is_refused_naming_the_line(cli, db, site, tmp_path):
    (tmp_path / "latin.csv").write_bytes(b"email,first_name\na@x.test,Ana\nj@x.test,Jos\xe9\n")
    message = refused(cli, tmp_path / "latin.csv")
    assert "not UTF-8" in message and "line 3" in message
    assert count_contacts(db) == 0


def test_a_utf16_file_is_refused(cli, db, site, tmp_path):
    (tmp_path / "u16.csv").write_bytes(codecs.BOM_UTF16_LE + "email\na@x.test\n".encode(
        "utf-16-le"))
    assert "UTF-16" in refused(cli, tmp_path / "u16.csv")


def test_a_file_without_an_email_column_is_refused_and_writes_nothing(cli, db, site, tmp_path):
    file = tmp_path / "names.csv"
    file.write_text("First Name,Last Name\nAna,Lima\n", encoding="utf-8")
    message = refused(cli, file)
    assert "no 'email' column" in message and "'First Name'" in message
    assert count_contacts(db) == 0
    assert not (tmp_path / "names.csv.errors.csv").exists()


def test_an_unknown_company_is_refused(cli, db, site, tmp_path):
    (tmp_path / "a.csv").write_text("email\na@x.test\n", encoding="utf-8")
    assert "no company 'ghost'" in refused(cli, tmp_path / "a.csv", "--company", "ghost")


def test_a_missing_or_broken_mapping_file_is_refused(cli, db, site, tmp_path):
    (tmp_path / "a.csv").write_text("email\na@x.test\n", encoding="utf-8")
    assert "no such mapping file" in refused(cli, tmp_path / "a.csv", "--mapping",
                                             str(tmp_path / "map.yaml"))
    (tmp_path / "map.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    assert "pairs" in refused(cli, tmp_path / "a.csv", "--mapping", str(tmp_path / "map.yaml"))
    (tmp_path / "map.json").write_text("{not json", encoding="utf-8")
    assert "not valid" in refused(cli, tmp_path / "a.csv", "--mapping", str(tmp_path / "map.json"))
    assert count_contacts(db) == 0


def test_tab_separated_files_are_read(cli, db, site, tmp_path):
    (tmp_path / "a.tsv").write_text("email\tfirst_name\na@x.test\tAna, Jr\n", encoding="utf-8")
    assert imported(cli, tmp_path / "a.tsv")["created"] == 1


def test_excel_sep_line_sets_the_delimiter_and_rows_keep_their_line_numbers(cli, db, site,
                                                                             tmp_path):
    file = tmp_path / "excel.csv"
    file.write_text("sep=;\nemail;first_name\na@x.test;Ana\nbad;Bo\n", encoding="utf-8")
    summary = imported(cli, file)
    assert (summary["created"], summary["failed"]) == (1, 1)
    assert summary["errors"][0]["row"] == 4


def test_a_header_without_rows_imports_nothing(cli, db, site, tmp_path):
    (tmp_path / "a.csv").write_text("email,first_name\n", encoding="utf-8")
    summary = imported(cli, tmp_path / "a.csv")
    assert summary["rows"] == 0


def test_a_row_with_more_values_than_the_header_is_a_row_error(cli, db, site, tmp_path):
    (tmp_path / "a.csv").write_text("email,company\na@x.test,Acme, Inc\nb@x.test,Beta,,\n",
                                    encoding="utf-8")
    summary = imported(cli, tmp_path / "a.csv")
    assert (summary["created"], summary["failed"]) == (1, 1)
    assert summary["errors"][0]["row"] == 2
    assert "3 values but the header has 2 columns" in summary["errors"][0]["reason"]


def test_an_errors_option_always_writes_the_report(cli, db, site, tmp_path):
    (tmp_path / "a.csv").write_text("email\na@x.test\n", encoding="utf-8")
    summary = imported(cli, tmp_path / "a.csv", "--errors", str(tmp_path / "out.csv"))
    assert summary["errors_file"] == str(tmp_path / "out.csv")
    with (tmp_path / "out.csv").open(encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [["row", "column", "value", "reason"]]


def test_a_file_that_breaks_midway_keeps_earlier_rows_and_fails(cli, db, site, tmp_path,
                                                                 monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(source, "MAX_FIELD", 100)
    (tmp_path / "a.csv").write_text(f'email,job_title\na@x.test,CEO\nb@x.test,"{"x" * 500}"\n',
                                    encoding="utf-8")
    result = cli("import", "contacts", str(tmp_path / "a.csv"))
    assert result.exit_code == 1
    assert "line 3 is not valid CSV" in result.stderr and "1 created" in result.stdout
    assert count_contacts(db) == 1


def test_an_error_report_path_that_is_the_input_file_is_refused(cli, db, site, tmp_path):
    file = tmp_path / "a.csv"
    file.write_text("email\nbad\n", encoding="utf-8")
    assert "overwrite the input file" in refused(cli, file, "--errors", str(file))
    assert file.read_text(encoding="utf-8") == "email\nbad\n"


def test_a_row_spanning_several_lines_is_numbered_by_its_first_line(cli, db, site, tmp_path):
    (tmp_path / "a.csv").write_text('email,city\n\na@x.test,"Two\nlines"\nbad,Paris\n',
                                    encoding="utf-8")
    summary = imported(cli, tmp_path / "a.csv")
    assert summary["created"] == 1
    assert summary["errors"][0]["row"] == 5
