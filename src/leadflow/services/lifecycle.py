"""Life-cycle actions on a lead (SPEC §5): check the action against the stage machine
(domain/lifecycle.py), move the lead and record who did it, then do what the action implies —
convert makes an opportunity, win/lose/disqualify close the lead's open ones, reject/recycle
send it back to nurture with its old behaviour no longer counting — and rescore the lead at once
so its stored scores agree with its new stage before the call returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import lifecycle as queries
from leadflow.db import tables as t
from leadflow.db.types import utcnow
from leadflow.domain import lifecycle as machine
from leadflow.errors import FieldError, ValidationFailed
from leadflow.opportunity_schemas import OpportunityDetails, OpportunityIn
from leadflow.services import opportunities, records, stage_changes
from leadflow.services.resources import LEADS
from leadflow.services.scoring.rescore import Rescorer


@dataclass
class Outcome:
    """What an action did: the lead, its recorded change, and the opportunities it created or
    closed."""

    lead: t.Lead
    change: t.StageChange
    opportunities: list[t.Opportunity] = field(default_factory=list)


def act(
    session: Session, company: t.Company, lead: t.Lead, action: str, actor: str | None,
    reason: str | None = None, opportunity: OpportunityDetails | None = None,
    *, now: datetime | None = None,
) -> Outcome:
    """Take `action` on `lead` as `actor`.

    Unknown actions are NotFound, actions the stage does not allow are TransitionRefused (409,
    naming the allowed ones), a missing reason or opportunity details with another action than
    `convert` are ValidationFailed; in every such case nothing changes.
    """
    queries.lock(session, lead)
    step = machine.check(lead.stage, action, reason)
    if opportunity is not None and step.name != "convert":
        raise ValidationFailed("only convert takes opportunity details", errors=[
            FieldError("opportunity", f"not used by {step.name}; only convert creates an"
                       " opportunity")])
    moment = now or utcnow()
    text = (reason or "").strip() or None
    change = stage_changes.move(session, lead, step.name, step.target, actor, text, moment)
    made: list[t.Opportunity] = []
    if step.name == "convert":
        details = (opportunity or OpportunityDetails()).model_dump(exclude_unset=True)
        made.append(opportunities.create(session, company,
                                         OpportunityIn(lead_id=lead.id, **details), actor=actor))
    elif step.closes:
        made = opportunities.close_open(session, company, lead, step.target, actor)
    cause = "recycle" if step.recycles else "stage_change"
    Rescorer(session, company, moment).leads([lead.id], cause, change.id)
    return Outcome(lead, change, made)


def describe(session: Session, company: t.Company, outcome: Outcome) -> dict[str, Any]:
    """An action's answer: the lead as it is now, the change, and the latest opportunity the
    action created or closed (or None)."""
    lead = records.serialize_one(session, company.id, LEADS, outcome.lead)
    touched = outcome.opportunities[0] if outcome.opportunities else None
    return {
        "lead": lead,
        "stage_change": stage_changes.describe(outcome.change),
        "opportunity": opportunities.describe(session, company.id, touched) if touched else None,
    }


def history(session: Session, company_id: int, lead: t.Lead) -> list[dict[str, Any]]:
    """The lead's stage changes, oldest first."""
    return [stage_changes.describe(c)
            for c in queries.stage_changes_of(session, company_id, lead.id)]
