"""When stored scores must follow a change: a lead, contact or account saved by a person."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import scoring as queries
from leadflow.db import tables as t
from leadflow.services.records import after_save
from leadflow.services.scoring.rescore import Rescorer


def _rescorer(session: Session, company_id: int) -> Rescorer:
    company = session.get(t.Company, company_id)
    assert company is not None
    return Rescorer(session, company)


@after_save("leads")
def lead_saved(session: Session, company_id: int, lead: Any) -> None:
    """A lead's own fields can satisfy fixed conditions."""
    _rescorer(session, company_id).leads([lead.id], "lead_change")


@after_save("contacts")
def contact_saved(session: Session, company_id: int, contact: Any) -> None:
    """Contact fields feed `Contact…`/`Lead.contact…` conditions of its leads."""
    _rescorer(session, company_id).contacts([contact.id], [contact.account_id], "lead_change")


@after_save("accounts")
def account_saved(session: Session, company_id: int, account: Any) -> None:
    """Account fields feed `Account…` conditions of its contacts' and its own leads."""
    people = [c.id for c in queries.contacts_of_accounts(session, company_id, [account.id])]
    _rescorer(session, company_id).contacts(people, [account.id], "lead_change")
