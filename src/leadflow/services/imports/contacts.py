"""Importing contacts: match by email, then external_id; link or create their accounts."""

from __future__ import annotations

from typing import Any

from leadflow.db import imports as db
from leadflow.db import tables as t
from leadflow.services.imports.accounts import Accounts
from leadflow.services.imports.batch import Chunk, Record, existing, save
from leadflow.services.imports.rows import ParsedRow, RowError

FIELDS = ("email", "first_name", "last_name", "job_title", "phone", "city", "state", "country",
          "external_id")
DEFAULTS: dict[str, Any] = {"custom": {}}


class Contacts:
    """The chunk's contacts, indexed by email and external_id."""

    def __init__(self, chunk: Chunk, emails: set[str], ids: set[str]) -> None:
        self.chunk = chunk
        self.by_id: dict[int, Record] = {}
        self.by_email: dict[str, Record] = {}
        self.by_external_id: dict[str, Record] = {}
        self.new: list[Record] = []
        session, company = chunk.session, chunk.company_id
        rows = db.rows_where_in(session, company, t.Contact, "email", emails)
        rows += db.rows_where_in(session, company, t.Contact, "external_id", ids)
        for record in existing(rows):
            if record.id not in self.by_id:
                self.by_id[record.id] = record  # type: ignore[index]
                self.add_to_indexes(record)

    def add_to_indexes(self, record: Record) -> None:
        if record.get("email"):
            self.by_email[record.get("email")] = record
        if record.get("external_id"):
            self.by_external_id[record.get("external_id")] = record

    def create(self, values: dict[str, Any]) -> Record:
        """A new contact (inserted when the chunk is saved)."""
        values.setdefault("custom", {})
        record = Record(None, values)
        self.new.append(record)
        self.add_to_indexes(record)
        return record

    def save(self) -> None:
        records = [*self.by_id.values(), *self.new]
        save(self.chunk.session, self.chunk.company_id, t.Contact, records, DEFAULTS,
             self.chunk.now)
        self.chunk.keep("contacts", records, self.new)


def apply_contacts(chunk: Chunk, rows: list[ParsedRow]) -> None:
    """Create or update the contacts of one chunk of rows (and the accounts they name)."""
    contacts = Contacts(
        chunk,
        {r.values["email"] for r in rows if r.values.get("email")},
        {r.values["external_id"] for r in rows if r.values.get("external_id")},
    )
    accounts = Accounts(
        chunk,
        {r.values["account_domain"] for r in rows if r.values.get("account_domain")},
        {r.values["account_name"].lower() for r in rows if r.values.get("account_name")},
        set(),
    )
    for row in rows:
        _apply_row(chunk, contacts, accounts, row)
    accounts.save()
    contacts.save()


def _apply_row(chunk: Chunk, contacts: Contacts, accounts: Accounts, row: ParsedRow) -> None:
    values = row.values
    email, ext = values.get("email"), values.get("external_id")
    target = contacts.by_email.get(email) if email else None
    if target is None and ext:
        target = contacts.by_external_id.get(ext)
    if target is not None and not chunk.update:
        chunk.outcome("skipped")
        return
    error = _conflict(contacts, row, target)
    if error:
        chunk.fail(error)
        return
    domain, name = values.get("account_domain"), values.get("account_name")
    account = accounts.find_or_create(domain, name) if domain or name else None
    if target is None:
        fresh = {k: values.get(k) for k in FIELDS}
        fresh["custom"] = row.custom
        record = contacts.create(fresh)
        if account is not None:
            record.link("account_id", account)
        chunk.outcome("created")
        return
    old_email, old_ext = target.get("email"), target.get("external_id")
    changes = [target.set(k, values[k]) for k in FIELDS if values.get(k) is not None]
    if row.custom:
        changes.append(target.set("custom", {**(target.get("custom") or {}), **row.custom}))
    if account is not None:
        changes.append(target.link("account_id", account))
    chunk.index(contacts.by_email, old_email, target.get("email"), target)
    chunk.index(contacts.by_external_id, old_ext, target.get("external_id"), target)
    chunk.matched(target, changes)


def _conflict(contacts: Contacts, row: ParsedRow, target: Record | None) -> RowError | None:
    """A row error when the row would give a contact another contact's external_id."""
    ext = row.values.get("external_id")
    owner = contacts.by_external_id.get(ext) if ext else None
    if owner is not None and owner is not target:
        return row.error("external_id", f"another contact ({owner.get('email') or owner.id})"
                         " has this external_id")
    return None
