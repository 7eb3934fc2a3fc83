"""Checks particular to one record type, run by records.py before a save."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.db.repository import Repository
from leadflow.errors import Conflict, Problems
from leadflow.services import custom_fields
from leadflow.services.records import hook

BUILT_IN_FIELDS = {
    "contact": {c.name for c in t.Contact.__table__.columns},
    "account": {c.name for c in t.Account.__table__.columns},
    "lead": {c.name for c in t.Lead.__table__.columns},
}


@hook("accounts")
def check_account(
    session: Session, company_id: int, values: dict[str, Any], row: Any, problems: Problems
) -> None:
    """An account may not be its own parent, directly or through others."""
    parent_id = values.get("parent_id")
    if row is None or parent_id is None:
        return
    repo = Repository(session, company_id, t.Account)
    seen: set[int] = set()
    current: int | None = parent_id
    while current is not None and current not in seen:
        if current == row.id:
            problems.add("parent_id", "an account cannot be its own parent (directly or through"
                         " its parents)")
            return
        seen.add(current)
        parent = repo.get(current)
        current = parent.parent_id if parent is not None else None


@hook("custom-fields")
def check_custom_field(
    session: Session, company_id: int, values: dict[str, Any], row: Any, problems: Problems
) -> None:
    """Choice fields need choices; keys may not shadow built-in fields; key/entity are fixed."""
    if row is not None:
        for fixed in ("key", "entity"):
            if fixed in values and values[fixed] != getattr(row, fixed):
                problems.add(fixed, "cannot be changed; delete the field and create a new one")
    kind = values.get("type", row.type if row is not None else None)
    choices = values.get("choices", row.choices if row is not None else None)
    if kind == "choice" and not choices:
        problems.add("choices", "a choice field needs at least one choice")
    if kind != "choice" and choices:
        problems.add("choices", "only choice fields have choices")
    entity = values.get("entity", row.entity if row is not None else None)
    key = values.get("key")
    if key and entity and key in BUILT_IN_FIELDS.get(entity, set()):
        problems.add("key", f"'{key}' is a built-in field of {entity}")
    if row is None and key and entity and not problems.errors \
            and key in custom_fields.definitions(session, company_id, entity):
        raise Conflict(f"a custom field '{key}' of {entity} already exists")


@hook("leads")
def check_lead(
    session: Session, company_id: int, values: dict[str, Any], row: Any, problems: Problems
) -> None:
    """A lead's scope target, context and name must fit together."""
    def current(name: str) -> Any:
        return values[name] if name in values else getattr(row, name, None)

    contact = _get(session, company_id, t.Contact, current("contact_id"))
    account = _get(session, company_id, t.Account, current("account_id"))
    if contact is not None and account is None and contact.account_id is not None:
        account = _get(session, company_id, t.Account, contact.account_id)
        values["account_id"] = contact.account_id
    scope = current("scope")
    # A reference that could not be resolved is already reported; don't report it twice.
    failed = {e.loc for e in problems.errors}
    if scope == "contact" and contact is None and not failed & {"contact_email", "contact_id"}:
        problems.add("contact_email", "a contact-scope lead needs a contact (contact_id or"
                     " contact_email)")
    if scope == "account" and account is None \
            and not failed & {"account_domain", "account_id", "contact_email", "contact_id"}:
        problems.add("account_domain", "an account-scope lead needs an account (account_id or"
                     " account_domain, or a contact that has an account)")
    campaign = _get(session, company_id, t.Campaign, current("campaign_id"))
    if campaign is not None and campaign.program_id is not None:
        program_id = current("program_id")
        if program_id is None:
            values["program_id"] = campaign.program_id
        elif program_id != campaign.program_id:
            problems.add("program", f"campaign '{campaign.key}' belongs to another program")
    if "name" in values and values["name"] is None:
        if row is not None:
            problems.add("name", "a lead needs a name")
        else:
            program = _get(session, company_id, t.Program, values.get("program_id"))
            values["name"] = default_name(contact, account, campaign, program, scope)


def default_name(
    contact: t.Contact | None, account: t.Account | None, campaign: t.Campaign | None,
    program: t.Program | None, scope: str,
) -> str:
    """`Ana Lima - Spring webinar`: who is interested, in what."""
    if scope == "account" and account is not None:
        who = account.name
    elif contact is not None:
        full = " ".join(p for p in (contact.first_name, contact.last_name) if p)
        who = full or contact.email or f"contact {contact.id}"
    else:
        who = "Unknown"
    context = campaign.name if campaign else program.name if program else None
    return f"{who} - {context}" if context else who


def _get(session: Session, company_id: int, table: type[Any], row_id: int | None) -> Any:
    if row_id is None:
        return None
    return Repository(session, company_id, table).get(row_id)
