"""The score ledger always adds up: after any sequence of events, for every lead and model,
the deltas sum to the stored score (0 when the lead has no score in that model)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from leadflow.db.database import Database
from leadflow.db.tables import Company, LeadScore, ScoreLedgerEntry
from leadflow.scoring.model import model_from_dict
from leadflow.services.ingestion.ingest import Ingestor
from leadflow.services.ingestion.inputs import InteractionIn
from leadflow.services.scoring import adjustments, models
from leadflow.services.scoring.rescore import Rescorer
from tests.conftest import Tenant

MODEL: dict[str, Any] = {
    "key": "m", "name": "M", "sales_ready_score": 25, "bounds": {"min": -20, "max": 60},
    "rules": [
        {"name": "Opens", "points": 3, "conditions": [
            {"entity": "EmailOpened", "frequency": "each", "window": {"days": 10}}]},
        {"name": "Clicks", "points": 7, "limit": 3, "conditions": [
            {"entity": "EmailClicked", "frequency": "each", "window": {"days": 20}}]},
        {"name": "Quiet", "points": -5, "conditions": [
            {"entity": "EmailClicked", "frequency": "none", "window": {"days": 5}}]},
        {"name": "Lyon", "points": 4, "conditions": [
            {"entity": "Lead.contact", "where": [{"field": "city", "op": "eq", "value": "lyon"}]}
        ]},
    ],
}
PEOPLE = ["a@x.test", "b@x.test", "c@y.test"]

events = st.one_of(
    st.tuples(st.just("interaction"), st.sampled_from(["email_opened", "email_clicked"]),
              st.sampled_from(PEOPLE), st.integers(0, 30)),
    st.tuples(st.just("adjust"), st.sampled_from(PEOPLE), st.integers(-9, 9).filter(bool)),
    st.tuples(st.just("city"), st.sampled_from(PEOPLE), st.sampled_from(["Lyon", "Paris"])),
    st.tuples(st.just("time"), st.integers(1, 25)),
    st.tuples(st.just("republish"),),
)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(events, min_size=1, max_size=12))
def test_ledger_adds_up_after_any_sequence(db: Database, site: Tenant, steps: list[Any]) -> None:
    now = datetime.now(UTC)
    with db.sessions() as session:  # rolled back at the end: each example starts clean
        company = session.get(Company, site.company.id)
        assert company is not None
        company.settings = {}
        model = MODEL
        models.save(session, company.id, model_from_dict(model))
        models.publish(session, company.id, model["key"])
        ingest = Ingestor(session, company)
        leads: dict[str, int] = {}
        for email in PEOPLE:
            ingest.one(InteractionIn(type="email_delivered", contact_email=email,
                                     occurred_at=now - timedelta(days=40)))
        from leadflow.schemas import LeadIn
        from leadflow.services import records
        from leadflow.services.resources import LEADS

        for email in PEOPLE:
            row = records.create(session, company.id, LEADS, LeadIn(contact_email=email))
            leads[email] = row.id
        clock = now
        for step in steps:
            _apply(session, company, model["key"], ingest, leads, step, clock)
            if step[0] == "time":
                clock = clock + timedelta(days=step[1])
                Rescorer(session, company, clock).leads(leads.values(), "window_expiry")
        session.flush()
        totals: dict[tuple[int, int], int] = defaultdict(int)
        for entry in session.scalars(select(ScoreLedgerEntry).where(
                ScoreLedgerEntry.company_id == company.id)):
            totals[(entry.lead_id, entry.model_id)] += entry.delta
        stored = {(s.lead_id, s.model_id): s.score for s in session.scalars(
            select(LeadScore).where(LeadScore.company_id == company.id))}
        for key, total in totals.items():
            assert stored.get(key, 0) == total
        session.rollback()


def _apply(session: Any, company: Company, key: str, ingest: Ingestor, leads: dict[str, int],
           step: tuple[Any, ...], clock: datetime) -> None:
    from leadflow.schemas import ContactIn, partial
    from leadflow.services import records
    from leadflow.services.resources import CONTACTS, LEADS

    kind = step[0]
    if kind == "interaction":
        _, type_key, email, days = step
        ingest.one(InteractionIn(type=type_key, contact_email=email,
                                 occurred_at=clock - timedelta(days=days)))
    elif kind == "adjust":
        lead = records.get(session, company.id, LEADS, leads[step[1]])
        adjustments.adjust(session, company, lead, model_key=key, points=step[2],
                           reason="test", actor=None)
    elif kind == "city":
        contact = records.get(session, company.id, CONTACTS, step[1])
        records.update(session, company.id, CONTACTS, contact,
                       partial(ContactIn)(city=step[2]))
    elif kind == "republish":
        models.stop(session, company.id, key)
        models.publish(session, company.id, key)
        Rescorer(session, company, clock).leads(leads.values(), "publish")
