"""Matching or creating the contact and account an interaction belongs to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadflow.db import ingestion as queries
from leadflow.db.repository import Repository
from leadflow.db.tables import Account, Contact, Visitor
from leadflow.db.types import utcnow
from leadflow.errors import FieldError, Problems, ValidationFailed
from leadflow.services import custom_fields
from leadflow.services.ingestion.inputs import FormContact, InteractionIn

T = TypeVar("T")
FORM_FIELDS = ("first_name", "last_name", "job_title", "phone", "city", "state", "country")


def insert_or_find(session: Session, row: Any, find: Callable[[], T | None]) -> T:
    """Insert `row`; if a concurrent writer inserted the same natural key first, use theirs."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
        return row  # type: ignore[no-any-return]
    except IntegrityError:
        existing = find()
        if existing is None:
            raise
        return existing


def contact_for(session: Session, company_id: int, data: InteractionIn) -> Contact | None:
    """The contact named by id or email (created when the email is new), or None."""
    repo = Repository(session, company_id, Contact)
    if data.contact_id is not None:
        contact = repo.get(data.contact_id)
        if contact is None:
            raise ValidationFailed("Unknown contact", errors=[
                FieldError("contact_id", f"no contact with id {data.contact_id}")])
        return contact
    if data.contact_email is None:
        return None
    email = data.contact_email
    contact = repo.find("email", email)
    if contact is None:
        contact = insert_or_find(session, Contact(company_id=company_id, email=email, custom={}),
                                 lambda: repo.find("email", email))
    return contact


def update_from_form(
    session: Session, company_id: int, contact: Contact, form: FormContact
) -> None:
    """A lead interaction's form fields update the contact; company/domain set its account."""
    for name in FORM_FIELDS:
        value = getattr(form, name)
        if value:
            setattr(contact, name, value)
    if form.custom:
        problems = Problems("Invalid contact fields")
        contact.custom = custom_fields.merge(session, company_id, "contact", contact.custom or {},
                                             form.custom, problems, loc="contact.custom")
        problems.raise_if_any()
    account = account_for(session, company_id, form.company, form.domain)
    if account is not None:
        contact.account_id = account.id
    session.flush()


def account_for(
    session: Session, company_id: int, name: str | None, domain: str | None
) -> Account | None:
    """Match an account by domain, then by name; create it when neither matches."""
    if not name and not domain:
        return None
    repo = Repository(session, company_id, Account)
    found = repo.find("domain", domain) if domain else None
    if found is None and name:
        found = queries.account_by_name(session, company_id, name)
    if found is not None:
        if domain and not found.domain:
            found.domain = domain
        return found
    row = Account(company_id=company_id, name=name or domain, domain=domain, custom={})
    return insert_or_find(session, row, lambda: repo.find("domain", domain) if domain else None)


def identify_visitor(
    session: Session, company_id: int, visitor_id: str, contact: Contact | None
) -> list[int]:
    """Remember the visitor; once it is known who they are, give them their earlier visits."""
    row = queries.visitor(session, company_id, visitor_id)
    if row is None:
        row = insert_or_find(
            session, Visitor(company_id=company_id, visitor_id=visitor_id),
            lambda: queries.visitor(session, company_id, visitor_id),
        )
    if contact is None:
        return []
    if row.contact_id != contact.id:
        row.contact_id = contact.id
        row.identified_at = utcnow()
    return queries.attach_visits(session, company_id, visitor_id, contact.id, contact.account_id)


def contact_of_visitor(session: Session, company_id: int, visitor_id: str) -> Contact | None:
    """The contact an already identified visitor turned out to be."""
    row = queries.visitor(session, company_id, visitor_id)
    if row is None or row.contact_id is None:
        return None
    return Repository(session, company_id, Contact).get(row.contact_id)
