"""When the assignment rules run by themselves (SPEC §4): a lead created through the record
services (REST, CLI) or saved without an owner. Automatic lead generation, imports and the
sales-ready flag call `assign_leads` where they happen (ingestion, imports.followup,
scoring.rescore)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.services.assignment.runner import assign_leads
from leadflow.services.records import after_save, created_now
from leadflow.services.resources import LEADS

# Imported (so registered) before the hook below: rescoring runs first, so that score
# conditions see the lead's new scores.
from leadflow.services.scoring import triggers as _scoring  # noqa: F401


@after_save("leads")
def lead_saved(session: Session, company_id: int, lead: Any) -> None:
    """A lead without an owner, just created or saved, goes through the rules. A lead with an
    owner is never reassigned automatically."""
    if lead.owner_id is not None:
        return
    company = session.get(t.Company, company_id)
    assert company is not None
    trigger = "created" if created_now(session, LEADS, lead) else "saved"
    assign_leads(session, company, [lead.id], trigger)
