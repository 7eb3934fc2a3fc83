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
from typing import Any, TypeVar

from leadflow.db import tables as t
from leadflow.db.repository import Repository
from leadflow.services.demo import mail, web
from leadflow.services.demo.context import Demo
from leadflow.services.demo.month import Month
from leadflow.services.demo.plan import Plan
from leadflow.services.ingestion.ingest import Ingestor

SOURCE = "demo"
BATCH = 500  # interactions per ingestion batch (the API takes up to 1,000)
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
    played = play(demo, month.plan, {p.email for p in month.newcomers})
    earlier = demo.extra.get("activity")
    if earlier is not None:  # played again: remember the leads of the first time too
        played.new_leads[:0] = earlier.new_leads
    demo.extra["activity"] = played


def play(demo: Demo, plan: Plan, newcomers: set[str]) -> Played:
    """Ingest the planned items in time order, in batches; new leads, contacts and accounts
    date from their first interaction (live, that is when they arrive)."""
    ingestor = Ingestor(demo.session, demo.company, source=SOURCE, rescore=False)
    played, first_seen = Played(), dict[int, datetime]()
    for chunk in _chunks(plan, newcomers):
        outcomes = ingestor.batch([item for _, item in chunk])
        for (when, item), outcome in zip(chunk, outcomes, strict=True):
            if outcome.status == "error":
                raise RuntimeError(f"the demo planned a bad interaction {item}: "
                                   f"{[e.as_dict() for e in outcome.errors]}")
            played.statuses[outcome.status] += 1
            if outcome.status != "created":
                continue
            if outcome.lead_created and outcome.lead_id is not None:
                lead = _get(demo, t.Lead, outcome.lead_id)
                lead.created_at = lead.updated_at = when
                demo.leads.append(lead)
                played.new_leads.append(lead.id)
            if outcome.contact_id is not None and outcome.contact_id not in first_seen:
                first_seen[outcome.contact_id] = when
    _date_new_people(demo, first_seen)
    return played


def _chunks(plan: Plan, newcomers: set[str]) -> list[list[tuple[datetime, dict[str, Any]]]]:
    """Batches of the plan in time order. A batch stores plain activity before its forms, so
    a batch ends with each newcomer's first form: what they do next finds them with the
    account their form gave them."""
    chunks: list[list[tuple[datetime, dict[str, Any]]]] = [[]]
    introduced: set[str] = set()
    for when, item in plan.in_order():
        chunks[-1].append((when, item))
        email = str(item.get("contact_email"))
        first = email in newcomers and email not in introduced
        if first:
            introduced.add(email)
        if first or len(chunks[-1]) >= BATCH:
            chunks.append([])
    return [chunk for chunk in chunks if chunk]


def _date_new_people(demo: Demo, first_seen: dict[int, datetime]) -> None:
    """Contacts (and their accounts) the month created date from their first interaction."""
    known_contacts = {c.id for c in demo.contacts}
    known_accounts = {a.id for a in demo.accounts}
    for contact_id, when in sorted(first_seen.items(), key=lambda entry: entry[1]):
        if contact_id in known_contacts:
            continue
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
