"""Importing accounts: match by domain, then name (case-insensitive), then external_id."""

from __future__ import annotations

from typing import Any

from leadflow.db import imports as db
from leadflow.db import tables as t
from leadflow.services.imports.batch import Chunk, Record, existing, save
from leadflow.services.imports.rows import ParsedRow, RowError

FIELDS = ("name", "domain", "industry", "employees", "annual_revenue", "city", "country",
          "external_id")
DEFAULTS: dict[str, Any] = {"custom": {}}
MAX_HOPS = 1000


class Accounts:
    """The chunk's accounts, indexed by domain, lower-cased name and external_id."""

    def __init__(self, chunk: Chunk, domains: set[str], names: set[str], ids: set[str]) -> None:
        self.chunk = chunk
        self.by_id: dict[int, Record] = {}
        self.by_domain: dict[str, Record] = {}
        self.by_name: dict[str, list[Record]] = {}
        self.by_external_id: dict[str, Record] = {}
        self.new: list[Record] = []
        session, company = chunk.session, chunk.company_id
        rows = db.rows_where_in(session, company, t.Account, "domain", domains)
        rows += db.accounts_by_lower_name(session, company, names)
        rows += db.rows_where_in(session, company, t.Account, "external_id", ids)
        for record in existing(sorted(rows, key=lambda r: r["id"])):
            if record.id not in self.by_id:
                self.by_id[record.id] = record  # type: ignore[index]
                self.add_to_indexes(record)

    def add_to_indexes(self, record: Record) -> None:
        if record.get("domain"):
            self.by_domain[record.get("domain")] = record
        if record.get("external_id"):
            self.by_external_id[record.get("external_id")] = record
        self.by_name.setdefault(record.get("name").lower(), []).append(record)

    def by_name_for(self, name: str | None, domain: str | None, external_id: str | None) -> (
        Record | None
    ):
        """The oldest account of that name that no domain or external_id tells apart."""
        for record in self.by_name.get((name or "").lower(), []):
            if domain and record.get("domain") not in (None, domain):
                continue
            if external_id and record.get("external_id") not in (None, external_id):
                continue
            return record
        return None

    def find(self, domain: str | None, name: str | None) -> Record | None:
        """The account a contact names by domain or, failing that, by name."""
        if domain and domain in self.by_domain:
            return self.by_domain[domain]
        return self.by_name_for(name, domain, None) if name else None

    def create(self, values: dict[str, Any], kind_of_row: str) -> Record:
        """A new account (inserted when the chunk is saved)."""
        record = Record(None, {"custom": {}, **values})
        self.new.append(record)
        self.add_to_indexes(record)
        if kind_of_row != "accounts":
            self.chunk.side_effect("accounts")
        return record

    def find_or_create(self, domain: str | None, name: str | None) -> Record:
        """A contact's account: matched by domain or name, else created with what is given."""
        found = self.find(domain, name)
        return found or self.create({"name": name or domain, "domain": domain}, "contacts")

    def rename(self, record: Record, old: str | None, new: str | None) -> None:
        if old is not None and old.lower() != (new or "").lower():
            self.by_name[old.lower()].remove(record)
            self.by_name.setdefault((new or "").lower(), []).append(record)

    def records(self) -> list[Record]:
        return [*self.by_id.values(), *self.new]

    def save(self) -> None:
        records = self.records()
        save(self.chunk.session, self.chunk.company_id, t.Account, records, DEFAULTS,
             self.chunk.now)
        self.chunk.keep("accounts", records, self.new)


def apply_accounts(chunk: Chunk, rows: list[ParsedRow]) -> None:
    """Create or update the accounts of one chunk of rows."""
    domains = {r.values[k] for r in rows for k in ("domain", "parent_domain") if r.values.get(k)}
    names = {r.values["name"].lower() for r in rows if r.values.get("name")}
    ids = {r.values["external_id"] for r in rows if r.values.get("external_id")}
    accounts = Accounts(chunk, domains, names, ids)
    for row in rows:
        _apply_row(chunk, accounts, row)
    accounts.save()


def _apply_row(chunk: Chunk, accounts: Accounts, row: ParsedRow) -> None:
    values = row.values
    domain, name, ext = values.get("domain"), values.get("name"), values.get("external_id")
    target = accounts.by_domain.get(domain) if domain else None
    target = target or accounts.by_name_for(name, domain, ext)
    if target is None and ext:
        target = accounts.by_external_id.get(ext)
    parent = None
    if values.get("parent_domain"):
        parent = accounts.by_domain.get(values["parent_domain"])
        if parent is None:
            chunk.fail(row.error("parent_domain", "no account has this domain; import the parent"
                                 " account first (or earlier in the file)"))
            return
    if target is not None and not chunk.update:
        chunk.outcome("skipped")
        return
    error = _conflict(accounts, row, target, parent)
    if error:
        chunk.fail(error)
        return
    if target is None:
        record = accounts.create({k: values.get(k) for k in FIELDS} | {"custom": row.custom},
                                 "accounts")
        if parent is not None:
            record.link("parent_id", parent)
        chunk.outcome("created")
        return
    _update(chunk, accounts, target, row, parent)


def _update(
    chunk: Chunk, accounts: Accounts, target: Record, row: ParsedRow, parent: Record | None
) -> None:
    old = {k: target.get(k) for k in ("domain", "name", "external_id")}
    changes = [target.set(k, row.values[k]) for k in FIELDS if row.values.get(k) is not None]
    if row.custom:
        changes.append(target.set("custom", {**(target.get("custom") or {}), **row.custom}))
    if parent is not None:
        changes.append(target.link("parent_id", parent))
    chunk.index(accounts.by_domain, old["domain"], target.get("domain"), target)
    chunk.index(accounts.by_external_id, old["external_id"], target.get("external_id"), target)
    accounts.rename(target, old["name"], target.get("name"))
    chunk.matched(target, changes)


def _conflict(
    accounts: Accounts, row: ParsedRow, target: Record | None, parent: Record | None
) -> RowError | None:
    """A row error when the row would take another account's domain or external_id, or make
    an account its own ancestor."""
    domain, ext = row.values.get("domain"), row.values.get("external_id")
    owner = accounts.by_domain.get(domain) if domain else None
    if owner is not None and owner is not target:
        return row.error("domain", f"another account ('{owner.get('name')}') has this domain")
    owner = accounts.by_external_id.get(ext) if ext else None
    if owner is not None and owner is not target:
        return row.error("external_id", f"another account ('{owner.get('name')}') has this"
                         " external_id")
    if parent is not None and target is not None and _is_ancestor(accounts, target, parent):
        return row.error("parent_domain", "an account cannot be its own parent (directly or"
                         " through its parents)")
    return None


def _is_ancestor(accounts: Accounts, record: Record, start: Record) -> bool:
    """Whether `record` is `start` or one of its parents (following unsaved links too)."""
    current: Record | None = start
    for _ in range(MAX_HOPS):
        if current is None:
            return False
        if current is record:
            return True
        current = current.linked("parent_id") or _parent(accounts, current.get("parent_id"))
    return True


def _parent(accounts: Accounts, parent_id: int | None) -> Record | None:
    if parent_id is None:
        return None
    if parent_id not in accounts.by_id:
        # Rare (only when a parent changes): walk ancestors outside the chunk one by one.
        rows = db.rows_where_in(accounts.chunk.session, accounts.chunk.company_id, t.Account,
                                "id", [parent_id])
        if not rows:
            return None
        accounts.by_id[parent_id] = Record(parent_id, rows[0])
    return accounts.by_id[parent_id]
