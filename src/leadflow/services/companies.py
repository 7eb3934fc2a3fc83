"""Companies: the site company, its clients, and their settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import companies as repo
from leadflow.db.tables import Company
from leadflow.domain.settings import effective_settings, validate_settings
from leadflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from leadflow.schemas import CompanyIn


def ensure_site(session: Session, key: str = "site", name: str = "Site company") -> Company:
    """The site company, created on first use."""
    site = repo.site_company(session)
    if site is None:
        site = Company(key=key, name=name, is_site=True, settings={})
        session.add(site)
        session.flush()
    return site


def require_site(session: Session) -> Company:
    site = repo.site_company(session)
    if site is None:
        raise ValidationFailed("leadflow is not initialised; run `leadflow init` first")
    return site


def find(session: Session, ident: str | int) -> Company:
    """A company by key or id."""
    text = str(ident).strip()
    if "\x00" in text:  # no key holds a NUL, and PostgreSQL refuses to compare with one
        raise NotFound(f"no company '{text!r}'")
    company = repo.company_by_key(session, text)
    if company is None and text.isdigit():
        company = repo.company_by_id(session, int(text))
    if company is None:
        raise NotFound(f"no company '{text}'")
    return company


def create_client(session: Session, site: Company, data: CompanyIn) -> Company:
    """A client company managed by the site company."""
    if repo.company_by_key(session, data.key) is not None:
        raise Conflict(f"a company with key '{data.key}' already exists")
    settings = validate_settings(data.settings or {})
    company = Company(key=data.key, name=data.name, parent_id=site.id, settings=settings)
    session.add(company)
    session.flush()
    return company


def rename(company: Company, name: str) -> None:
    company.name = name


def change_settings(company: Company, changes: dict[str, Any]) -> dict[str, Any]:
    """Validate and store setting changes; returns the effective settings."""
    clean = validate_settings(changes)
    company.settings = {**(company.settings or {}), **clean}
    return effective_settings(company.settings)


def delete_client(session: Session, company: Company) -> None:
    """Delete a client company and everything it owns."""
    if company.is_site:
        raise Forbidden("the site company cannot be deleted")
    # Every company_id foreign key is ON DELETE CASCADE, so the database removes all the
    # company's rows in one statement; deleting them row by row breaks on rows that refer to
    # each other (an account's parent) and misses tables added later.
    session.delete(company)
    session.flush()


def describe(company: Company) -> dict[str, Any]:
    """A company as JSON-ready data."""
    return {
        "id": company.id,
        "key": company.key,
        "name": company.name,
        "is_site": company.is_site,
        "parent_id": company.parent_id,
        "settings": effective_settings(company.settings),
        "created_at": company.created_at.isoformat() if company.created_at else None,
    }
