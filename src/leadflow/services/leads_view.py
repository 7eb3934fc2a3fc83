"""Read-only views of leads for people: filtered lists and one lead with its contact/account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from leadflow.domain.lifecycle import STAGES
from leadflow.errors import ValidationFailed
from leadflow.services import records
from leadflow.services.resources import ACCOUNTS, CAMPAIGNS, CONTACTS, LEADS, USERS, Resource

CONTACT_SUMMARY = ("id", "email", "first_name", "last_name", "job_title", "phone", "city",
                   "state", "country", "account_domain")
ACCOUNT_SUMMARY = ("id", "name", "domain", "industry", "employees", "annual_revenue", "city",
                   "country", "parent_domain")


@dataclass
class LeadFilter:
    """What a person asks a lead list for; every field is optional."""

    stage: str | None = None
    owner: str | None = None
    campaign: str | None = None
    q: str | None = None
    sort: str | None = None
    limit: int = 50
    cursor: str | None = None


def list_leads(
    session: Session, company_id: int, wanted: LeadFilter
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of leads as JSON-ready dicts, and the cursor of the next page (or None)."""
    rows, next_cursor = records.list_page(session, company_id, LEADS,
                                          _params(session, company_id, wanted))
    return records.serialize(session, company_id, LEADS, rows), next_cursor


def _params(session: Session, company_id: int, wanted: LeadFilter) -> dict[str, list[str]]:
    # A misspelt stage, owner or campaign would silently match nothing; people get an error.
    params: dict[str, list[str]] = {"limit": [str(wanted.limit)]}
    if wanted.stage is not None:
        if wanted.stage not in STAGES:
            raise ValidationFailed(
                f"stage must be one of: {', '.join(STAGES)} (got '{wanted.stage}')"
            )
        params["stage"] = [wanted.stage]
    if wanted.owner is not None:
        owner = records.get(session, company_id, USERS, wanted.owner)
        params["owner"] = [str(owner.id)]
    if wanted.campaign is not None:
        campaign = records.get(session, company_id, CAMPAIGNS, wanted.campaign)
        params["campaign"] = [str(campaign.id)]
    for name in ("q", "sort", "cursor"):
        value = getattr(wanted, name)
        if value is not None:
            params[name] = [value]
    return params


def lead_detail(session: Session, company_id: int, ident: str | int) -> dict[str, Any]:
    """Every field of one lead, plus a summary of its contact and account (None if absent)."""
    lead = records.get(session, company_id, LEADS, ident)
    data = records.serialize_one(session, company_id, LEADS, lead)
    data["contact"] = _summary(session, company_id, CONTACTS, lead.contact_id, CONTACT_SUMMARY)
    data["account"] = _summary(session, company_id, ACCOUNTS, lead.account_id, ACCOUNT_SUMMARY)
    return data


def _summary(
    session: Session, company_id: int, resource: Resource, row_id: int | None,
    fields: tuple[str, ...],
) -> dict[str, Any] | None:
    if row_id is None:
        return None
    row = records.get(session, company_id, resource, row_id)
    full = records.serialize_one(session, company_id, resource, row)
    return {name: full.get(name) for name in fields}
