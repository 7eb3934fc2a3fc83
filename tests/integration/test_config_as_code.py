"""`leadflow apply` and `leadflow dump` (SPEC §6.5): create, update, idempotence, dry runs,
bad input that changes nothing, client company creation, and the dump round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.services import companies
from tests.integration.config_files import rows_of, write

FULL = """\
company: acme
name: Acme Corporation
settings:
  scoring.model_selection: context
  leads.creation_strategy: program
  lifecycle.recycle_resets_behavior: false
custom_fields:
  - {key: segment, entity: contact, type: choice, choices: [smb, enterprise]}
  - {key: segment, entity: account, type: text, label: Account segment}
users:
  - {email: Ana@Acme.test, role: sales, available: true, capacity: 50, territories: [west, NO]}
  - {email: max@acme.test, name: Max, role: admin}
campaigns:
  - {key: spring, name: Spring webinar, program: launch}
  - {key: solo, name: No program}
programs:
  - {key: launch, name: Product launch, description: The big one}
landing_pages:
  - {key: spring-form, name: Spring signup, campaign: spring, url: "https://acme.test/spring"}
events:
  - {key: summit, name: Summit, campaign: spring, starts_at: "2025-05-01T12:00:00+02:00",
     location: Lisbon, creates_leads: false}
emails:
  - {key: invite-1, name: Invitation, campaign: spring, subject: Join us}
"""

TABLES = (t.Company, t.CustomField, t.User, t.Program, t.Campaign, t.LandingPage, t.Event,
          t.MarketingEmail)


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every configuration row with every column, updated_at included."""
    return rows_of(db, TABLES)


def apply_ok(cli, *args: str) -> str:  # type: ignore[no-untyped-def]
    result = cli("apply", *args)
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def plan_of(cli, *args: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    plan: dict[str, Any] = json.loads(apply_ok(cli, *args, "--json"))
    return plan


def actions(plan: dict[str, Any]) -> dict[str, str]:
    return {f"{item['section']}:{item['key']}": item["action"] for item in plan["items"]}


def one(db: Database, table: type[Any], **where: Any) -> Any:
    with db.transaction() as session:
        return session.scalars(select(table).filter_by(**where)).one()


class TestCreate:
    def test_apply_creates_the_company_and_everything_in_the_file(
        self, cli, db: Database, site, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        plan = plan_of(cli, write(tmp_path, FULL))
        assert plan["company"] == "acme"
        assert plan["counts"] == {"create": 11, "update": 1, "unchanged": 0}
        acme = one(db, t.Company, key="acme")
        assert acme.name == "Acme Corporation"
        assert acme.parent_id == site.company.id
        assert acme.settings == {"scoring.model_selection": "context",
                                 "leads.creation_strategy": "program",
                                 "lifecycle.recycle_resets_behavior": False}
        program = one(db, t.Program, key="launch")
        # Campaigns come before programs in the file: references still resolve.
        assert one(db, t.Campaign, key="spring").program_id == program.id
        assert one(db, t.Campaign, key="solo").program_id is None
        ana = one(db, t.User, email="ana@acme.test")
        assert (ana.role, ana.capacity, ana.territories) == ("sales", 50, ["west", "NO"])
        assert one(db, t.Event, key="summit").starts_at.hour == 10  # stored in UTC
        assert one(db, t.CustomField, entity="account", key="segment").label == "Account segment"

    def test_company_name_defaults_to_the_key_title_cased(
        self, cli, db: Database, site, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        apply_ok(cli, write(tmp_path, "company: acme-corp\nprograms: [{key: a, name: A}]\n"))
        company = one(db, t.Company, key="acme-corp")
        assert (company.name, company.parent_id) == ("Acme Corp", site.company.id)

    def test_file_without_company_configures_the_site_company(
        self, cli, db: Database, site, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        out = apply_ok(cli, write(tmp_path, "programs: [{key: a, name: A}]\n"))
        assert "program 'a': create" in out
        assert one(db, t.Program, key="a").company_id == site.company.id

    def test_company_option_names_an_existing_company(
        self, cli, db: Database, make_client_company, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        beta = make_client_company("beta").company
        apply_ok(cli, write(tmp_path, "programs: [{key: a, name: A}]\n"), "--company", "beta")
        assert one(db, t.Program, key="a").company_id == beta.id

    def test_json_files_are_accepted_even_indented_with_tabs(
        self, cli, db: Database, site, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        text = json.dumps({"company": "acme", "programs": [{"key": "a", "name": "A"}]},
                          indent="\t")
        apply_ok(cli, write(tmp_path, text, "config.json"))
        apply_ok(cli, write(tmp_path, text.replace('"a"', '"b"'), "config.yaml"))
        assert one(db, t.Program, key="b").name == "A"

    def test_file_may_come_from_stdin(
        self, cli, db: Database, site  # type: ignore[no-untyped-def]
    ) -> None:
        result = cli("apply", "-", input="company: acme\nprograms: [{key: a, name: A}]\n")
        assert result.exit_code == 0, result.output
        assert one(db, t.Program, key="a").name == "A"


class TestUpdate:
    def test_only_the_fields_that_differ_are_updated_and_the_rest_kept(
        self, cli, db: Database, site, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        apply_ok(cli, write(tmp_path, FULL))
        changed = """\
company: acme
users: [{email: ana@acme.test, capacity: 10}]
programs: [{key: launch, name: Relaunch}]
campaigns: [{key: solo, name: No program, program: launch}]
events: [{key: summit, location: null}]
custom_fields: [{key: segment, entity: contact, choices: [smb, mid, enterprise]}]
settings: {scoring.model_selection: all}
"""
        out = apply_ok(cli, write(tmp_path, changed))
        assert "program 'launch': update (fields: name)" in out
        assert "campaign 'solo': update (fields: program)" in out
        assert "user 'ana@acme.test': update (fields: capacity)" in out
        assert "event 'summit': update (fields: location)" in out
        assert "custom field 'contact.segment': update (fields: choices)" in out
        assert "settings: update (fields: scoring.model_selection)" in out
        program = one(db, t.Program, key="launch")
        assert (program.name, program.description) == ("Relaunch", "The big one")
        ana = one(db, t.User, email="ana@acme.test")
        assert (ana.capacity, ana.territories) == (10, ["west", "NO"])
        assert one(db, t.Campaign, key="solo").program_id == program.id
        assert one(db, t.Event, key="summit").location is None
        settings = one(db, t.Company, key="acme").settings
        assert settings["scoring.model_selection"] == "all"
        assert settings["leads.creation_strategy"] == "program"

    def test_name_key_renames_an_existing_company(
        self, cli, db: Database, make_client_company, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        make_client_company("beta")
        out = apply_ok(cli, write(tmp_path, "company: beta\nname: Beta Group\n"))
        assert "company 'beta': update (fields: name)" in out
        assert one(db, t.Company, key="beta").name == "Beta Group"


class TestIdempotence:
    def test_applying_the_same_file_twice_changes_nothing(
        self, cli, db: Database, site, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        name = write(tmp_path, FULL)
        apply_ok(cli, name)
        before = snapshot(db)
        plan = plan_of(cli, name)
        assert set(actions(plan).values()) == {"unchanged"}
        assert snapshot(db) == before  # updated_at included

    def test_values_are_compared_in_their_stored_form(
        self, cli, db: Database, site, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        apply_ok(cli, write(tmp_path, FULL))
        before = snapshot(db)
        same = """\
company: acme
settings: {scoring.model_selection: context, leads.creation_scope: contact,
           lifecycle.recycle_resets_behavior: "no"}
users: [{email: "  ANA@acme.TEST ", available: "yes", role: sales}]
programs: [{key: launch, name: "  Product launch  "}]
events: [{key: summit, starts_at: "2025-05-01T10:00:00Z", creates_leads: false}]
landing_pages: [{key: spring-form, creates_leads: true}]
"""
        plan = plan_of(cli, write(tmp_path, same))
        assert set(actions(plan).values()) == {"unchanged"}, plan
        assert snapshot(db) == before


class TestDryRun:
    def test_dry_run_prints_the_plan_and_writes_nothing(
        self, cli, db: Database, site, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        apply_ok(cli, write(tmp_path, "company: acme\nprograms: [{key: launch, name: L}]\n"))
        before = snapshot(db)
        out = apply_ok(cli, write(tmp_path, FULL), "--dry-run")
        assert "company 'acme': update (fields: name)" in out
        assert "program 'launch': update (fields: name, description)" in out
        assert "campaign 'spring': create" in out
        assert "Dry run: 9 to create, 3 to update, 0 unchanged; nothing was written." in out
        assert snapshot(db) == before

    def test_dry_run_of_a_new_company_creates_nothing(
        self, cli, db: Database, site, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        before = snapshot(db)
        plan = plan_of(cli, write(tmp_path, FULL), "--dry-run")
        assert plan["dry_run"] is True
        assert actions(plan)["company:acme"] == "create"
        assert actions(plan)["custom_fields:contact.segment"] == "create"
        assert actions(plan)["users:ana@acme.test"] == "create"
        assert snapshot(db) == before


GOOD_PREFIX = """\
company: newco
settings: {scoring.model_selection: context}
programs: [{key: fine, name: Fine}]
"""

BAD_INPUTS = {
    "unknown section": ("progams: []\n", "progams: unknown section; did you mean 'programs'?"),
    "assignment rule naming an unknown user": (
        "assignment_rules: [{name: r, assign: {user: nobody@newco.test}}]\n",
        "assignment_rules[0] 'r', assign.user: no user 'nobody@newco.test' in this company"),
    "webhook with an unknown event type": (
        "webhooks: [{key: crm, url: 'https://crm.test/h', events: [lead.exploded]}]\n",
        "webhooks[0] 'crm', events: unknown event type 'lead.exploded'; known event types:"),
    "webhook that is not http": (
        "webhooks: [{key: crm, url: 'ftp://crm.test/h', events: [lead.created]}]\n",
        "webhooks[0] 'crm', url: must be an http:// or https:// URL"),
    "unknown field": ("campaigns: [{key: c, name: C, colour: red}]\n",
                      "campaigns[0] 'c', colour: unknown field"),
    "id reference": ("campaigns: [{key: c, name: C, program_id: 1}]\n",
                     "campaigns[0] 'c', program_id: ids differ between databases"),
    "bad reference": ("landing_pages: [{key: p, name: P, campaign: nowhere}]\n",
                      "landing_pages[0] 'p', campaign: no campaign 'nowhere'"),
    "bad setting value": ("", "settings, scoring.model_selection: must be one of: all, context"),
    "unknown setting": ("", "settings, scoring.colour: unknown setting"),
    "duplicate keys": ("campaigns: [{key: c, name: C}, {key: c, name: D}]\n",
                       "campaigns[1] 'c': duplicate of campaigns[0]"),
    "duplicate emails in other case": (
        "users: [{email: a@newco.test}, {email: A@NEWCO.test}]\n",
        "users[1] 'a@newco.test': duplicate of users[0] (same email)"),
    "duplicate custom fields": (
        "custom_fields: [{key: x, entity: lead, type: text},"
        " {key: x, entity: lead, type: number}]\n",
        "custom_fields[1] 'lead.x': duplicate of custom_fields[0]"),
    "wrong type of field": ("users: [{email: a@newco.test, capacity: lots}]\n",
                            "users[0] 'a@newco.test', capacity: Input should be a valid integer"),
    "wrong type of section": ("events: {key: e, name: E}\n", "events: must be a list of items"),
    "wrong type of item": ("emails: [invite]\n", "emails[0]: must be a mapping of field: value"),
    "bad email": ("users: [{email: nobody}]\n", "'nobody' is not an email address"),
    "missing required field": ("events: [{key: other}]\n",
                               "events[0] 'other', name: is required to create an event"),
    "required field set to null": ("emails: [{key: other, name: null}]\n",
                                   "emails[0] 'other', name: cannot be null"),
    "missing identity": ("landing_pages: [{name: Keyless}]\n",
                         "landing_pages[0], key: is required"),
    "bad custom field": ("custom_fields: [{key: tier, entity: contact, type: choice}]\n",
                         "custom_fields[0] 'contact.tier', choices: a choice field needs"),
    "bad company key": ("", "company: String should match pattern"),
}


def _bad_file(case: str, extra: str) -> str:
    if case == "bad setting value":
        return GOOD_PREFIX.replace("context}", "sometimes}")
    if case == "unknown setting":
        return GOOD_PREFIX.replace("{scoring", "{scoring.colour: red, scoring")
    if case == "bad company key":
        return GOOD_PREFIX.replace("newco", "New Co!")
    return GOOD_PREFIX + extra


class TestBadInput:
    @pytest.mark.parametrize("case", list(BAD_INPUTS))
    def test_bad_input_is_reported_and_nothing_is_applied(
        self, case: str, cli, db: Database, site, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        extra, expected = BAD_INPUTS[case]
        apply_ok(cli, write(tmp_path, "company: acme\nprograms: [{key: launch, name: L}]\n",
                            "existing.yaml"))
        before = snapshot(db)
        result = cli("apply", write(tmp_path, _bad_file(case, extra)))
        assert result.exit_code == 1
        assert "nothing was applied" in result.stderr
        assert expected in result.stderr, result.stderr
        assert "Traceback" not in result.output
        assert snapshot(db) == before

    def test_every_problem_is_reported_at_once_with_its_line(
        self, cli, db: Database, site, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        text = GOOD_PREFIX + "users:\n  - email: a@b.test\n    capacity: -1\n" \
            "campaigns: [{key: c, name: C, program: nowhere}]\n"
        result = cli("apply", write(tmp_path, text))
        assert result.exit_code == 1
        assert "the configuration has 2 problems" in result.stderr
        assert "users[0] 'a@b.test', capacity: Input should be greater than or equal to 0" \
            " (got -1) (line 6)" in result.stderr
        assert "campaigns[0] 'c', program: no program 'nowhere' (line 7)" in result.stderr

    def test_problems_as_json(
        self, cli, db: Database, site, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        result = cli("apply", write(tmp_path, GOOD_PREFIX + "progams: []\n"), "--json")
        assert result.exit_code == 1
        problem = json.loads(result.stderr)
        assert problem["status"] == 422
        assert problem["errors"][0]["field"] == "progams"

    @pytest.mark.parametrize(("text", "expected"), [
        ("company: acme\nprograms: [\n  - key: a\n", "is not valid YAML: line 3, column 3"),
        ("company: acme\nprograms:\n  - key: a\n    key: b\n",
         "line 4, column 5: duplicate key 'key'"),
        ("company: acme\ncompany: beta\n", "line 2, column 1: duplicate key 'company'"),
        ("- company: acme\n", "the file must be a mapping of sections (it is a list)"),
        ("", "the file must be a mapping of sections (it is empty)"),
    ])
    def test_malformed_files_are_reported_with_line_and_column(
        self, text: str, expected: str, cli, db: Database, site, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        result = cli("apply", write(tmp_path, text))
        assert result.exit_code == 1
        assert expected in result.stderr

    def test_malformed_json_is_reported_with_line_and_column(
        self, cli, db: Database, site, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        result = cli("apply", write(tmp_path, '{"company": "acme",\n "x": }', "c.json"))
        assert result.exit_code == 1
        assert "c.json is not valid JSON: line 2, column 7" in result.stderr

    def test_company_option_must_agree_with_the_file(
        self, cli, db: Database, make_client_company, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        make_client_company("beta")
        before = snapshot(db)
        result = cli("apply", write(tmp_path, GOOD_PREFIX), "--company", "beta")
        assert result.exit_code == 1
        assert "the file configures company 'newco' but --company names 'beta'" in result.stderr
        missing = cli("apply", write(tmp_path, "programs: []\n"), "--company", "nobody")
        assert missing.exit_code == 1
        assert "no company 'nobody'" in missing.stderr
        assert snapshot(db) == before

    def test_missing_file(self, cli, db: Database, site) -> None:  # type: ignore[no-untyped-def]
        result = cli("apply", "nowhere.yaml")
        assert result.exit_code == 1
        assert "no such file: nowhere.yaml" in result.stderr


class TestDump:
    def test_dump_writes_only_what_differs_from_defaults_by_natural_key(
        self, cli, db: Database, site, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        apply_ok(cli, write(tmp_path, FULL))
        result = cli("dump", "--company", "acme")
        assert result.exit_code == 0, result.output
        text = result.stdout
        assert "company: acme\nname: Acme Corporation\n" in text
        assert "program: launch" in text and "program_id" not in text
        assert "leads.creation_scope" not in text  # a default
        assert "role: sales" not in text and "role: admin" in text
        assert "creates_leads: false" in text and "creates_leads: true" not in text
        assert "territories: [west, 'NO']" in text
        assert "starts_at: '2025-05-01T10:00:00+00:00'" in text

    def test_dump_then_apply_on_an_empty_database_reproduces_the_configuration(
        self, cli, db: Database, site, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        apply_ok(cli, write(tmp_path, FULL))
        assert cli("dump", "--company", "acme", "--output", "acme.yaml").exit_code == 0
        first = (tmp_path / "acme.yaml").read_text()
        with db.transaction() as session:
            companies.delete_client(session, companies.find(session, "acme"))
        assert cli("dump", "--company", "acme").exit_code == 1
        plan = plan_of(cli, "acme.yaml")
        assert plan["counts"]["update"] == 1  # the settings; everything else is created
        again = cli("dump", "--company", "acme")
        assert again.stdout == first

    def test_applying_the_dump_to_the_same_database_changes_nothing(
        self, cli, db: Database, site, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        apply_ok(cli, write(tmp_path, FULL))
        cli("dump", "--company", "acme", "--output", "acme.yaml")
        before = snapshot(db)
        plan = plan_of(cli, "acme.yaml")
        assert set(actions(plan).values()) == {"unchanged"}
        assert snapshot(db) == before

    def test_dump_of_the_site_company_by_default(
        self, cli, db: Database, site  # type: ignore[no-untyped-def]
    ) -> None:
        result = cli("dump")
        assert result.exit_code == 0, result.output
        assert "company: site\nname: Site company\n" in result.stdout


def test_the_example_in_the_documentation_applies_cleanly(
    cli, db: Database, site, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    docs = Path(__file__).parents[2] / "docs" / "config-as-code.md"
    example = docs.read_text().split("```yaml\n")[1].split("```")[0]
    plan = plan_of(cli, write(tmp_path, example))
    assert plan["counts"] == {"create": 16, "update": 1, "unchanged": 0}
    assert set(actions(plan_of(cli, "config.yaml")).values()) == {"unchanged"}
