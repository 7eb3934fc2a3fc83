"""Domain events: what happened to a lead or an opportunity, written in the same transaction as
the change. Webhook deliveries (SPEC §6.4) are made from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.db.types import utcnow

# Every event type a subscription may choose (SPEC §6.4).
EVENT_TYPES = (
    "lead.created", "lead.updated", "lead.score_changed", "lead.sales_ready", "lead.assigned",
    "lead.unassignable", "lead.stage_changed", "opportunity.created", "opportunity.updated",
)


def record(session: Session, company_id: int, type: str, payload: dict[str, Any], *,
           lead_id: int | None = None, at: datetime | None = None) -> t.DomainEvent:
    """Write one domain event in the session's transaction."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    event = t.DomainEvent(company_id=company_id, type=type, lead_id=lead_id, payload=payload,
                          created_at=at or utcnow())
    session.add(event)
    return event
