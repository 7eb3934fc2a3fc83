"""Queries of the integration adapters (Segment, SendGrid), each scoped by company."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from leadflow.db.repository import Repository
from leadflow.db.tables import (
    Account,
    Campaign,
    Contact,
    Event,
    LandingPage,
    MarketingEmail,
    Program,
)

MARKETING_TABLES: dict[str, type[Any]] = {
    "campaign": Campaign, "program": Program, "email": MarketingEmail,
    "landing_page": LandingPage, "event": Event,
}


def marketing_record_id(session: Session, company_id: int, kind: str, value: Any) -> int | None:
    """The id of the campaign/program/email/landing page/event named by id or key, or None."""
    repo: Repository[Any] = Repository(session, company_id, MARKETING_TABLES[kind])
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    row = repo.get(int(text)) if text.isdigit() else None
    if row is None and text:
        row = repo.find("key", text.lower())
    return int(row.id) if row is not None else None


def contact_by_email(session: Session, company_id: int, email: str) -> Contact | None:
    return Repository(session, company_id, Contact).find("email", email)


def account_by_external_id(session: Session, company_id: int, external_id: str) -> Account | None:
    return Repository(session, company_id, Account).find("external_id", external_id)


def account_by_domain(session: Session, company_id: int, domain: str) -> Account | None:
    return Repository(session, company_id, Account).find("domain", domain)
