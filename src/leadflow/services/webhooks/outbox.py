"""The transactional outbox (SPEC §6.4): when a transaction commits, its events become one
delivery per interested subscription, written by that same commit.

So a delivery exists exactly when its change does: a rolled-back change leaves none, and a
crash after the commit loses none (the worker sends what it finds). Payloads are built here, at
the very end of the unit of work, so they show the lead after scoring, assignment and every
other consequence of the change.

Importing this module registers the Session listeners (leadflow.bootstrap does):
- after each flush, the leads inserted, changed or deleted are noted (lead.created / .updated);
- a rolled-back savepoint forgets what was noted inside it;
- before the outermost commit, `publish` writes the derived events and the deliveries;
- when the transaction ends, its notes are dropped.
A unit of work that touched no lead and recorded no event costs nothing; one that did costs one
indexed query for the companies' enabled subscriptions, and no more when none is interested.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, SessionTransaction

from leadflow.db import tables as t
from leadflow.db import webhooks as queries
from leadflow.db.types import utcnow
from leadflow.services import events
from leadflow.services.webhooks import pending
from leadflow.services.webhooks.payloads import jsonable, lead_snapshots, message


def message_id() -> str:
    """A new `webhook-id`: kept by every retry and redelivery of the message."""
    return "msg_" + secrets.token_hex(16)


# --- listeners ------------------------------------------------------------------------------


def _after_flush(session: Session, _context: Any) -> None:
    new = [o for o in session.new if isinstance(o, t.Lead)]
    dirty = [o for o in session.dirty if isinstance(o, t.Lead)]
    deleted = [o for o in session.deleted if isinstance(o, t.Lead)]
    if not (new or dirty or deleted):
        return
    unit, within = pending.unit(session), pending.within(session)
    for lead in new:
        unit.leads.append(pending.LeadSeen(lead.company_id, lead.id, "created", {}, within))
    for lead in dirty:
        changes = _changes(lead)
        if changes:
            unit.leads.append(pending.LeadSeen(lead.company_id, lead.id, "changed", changes,
                                               within))
    for lead in deleted:
        unit.leads.append(pending.LeadSeen(lead.company_id, lead.id, "deleted", {}, within))


def _changes(lead: t.Lead) -> dict[str, tuple[Any, Any]]:
    """`{field: (old, new)}` of the columns this flush writes."""
    state = inspect(lead)
    out: dict[str, tuple[Any, Any]] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in events.UNREPORTED:
            continue
        history = state.attrs[attr.key].history
        if not history.added and not history.deleted:
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old != new:
            out[attr.key] = (old, new)
    return out


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    boundary: SessionTransaction | None = previous
    while boundary is not None and not boundary.nested and boundary.parent is not None:
        boundary = boundary.parent  # an inner flush failed: its savepoint or root rolls back
    if boundary is None or boundary.parent is None:
        pending.drop(session)
        return
    unit = pending.peek(session)
    if unit is not None:
        unit.forget(boundary)


def _before_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint is released: the transaction goes on
    if pending.peek(session) is None and not (session.new or session.dirty or session.deleted):
        return
    session.flush()  # the unit's last changes, noted by _after_flush
    unit = pending.peek(session)
    if unit is not None and not unit.empty:
        publish(session, unit)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        pending.drop(session)


event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "after_soft_rollback", _after_soft_rollback)
event.listen(Session, "before_commit", _before_commit)
event.listen(Session, "after_transaction_end", _after_transaction_end)


# --- publishing -----------------------------------------------------------------------------


@dataclass
class _Lead:
    company_id: int
    created: bool = False
    deleted: bool = False
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def publish(session: Session, unit: pending.Unit) -> None:
    """Write the derived events (lead.created, .updated, .score_changed) that someone wants,
    then one pending delivery per event and interested subscription."""
    companies = ({e.company_id for e in unit.events} | {s.company_id for s in unit.leads}
                 | {s.company_id for s in unit.scores})
    subscribers = unit.subscribers(session, companies)
    interested = {company: {type for _, types in subs for type in types}
                  for company, subs in subscribers.items()}
    if not any(interested.values()):
        return
    created, updated = _lead_events(unit, interested)
    scores = _score_events(session, unit, interested)
    queries.insert_events(session, [
        {"company_id": e.company_id, "type": e.type, "lead_id": e.lead_id,
         "payload": e.payload, "created_at": e.at} for e in [*created, *updated, *scores]])
    # Creations first: a receiver hears of a lead before hearing what happened to it.
    _deliver(session, [*created, *unit.events, *updated, *scores], subscribers)


def _lead_events(unit: pending.Unit, interested: dict[int, set[str]]
                 ) -> tuple[list[pending.Event], list[pending.Event]]:
    leads: dict[int, _Lead] = {}
    for seen in unit.leads:
        lead = leads.setdefault(seen.lead_id, _Lead(seen.company_id))
        if seen.kind == "created":
            lead.created = True
        elif seen.kind == "deleted":
            lead.deleted = True
        for name, (old, new) in seen.changes.items():
            first = lead.changes[name][0] if name in lead.changes else old
            lead.changes[name] = (first, new)
    now = utcnow()
    created: list[pending.Event] = []
    updated: list[pending.Event] = []
    for lead_id, lead in leads.items():
        wants = interested.get(lead.company_id, set())
        if lead.deleted:
            continue
        if lead.created:
            if "lead.created" in wants:
                created.append(pending.Event(lead.company_id, "lead.created", lead_id, {}, now))
            continue  # its creation message shows it as committed
        changes = {name: {"old": jsonable(old), "new": jsonable(new)}
                   for name, (old, new) in lead.changes.items() if old != new}
        if changes and "lead.updated" in wants:
            updated.append(pending.Event(lead.company_id, "lead.updated", lead_id,
                                         {"changes": changes}, now))
    return created, updated


def _score_events(session: Session, unit: pending.Unit, interested: dict[int, set[str]]
                  ) -> list[pending.Event]:
    merged: dict[tuple[int, int], pending.ScoreSeen] = {}
    for seen in unit.scores:
        if "lead.score_changed" not in interested.get(seen.company_id, set()):
            continue
        first = merged.get((seen.lead_id, seen.model_id))
        merged[(seen.lead_id, seen.model_id)] = seen if first is None else pending.ScoreSeen(
            seen.company_id, seen.lead_id, seen.model_id, first.old, seen.new, seen.at)
    changed = [s for s in merged.values() if s.old != s.new]
    if not changed:
        return []
    keys = {model_id: key for model_id, key in session.execute(
        select(t.ScoringModelRow.id, t.ScoringModelRow.key).where(
            t.ScoringModelRow.id.in_({s.model_id for s in changed})))}
    return [pending.Event(s.company_id, "lead.score_changed", s.lead_id, {
        "model": keys.get(s.model_id),
        "score": {"old": s.old[0], "new": s.new[0]},
        "grade": {"old": s.old[1], "new": s.new[1]},
    }, s.at) for s in changed]


def _deliver(session: Session, events: Iterable[pending.Event],
             subscribers: dict[int, list[tuple[int, list[Any]]]]) -> None:
    todo = [(e, [sub for sub, types in subscribers.get(e.company_id, []) if e.type in types])
            for e in events]
    todo = [(e, subs) for e, subs in todo if subs]
    if not todo:
        return
    by_company: dict[int, set[int]] = {}
    for e, _ in todo:
        if e.lead_id is not None:
            by_company.setdefault(e.company_id, set()).add(e.lead_id)
    snapshots = {company: lead_snapshots(session, company, ids)
                 for company, ids in by_company.items()}
    now = utcnow()
    rows = [_row(e, sub, snapshots.get(e.company_id, {}), now) for e, subs in todo for sub in subs]
    queries.insert_deliveries(session, rows)


def _row(e: pending.Event, subscription_id: int, snapshots: dict[int, dict[str, Any]],
         now: datetime) -> dict[str, Any]:
    return {
        "company_id": e.company_id, "subscription_id": subscription_id,
        "message_id": message_id(), "event_type": e.type,
        "payload": message(e.type, e.at, e.payload, e.lead_id, snapshots),
        "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
    }
