"""When stored scores must follow a change: a lead, contact or account saved by a person."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import scoring as queries
from leadflow.db import tables as t
from leadflow.services.records import after_save, derived_fields, derived_filter
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


@derived_filter("leads", "grade")
def grade_filter(session: Session, company_id: int, grades: list[str]) -> Any:
    """`/leads?grade=hot`: leads graded `hot` in any live model."""
    del session
    return queries.leads_with_grade(company_id, grades)


@derived_fields("leads")
def lead_scores(session: Session, company_id: int, leads: list[Any]) -> dict[int, dict[str, Any]]:
    """Every lead shows its score and grade per model (and the version that scored it)."""
    scores = queries.scores_by_lead(session, company_id, [lead.id for lead in leads])
    return {lead.id: {"scores": scores.get(lead.id, {})} for lead in leads}
