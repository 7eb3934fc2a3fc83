"""Rescoring a whole company inside the database (publish, `leadflow rescore`) stores exactly
what rescoring lead by lead stores: scores, grades, sales-ready, next change, ledger."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.scoring.text import parse_text
from leadflow.services.scoring import models, rescore
from leadflow.services.scoring.bulk import BulkRescorer
from leadflow.services.scoring.catalog import company_schema
from leadflow.services.scoring.rescore import Rescorer

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

ENGAGEMENT = """\
MODEL "Engagement" KEY 'engagement' SALES READY AT 40
BOUNDS 0 TO 100
GRADES cold TO 19, warm 20 TO 39, hot FROM 40
APPLIES TO CAMPAIGN 'spring', COMPANY
RULE "Clicks" +5 LIMIT 6
  WHEN EACH EmailClicked WITHIN 30 DAYS
RULE "Forms" +15
  WHEN FormSubmitted WITHIN 90 DAYS
RULE "Events anywhere" +10
  WHEN EACH EventAttended WITHIN 365 DAYS CONTEXT ANY
RULE "Quiet" -10
  WHEN NONE EmailOpened WITHIN 14 DAYS
RULE "Big accounts" +20
  WHEN Account WHERE employees >= 500
"""

FIT = """\
MODEL "Fit" KEY 'fit' SCOPE account SALES READY AT 30
APPLIES TO PROGRAM 'launch'
RULE "Executives" +15
  WHEN Contact WHERE job_title IN ('ceo', 'cto')
RULE "Opens" +2
  WHEN EACH EmailOpened WITHIN 60 DAYS
"""

TYPES = ("email_clicked", "email_opened", "form_submitted", "event_attended")


def build(session: Session, company: t.Company, seed: int) -> None:
    """A varied company: contact and account leads in several contexts, recycled leads,
    manual adjustments and two months of activity, some of it on window boundaries."""
    rng = random.Random(seed)
    cid = company.id
    program = t.Program(company_id=cid, key="launch", name="Launch")
    session.add(program)
    session.flush()
    spring = t.Campaign(company_id=cid, key="spring", name="Spring", program_id=program.id)
    other = t.Campaign(company_id=cid, key="autumn", name="Autumn")
    session.add_all([spring, other])
    accounts = [t.Account(company_id=cid, name=f"A{i}", domain=f"a{i}.test",
                          employees=rng.choice([None, 50, 500, 5000])) for i in range(8)]
    session.add_all(accounts)
    session.flush()
    contacts = [t.Contact(company_id=cid, email=f"p{i}@a.test",
                          job_title=rng.choice([None, "ceo", "cto", "engineer"]),
                          account_id=rng.choice([None, *[a.id for a in accounts]]))
                for i in range(40)]
    session.add_all(contacts)
    session.flush()
    contexts = [(spring.id, program.id), (other.id, None), (None, program.id), (None, None)]
    for i in range(60):
        campaign_id, program_id = rng.choice(contexts)
        contact = rng.choice(contacts)
        account_scope = rng.random() < 0.25 and contact.account_id is not None
        session.add(t.Lead(
            company_id=cid, name=f"L{i}", scope="account" if account_scope else "contact",
            contact_id=contact.id, account_id=contact.account_id,
            campaign_id=campaign_id, program_id=program_id, stage="nurture",
            recycled_at=NOW - timedelta(days=rng.choice([3, 20])) if rng.random() < 0.15
            else None,
        ))
    for _ in range(600):
        contact = rng.choice(contacts)
        campaign_id, program_id = rng.choice(contexts)
        days = rng.choice([0.5, 1, 7, 14, 29.999, 30, 45, 59, 89, 120, 400])
        session.add(t.Interaction(
            company_id=cid, type=rng.choice(TYPES), contact_id=contact.id,
            account_id=contact.account_id, campaign_id=campaign_id, program_id=program_id,
            occurred_at=NOW - timedelta(days=days, microseconds=rng.randrange(3)),
        ))
    session.flush()


def publish(session: Session, company_id: int, text: str) -> t.ScoringModelRow:
    model = parse_text(text, company_schema(session, company_id))
    row, _ = models.save(session, company_id, model)
    models.publish(session, company_id, model.key)
    return row


def world_company(session: Session, key: str, seed: int,
                  settings: dict[str, Any] | None = None) -> t.Company:
    """A company holding the varied world of `build`."""
    company = t.Company(key=key, name="Bulk", **({"settings": settings} if settings else {}))
    session.add(company)
    session.flush()
    build(session, company, seed)
    return company


def publish_both(session: Session, company_id: int) -> None:
    publish(session, company_id, ENGAGEMENT)
    publish(session, company_id, FIT)


def subscribe(session: Session, company_id: int, event: str) -> None:
    """A webhook that wants `event`, so that rescoring reports it lead by lead."""
    session.add(t.WebhookSubscription(company_id=company_id, key="crm",
                                      url="https://crm.example/hooks", events=[event],
                                      secret="whsec_x"))


def first_account_lead(session: Session, company_id: int) -> t.Lead:
    lead = session.scalars(select(t.Lead).where(t.Lead.company_id == company_id,
                                                t.Lead.scope == "account")).first()
    assert lead is not None
    return lead


def adjust(session: Session, company_id: int, model: t.ScoringModelRow, count: int) -> None:
    lead_ids = session.scalars(select(t.Lead.id).where(t.Lead.company_id == company_id)
                               .order_by(t.Lead.id).limit(count))
    session.add_all(t.ScoreAdjustment(company_id=company_id, lead_id=lead_id,
                                      model_id=model.id, points=25, reason="met at a fair")
                    for lead_id in lead_ids)
    session.flush()


def stored(session: Session, company_id: int) -> dict[str, Any]:
    """Everything rescoring writes, in a comparable form (models by key: ids of rows written
    in a rolled-back transaction differ between runs on PostgreSQL)."""
    key = {m.id: m.key for m in session.scalars(
        select(t.ScoringModelRow).where(t.ScoringModelRow.company_id == company_id))}
    version = {v.id: v.version for v in session.scalars(
        select(t.ScoringModelVersion).where(t.ScoringModelVersion.company_id == company_id))}
    scores = {(s.lead_id, key[s.model_id]): (s.score, s.grade, s.sales_ready, s.next_change_at,
                                             version[s.version_id])
              for s in session.scalars(select(t.LeadScore)
                                       .where(t.LeadScore.company_id == company_id))}
    ledger = sorted(((e.lead_id, key[e.model_id], e.version, e.old_score, e.new_score, e.delta,
                      e.cause, e.cause_id)
                     for e in session.scalars(select(t.ScoreLedgerEntry)
                                              .where(t.ScoreLedgerEntry.company_id == company_id))),
                    key=repr)
    leads = {lead.id: (lead.sales_ready, lead.sales_ready_at, lead.stage)
             for lead in session.scalars(select(t.Lead).where(t.Lead.company_id == company_id))}
    events = sorted(((e.type, e.lead_id, e.payload) for e in session.scalars(
        select(t.DomainEvent).where(t.DomainEvent.company_id == company_id))), key=repr)
    history = sorted((c.lead_id, c.action, c.from_stage, c.to_stage, c.actor, c.reason, c.at)
                     for c in session.scalars(select(t.StageChange)
                                              .where(t.StageChange.company_id == company_id)))
    return {"scores": scores, "ledger": ledger, "leads": leads, "events": events,
            "history": history}


def one_by_one(session: Session, company: t.Company) -> None:
    ids = list(session.scalars(select(t.Lead.id).where(t.Lead.company_id == company.id)))
    Rescorer(session, company, NOW).leads(ids, "rescore")
    session.flush()


def in_bulk(session: Session, company: t.Company) -> None:
    BulkRescorer(session, company, NOW).run("rescore")
    session.flush()


def both_ways(db: Database, company_id: int, prepare: Any) -> tuple[dict[str, Any],
                                                                      dict[str, Any]]:
    results = []
    for rescore_with in (one_by_one, in_bulk):
        with db.sessions() as session:
            company = session.get(t.Company, company_id)
            assert company is not None
            prepare(session, company)
            rescore_with(session, company)
            results.append(stored(session, company_id))
            session.rollback()
    return results[0], results[1]


def lead_by_lead_then_in_database(db: Database, monkeypatch: pytest.MonkeyPatch,
                                  company_id: int, act: Any) -> list[Any]:
    """What `act(session, company)` returns when the Rescorer works lead by lead, then when it
    hands even one lead to the compiled query; each run is rolled back."""
    results = []
    for threshold in (10**9, 1):
        monkeypatch.setattr(rescore, "IN_DATABASE_FROM", threshold)
        with db.sessions() as session:
            company = session.get(t.Company, company_id)
            assert company is not None
            results.append(act(session, company))
            session.rollback()
    return results


@pytest.mark.parametrize(("selection", "listening"),
                         [("all", False), ("context", False), ("all", True)])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bulk_rescore_stores_what_rescoring_lead_by_lead_stores(
    db: Database, seed: int, selection: str, listening: bool
) -> None:
    """`listening`: a webhook wants sales-ready events, so leads are flagged one by one;
    otherwise set-based. Both store the same."""
    with db.transaction() as session:
        company_id = world_company(session, f"bulk-{seed}-{selection}-{listening}", seed,
                                   {"scoring.model_selection": selection}).id
        if listening:
            subscribe(session, company_id, "lead.sales_ready")

    def prepare(session: Session, company: t.Company) -> None:
        engagement = publish(session, company.id, ENGAGEMENT)
        publish(session, company.id, FIT)
        adjust(session, company.id, engagement, 5)

    by_lead, bulk = both_ways(db, company_id, prepare)
    assert bulk == by_lead
    assert bulk["scores"], "the world should give some scores"
    assert any(ready for ready, _, _ in bulk["leads"].values()), "and some sales-ready leads"


@pytest.mark.parametrize("listening", [False, True])
def test_bulk_flagging_without_auto_advance_keeps_each_stage(db: Database,
                                                            listening: bool) -> None:
    """`lifecycle.auto_advance_on_sales_ready` off: leads are flagged sales-ready without
    moving stage, set-based as lead by lead (no stage history, no `lead.stage_changed`)."""
    with db.transaction() as session:
        company_id = world_company(session, f"bulk-no-advance-{listening}", 1,
                                   {"lifecycle.auto_advance_on_sales_ready": False}).id
        if listening:
            subscribe(session, company_id, "lead.sales_ready")

    def prepare(session: Session, company: t.Company) -> None:
        publish(session, company.id, ENGAGEMENT)
        publish(session, company.id, FIT)

    by_lead, bulk = both_ways(db, company_id, prepare)
    assert bulk == by_lead
    assert any(ready for ready, _, _ in bulk["leads"].values()), "some sales-ready leads"
    assert not bulk["history"]
    assert {kind for kind, _, _ in bulk["events"]} == {"lead.sales_ready"}


def test_bulk_rescore_updates_and_removes_stored_scores(db: Database) -> None:
    """Second run: scores already stored, activity added, a lead leaves a model's scope."""
    with db.transaction() as session:
        company = world_company(session, "bulk-again", 7)
        company_id = company.id
        publish_both(session, company_id)
        one_by_one(session, company)
        moved_id = first_account_lead(session, company_id).id

    def prepare(session: Session, company: t.Company) -> None:
        lead = session.get(t.Lead, moved_id)
        assert lead is not None
        lead.scope = "contact"  # the account-scope model no longer scores it
        contact = session.scalars(select(t.Contact).where(t.Contact.company_id == company.id)
                                  ).first()
        assert contact is not None
        session.add_all(t.Interaction(company_id=company.id, type="email_clicked",
                                      contact_id=contact.id, account_id=contact.account_id,
                                      occurred_at=NOW - timedelta(hours=h)) for h in range(4))
        session.flush()

    by_lead, bulk = both_ways(db, company_id, prepare)
    assert bulk == by_lead
    removals = [e for e in bulk["ledger"] if e[0] == moved_id and e[4] is None]
    assert removals and removals[-1][6] == "rescore"


@pytest.mark.parametrize("selection", ["all", "context"])
def test_activity_of_many_contacts_is_scored_in_the_database_as_lead_by_lead(
    db: Database, monkeypatch: pytest.MonkeyPatch, selection: str
) -> None:
    """A big batch of interactions rescores its leads with the compiled query; the ledger
    still names the interaction that caused each change."""
    with db.transaction() as session:
        company = world_company(session, f"bulk-activity-{selection}", 11,
                                {"scoring.model_selection": selection})
        company_id = company.id
        publish_both(session, company_id)
        latest = {}
        for row in session.scalars(select(t.Interaction)
                                   .where(t.Interaction.company_id == company_id)
                                   .order_by(t.Interaction.id)):
            latest[row.contact_id] = (row.account_id, row.id)
        touched = dict(list(latest.items())[:25])

    def act(session: Session, company: t.Company) -> tuple[Any, ...]:
        summary = Rescorer(session, company, NOW).activity(touched)
        session.flush()
        return summary.leads, summary.changed, stored(session, company_id)

    results = lead_by_lead_then_in_database(db, monkeypatch, company_id, act)
    assert results[1] == results[0]
    assert any(entry[7] is not None for entry in results[1][2]["ledger"])


@pytest.mark.parametrize("listening", [False, True])
def test_rescoring_some_leads_in_the_database_removes_scores_as_lead_by_lead(
    db: Database, monkeypatch: pytest.MonkeyPatch, listening: bool
) -> None:
    """Rescoring chosen leads inside the database: a lead that left a model's scope loses its
    score there (a ledger entry naming the cause) as it does lead by lead; the other leads'
    scores stay. `listening`: a webhook wants `lead.score_changed`, so the changes are read
    before they are written."""
    with db.transaction() as session:
        company = world_company(session, f"bulk-some-{listening}", 13)
        company_id = company.id
        if listening:
            subscribe(session, company_id, "lead.score_changed")
        publish_both(session, company_id)
        one_by_one(session, company)
        moved_id = first_account_lead(session, company_id).id
        others = list(session.scalars(select(t.Lead.id).where(
            t.Lead.company_id == company_id, t.Lead.id != moved_id).order_by(t.Lead.id)
            .limit(5)))

    def act(session: Session, company: t.Company) -> dict[str, Any]:
        lead = session.get(t.Lead, moved_id)
        assert lead is not None
        lead.scope = "contact"  # the account-scope model no longer scores it
        session.flush()
        causes = {lead_id: 7 for lead_id in [moved_id, *others]}
        Rescorer(session, company, NOW).leads(causes, "interaction", cause_ids=causes)
        session.flush()
        return stored(session, company_id)

    results = lead_by_lead_then_in_database(db, monkeypatch, company_id, act)
    assert results[1] == results[0]
    removals = [e for e in results[1]["ledger"] if e[0] == moved_id and e[4] is None]
    assert removals and removals[-1][6:] == ("interaction", 7)


AUDIENCE = """\
MODEL "Big accounts only" KEY 'big' SALES READY AT 30
AUDIENCE Account WHERE employees >= 500
RULE "Clicks" +5 LIMIT 6
  WHEN EACH EmailClicked WITHIN 30 DAYS
RULE "Executives" +15
  WHEN Contact WHERE job_title IN ('ceo', 'cto')
"""


@pytest.mark.parametrize("listening", [False, True])
def test_bulk_rescore_removes_the_scores_of_leads_that_leave_the_audience(
    db: Database, listening: bool
) -> None:
    """Over every lead only changed scores are staged; a lead whose account shrinks below the
    audience loses its score, with a ledger entry, as rescoring lead by lead does.
    `listening`: a webhook wants `lead.score_changed`, so the removals are also announced."""
    with db.transaction() as session:
        company = world_company(session, f"bulk-audience-{listening}", 5)
        company_id = company.id
        publish(session, company_id, AUDIENCE)
        if listening:
            subscribe(session, company_id, "lead.score_changed")
        one_by_one(session, company)
        big = session.scalars(select(t.Account).where(t.Account.company_id == company_id,
                                                      t.Account.employees >= 500)).all()
        scored_before = len(stored(session, company_id)["scores"])
    assert big and scored_before

    def prepare(session: Session, company: t.Company) -> None:
        account = session.get(t.Account, big[0].id)
        assert account is not None
        account.employees = 10  # its leads leave the audience
        session.flush()

    by_lead, bulk = both_ways(db, company_id, prepare)
    assert bulk == by_lead
    assert len(bulk["scores"]) < scored_before
    removed = {e[0] for e in bulk["ledger"] if e[4] is None and e[6] == "rescore"}
    assert removed and all((lead_id, "big") not in bulk["scores"] for lead_id in removed)


def test_the_database_refuses_a_score_of_another_companys_lead_or_models_version(
        db: Database) -> None:
    """The stored scores' composite foreign keys (migration 0009): a score's lead is of the
    score's company and its version is of the score's model; so is a ledger entry's lead."""
    with db.transaction() as session:
        ours, theirs = (world_company(session, key, 1) for key in ("fk-ours", "fk-theirs"))
        ours_model = publish(session, ours.id, ENGAGEMENT)
        theirs_model = publish(session, theirs.id, ENGAGEMENT)
        session.flush()
        our_lead = session.scalars(select(t.Lead.id).where(t.Lead.company_id == ours.id)).first()
        their_lead = session.scalars(
            select(t.Lead.id).where(t.Lead.company_id == theirs.id)).first()
        assert ours_model.live_version_id and theirs_model.live_version_id
        score = {"company_id": ours.id, "model_id": ours_model.id, "score": 1,
                 "version_id": ours_model.live_version_id}
        refused = [
            t.LeadScore(**score, lead_id=their_lead),
            t.LeadScore(**{**score, "version_id": theirs_model.live_version_id},
                        lead_id=our_lead),
            t.ScoreLedgerEntry(company_id=ours.id, lead_id=their_lead,
                               model_id=ours_model.id, version=1, new_score=1, delta=1,
                               cause="manual"),
        ]
        for row in refused:
            with pytest.raises(IntegrityError), session.begin_nested():
                session.add(row)
                session.flush()
        with session.begin_nested():  # the same rows with matching keys are accepted
            session.add(t.LeadScore(**score, lead_id=our_lead))
            session.flush()
