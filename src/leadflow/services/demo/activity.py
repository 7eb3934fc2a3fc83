"""The demo step that plays a month of marketing activity through the real ingestion.

Emails (delivered, opened, clicked, bounced, unsubscribed), website visits (anonymous until a
form identifies the visitor), form submissions, event registrations and attendance are planned
from the company's `Activity` recipe, then ingested in time order by `Ingestor` — so contacts,
accounts and automatic leads appear exactly as they would live. Every item carries an
external id (`demo-00042`, source `demo`), so playing the month again adds nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from leadflow.db import tables as t
from leadflow.db.repository import Repository
from leadflow.services.demo import mail, web
from leadflow.services.demo.context import Demo
from leadflow.services.demo.month import Month
from leadflow.services.demo.plan import Plan
from leadflow.services.ingestion.ingest import Ingestor, Outcome
from leadflow.services.ingestion.inputs import InteractionIn

SOURCE = "demo"
T = TypeVar("T", bound=t.Base)


@dataclass
class Played:
    """What ingesting the month did."""

    statuses: Counter[str] = field(default_factory=Counter)  # created, duplicate, …
    new_leads: list[int] = field(default_factory=list)


def load_activity(demo: Demo) -> None:
    """Plan the month of each company that has an activity recipe, then ingest it."""
    activity = demo.spec.catalog.activity
    if activity is None:
        return
    month = Month.start(demo, activity, demo.rng("activity:people"))
    broadcasts = sorted((s for s in activity.sends if s.to is None), key=lambda s: -(s.day or 0))
    for item in broadcasts:
        mail.send(month, item, demo.rng(f"activity:mail:{item.email}"))
    for number, signup in enumerate(activity.signups):
        web.sign_up(month, signup, demo.rng(f"activity:signup:{number}"))
    for item in activity.sends:
        if item.to is not None:
            mail.send(month, item, demo.rng(f"activity:mail:{item.email}"))
    web.attend(month, demo.rng("activity:attend"))
    web.browse(month, demo.rng("activity:browse"))
    played = play(demo, month.plan)
    earlier = demo.extra.get("activity")
    if earlier is not None:  # played again: remember the leads of the first time too
        played.new_leads[:0] = earlier.new_leads
    demo.extra["activity"] = played


def play(demo: Demo, plan: Plan) -> Played:
    """Ingest the planned items in time order; new leads and contacts date from their first
    interaction (live, that moment is the moment they arrive)."""
    ingestor = Ingestor(demo.session, demo.company, source=SOURCE, rescore=False)
    known_contacts = {c.id for c in demo.contacts}
    known_accounts = {a.id for a in demo.accounts}
    played = Played()
    for when, item in plan.in_order():
        outcome = ingestor.one(InteractionIn.model_validate(item))
        played.statuses[outcome.status] += 1
        if outcome.status == "created":
            _date_new_records(demo, outcome, when, known_contacts, known_accounts, played)
    return played


def _date_new_records(demo: Demo, outcome: Outcome, when: datetime, known_contacts: set[int],
                      known_accounts: set[int], played: Played) -> None:
    if outcome.lead_created and outcome.lead_id is not None:
        lead = _get(demo, t.Lead, outcome.lead_id)
        lead.created_at = lead.updated_at = when
        demo.leads.append(lead)
        played.new_leads.append(lead.id)
    contact_id = outcome.contact_id
    if contact_id is None or contact_id in known_contacts:
        return
    known_contacts.add(contact_id)
    contact = _get(demo, t.Contact, contact_id)
    contact.created_at = contact.updated_at = when
    if contact.account_id is not None and contact.account_id not in known_accounts:
        known_accounts.add(contact.account_id)
        account = _get(demo, t.Account, contact.account_id)
        account.created_at = account.updated_at = when


def _get(demo: Demo, table: type[T], row_id: int) -> T:
    row = Repository(demo.session, demo.company.id, table).get(row_id)
    assert row is not None
    return row
