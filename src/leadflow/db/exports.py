"""Queries of the lead export: pages of leads with their natural keys, and stored scores."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from leadflow.db import tables as t


def lead_page(session: Session, company_id: int, after: int, limit: int) -> list[dict[str, Any]]:
    """The next `limit` leads above id `after`, with the keys of what they refer to."""
    lead = t.Lead
    contact, account = aliased(t.Contact), aliased(t.Account)
    program, campaign, owner = aliased(t.Program), aliased(t.Campaign), aliased(t.User)
    stmt = (
        select(lead.id, lead.external_id, lead.name, lead.scope,
               contact.email.label("contact_email"), account.domain.label("account_domain"),
               program.key.label("program"), campaign.key.label("campaign"), lead.stage,
               lead.status, lead.priority, lead.territory, owner.email.label("owner"),
               lead.sales_ready, lead.source)
        .outerjoin(contact, contact.id == lead.contact_id)
        .outerjoin(account, account.id == lead.account_id)
        .outerjoin(program, program.id == lead.program_id)
        .outerjoin(campaign, campaign.id == lead.campaign_id)
        .outerjoin(owner, owner.id == lead.owner_id)
        .where(lead.company_id == company_id, lead.id > after)
        .order_by(lead.id).limit(limit)
    )
    return [dict(row) for row in session.execute(stmt).mappings()]
