"""`leadflow apply`/`dump` of `interaction_types` and `scoring_models` (SPEC §6.5, §2.1):
create, update, publish and stop, idempotence, dry runs, bad input that changes nothing, the
dump round trip, and leads rescored by a publish."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.services import companies
from tests.integration.api_world import http  # noqa: F401  (the faster app fixture)
from tests.integration.config_files import rows_of, write

MODELS = """\
scoring_models:
  - key: engagement
    name: Engagement
    status: live
    lead_scope: contact
    applies_to: [{campaign: spring}]
    sales_ready_score: 50
    grades: [{name: cold, max: 9}, {name: warm, min: 10, max: 49}, {name: hot, min: 50}]
    rules:
      - name: Long webinars
        points: 5
        conditions:
          - {entity: WebinarWatched, frequency: each, where: [{field: attr.minutes, op: ge,
             value: 30}], window: {days: 90}}
      - name: Chicago
        points: 10
        conditions:
          - entity: Lead.contact
            where: [{field: city, op: eq, value: Chicago}]
      - name: Enterprise
        points: 20
        conditions: [{entity: Contact, where: [{field: segment, op: eq, value: enterprise}]}]
  - text: |
      MODEL "Fit" KEY 'fit'
      RULE "Pricing pages" +3 WHEN EACH WebsiteVisited WHERE attr.pricing_views >= 2
    status: draft
"""
# Models come first in the file: sections are applied in a fixed order whatever their place.
REST = """\
custom_fields: [{key: segment, entity: contact, type: choice, choices: [smb, enterprise]}]
interaction_types:
  - {key: webinar_watched, name: WebinarWatched, attributes: [{key: minutes, type: number}]}
  - {key: website_visited, attributes: [{key: pricing_views, type: number}]}
programs: [{key: launch, name: Launch}]
campaigns: [{key: spring, name: Spring, program: launch}]
"""
CONFIG = MODELS + REST

pytestmark = pytest.mark.usefixtures("site")

TABLES = (t.InteractionType, t.ScoringModelRow, t.ScoringModelVersion, t.LeadScore,
          t.ScoreLedgerEntry, t.Job, t.CustomField, t.Campaign)


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables apply may touch, every column included."""
    return rows_of(db, TABLES)


def plan_of(cli, *args: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    result = cli("apply", *args, "--json")
    assert result.exit_code == 0, result.output
    plan: dict[str, Any] = json.loads(result.stdout)
    return plan


def changes(plan: dict[str, Any], section: str) -> dict[str, tuple[str, list[str], list[str]]]:
    return {item["key"]: (item["action"], item["fields"], item["steps"])
            for item in plan["items"] if item["section"] == section}


def model(api: TestClient, key: str) -> dict[str, Any]:
    answer = api.get(f"/api/v1/scoring-models/{key}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def scores(api: TestClient, lead_id: int) -> dict[str, int]:
    answer = api.get(f"/api/v1/leads/{lead_id}/scores")
    assert answer.status_code == 200, answer.text
    return {m["model"]: m["score"] for m in answer.json()["models"]}


@pytest.fixture
def lead(api: TestClient) -> dict[str, Any]:
    """A lead of a Chicago contact, made before any model exists."""
    assert api.post("/api/v1/contacts", json={"email": "ana@acme.test", "city": "Chicago"}
                    ).status_code == 201
    made = api.post("/api/v1/leads", json={"contact_email": "ana@acme.test"})
    assert made.status_code == 201, made.text
    return dict(made.json())


class TestCreate:
    def test_types_and_models_are_created_and_live_models_published(
        self, apply, api: TestClient, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        plan = apply(CONFIG)
        assert changes(plan, "interaction_types") == {
            "webinar_watched": ("create", ["key", "name", "attributes"], []),
            "website_visited": ("create", ["key", "attributes"], [])}
        engagement_fields = ["key", "name", "kind", "lead_scope", "applies_to",
                             "sales_ready_score", "grades", "rules"]
        assert changes(plan, "scoring_models") == {
            "engagement": ("create", engagement_fields, ["publish"]),
            "fit": ("create", ["key", "name", "kind", "lead_scope", "rules"], [])}
        types = api.get("/api/v1/interaction-types").json()["items"]
        assert {i["key"]: i["name"] for i in types} == {
            "webinar_watched": "WebinarWatched", "website_visited": None}
        engagement = model(api, "engagement")
        assert (engagement["status"], engagement["version"]) == ("live", 1)
        assert engagement["has_unpublished_changes"] is False
        fit = model(api, "fit")
        assert (fit["status"], fit["version"], fit["name"]) == ("draft", None, "Fit")
        assert fit["definition"]["rules"][0]["conditions"][0]["entity"] == "WebsiteVisited"

    def test_publishing_through_apply_rescores_existing_leads_inline(
        self, cli, api: TestClient, db: Database, lead: dict[str, Any], tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        result = cli("apply", write(tmp_path, CONFIG))
        assert result.exit_code == 0, result.output
        assert "scoring model 'engagement': create, publish" in result.stdout
        assert "published engagement; rescored 1 lead (1 changed)" in result.stdout
        assert scores(api, lead["id"]) == {"engagement": 10}
        history = api.get(f"/api/v1/leads/{lead['id']}/score-history").json()["items"]
        assert [(e["model"], e["new"], e["cause"]) for e in history] == [
            ("engagement", 10, "publish")]
        with db.transaction() as session:
            [job] = session.scalars(select(t.Job)).all()
            assert (job.kind, job.status) == ("rescore", "done")

    def test_a_model_may_use_a_custom_field_and_type_declared_in_the_same_file(
        self, apply, api: TestClient, lead: dict[str, Any], tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        apply(CONFIG)
        api.patch("/api/v1/contacts/ana@acme.test", json={"custom": {"segment": "enterprise"}})
        for minutes in (45, "31", 5):
            answer = api.post("/api/v1/interactions", json={
                "type": "WebinarWatched", "contact_email": "ana@acme.test",
                "attributes": {"minutes": minutes}})
            assert answer.status_code == 201, answer.text
        assert scores(api, lead["id"]) == {"engagement": 10 + 20 + 5 * 2}


class TestUpdate:
    def test_changing_a_live_model_publishes_a_new_version(
        self, apply, api: TestClient, lead: dict[str, Any], tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        apply(CONFIG)
        changed = CONFIG.replace("points: 10", "points: 15").replace("Engagement", "Engaged")
        plan = apply(changed)
        assert changes(plan, "scoring_models") == {
            "engagement": ("update", ["name", "rules"], ["publish"]),
            "fit": ("unchanged", [], [])}
        assert model(api, "engagement")["version"] == 2
        assert scores(api, lead["id"]) == {"engagement": 15}

    def test_without_live_status_a_change_is_saved_as_a_draft_of_the_live_model(
        self, apply, api: TestClient, lead: dict[str, Any], tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        apply(CONFIG)
        for status in ("draft", None):
            line = "    status: live\n"
            text = CONFIG.replace(line, "" if status is None else "    status: draft\n")
            text = text.replace("points: 10", f"points: {11 if status else 12}")
            plan = apply(text)
            assert changes(plan, "scoring_models")["engagement"] == ("update", ["rules"], [])
            engagement = model(api, "engagement")
            assert (engagement["status"], engagement["version"]) == ("live", 1)
            assert engagement["has_unpublished_changes"] is True
        assert scores(api, lead["id"]) == {"engagement": 10}

    def test_restating_the_live_version_drops_a_pending_draft_without_a_new_version(
        self, apply, api: TestClient, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        apply(CONFIG)
        apply(CONFIG.replace("    status: live\n", "").replace(
            "points: 10", "points: 11"))
        plan = apply(CONFIG)
        assert changes(plan, "scoring_models")["engagement"] == ("update", ["rules"], [])
        engagement = model(api, "engagement")
        assert (engagement["version"], engagement["has_unpublished_changes"]) == (1, False)

    def test_stopped_status_stops_a_live_model_and_removes_its_scores(
        self, apply, cli, api: TestClient, lead: dict[str, Any], tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        apply(CONFIG)
        stopped = CONFIG.replace("status: live", "status: stopped")
        out = cli("apply", write(tmp_path, stopped))
        assert "scoring model 'engagement': stop" in out.stdout
        assert model(api, "engagement")["status"] == "stopped"
        assert scores(api, lead["id"]) == {}
        again = apply(CONFIG)
        assert changes(again, "scoring_models")["engagement"] == ("update", [], ["publish"])
        assert (model(api, "engagement")["version"], scores(api, lead["id"])) == (
            2, {"engagement": 10})

    def test_stops_come_before_publishes_so_a_campaign_can_change_model(
        self, apply, api: TestClient, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        apply(CONFIG)
        handover = CONFIG.replace("status: live", "status: stopped").replace(
            "    status: draft\n", "    status: live\n").replace(
            """KEY 'fit'""", """KEY 'fit' APPLIES TO CAMPAIGN 'spring'""")
        plan = apply(handover)
        assert changes(plan, "scoring_models") == {
            "engagement": ("update", [], ["stop"]),
            "fit": ("update", ["applies_to"], ["publish"])}

    def test_changing_an_interaction_type_updates_only_what_differs(
        self, apply, api: TestClient, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        apply(CONFIG)
        more = CONFIG.replace("[{key: minutes, type: number}]",
                              "[{key: minutes, type: number}, {key: host}]")
        plan = apply(more)
        assert changes(plan, "interaction_types") == {
            "webinar_watched": ("update", ["attributes"], []),
            "website_visited": ("unchanged", [], [])}
        declared = api.get("/api/v1/interaction-types/webinar_watched").json()
        assert declared["attributes"][1] == {"key": "host", "type": "text"}


class TestIdempotence:
    def test_applying_the_same_file_twice_changes_nothing(
        self, cli, db: Database, lead: dict[str, Any], tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        name = write(tmp_path, CONFIG)
        plan_of(cli, name)
        before = snapshot(db)
        plan = plan_of(cli, name)
        assert {item["action"] for item in plan["items"]} == {"unchanged"}
        assert plan["notes"] == []
        assert snapshot(db) == before  # no new version, score, ledger entry or job

    def test_a_stopped_or_draft_model_stays_as_it_is(
        self, cli, db: Database, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        name = write(tmp_path, CONFIG.replace("status: live", "status: stopped"))
        plan_of(cli, name)
        before = snapshot(db)
        assert {i["action"] for i in plan_of(cli, name)["items"]} == {"unchanged"}
        assert snapshot(db) == before


class TestDryRun:
    def test_dry_run_shows_creates_and_publishes_and_writes_nothing(
        self, cli, db: Database, lead: dict[str, Any], tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        before = snapshot(db)
        result = cli("apply", write(tmp_path, CONFIG), "--dry-run")
        assert result.exit_code == 0, result.output
        assert "interaction type 'webinar_watched': create" in result.stdout
        assert "scoring model 'engagement': create, publish" in result.stdout
        assert "scoring model 'fit': create\n" in result.stdout
        assert "nothing was written" in result.stdout
        assert snapshot(db) == before

    def test_dry_run_shows_updates_and_stops(
        self, apply, db: Database, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        apply(CONFIG)
        before = snapshot(db)
        text = CONFIG.replace("status: live", "status: stopped").replace("+3", "+4")
        plan = apply(text, dry_run=True)
        assert changes(plan, "scoring_models") == {
            "engagement": ("update", [], ["stop"]), "fit": ("update", ["rules"], [])}
        assert snapshot(db) == before


BAD = {
    "unknown entity": (
        "rules:\n      - {name: R, points: 1, conditions: [{entity: WebinarWached}]}\n",
        "scoring_models[0] 'bad', rules[0].conditions[0].entity: rule 'R': unknown entity"
        " `WebinarWached`; did you mean `WebinarWatched`?"),
    "zero points": (
        "rules:\n      - name: R\n        points: 0\n        conditions: [{entity: Lead}]\n",
        "scoring_models[0] 'bad', rules[0].points: rule 'R': points must not be zero"
        " (line 8)"),
    "attribute compared with the wrong type": (
        "rules:\n      - name: R\n        points: 1\n        conditions:\n"
        "          - {entity: WebinarWatched, where: [{field: attr.minutes, op: contains,"
        " value: x}]}\n",
        "scoring_models[0] 'bad', rules[0].conditions[0].where[0].op"),
    "bad status": ("status: published\n    rules: []\n",
                   "scoring_models[0] 'bad', status: must be one of: draft, live, stopped"
                   " (got 'published') (line 6)"),
    "unknown model key": ("colour: red\n    rules: []\n",
                          "scoring_models[0] 'bad', colour: unknown key `colour`"),
}
BAD_PREFIX = """\
interaction_types:
  - {key: webinar_watched, name: WebinarWatched, attributes: [{key: minutes, type: number}]}
scoring_models:
  - key: bad
    name: Bad
    """


class TestBadInput:
    @pytest.fixture
    def before(self, apply, db: Database) -> Any:  # type: ignore[no-untyped-def]
        apply(CONFIG)
        return snapshot(db)

    def refused(self, cli, tmp_path: Path, text: str) -> str:  # type: ignore[no-untyped-def]
        result = cli("apply", write(tmp_path, text))
        assert result.exit_code == 1, result.output
        assert "nothing was applied" in result.stderr
        assert "Traceback" not in result.output
        return str(result.stderr)

    @pytest.mark.parametrize("case", list(BAD))
    def test_a_bad_model_names_section_index_key_and_path(
        self, case: str, cli, db: Database, before: Any, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        extra, expected = BAD[case]
        stderr = self.refused(cli, tmp_path, BAD_PREFIX + extra)
        assert expected in stderr, stderr
        assert snapshot(db) == before

    def test_a_text_form_syntax_error_points_at_the_line_in_the_file(
        self, cli, db: Database, before: Any, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        text = "scoring_models:\n  - text: |\n      MODEL \"Fit\" KEY 'fit'\n" \
               "      RULE \"Pricing\" WHEN EACH WebsiteVisited\n"
        stderr = self.refused(cli, tmp_path, text)
        assert "scoring_models[0], text: line 2, column" in stderr
        assert "(line 4)" in stderr
        assert snapshot(db) == before

    def test_text_and_dict_keys_cannot_be_mixed(
        self, cli, db: Database, before: Any, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        fit = "MODEL \"Fit\" KEY 'fit' RULE \"R\" +1 WHEN Lead"
        text = f"scoring_models:\n  - text: {fit}\n    lead_scope: any\n" \
               f"  - {{key: other, text: {fit}}}\n"
        stderr = self.refused(cli, tmp_path, text)
        assert "scoring_models[0], lead_scope: a model given as `text` has only" in stderr
        assert "scoring_models[1] 'other', key: the text names the model 'fit'" in stderr
        assert snapshot(db) == before

    def test_every_problem_of_every_section_is_reported_and_nothing_applied(
        self, cli, db: Database, before: Any, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        text = """\
interaction_types:
  - {key: webinar_seen}
  - {key: email_opened, name: Opened}
  - {key: demo_booked, name: Lead}
scoring_models:
  - {key: fit, name: Fit, rules: [{name: R, points: 1, conditions: [{entity: DemoBooked}]}]}
  - {key: fit, name: Fit again, rules: [{name: R, points: 1, conditions: [{entity: Lead}]}]}
"""
        stderr = self.refused(cli, tmp_path, text)
        assert "interaction_types[0] 'webinar_seen', name: is required" in stderr
        assert "interaction_types[1] 'email_opened', name: 'email_opened' is the built-in type" \
            " EmailOpened" in stderr
        assert "interaction_types[2] 'demo_booked', name: interaction type 'demo_booked': name" \
            " `Lead` is already an entity (line 4)" in stderr
        assert "scoring_models[0] 'fit', rules[0].conditions[0].entity" in stderr
        assert "scoring_models[1] 'fit': duplicate of scoring_models[0]" in stderr
        assert snapshot(db) == before

    def test_a_type_change_that_breaks_a_model_is_refused(
        self, cli, db: Database, before: Any, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        text = "interaction_types:\n  - {key: webinar_watched, name: WebinarSeen}\n"
        stderr = self.refused(cli, tmp_path, text)
        assert "interaction_types[0] 'webinar_watched', name: scoring model 'engagement'" \
            " (version 1) would no longer be valid" in stderr
        assert snapshot(db) == before

    def test_a_section_that_is_not_a_list(
        self, cli, db: Database, before: Any, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        stderr = self.refused(cli, tmp_path, "scoring_models: {key: x}\n")
        assert "scoring_models: must be a list of scoring models" in stderr
        stderr = self.refused(cli, tmp_path, "scoring_models: [fit]\n")
        assert "scoring_models[0]: must be a mapping" in stderr
        assert snapshot(db) == before


class TestDump:
    def test_dump_writes_types_and_models_with_their_status(
        self, apply, cli, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        apply(CONFIG)
        text = cli("dump").stdout
        assert "interaction_types:\n  - key: webinar_watched\n    name: WebinarWatched\n" in text
        assert "  - key: website_visited\n    attributes:\n      - key: pricing_views\n" in text
        assert "  - key: engagement\n    name: Engagement\n    status: live\n" in text
        assert "  - key: fit\n    name: Fit\n    status: draft\n" in text
        assert text.index("custom_fields:") < text.index("interaction_types:") < text.index(
            "campaigns:") < text.index("scoring_models:")

    def test_dump_then_apply_on_an_empty_database_reproduces_types_and_models(
        self, apply, cli, db: Database, tmp_path: Path  # type: ignore[no-untyped-def]
    ) -> None:
        old = MODELS.replace("scoring_models:\n", "").replace("key: engagement", "key: old") \
            .replace("name: Engagement", "name: Old").replace("{campaign: spring}",
                                                              "{program: launch}") \
            .replace("KEY 'fit'", "KEY 'fit2'")
        apply("company: acme\n" + MODELS + old + REST)
        apply("company: acme\n" + MODELS + old.replace(
            "status: live", "status: stopped") + REST)
        assert cli("dump", "--company", "acme", "--output", "acme.yaml").exit_code == 0
        first = (tmp_path / "acme.yaml").read_text()
        assert "  - key: old\n    name: Old\n    status: stopped\n" in first
        with db.transaction() as session:
            companies.delete_client(session, companies.find(session, "acme"))
        plan = plan_of(cli, "acme.yaml")
        assert changes(plan, "scoring_models")["engagement"][2] == ["publish"]
        assert cli("dump", "--company", "acme").stdout == first
        assert {i["action"] for i in plan_of(cli, "acme.yaml")["items"]} == {"unchanged"}
