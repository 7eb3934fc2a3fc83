"""Input shapes of the life cycle (SPEC §5): an opportunity, the details given when converting a
lead, and the body of a life-cycle action. Checks that need the company (the lead, its contact,
closing an open lead's opportunity) are in services/opportunities.py."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from leadflow.domain.lifecycle import MAX_REASON
from leadflow.schemas import Input, LongName, Short, domain_name, email_address

_CURRENCY = re.compile(r"[A-Z]{3}")
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_REASON)]


def _currency(value: str | None) -> str | None:
    """ISO 4217 style: three letters, stored upper-case (`eur` → `EUR`)."""
    if value is None:
        return None
    code = value.strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise ValueError(f"'{value}' is not a currency code: give three letters (ISO 4217),"
                         " e.g. EUR or USD")
    return code


class OpportunityDetails(Input):
    """What a person says about the opportunity a lead becomes (`convert`)."""

    name: LongName | None = None
    estimated_revenue: float | None = Field(default=None, ge=0, le=1e15, allow_inf_nan=False)
    currency: str | None = None
    probability: int | None = Field(default=None, ge=0, le=100)
    expected_close_date: date | None = None

    _currency = field_validator("currency")(_currency)


class OpportunityIn(OpportunityDetails):
    """An opportunity made by hand or sent by a CRM; its lead, contact and account are given by
    id or natural key (`lead_external_id`, `contact_email`, `account_domain`)."""

    lead_id: int | None = None
    lead_external_id: Short | None = None
    contact_id: int | None = None
    contact_email: str | None = None
    account_id: int | None = None
    account_domain: str | None = None
    status: Literal["open", "won", "lost"] = "open"

    _email = field_validator("contact_email")(email_address)
    _domain = field_validator("account_domain")(domain_name)


class CrmOpportunityIn(OpportunityIn):
    """The body of `PUT /opportunities/by-external-id/{system}/{id}`; `id` links the CRM's id to
    an opportunity leadflow already has (the one `convert` made, announced by the
    `opportunity.created` webhook) instead of creating another."""

    id: int | None = None


class ActionIn(Input):
    """`POST /leads/{id}/actions/{action}`: a reason (required to reject, recycle, disqualify)
    and, to convert, the opportunity's details."""

    reason: Reason | None = None
    opportunity: OpportunityDetails | None = None
