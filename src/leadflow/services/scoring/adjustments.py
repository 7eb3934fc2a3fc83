"""Manual score adjustments: a person adds ±N points to a lead in one model, with a reason."""

from __future__ import annotations

from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.errors import FieldError, ValidationFailed
from leadflow.services.scoring import models
from leadflow.services.scoring.rescore import Rescorer


def adjust(session: Session, company: t.Company, lead: t.Lead, *, model_key: str, points: int,
           reason: str, actor: str | None) -> t.ScoreAdjustment:
    """Record the adjustment and rescore the lead (the ledger names the cause)."""
    problems = []
    if points == 0:
        problems.append(FieldError("points", "must not be zero"))
    if not reason.strip():
        problems.append(FieldError("reason", "a reason is required"))
    if problems:
        raise ValidationFailed("Invalid score adjustment", errors=problems)
    row = models.get(session, company.id, model_key)
    if row.status != "live":
        raise ValidationFailed("Invalid score adjustment", errors=[
            FieldError("model", f"scoring model '{model_key}' is not live")])
    adjustment = t.ScoreAdjustment(company_id=company.id, lead_id=lead.id, model_id=row.id,
                                   points=points, reason=reason.strip(), actor=actor)
    session.add(adjustment)
    session.flush()
    Rescorer(session, company).leads([lead.id], "manual_adjustment", adjustment.id)
    return adjustment
