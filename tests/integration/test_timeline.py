"""A lead's timeline (`GET /leads/{id}/timeline`, `leadflow leads timeline`): every kind of entry
in time order, newest first, which interactions belong to it, cursor paging, company isolation
and bad parameters."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.services import records
from leadflow.services.resources import BY_PATH
from tests.conftest import Tenant
from tests.integration.api_world import API, field_errors, problem

T0 = datetime(2025, 1, 1, 9, tzinfo=UTC)


def _h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@dataclass
class World:
    lead: int
    account_lead: int
    program_lead: int
    interactions: dict[str, int]


def build_world(db: Database, company_id: int) -> World:
    def add(path: str, **body: Any) -> Any:
        resource = BY_PATH[path]
        return records.create(session, company_id, resource, resource.schema(**body))

    with db.transaction() as session:
        add("programs", key="launch", name="Launch")
        spring = add("campaigns", key="spring", name="Spring", program="launch")
        fall = add("campaigns", key="fall", name="Fall")
        form = add("landing-pages", key="spring-form", name="Form", campaign="spring")
        add("accounts", name="Acme", domain="acme.test")
        ana = add("users", email="ana@a.test")
        c1 = add("contacts", email="c1@acme.test", account_domain="acme.test")
        c2 = add("contacts", email="c2@other.test")
        c3 = add("contacts", email="c3@acme.test", account_domain="acme.test")
        model = t.ScoringModelRow(company_id=company_id, key="engagement", name="Engagement")
        session.add(model)

        def lead(**fields: Any) -> t.Lead:
            row = t.Lead(company_id=company_id, name="lead", created_at=T0, **fields)
            session.add(row)
            session.flush()
            return row

        main = lead(contact_id=c1.id, campaign_id=spring.id, program_id=spring.program_id,
                    account_id=c1.account_id, source="auto", origin="landing_page",
                    origin_landing_page_id=form.id)
        account = lead(scope="account", account_id=c1.account_id)
        program = lead(contact_id=c1.id, program_id=spring.program_id)

        def interaction(name: str, contact: Any, hour: float, **fields: Any) -> int:
            row = t.Interaction(company_id=company_id, contact_id=contact.id,
                                occurred_at=_h(hour), **fields)
            session.add(row)
            session.flush()
            return row.id

        found = {
            "form": interaction("form", c1, 0, type="form_submitted", lead_id=main.id,
                                landing_page_id=form.id, campaign_id=spring.id),
            "click": interaction("click", c1, 1, type="email_clicked", campaign_id=spring.id),
            "other_campaign": interaction("other", c1, 2, type="email_clicked",
                                          campaign_id=fall.id),
            "visit": interaction("visit", c1, 3, type="website_visited", url="https://a.test/"),
            "someone_else": interaction("else", c2, 3, type="email_clicked",
                                        campaign_id=spring.id),
            "colleague": interaction("colleague", c3, 4, type="email_opened",
                                     campaign_id=fall.id),
        }
        session.add_all([
            t.ScoreLedgerEntry(company_id=company_id, lead_id=main.id, model_id=model.id,
                               version=1, old_score=None, new_score=5, delta=5,
                               cause="interaction", cause_id=found["click"], at=_h(1)),
            t.ScoreAdjustment(company_id=company_id, lead_id=main.id, model_id=model.id,
                              points=10, reason="Met at the booth", actor="ana@a.test",
                              created_at=_h(4)),
            t.DomainEvent(company_id=company_id, lead_id=main.id, type="lead.sales_ready",
                          payload={"score": 15}, created_at=_h(5)),
            # Shown through the stage history instead.
            t.DomainEvent(company_id=company_id, lead_id=main.id, type="lead.stage_changed",
                          payload={}, created_at=_h(5)),
            t.StageChange(company_id=company_id, lead_id=main.id, action="promote",
                          from_stage="nurture", to_stage="sales_ready", actor="system",
                          at=_h(5)),
            t.Assignment(company_id=company_id, lead_id=main.id, rule_name="West",
                         owner_id=ana.id, trigger="created", at=T0),
            t.Opportunity(company_id=company_id, lead_id=main.id, name="Big deal",
                          estimated_revenue=5000.0, currency="EUR", created_at=_h(6)),
        ])
        return World(main.id, account.id, program.id, found)


@pytest.fixture
def world(db: Database, site: Tenant) -> World:
    return build_world(db, site.company.id)


def _timeline(api: TestClient, lead: int, **params: Any) -> dict[str, Any]:
    answer = api.get(f"{API}/leads/{lead}/timeline", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_everything_that_happened_newest_first(api: TestClient, world: World) -> None:
    found = _timeline(api, world.lead)
    assert found["next_cursor"] is None and found["lead_id"] == world.lead
    items = found["items"]
    assert [(i["kind"], i["at"]) for i in items] == [
        ("opportunity", "2025-01-01T15:00:00Z"),
        ("stage_change", "2025-01-01T14:00:00Z"),  # caused by becoming sales-ready
        ("event", "2025-01-01T14:00:00Z"),
        ("score_adjustment", "2025-01-01T13:00:00Z"),
        ("interaction", "2025-01-01T12:00:00Z"),
        ("score_change", "2025-01-01T10:00:00Z"),  # caused by the click
        ("interaction", "2025-01-01T10:00:00Z"),
        ("assignment", "2025-01-01T09:00:00Z"),
        ("created", "2025-01-01T09:00:00Z"),
        ("interaction", "2025-01-01T09:00:00Z"),  # the form that created the lead
    ]
    summaries = [i["summary"] for i in items]
    assert summaries[0] == "Opportunity 'Big deal' created (now open, 5,000.00 EUR)"
    assert summaries[1] == "promote: nurture → sales_ready by system"
    assert summaries[2] == "Became sales-ready"
    assert summaries[3] == "+10 points in engagement by ana@a.test: Met at the booth"
    assert summaries[5] == "Score in engagement: none → 5 (+5, interaction)"
    assert summaries[7] == "Assigned to ana@a.test by rule 'West' (created)"
    assert summaries[8] == "Lead created (source auto, from landing page spring-form)"
    assert summaries[9] == "form_submitted (campaign spring, landing page spring-form)"
    form = items[9]["details"]
    assert (form["id"], form["linked"], form["contact_email"], form["campaign"]) == (
        world.interactions["form"], True, "c1@acme.test", "spring")
    assert items[6]["details"]["linked"] is False
    assert items[5]["details"]["cause_id"] == world.interactions["click"]
    assert items[2]["details"]["payload"] == {"score": 15}


def _interaction_ids(found: dict[str, Any]) -> set[int]:
    return {i["details"]["id"] for i in found["items"] if i["kind"] == "interaction"}


def test_interactions_are_those_that_count_for_the_lead(api: TestClient, world: World) -> None:
    ids = world.interactions
    # Its campaign's, those without a campaign, and the one linked to it; not the fall
    # campaign's, nor anybody else's.
    assert _interaction_ids(_timeline(api, world.lead)) == {ids["form"], ids["click"],
                                                            ids["visit"]}
    # A company-level account lead sees every contact of the account, whatever the campaign.
    assert _interaction_ids(_timeline(api, world.account_lead)) == {
        ids["form"], ids["click"], ids["other_campaign"], ids["visit"], ids["colleague"]}
    # A program lead: campaigns of the program (spring), and those without one.
    assert _interaction_ids(_timeline(api, world.program_lead)) == {
        ids["form"], ids["click"], ids["visit"]}


def test_cursor_pages_through_the_same_items(api: TestClient, world: World) -> None:
    everything = _timeline(api, world.lead)["items"]
    seen: list[dict[str, Any]] = []
    sizes, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = _timeline(api, world.lead, **params)
        sizes.append(len(page["items"]))
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sizes == [3, 3, 3, 1]
    assert seen == everything


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": 0}, "limit"), ({"limit": 501}, "limit"), ({"limit": "many"}, "limit"),
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"cursor": "WyIyMDI1LTAxLTAxIiwgOSwgMV0"}, "cursor"),  # ["2025-01-01", 9, 1]
])
def test_bad_parameters_are_422(api: TestClient, world: World, params: dict[str, Any],
                                field: str) -> None:
    errors = field_errors(api.get(f"{API}/leads/{world.lead}/timeline", params=params))
    assert any(field in name for name in errors), errors


def test_another_companys_lead_is_not_found(api: TestClient, world: World,
                                            make_client_company: Any) -> None:
    other = make_client_company("beta")
    problem(api.get(f"{API}/leads/{world.lead}/timeline", headers=other.headers), 404)
    problem(api.get(f"{API}/leads/999999/timeline"), 404)


def test_ingest_keys_may_not_read_it(http: TestClient, site: Tenant, make_key: Any,
                                     world: World) -> None:
    key = make_key(site.company, "ingest")
    problem(http.get(f"{API}/leads/{world.lead}/timeline", headers=key.headers), 403)
    viewer = make_key(site.company, "viewer")
    assert http.get(f"{API}/leads/{world.lead}/timeline",
                    headers=viewer.headers).status_code == 200


def test_cli_timeline(cli: Any, world: World) -> None:
    result = cli("leads", "timeline", str(world.lead), "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert [i["kind"] for i in found["items"]][:2] == ["opportunity", "stage_change"]
    assert found["items"][0]["at"] == "2025-01-01T15:00:00Z"
    table = cli("leads", "timeline", str(world.lead), "--limit", "2")
    assert table.exit_code == 0, table.output
    assert "2025-01-01 15:00" in table.stdout and "Big deal" in table.stdout
    assert "--cursor" in table.stdout
    missing = cli("leads", "timeline", "999999")
    assert missing.exit_code == 1 and missing.stderr.startswith("error:")
    assert "Traceback" not in missing.output


def test_a_rule_that_only_set_fields_is_not_shown_as_unassignable() -> None:
    from leadflow.db import tables as t
    from leadflow.services.timeline_text import _assignment

    row = t.Assignment(rule_name="Tag west", owner_id=None, previous_owner_id=None,
                       trigger="created", changes={"result": "updated",
                                                   "set": {"territory": {"old": None,
                                                                         "new": "west"}}})
    text, _ = _assignment(row, t.Lead(), {"user": {}})
    assert text == "Assignment rule 'Tag west' set territory (created)"
