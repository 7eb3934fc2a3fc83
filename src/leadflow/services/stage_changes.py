"""Moving a lead to another stage and recording it: the one place that writes a StageChange and
its `lead.stage_changed` event, whoever moves the lead (a person, the scoring, a CRM).

It does not rescore: callers that change what scoring sees (services/lifecycle.py,
services/opportunities.py) rescore afterwards; the scoring itself records the automatic promote
through `record` and must not be called back from here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.domain.lifecycle import ACTIONS, CLOSED_STAGES
from leadflow.services import events

SYSTEM = "system"


def record(
    session: Session, lead: t.Lead, action: str, old: str | None, actor: str | None,
    reason: str | None, now: datetime, extra: dict[str, Any] | None = None,
) -> t.StageChange:
    """Write that `lead` went from `old` to its current stage, and emit `lead.stage_changed`."""
    change = t.StageChange(company_id=lead.company_id, lead_id=lead.id, action=action,
                           from_stage=old, to_stage=lead.stage, actor=actor, reason=reason,
                           at=now)
    session.add(change)
    payload: dict[str, Any] = {
        "lead_id": lead.id, "action": action, "stage": {"old": old, "new": lead.stage},
        "actor": actor, "reason": reason, "at": now.isoformat(), **(extra or {}),
    }
    events.record(session, lead.company_id, "lead.stage_changed", payload, lead_id=lead.id,
                  at=now)
    return change


def move(
    session: Session, lead: t.Lead, action: str, target: str, actor: str | None,
    reason: str | None, now: datetime,
) -> t.StageChange:
    """Put `lead` in stage `target` by `action` and record it.

    Reject and recycle send the lead back to marketing: the sales-ready flag goes and
    `recycled_at` marks from when its behaviour counts again (setting
    `lifecycle.recycle_resets_behavior`). A closed lead gives up its `open_key`, so the next
    form submission in its context creates a new lead instead of joining this one.
    """
    old = lead.stage
    extra: dict[str, Any] = {}
    lead.stage = target
    if ACTIONS.get(action) is not None and ACTIONS[action].recycles:
        if lead.sales_ready:
            extra["sales_ready"] = {"old": True, "new": False}
        lead.sales_ready, lead.sales_ready_at, lead.recycled_at = False, None, now
    if target in CLOSED_STAGES:
        lead.open_key = None
    lead.updated_at = now
    change = record(session, lead, action, old, actor, reason, now, extra)
    session.flush()
    return change


def describe(change: t.StageChange) -> dict[str, Any]:
    """A stage change as JSON-ready data."""
    return {"id": change.id, "lead_id": change.lead_id, "action": change.action,
            "from_stage": change.from_stage, "to_stage": change.to_stage,
            "actor": change.actor, "reason": change.reason, "at": change.at.isoformat()}
