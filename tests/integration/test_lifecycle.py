"""The lead life cycle over REST and the CLI (SPEC §5): every transition, refusals with the
allowed actions, reasons, recycling, closing, conversion, roles and company isolation."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.services import worker
from tests.integration.api_world import (
    API,
    field_errors,
    http,  # noqa: F401  (the faster app fixture)
    problem,
)
from tests.unit.test_lifecycle import ALLOWED

# How to bring a new lead (in nurture) to each stage.
PATHS: dict[str, list[str]] = {
    "nurture": [], "sales_ready": ["promote"], "accepted": ["promote", "accept"],
    "qualified": ["promote", "accept", "qualify"],
    "opportunity": ["promote", "accept", "convert"],
    "won": ["promote", "accept", "convert", "win"],
    "lost": ["promote", "accept", "convert", "lose"],
}
REASON = {"reject": "student", "recycle": "no budget yet", "disqualify": "competitor"}
ENGAGEMENT: dict[str, Any] = {
    "key": "engagement", "name": "Engagement", "lead_scope": "contact", "sales_ready_score": 30,
    "status": "live",
    "rules": [
        {"name": "Clicks", "points": 10,
         "conditions": [{"entity": "EmailClicked", "frequency": "each", "window": {"days": 30}}]},
        {"name": "Chicago", "points": 40,
         "conditions": [{"entity": "Lead.contact",
                         "where": [{"field": "city", "op": "eq", "value": "chicago"}]}]},
    ],
}


def act(client: TestClient, lead_id: int, action: str, headers: dict[str, str] | None = None,
        **body: Any) -> Any:
    return client.post(f"{API}/leads/{lead_id}/actions/{action}", json=body or None,
                       headers=headers)


def done(client: TestClient, lead_id: int, action: str, **body: Any) -> dict[str, Any]:
    """Take an action that must succeed; returns the answer."""
    answer = act(client, lead_id, action, **({"reason": REASON[action]} if action in REASON
                                             else {}) | body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def history(client: TestClient, lead_id: int, headers: dict[str, str] | None = None) -> list[
    dict[str, Any]
]:
    answer = client.get(f"{API}/leads/{lead_id}/stage-changes", headers=headers)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def lead_at(client: TestClient, stage: str, email: str = "ana@acme.test") -> dict[str, Any]:
    """A new lead of `email`, walked to `stage`."""
    if client.get(f"{API}/contacts/{email}").status_code == 404:
        assert client.post(f"{API}/contacts", json={"email": email, "first_name": "Ana",
                                                    "account_domain": "acme.test"}
                           ).status_code == 201
    made = client.post(f"{API}/leads", json={"contact_email": email})
    assert made.status_code == 201, made.text
    lead: dict[str, Any] = made.json()
    for action in PATHS[stage]:
        lead = done(client, lead["id"], action)["lead"]
    assert lead["stage"] == stage
    return lead


def events(db: Database, kind: str) -> list[t.DomainEvent]:
    with db.transaction() as session:
        return list(session.scalars(select(t.DomainEvent).where(t.DomainEvent.type == kind)
                                    .order_by(t.DomainEvent.id)))


@pytest.fixture
def world(api: TestClient) -> TestClient:
    assert api.post(f"{API}/accounts", json={"name": "Acme", "domain": "acme.test"}
                    ).status_code == 201
    return api


@pytest.mark.parametrize(("stage", "action"), [
    (stage, action) for stage, actions in ALLOWED.items() for action in actions])
def test_every_allowed_transition_over_rest(world: TestClient, site, stage: str,  # type: ignore[no-untyped-def]
                                            action: str) -> None:
    lead = lead_at(world, stage)
    before = history(world, lead["id"])
    answer = done(world, lead["id"], action)
    target = ALLOWED[stage][action]
    assert answer["lead"]["stage"] == target
    change = answer["stage_change"]
    assert (change["action"], change["from_stage"], change["to_stage"]) == (
        action, stage, target)
    assert change["reason"] == REASON.get(action)
    assert change["actor"].startswith("key ")
    assert history(world, lead["id"]) == [*before, change]
    assert (answer["opportunity"] is not None) == (action in ("convert", "win", "lose") or (
        action == "disqualify" and stage == "opportunity"))


@pytest.mark.parametrize("stage", list(ALLOWED))
def test_refused_transition_is_409_naming_the_allowed_actions(
    world: TestClient, db: Database, stage: str
) -> None:
    lead = lead_at(world, stage)
    before = (history(world, lead["id"]), world.get(f"{API}/leads/{lead['id']}").json())
    refused = [a for a in PATHS["won"] + ["qualify", "reject"] if a not in ALLOWED[stage]]
    stage_events = len(events(db, "lead.stage_changed"))
    for action in refused:
        body = problem(act(world, lead["id"], action, reason="why not"), 409)
        assert body["allowed_actions"] == list(ALLOWED[stage])
        assert (body["stage"], body["action"]) == (stage, action)
        for allowed in ALLOWED[stage]:
            assert allowed in body["detail"]
    after = (history(world, lead["id"]), world.get(f"{API}/leads/{lead['id']}").json())
    assert after == before
    assert len(events(db, "lead.stage_changed")) == stage_events


@pytest.mark.parametrize(("stage", "action"), [
    ("sales_ready", "reject"), ("qualified", "recycle"), ("nurture", "disqualify")])
@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "  "}])
def test_reason_is_required_and_nothing_changes_without_one(
    world: TestClient, stage: str, action: str, body: dict[str, Any]
) -> None:
    lead = lead_at(world, stage)
    errors = field_errors(act(world, lead["id"], action, **body))
    assert "required" in errors["reason"]
    assert world.get(f"{API}/leads/{lead['id']}").json()["stage"] == stage
    assert len(history(world, lead["id"])) == len(PATHS[stage])


def test_bad_action_requests_are_refused(world: TestClient) -> None:
    lead = lead_at(world, "accepted")
    unknown = problem(act(world, lead["id"], "archive"), 404)
    assert "promote" in unknown["detail"]
    misplaced = field_errors(act(world, lead["id"], "qualify", opportunity={"name": "x"}))
    assert "only convert" in misplaced["opportunity"]
    bad = field_errors(act(world, lead["id"], "convert", opportunity={
        "currency": "euro", "probability": 101, "estimated_revenue": -1, "size": 3}))
    assert set(bad) == {"opportunity.currency", "opportunity.probability",
                        "opportunity.estimated_revenue", "opportunity.size"}
    problem(act(world, 999_999, "promote"), 404)
    assert len(history(world, lead["id"])) == 2
    assert world.get(f"{API}/opportunities").json()["items"] == []


def test_stage_is_not_written_by_create_or_patch(world: TestClient) -> None:
    lead = lead_at(world, "nurture")
    for answer in (world.patch(f"{API}/leads/{lead['id']}", json={"stage": "won",
                                                                  "priority": "high"}),
                   world.post(f"{API}/leads", json={"contact_email": "ana@acme.test",
                                                    "stage": "won"})):
        message = field_errors(answer)["stage"]
        assert "/actions/" in message and "leadflow leads act" in message
    assert world.get(f"{API}/leads/{lead['id']}").json() == lead
    assert len(world.get(f"{API}/leads").json()["items"]) == 1


def test_every_change_is_an_event_with_old_and_new_stage(world: TestClient, db: Database,
                                                         site) -> None:  # type: ignore[no-untyped-def]
    lead = lead_at(world, "sales_ready")
    done(world, lead["id"], "reject")
    found = events(db, "lead.stage_changed")
    assert [(e.payload["action"], e.payload["stage"]) for e in found] == [
        ("promote", {"old": "nurture", "new": "sales_ready"}),
        ("reject", {"old": "sales_ready", "new": "nurture"})]
    last = found[-1]
    assert last.lead_id == lead["id"] and last.company_id == site.company.id
    assert last.payload["reason"] == "student" and last.payload["actor"].startswith("key ")


class TestRecycling:
    @pytest.fixture
    def hot(self, world: TestClient, db: Database) -> dict[str, Any]:
        """A live model (10 points a click, sales-ready at 30) and a lead made sales-ready by
        three clicks, through the scoring."""
        saved = world.post(f"{API}/scoring-models", json=ENGAGEMENT)
        assert saved.status_code == 201, saved.text
        lead = lead_at(world, "nurture")
        worker.tick(db)
        for _ in range(3):
            self.click(world)
        lead = world.get(f"{API}/leads/{lead['id']}").json()
        assert (lead["stage"], lead["sales_ready"]) == ("sales_ready", True)
        assert lead["scores"]["engagement"]["score"] == 30
        return dict(lead)

    @staticmethod
    def click(client: TestClient) -> None:
        body = {"type": "email_clicked", "contact_email": "ana@acme.test",
                "occurred_at": datetime.now(UTC).isoformat()}
        assert client.post(f"{API}/interactions", json=body).status_code == 201

    def test_scoring_promotes_as_system_in_the_history(self, world: TestClient,
                                                       hot: dict[str, Any]) -> None:
        [promote] = history(world, hot["id"])
        assert (promote["action"], promote["actor"], promote["to_stage"]) == (
            "promote", "system", "sales_ready")

    @pytest.mark.parametrize("action", ["reject", "recycle"])
    def test_recycle_clears_sales_ready_and_old_behaviour_stops_counting(
        self, world: TestClient, hot: dict[str, Any], action: str
    ) -> None:
        answer = done(world, hot["id"], action)
        lead = answer["lead"]
        assert (lead["stage"], lead["sales_ready"], lead["sales_ready_at"]) == (
            "nurture", False, None)
        assert lead["recycled_at"] is not None
        assert lead["scores"]["engagement"]["score"] == 0  # dropped before the call returned
        ledger = world.get(f"{API}/leads/{hot['id']}/score-history").json()["items"]
        assert (ledger[-1]["cause"], ledger[-1]["cause_id"], ledger[-1]["new"]) == (
            "recycle", answer["stage_change"]["id"], 0)
        self.click(world)  # new interest counts again
        later = world.get(f"{API}/leads/{hot['id']}").json()
        assert later["scores"]["engagement"]["score"] == 10 and later["stage"] == "nurture"

    def test_recycled_lead_whose_score_still_reaches_the_threshold_is_ready_again(
        self, world: TestClient, hot: dict[str, Any]
    ) -> None:
        # Fit, not behaviour: 40 points for Chicago survive the reset.
        assert world.patch(f"{API}/contacts/ana@acme.test", json={"city": "Chicago"}
                           ).status_code == 200
        answer = done(world, hot["id"], "recycle")
        lead = answer["lead"]
        assert lead["scores"]["engagement"]["score"] == 40
        assert (lead["stage"], lead["sales_ready"]) == ("sales_ready", True)
        assert [(c["action"], c["actor"]) for c in history(world, hot["id"])][-2:] == [
            ("recycle", answer["stage_change"]["actor"]), ("promote", "system")]

    def test_without_behaviour_reset_old_activity_keeps_counting(
        self, world: TestClient, hot: dict[str, Any]
    ) -> None:
        assert world.patch(f"{API}/companies/site/settings", json={
            "lifecycle.recycle_resets_behavior": False,
            "lifecycle.auto_advance_on_sales_ready": False}).status_code == 200
        lead = done(world, hot["id"], "reject")["lead"]
        assert lead["scores"]["engagement"]["score"] == 30
        assert lead["recycled_at"] is not None and lead["stage"] == "nurture"
        # The score is still at the threshold, so the flag comes back; the stage does not
        # (auto-advance is off here).
        assert lead["sales_ready"] is True


def test_closed_lead_gives_up_its_open_key_and_a_new_form_makes_a_new_lead(
    world: TestClient, db: Database
) -> None:
    assert world.post(f"{API}/landing-pages", json={"key": "demo-form", "name": "Demo"}
                      ).status_code == 201
    form = {"type": "form_submitted", "contact_email": "ana@acme.test",
            "landing_page": "demo-form"}
    first = world.post(f"{API}/interactions", json=form).json()
    assert first["lead_created"] is True
    for action in PATHS["won"]:
        done(world, first["lead_id"], action)
    with db.transaction() as session:
        lead = session.get(t.Lead, first["lead_id"])
        assert lead is not None and lead.stage == "won" and lead.open_key is None
    again = world.post(f"{API}/interactions", json=form | {"attributes": {"again": True}}).json()
    assert again["lead_created"] is True and again["lead_id"] != first["lead_id"]
    third = world.post(f"{API}/interactions", json=form | {"attributes": {"third": 1}}).json()
    assert (third["lead_created"], third["lead_id"]) == (False, again["lead_id"])


def test_convert_creates_the_opportunity_and_win_closes_both(world: TestClient,
                                                             db: Database) -> None:
    lead = lead_at(world, "qualified")
    converted = done(world, lead["id"], "convert", opportunity={
        "estimated_revenue": 12000, "currency": "eur", "probability": 40,
        "expected_close_date": "2031-03-31"})
    made = converted["opportunity"]
    assert made == made | {
        "name": lead["name"], "lead_id": lead["id"], "contact_email": "ana@acme.test",
        "account_domain": "acme.test", "estimated_revenue": 12000, "currency": "EUR",
        "probability": 40, "expected_close_date": "2031-03-31", "status": "open",
        "source": "promoted", "closed_at": None, "external_ids": {}}
    [created] = events(db, "opportunity.created")
    assert created.payload["opportunity"]["id"] == made["id"]
    won = done(world, lead["id"], "win")
    assert won["lead"]["stage"] == "won"
    closed = world.get(f"{API}/opportunities/{made['id']}").json()
    assert (closed["status"], closed["probability"]) == ("won", 100)
    assert closed["closed_at"] is not None and won["opportunity"]["id"] == made["id"]
    [updated] = events(db, "opportunity.updated")
    changes = updated.payload["changes"]
    assert changes["status"] == {"old": "open", "new": "won"}
    assert changes["probability"] == {"old": 40, "new": 100}


@pytest.mark.parametrize(("action", "status"), [("lose", "lost"), ("disqualify", "lost")])
def test_losing_closes_the_open_opportunity_as_lost(world: TestClient, action: str,
                                                    status: str) -> None:
    lead = lead_at(world, "opportunity")
    answer = done(world, lead["id"], action)
    assert answer["lead"]["stage"] == "lost"
    [only] = world.get(f"{API}/opportunities", params={"lead_id": lead["id"]}).json()["items"]
    assert (only["status"], only["probability"]) == (status, 0)
    assert only["name"] == lead["name"]  # converted without details: named after the lead


def test_two_actions_at_once_on_one_lead_move_it_once(world: TestClient, db: Database,
                                                       site) -> None:  # type: ignore[no-untyped-def]
    from leadflow.errors import Conflict
    from leadflow.services import lifecycle, records
    from leadflow.services.resources import LEADS

    lead = lead_at(world, "sales_ready")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def take(action: str) -> None:
        start.wait()
        try:
            with db.transaction() as session:
                company = session.get(t.Company, site.company.id)
                assert company is not None
                row = records.get(session, site.company.id, LEADS, lead["id"])
                lifecycle.act(session, company, row, action, "test", reason="busy")
            outcomes.append(action)
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=take, args=(a,)) for a in ("accept", "reject")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) in (["accept", "refused"], ["refused", "reject"])
    moved = [c for c in history(world, lead["id"]) if c["actor"] == "test"]
    assert len(moved) == 1 and moved[0]["action"] in outcomes
    assert world.get(f"{API}/leads/{lead['id']}").json()["stage"] == moved[0]["to_stage"]


@pytest.mark.parametrize(("role", "allowed"), [
    ("admin", True), ("marketer", True), ("sales", True), ("viewer", False), ("ingest", False)])
def test_who_may_act(world: TestClient, make_key, site, role: str,  # type: ignore[no-untyped-def]
                     allowed: bool) -> None:
    lead = lead_at(world, "nurture")
    headers = make_key(site.company, role).headers
    answer = act(world, lead["id"], "promote", headers=headers)
    assert answer.status_code == (200 if allowed else 403), answer.text
    assert len(history(world, lead["id"])) == (1 if allowed else 0)
    if role != "ingest":
        assert history(world, lead["id"], headers) == history(world, lead["id"])


def test_another_companys_lead_is_not_found(world: TestClient,
                                            make_client_company) -> None:  # type: ignore[no-untyped-def]
    lead = lead_at(world, "sales_ready")
    other = make_client_company("globex").headers
    problem(act(world, lead["id"], "accept", headers=other), 404)
    problem(world.get(f"{API}/leads/{lead['id']}/stage-changes", headers=other), 404)
    assert world.get(f"{API}/leads/{lead['id']}").json()["stage"] == "sales_ready"


class TestCli:
    def test_act_prints_the_move_and_json(self, world: TestClient, cli: Any) -> None:
        lead = lead_at(world, "accepted")
        result = cli("leads", "act", str(lead["id"]), "convert", "--revenue", "5000",
                     "--currency", "usd", "--probability", "60", "--close-date", "2031-01-15",
                     "--opportunity-name", "Acme rollout")
        assert result.exit_code == 0, result.output
        assert "accepted -> opportunity" in result.stdout and "Acme rollout" in result.stdout
        [opportunity] = world.get(f"{API}/opportunities").json()["items"]
        assert (opportunity["currency"], opportunity["estimated_revenue"],
                opportunity["expected_close_date"]) == ("USD", 5000, "2031-01-15")
        answer = cli("leads", "act", str(lead["id"]), "win", "--json")
        assert answer.exit_code == 0, answer.output
        data = json.loads(answer.stdout)
        assert data["lead"]["stage"] == "won" and data["opportunity"]["status"] == "won"
        assert data["stage_change"]["actor"] == "cli"

    @pytest.mark.parametrize(("args", "words"), [
        (("win",), ("cannot win", "allowed actions: recycle, qualify, convert, disqualify")),
        (("recycle",), ("reason",)),
        (("convert", "--currency", "euros"), ("--currency", "three letters")),
        (("convert", "--close-date", "soon"), ("--close-date",)),
        (("fly",), ("no life-cycle action 'fly'",)),
    ])
    def test_refusals_are_one_line_on_stderr(self, world: TestClient, cli: Any,
                                             args: tuple[str, ...], words: tuple[str, ...]
                                             ) -> None:
        lead = lead_at(world, "accepted")
        result = cli("leads", "act", str(lead["id"]), *args)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and result.stderr.startswith("error:")
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        for word in words:
            assert word in result.stderr, result.stderr
        assert world.get(f"{API}/leads/{lead['id']}").json()["stage"] == "accepted"

    def test_act_names_the_company(self, world: TestClient, cli: Any,
                                   make_client_company) -> None:  # type: ignore[no-untyped-def]
        lead = lead_at(world, "nurture")
        make_client_company("globex")
        result = cli("leads", "act", str(lead["id"]), "promote", "--company", "globex")
        assert result.exit_code == 1 and "no lead" in result.stderr
        assert cli("leads", "act", str(lead["id"]), "promote").exit_code == 0
