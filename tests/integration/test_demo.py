"""`leadflow demo`: the demo world loads on both databases, once, with a month of activity
played through the ingestion and two live scoring models per company, and can be signed in to."""

from __future__ import annotations

import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.db.database import Database, normalise_url
from leadflow.db.types import utcnow
from leadflow.domain.lifecycle import check
from leadflow.services import companies
from leadflow.services.demo import CLIENT, SITE, load_demo, world
from leadflow.services.demo.activity import load_activity
from leadflow.services.demo.context import Demo
from leadflow.services.demo.scoring import load_scoring
from leadflow.services.report_filters import ReportFilter
from leadflow.services.reports import attribution, funnel

MONTH_TYPES = {"email_delivered", "email_opened", "email_clicked", "email_bounced",
               "email_unsubscribed", "website_visited", "form_submitted", "event_registered",
               "event_attended"}


def _demo(cli: Any, *args: str) -> dict[str, Any]:
    result = cli("demo", "--no-serve", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _count(session: Session, table: Any, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


# --- One demo world, loaded once for the tests that only read it ------------------------------

@dataclass
class World:
    database: Database
    now: datetime
    ids: dict[str, int]  # company key → id


def _admin(base: str, sql: str) -> None:
    engine = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(sql))
    engine.dispose()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[World]:
    """The demo world in a database of its own (the `db` fixture empties its own after each
    test), loaded once for the module."""
    base = os.environ.get("LEADFLOW_TEST_DATABASE_URL", "")
    name = f"leadflow_demo_{worker_id}_{os.getpid()}"
    if base.startswith("postgres"):
        _admin(base, f'CREATE DATABASE "{name}"')
        url = normalise_url(base).rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    database = Database(url)
    database.migrate()
    now = utcnow()
    with database.transaction() as session:
        found = load_demo(session, now=now)
        ids = {found.site.key: found.site.id, found.client.key: found.client.id}
    try:
        yield World(database, now, ids)
    finally:
        database.dispose()
        if base.startswith("postgres"):
            _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_demo_world_holds_the_recipe_and_what_the_month_added(loaded: World) -> None:
    with loaded.database.transaction() as session:
        for spec in (SITE, CLIENT):
            company = loaded.ids[spec.key]
            row = session.get(t.Company, company)
            assert row is not None
            counts = world.count_records(session, row)
            # Forms bring new people, some from companies nobody knew, and new leads.
            assert counts["accounts"] > spec.accounts
            assert counts["contacts"] > spec.contacts
            assert counts["leads"] > spec.lead_count
            assert counts["campaigns"] == len(spec.catalog.campaigns)
            assert counts["users"] == len(spec.catalog.users)
            assert counts["scoring_models"] == 2
            stages = dict(session.execute(
                select(t.Lead.stage, func.count()).where(t.Lead.company_id == company)
                .group_by(t.Lead.stage)).all())
            for stage in ("accepted", "qualified", "opportunity", "won", "lost"):
                assert stages.get(stage, 0) == spec.leads.get(stage, 0)
        names = dict(session.execute(select(t.Company.key, t.Company.name)).all())
    assert names == {"site": "leadflow Agency", "northwind": "Northwind Traders"}


def test_a_month_of_every_kind_of_activity_at_realistic_rates(loaded: World) -> None:
    with loaded.database.transaction() as session:
        for key in ("site", "northwind"):
            company = loaded.ids[key]
            rows = session.execute(select(t.Interaction.type, t.Interaction.occurred_at,
                                          t.Interaction.source, t.Interaction.external_id)
                                   .where(t.Interaction.company_id == company)).all()
            kinds = Counter(row.type for row in rows)
            assert {row.source for row in rows} == {"demo"}
            assert len({row.external_id for row in rows}) == len(rows)
            oldest = min(_aware(row.occurred_at) for row in rows)
            newest = max(_aware(row.occurred_at) for row in rows)
            assert loaded.now - timedelta(days=31) < oldest and newest <= loaded.now
            expected = MONTH_TYPES if key == "northwind" else MONTH_TYPES - {
                "email_bounced", "email_unsubscribed"}
            assert expected <= set(kinds)
    # Northwind's list is big enough for the usual rates: opens ~30%, clicks ~8% of delivered.
    delivered = kinds["email_delivered"]
    assert 0.2 < kinds["email_opened"] / delivered < 0.4
    assert 0.04 < kinds["email_clicked"] / delivered < 0.12


def test_anonymous_visits_are_attached_once_a_form_identifies_the_visitor(
    loaded: World,
) -> None:
    company = loaded.ids["northwind"]
    with loaded.database.transaction() as session:
        visits = t.Interaction.type == "website_visited"
        anonymous = _count(session, t.Interaction, t.Interaction.company_id == company, visits,
                           t.Interaction.contact_id.is_(None))
        identified = session.execute(
            select(t.Interaction.visitor_id, t.Interaction.contact_id, t.Interaction.occurred_at)
            .where(t.Interaction.company_id == company, visits,
                   t.Interaction.visitor_id.is_not(None), t.Interaction.contact_id.is_not(None))
        ).all()
        visitors = {v.visitor_id: v for v in session.scalars(
            select(t.Visitor).where(t.Visitor.company_id == company))}
        forms = {row.contact_id: _aware(row.occurred_at) for row in session.execute(
            select(t.Interaction.contact_id, func.min(t.Interaction.occurred_at).label(
                "occurred_at"))
            .where(t.Interaction.company_id == company,
                   t.Interaction.type == "form_submitted")
            .group_by(t.Interaction.contact_id))}
    assert anonymous > 0  # visitors who never said who they are
    earlier = [v for v in identified
               if _aware(v.occurred_at) < forms.get(v.contact_id, _aware(v.occurred_at))]
    assert earlier, "no visit from before a form was attached to the person"
    for visit in identified:
        assert visitors[visit.visitor_id].contact_id == visit.contact_id


def test_forms_and_registrations_create_automatic_leads_with_their_origin(
    loaded: World,
) -> None:
    company = loaded.ids["northwind"]
    since = loaded.now - timedelta(days=31)
    with loaded.database.transaction() as session:
        linked = {row.lead_id: row for row in session.execute(
            select(t.Interaction.lead_id, t.Interaction.type, t.Interaction.landing_page_id,
                   t.Interaction.event_id)
            .where(t.Interaction.company_id == company, t.Interaction.lead_id.is_not(None))
            .order_by(t.Interaction.occurred_at.desc()))}
        new = list(session.scalars(select(t.Lead).where(
            t.Lead.company_id == company, t.Lead.open_key.is_not(None))))
    assert len(new) > 10
    for lead in new:
        assert lead.source == "auto" and lead.origin in ("landing_page", "event")
        assert _aware(lead.created_at) > since
        assert lead.id in linked
        first = linked[lead.id]  # the interaction that created the lead
        if lead.origin == "landing_page":
            assert first.type == "form_submitted"
            assert lead.origin_landing_page_id == first.landing_page_id
        else:
            assert first.type == "event_registered"
            assert lead.origin_event_id == first.event_id


def test_both_models_are_live_and_score_every_lead(loaded: World) -> None:
    with loaded.database.transaction() as session:
        for company in loaded.ids.values():
            models = list(session.scalars(select(t.ScoringModelRow).where(
                t.ScoringModelRow.company_id == company)))
            assert {(m.key, m.status) for m in models} == {("engagement", "live"),
                                                            ("fit", "live")}
            assert all(m.live_version_id is not None and m.draft is None for m in models)
            leads = _count(session, t.Lead, t.Lead.company_id == company)
            assert _count(session, t.LeadScore, t.LeadScore.company_id == company) == 2 * leads
            grades = Counter(session.execute(
                select(t.ScoringModelRow.key, t.LeadScore.grade)
                .join(t.ScoringModelRow, t.ScoringModelRow.id == t.LeadScore.model_id)
                .where(t.LeadScore.company_id == company)).all())
            if company == loaded.ids["northwind"]:
                assert {g for (m, g) in grades if m == "engagement"} == {"cold", "warm", "hot"}
                assert {g for (m, g) in grades if m == "fit"} == {"A", "B", "C", "D"}


def test_every_stored_score_is_the_sum_of_its_ledger(loaded: World) -> None:
    with loaded.database.transaction() as session:
        sums: dict[tuple[int, int], int] = defaultdict(int)
        for entry in session.scalars(select(t.ScoreLedgerEntry)):
            sums[(entry.lead_id, entry.model_id)] += entry.delta
        scores = list(session.scalars(select(t.LeadScore)))
    assert scores
    for score in scores:
        assert sums[(score.lead_id, score.model_id)] == score.score


def test_a_handful_of_nurture_leads_become_sales_ready_through_scoring(loaded: World) -> None:
    with loaded.database.transaction() as session:
        for key, (low, high) in {"northwind": (5, 15), "site": (1, 5)}.items():
            company = loaded.ids[key]
            events = list(session.scalars(select(t.DomainEvent).where(
                t.DomainEvent.company_id == company, t.DomainEvent.type == "lead.sales_ready")))
            assert low <= len(events) <= high, key
            for event in events:
                lead = session.get(t.Lead, event.lead_id)
                assert lead is not None and lead.sales_ready and lead.stage == "sales_ready"
                assert event.payload["stage"] == {"old": "nurture", "new": "sales_ready"}
                ready = session.scalars(select(t.LeadScore).where(
                    t.LeadScore.lead_id == lead.id, t.LeadScore.sales_ready.is_(True))).all()
                assert ready, "sales-ready without a model saying so"


def test_manual_adjustments_carry_reasons_and_count_in_the_score(loaded: World) -> None:
    company = loaded.ids["northwind"]
    with loaded.database.transaction() as session:
        adjustments = list(session.scalars(select(t.ScoreAdjustment).where(
            t.ScoreAdjustment.company_id == company)))
        assert len(adjustments) == 3
        assert len({a.lead_id for a in adjustments}) == 3
        for adjustment in adjustments:
            assert adjustment.reason and adjustment.actor == "maya.patel@northwindtraders.com"
            entry = session.scalars(select(t.ScoreLedgerEntry).where(
                t.ScoreLedgerEntry.cause == "manual_adjustment",
                t.ScoreLedgerEntry.cause_id == adjustment.id)).one()
            assert entry.delta == adjustment.points


def test_demo_leads_are_consistent_with_the_lead_rules(loaded: World) -> None:
    company = loaded.ids["northwind"]
    with loaded.database.transaction() as session:
        leads = list(session.scalars(select(t.Lead).where(t.Lead.company_id == company)))
        contacts = {c.id: c for c in session.scalars(
            select(t.Contact).where(t.Contact.company_id == company))}
        campaigns = {c.id: c for c in session.scalars(
            select(t.Campaign).where(t.Campaign.company_id == company))}
        newsletter = session.scalars(select(t.LandingPage.id).where(
            t.LandingPage.company_id == company, t.LandingPage.key == "newsletter")).one()
    # A contact (or account) has at most one open lead per context; a closed one may be
    # followed by a new lead when the person shows interest again.
    targets = Counter((lead.scope, lead.contact_id or lead.account_id, lead.campaign_id,
                       lead.program_id) for lead in leads if lead.stage not in ("won", "lost"))
    assert max(targets.values()) == 1
    assert {lead.source for lead in leads} == {"manual", "auto", "import", "api"}
    assert sum(lead.scope == "account" for lead in leads) == CLIENT.account_leads
    for lead in leads:
        if lead.scope == "contact":
            assert lead.account_id == contacts[lead.contact_id or 0].account_id
        else:
            assert lead.account_id is not None and lead.contact_id is None
        if lead.campaign_id is not None:
            assert lead.program_id == campaigns[lead.campaign_id].program_id
        assert lead.origin_landing_page_id != newsletter
        assert (lead.origin is not None) == (lead.source == "auto")
        assert lead.sales_ready == (lead.sales_ready_at is not None)


def test_stage_history_and_opportunities_fit_each_leads_stage(loaded: World) -> None:
    for key, company in loaded.ids.items():
        with loaded.database.transaction() as session:
            leads = list(session.scalars(select(t.Lead).where(t.Lead.company_id == company)))
            changes: dict[int, list[t.StageChange]] = defaultdict(list)
            for change in session.scalars(select(t.StageChange).where(
                    t.StageChange.company_id == company).order_by(t.StageChange.id)):
                changes[change.lead_id].append(change)
            deals: dict[int, list[t.Opportunity]] = defaultdict(list)
            for deal in session.scalars(select(t.Opportunity).where(
                    t.Opportunity.company_id == company)):
                deals[deal.lead_id or 0].append(deal)
            crm = _count(session, t.OpportunityExternalId,
                         t.OpportunityExternalId.company_id == company)
        actions: Counter[str] = Counter()
        for lead in leads:
            path = changes.get(lead.id, [])
            assert path or (lead.stage == "nurture" and lead.recycled_at is None), lead.id
            stage = "nurture"
            for change in path:  # each step allowed by the machine, from where the last ended
                assert change.from_stage == stage
                assert check(stage, change.action, change.reason).target == change.to_stage
                assert _aware(change.at) <= loaded.now
                stage = change.to_stage
                actions[change.action] += 1
            assert stage == lead.stage
            assert [_aware(c.at) for c in path] == sorted(_aware(c.at) for c in path)
            converted = any(c.action == "convert" for c in path)
            assert len(deals.get(lead.id, [])) == int(converted)
            if lead.stage in ("opportunity", "won"):
                assert converted
            for deal in deals.get(lead.id, []):
                assert deal.status == ("open" if lead.stage == "opportunity" else lead.stage)
                assert (deal.closed_at is None) == (deal.status == "open")
                assert deal.estimated_revenue and deal.currency and len(deal.currency) == 3
                assert deal.probability is not None and deal.expected_close_date is not None
                assert (deal.contact_id, deal.account_id) == (lead.contact_id, lead.account_id)
        assert set(actions) == {"promote", "accept", "reject", "recycle", "qualify", "convert",
                                "win", "lose", "disqualify"} or key == "site"
        if key == "northwind":
            assert crm > 0  # leads imported from Salesforce: their opportunities' ids there


def test_the_reports_show_a_working_funnel_and_initiatives_that_sell(loaded: World) -> None:
    company = loaded.ids["northwind"]
    everything = ReportFilter()
    with loaded.database.transaction() as session:
        stages = funnel(session, company, everything, now=loaded.now)
        by_campaign = attribution(session, company, "campaign", everything)
        by_page = attribution(session, company, "landing_page", everything)
        leads = _count(session, t.Lead, t.Lead.company_id == company)
    assert stages.total == leads
    assert all(stage.leads > 0 for stage in stages.stages)
    assert all(move.rate is not None and 0 < move.rate <= 1 for move in stages.conversions)
    for time in stages.time_in_stage:  # every open stage has been left by some lead
        assert time.stays > 0 and time.avg_hours and time.median_hours, time
    won = {s.stage: s.leads for s in stages.stages}["won"]
    for report in (by_campaign, by_page):
        totals = report.totals
        assert (totals.leads, totals.won) == (leads, won)
        assert totals.leads == sum(i.leads for i in report.items) + report.unattributed.leads
        assert totals.revenue and all(r.amount > 0 for r in totals.revenue)
    paying = [i for i in by_campaign.items if i.won > 0 and i.revenue]
    assert len(paying) >= 2
    assert any(i.leads > 0 for i in by_page.items)  # forms of the month created leads


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- Loading through the command ----------------------------------------------------------------

def test_playing_the_month_and_scoring_again_adds_nothing(db: Database) -> None:
    now = utcnow()
    with db.transaction() as session:
        site = companies.ensure_site(session, SITE.key, SITE.name)
        demo = Demo(session, site, SITE, 7, now)
        world.fill(demo)
        before = world.count_records(session, site)
        ledger = _count(session, t.ScoreLedgerEntry)
        adjustments = _count(session, t.ScoreAdjustment)
        load_activity(demo)
        load_scoring(demo)
        assert world.count_records(session, site) == before
        assert _count(session, t.ScoreLedgerEntry) == ledger
        assert _count(session, t.ScoreAdjustment) == adjustments
        assert demo.extra["activity"].statuses == {"duplicate": before["interactions"]}


def test_demo_after_init_prints_a_working_key_and_run_twice_adds_nothing(
    cli: Any, db: Database, http: TestClient
) -> None:
    assert cli("init").exit_code == 0
    result = cli("demo", "--no-serve")
    assert result.exit_code == 0, result.output
    out = result.stdout
    key = re.search(r'Authorization: Bearer (lf_[^"]+)"', out)
    assert key is not None, out
    assert '-H "X-Company: northwind" http://127.0.0.1:8000/api/v1/leads' in out
    assert "http://127.0.0.1:8000/docs" in out
    assert "interactions in the last 30 days, 2 scoring models" in out
    auth = {"Authorization": f"Bearer {key.group(1)}"}
    own = http.get("/api/v1/leads?limit=500", headers=auth)
    assert own.status_code == 200, own.text
    assert len(own.json()["items"]) > SITE.lead_count  # init's site company was filled
    auth["X-Company"] = "northwind"
    assert len(http.get("/api/v1/leads?limit=500", headers=auth).json()["items"]) > (
        CLIENT.lead_count)
    ready = http.get("/api/v1/leads?stage=sales_ready&sort=-created_at&limit=5",
                     headers=auth).json()
    assert [item["stage"] for item in ready["items"]] == ["sales_ready"] * 5
    scores = re.search(r"(/api/v1/leads/\d+/scores)", out)
    assert scores is not None, out
    explained = http.get(scores.group(1), headers=auth)
    assert explained.status_code == 200, explained.text
    models = {m["model"]: m for m in explained.json()["models"]}
    assert set(models) == {"engagement", "fit"}
    engagement = models["engagement"]
    assert engagement["grade"] == "hot" and engagement["sales_ready"] is True
    assert engagement["score"] == sum(r["contribution"] for r in engagement["rules"]) + (
        engagement["adjustment"])
    with db.transaction() as session:
        before = [world.count_records(session, c) for c in session.scalars(select(t.Company))]
    again = _demo(cli)
    assert again["loaded"] is False
    assert list(again["counts"].values()) == before
    assert again["hot_lead"] == int(scores.group(1).split("/")[-2])


def test_demo_reset_is_refused_on_postgresql(
    cli: Any, db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith("postgres"):
        monkeypatch.setenv("LEADFLOW_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing")
    result = cli("demo", "--no-serve", "--reset")
    assert result.exit_code == 1
    assert "only resets an embedded SQLite database" in result.stderr
    assert "Traceback" not in result.output
    with db.transaction() as session:
        assert _count(session, t.Company) == 0


def test_demo_reset_starts_over_on_a_fresh_sqlite_file(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What is in the world does not matter here: only the catalog keeps the test quick.
    monkeypatch.setattr(world, "STEPS", world.STEPS[:1])
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", url)
    _demo(cli)
    info = _demo(cli, "--reset")
    assert info["loaded"] is True
    database = Database(url)
    try:
        with database.transaction() as session:
            assert _count(session, t.ApiKey) == 1
            assert _count(session, t.Company) == 2
    finally:
        database.dispose()


# --- Determinism --------------------------------------------------------------------------------

def _snapshot(url: str, seed: int) -> list[tuple[Any, ...]]:
    """The site company's world (small, so quick to load) as plain rows."""
    database = Database(url)
    database.migrate()
    try:
        with database.transaction() as session:
            site = companies.ensure_site(session, SITE.key, SITE.name)
            world.fill(Demo(session, site, SITE, seed, datetime(2025, 3, 1, tzinfo=UTC)))
            rows = [
                select(t.Account.name, t.Account.domain, t.Account.employees)
                .order_by(t.Account.id),
                select(t.Contact.email, t.Contact.job_title).order_by(t.Contact.id),
                select(t.Lead.name, t.Lead.stage, t.Lead.source, t.Lead.owner_id,
                       t.Lead.created_at).order_by(t.Lead.id),
                select(t.Interaction.type, t.Interaction.occurred_at, t.Interaction.contact_id,
                       t.Interaction.lead_id, t.Interaction.external_id)
                .order_by(t.Interaction.id),
                select(t.LeadScore.lead_id, t.LeadScore.model_id, t.LeadScore.score)
                .order_by(t.LeadScore.lead_id, t.LeadScore.model_id),
            ]
            return [tuple(row) for stmt in rows for row in session.execute(stmt)]
    finally:
        database.dispose()


def test_same_seed_gives_the_same_world(tmp_path: Path) -> None:
    first = _snapshot(f"sqlite:///{tmp_path / 'a.db'}", 7)
    assert first == _snapshot(f"sqlite:///{tmp_path / 'b.db'}", 7)
    assert first != _snapshot(f"sqlite:///{tmp_path / 'c.db'}", 8)


def test_assignment_rules_route_the_new_and_sales_ready_leads(loaded: World) -> None:
    company = loaded.ids["northwind"]
    with loaded.database.transaction() as session:
        rules = list(session.scalars(select(t.AssignmentRule.name).where(
            t.AssignmentRule.company_id == company).order_by(t.AssignmentRule.position)))
        history = session.execute(
            select(t.Assignment.lead_id, t.Assignment.rule_name, t.Assignment.owner_id,
                   t.Assignment.changes)
            .where(t.Assignment.company_id == company)).all()
        owners = dict(session.execute(select(t.Lead.id, t.Lead.owner_id).where(
            t.Lead.company_id == company)).all())
        users = dict(session.execute(select(t.User.email, t.User.id).where(
            t.User.company_id == company)).all())
        new = list(session.scalars(select(t.Lead.id).where(
            t.Lead.company_id == company, t.Lead.open_key.is_not(None))))
    assert rules == ["Hot leads to a senior rep", "West coast", "North America east", "Europe",
                     "Everyone else"]
    assigned = [row for row in history if row.changes["result"] == "assigned"]
    assert len(assigned) > 20
    assert {"West coast", "North America east", "Europe"} <= {r.rule_name for r in assigned}
    for row in assigned:
        assert owners[row.lead_id] == row.owner_id
    # Diego is unavailable: the east round robin skips him.
    assert users["diego.garcia@northwindtraders.com"] not in {r.owner_id for r in assigned}
    routed = {row.lead_id for row in history}
    assert all(owners[lead] is not None or lead in routed for lead in new)


def test_each_company_has_a_disabled_crm_webhook_and_no_queued_message(loaded: World) -> None:
    with loaded.database.transaction() as session:
        hooks = session.execute(select(t.WebhookSubscription.company_id,
                                       t.WebhookSubscription.key, t.WebhookSubscription.enabled,
                                       t.WebhookSubscription.url)).all()
        queued = _count(session, t.WebhookDelivery)
    assert sorted((company, key, enabled) for company, key, enabled, _ in hooks) == sorted(
        (company, "crm", False) for company in loaded.ids.values())
    assert all(url.startswith("https://") and ".example/" in url for *_, url in hooks)
    assert queued == 0
