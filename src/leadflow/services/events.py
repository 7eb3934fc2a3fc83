"""Domain events: what happened to a lead or an opportunity, written in the same transaction as
the change. Webhook deliveries (SPEC §6.4) are made from them when the transaction commits
(services/webhooks/outbox.py), in that same transaction.

Most events are recorded by the code that makes the change (`record`). Three are different:
`lead.created`, `lead.updated` and `lead.score_changed` would double every write of a lead or a
score, and are only worth anything to a webhook, so they are recorded only while a subscription
of the company asks for them (ON_DEMAND). Leads created and changed through the ORM are seen by
the outbox itself; set-based paths (imports) announce theirs with `leads_created` and
`leads_updated`, and scoring announces changed scores with `score_changed`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.db.types import utcnow
from leadflow.services.webhooks import pending

# Every event type a subscription may choose (SPEC §6.4).
EVENT_TYPES = (
    "lead.created", "lead.updated", "lead.score_changed", "lead.sales_ready", "lead.assigned",
    "lead.unassignable", "lead.stage_changed", "opportunity.created", "opportunity.updated",
)
ON_DEMAND = frozenset({"lead.created", "lead.updated", "lead.score_changed"})
# Lead columns whose change is no news to a CRM (`lead.updated`): bookkeeping, internal keys.
UNREPORTED = frozenset({"id", "company_id", "created_at", "updated_at", "open_key"})


def record(session: Session, company_id: int, type: str, payload: dict[str, Any], *,
           lead_id: int | None = None, at: datetime | None = None) -> t.DomainEvent:
    """Write one domain event in the session's transaction (webhooks follow at commit)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    event = t.DomainEvent(company_id=company_id, type=type, lead_id=lead_id, payload=payload,
                          created_at=at or utcnow())
    session.add(event)
    pending.unit(session).events.append(pending.Event(
        company_id, type, lead_id, payload, event.created_at, pending.within(session)))
    return event


def wanted(session: Session, company_id: int, type: str) -> bool:
    """Whether an enabled webhook subscription of the company asks for `type` (read once per
    transaction): bulk paths skip their work when it does not."""
    return pending.unit(session).wants(session, company_id, type)


def leads_created(session: Session, company_id: int, lead_ids: Collection[int]) -> None:
    """Leads a set-based path inserted (imports): `lead.created` for each, if wanted."""
    if not lead_ids or not wanted(session, company_id, "lead.created"):
        return
    unit, within = pending.unit(session), pending.within(session)
    unit.leads.extend(pending.LeadSeen(company_id, lead_id, "created", {}, within)
                      for lead_id in lead_ids)


def leads_updated(session: Session, company_id: int,
                  changes: Mapping[int, Mapping[str, tuple[Any, Any]]]) -> None:
    """Leads a set-based path changed: `{lead: {field: (old, new)}}`; `lead.updated`, if
    wanted. Callers with many rows check `wanted` first and skip building `changes`."""
    if not changes or not wanted(session, company_id, "lead.updated"):
        return
    unit, within = pending.unit(session), pending.within(session)
    unit.leads.extend(pending.LeadSeen(company_id, lead_id, "changed", dict(fields), within)
                      for lead_id, fields in changes.items() if fields)


def score_changed(session: Session, company_id: int, lead_id: int, model_id: int,
                  old: tuple[int | None, str | None], new: tuple[int | None, str | None],
                  at: datetime | None = None) -> None:
    """A stored score or grade of a lead in a model changed (`(score, grade)` before and
    after; None when there was or is no score): `lead.score_changed`, if wanted. Changes of
    one lead and model within a transaction are reported once, from first to last value."""
    if old == new or not wanted(session, company_id, "lead.score_changed"):
        return
    pending.unit(session).scores.append(pending.ScoreSeen(
        company_id, lead_id, model_id, old, new, at or utcnow(), pending.within(session)))
