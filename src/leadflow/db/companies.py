"""Queries over companies and API keys (the only tables not scoped by one company)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.db.repository import INT_LIMIT
from leadflow.db.tables import ApiKey, Company


def site_company(session: Session) -> Company | None:
    return session.scalars(select(Company).where(Company.is_site.is_(True))).first()


def company_by_key(session: Session, key: str) -> Company | None:
    return session.scalars(select(Company).where(Company.key == key)).first()


def company_by_id(session: Session, company_id: int) -> Company | None:
    if abs(company_id) >= INT_LIMIT:
        return None  # no company has it, and drivers refuse to send such a number
    return session.get(Company, company_id)


def companies_visible_to(session: Session, company: Company) -> list[Company]:
    """The site company sees itself and its clients; a client sees only itself."""
    if not company.is_site:
        return [company]
    stmt = select(Company).where(
        (Company.id == company.id) | (Company.parent_id == company.id)
    ).order_by(Company.id)
    return list(session.scalars(stmt))


def key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash)).first()


def keys_of(session: Session, company_id: int) -> list[ApiKey]:
    stmt = select(ApiKey).where(ApiKey.company_id == company_id).order_by(ApiKey.id)
    return list(session.scalars(stmt))
