"""`leadflow model …`, `leadflow rescore` and `leadflow worker --once` against a real database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

MODEL_YAML = """\
key: fit
name: Fit
status: live
sales_ready_score: 20
grades: [{name: low, max: 9}, {name: high, min: 10}]
rules:
  - name: Big accounts
    points: 20
    conditions:
      - entity: Lead.contact.account
        where: [{field: employees, op: gt, value: 500}]
"""


@pytest.fixture
def initialised(cli: Any, tmp_path: Path) -> Path:
    assert cli("init", "--json").exit_code == 0
    path = tmp_path / "fit.yaml"
    path.write_text(MODEL_YAML)
    return path


def test_apply_publishes_and_rescores(cli: Any, initialised: Path, api: Any) -> None:
    api.post("/api/v1/accounts", json={"name": "Big", "domain": "big.test", "employees": 900})
    api.post("/api/v1/contacts", json={"email": "a@big.test", "account_domain": "big.test"})
    lead = api.post("/api/v1/leads", json={"contact_email": "a@big.test"}).json()
    result = cli("model", "apply", str(initialised), "--quiet")
    assert result.exit_code == 0, result.output
    assert "Published 'fit' version 1" in result.output
    scores = api.get(f"/api/v1/leads/{lead['id']}/scores").json()["models"]
    assert [(m["model"], m["score"], m["grade"]) for m in scores] == [("fit", 20, "high")]
    assert api.get(f"/api/v1/leads/{lead['id']}").json()["sales_ready"] is True
    again = cli("model", "apply", str(initialised), "--quiet")
    assert "unchanged" in again.output and "nothing to publish" in again.output


def test_show_prints_text_and_json_the_same_whichever_form(
    cli: Any, initialised: Path, tmp_path: Path
) -> None:
    as_json = json.loads(cli("model", "show", str(initialised), "--json").stdout)
    text = cli("model", "show", str(initialised), "--text").stdout
    text_file = tmp_path / "fit.txt"
    text_file.write_text(text)
    assert json.loads(cli("model", "show", str(text_file), "--json").stdout) == as_json
    cli("model", "apply", str(initialised), "--quiet")
    assert json.loads(cli("model", "show", "fit", "--json").stdout) == as_json


def test_validate_reports_mistakes_without_a_traceback(cli: Any, initialised: Path,
                                                       tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MODEL_YAML.replace("employees", "employes"))
    result = cli("model", "validate", str(bad))
    assert result.exit_code == 1
    assert "did you mean" in result.stderr and "Traceback" not in result.stderr
    assert cli("model", "validate", str(initialised)).exit_code == 0
    assert cli("model", "validate", str(tmp_path / "missing.yaml")).exit_code == 1


def test_stop_list_rescore_and_worker(cli: Any, initialised: Path) -> None:
    cli("model", "apply", str(initialised), "--quiet")
    listed = json.loads(cli("model", "list", "--json").stdout)
    assert [(m["key"], m["status"], m["version"]) for m in listed] == [("fit", "live", 1)]
    assert json.loads(cli("rescore", "--json").stdout) == {"leads": 0, "changed": 0,
                                                          "sales_ready": 0}
    assert cli("worker", "--once").exit_code == 0
    assert cli("model", "stop", "fit").exit_code == 0
    refused = cli("model", "stop", "fit")
    assert refused.exit_code == 1 and "not live" in refused.stderr
    assert cli("model", "publish", "nope").exit_code == 1


def test_leads_show_explain_json_and_as_of(cli: Any, initialised: Path, api: Any) -> None:
    api.post("/api/v1/accounts", json={"name": "Big", "domain": "big.test", "employees": 900})
    api.post("/api/v1/contacts", json={"email": "a@big.test", "account_domain": "big.test"})
    lead = api.post("/api/v1/leads", json={"contact_email": "a@big.test"}).json()
    cli("model", "apply", str(initialised), "--quiet")
    result = cli("leads", "show", str(lead["id"]), "--explain", "--json")
    assert result.exit_code == 0, result.output
    explained = json.loads(result.stdout)
    [fit] = explained["models"]
    assert (fit["model"], fit["score"], fit["rules"][0]["fires"]) == ("fit", 20, 1)
    past = cli("leads", "show", str(lead["id"]), "--explain", "--json",
               "--as-of", "2020-01-01T00:00:00")
    assert json.loads(past.stdout)["as_of"].startswith("2020-01-01")
    human = cli("leads", "show", str(lead["id"]), "--explain")
    assert "Big accounts" in human.stdout and "score 20" in human.stdout
    assert cli("leads", "show", str(lead["id"]), "--as-of", "2020-01-01").exit_code == 1
