"""Importing leads: match by external_id, else by an open lead of the same target and context.

A lead row's contact is found by `contact_email` and created (with just that email) when it
does not exist yet; accounts, programs, campaigns and owners must already exist.
"""

from __future__ import annotations

from typing import Any

from leadflow.db import imports as db
from leadflow.db import tables as t
from leadflow.services.imports import followup
from leadflow.services.imports.batch import Chunk, Record, existing, save
from leadflow.services.imports.contacts import Contacts
from leadflow.services.imports.rows import ParsedRow, RowError
from leadflow.services.record_rules import default_name

FIELDS = ("name", "status", "priority", "due_date", "territory", "external_id")
DEFAULTS: dict[str, Any] = {
    "custom": {}, "scope": "contact", "priority": "normal", "stage": "nurture",
    "sales_ready": False, "source": "import",
}
Token = int | Record  # an existing record's id, or a record not inserted yet
ContextKey = tuple[str, Token, int | None, int | None]


class Leads:
    """The chunk's leads and everything lead rows refer to."""

    def __init__(self, chunk: Chunk, rows: list[ParsedRow]) -> None:
        def keys(name: str) -> set[Any]:
            return {r.values[name] for r in rows if r.values.get(name)}

        session, company = chunk.session, chunk.company_id
        self.chunk = chunk
        self.contacts = Contacts(chunk, keys("contact_email"), set())
        self.accounts = _by(db.rows_where_in(session, company, t.Account, "domain",
                                             keys("account_domain")), "domain")
        self.programs = _by(db.rows_where_in(session, company, t.Program, "key",
                                             keys("program")), "key")
        self.campaigns = _by(db.rows_where_in(session, company, t.Campaign, "key",
                                              keys("campaign")), "key")
        self.owners = _by(db.rows_where_in(session, company, t.User, "email", keys("owner")),
                          "email")
        found = db.rows_where_in(session, company, t.Lead, "external_id", keys("external_id"))
        account_ids = {a["id"] for a in self.accounts.values()}
        account_ids |= {c.get("account_id") for c in self.contacts.by_id.values()} - {None}
        found += db.open_leads(session, company, set(self.contacts.by_id), account_ids)
        self.by_id: dict[int, Record] = {}
        self.by_external_id: dict[str, Record] = {}
        self.by_context: dict[ContextKey, Record] = {}
        self.new: list[Record] = []
        for record in existing(found):
            if record.id not in self.by_id:
                self.by_id[record.id] = record  # type: ignore[index]
                self.add_to_indexes(record)

    def add_to_indexes(self, record: Record) -> None:
        if record.get("external_id"):
            self.by_external_id[record.get("external_id")] = record
        key = self.context_key(record)
        if key is not None and record.get("stage") not in db.OPEN_STAGES_EXCLUDED:
            self.by_context.setdefault(key, record)

    def context_key(self, lead: Record) -> ContextKey | None:
        """(scope, target, program, campaign): an open lead is unique per key (SPEC §3)."""
        scope = lead.get("scope") or "contact"
        column = "contact_id" if scope == "contact" else "account_id"
        target: Token | None = lead.linked(column) or lead.get(column)
        if target is None:
            return None
        return scope, target, lead.get("program_id"), lead.get("campaign_id")

    def save(self) -> None:
        self.contacts.save()
        records = [*self.by_id.values(), *self.new]
        save(self.chunk.session, self.chunk.company_id, t.Lead, records, DEFAULTS,
             self.chunk.now)
        self.chunk.keep("leads", records, self.new)
        followup.leads_updated(self.chunk.session, self.chunk.company_id, records)


def _by(rows: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in rows}


def apply_leads(chunk: Chunk, rows: list[ParsedRow]) -> None:
    """Create or update the leads of one chunk of rows (and contacts they name)."""
    leads = Leads(chunk, rows)
    for row in rows:
        _apply_row(chunk, leads, row)
    leads.save()


def _apply_row(chunk: Chunk, leads: Leads, row: ParsedRow) -> None:
    refs = _references(leads, row)
    if isinstance(refs, RowError):
        chunk.fail(refs)
        return
    ext = row.values.get("external_id")
    target = leads.by_external_id.get(ext) if ext else None
    if target is None:
        if refs["scope"] is None:
            chunk.fail(row.error("external_id", "no lead has this external_id; give a"
                                 " contact_email or account_domain to create one"))
            return
        found = _open_lead(leads, refs, row)
        if isinstance(found, RowError):
            chunk.fail(found)
            return
        target = found
    if target is not None and not chunk.update:
        chunk.outcome("skipped")
        return
    problem = _scope_problem(row, refs, target)
    if problem is not None:
        chunk.fail(problem)
        return
    contact = _contact(leads, row) if row.values.get("contact_email") else None
    if target is None:
        _create(chunk, leads, row, refs, contact)
    else:
        _update(chunk, leads, target, row, refs, contact)


def _references(leads: Leads, row: ParsedRow) -> dict[str, Any] | RowError:
    """Ids of the program, campaign, owner and account the row names, and the lead's scope."""
    values = row.values
    refs: dict[str, Any] = {}
    for name, table, label in (("program", leads.programs, "program"),
                               ("campaign", leads.campaigns, "campaign"),
                               ("owner", leads.owners, "user"),
                               ("account_domain", leads.accounts, "account")):
        if values.get(name) is not None:
            found = table.get(values[name])
            if found is None:
                hint = "; import accounts first" if label == "account" else ""
                return row.error(name, f"no {label} '{values[name]}' in this company{hint}")
            refs[name] = found
    campaign, program = refs.get("campaign"), refs.get("program")
    if campaign and program and campaign["program_id"] not in (None, program["id"]):
        return row.error("program", f"campaign '{campaign['key']}' belongs to another program")
    refs["scope"] = values.get("scope") or (
        "contact" if values.get("contact_email") else
        "account" if values.get("account_domain") else None
    )
    return refs


def _scope_problem(row: ParsedRow, refs: dict[str, Any], lead: Record | None) -> RowError | None:
    """A row error when the lead would have no contact (contact scope) or no account."""
    given_scope = row.values.get("scope")
    scope = refs["scope"] if lead is None or given_scope else lead.get("scope")
    has_contact = bool(row.values.get("contact_email")) or (
        lead is not None and (lead.get("contact_id") or lead.linked("contact_id")) is not None
    )
    if scope == "contact" and not has_contact:
        return row.error("contact_email", "a contact-scope lead needs a contact_email")
    has_account = "account_domain" in refs or (lead is not None and lead.get("account_id"))
    if scope == "account" and lead is not None and not has_account:
        return row.error("account_domain", "an account-scope lead needs an account_domain")
    return None


def _contact(leads: Leads, row: ParsedRow) -> Record:
    """The row's contact, created from its email when it does not exist yet."""
    email = row.values["contact_email"]
    found = leads.contacts.by_email.get(email)
    if found is not None:
        return found
    account = _account_id(row, leads)
    leads.chunk.side_effect("contacts")
    return leads.contacts.create({"email": email, "account_id": account})


def _account_id(row: ParsedRow, leads: Leads) -> int | None:
    domain = row.values.get("account_domain")
    return leads.accounts[domain]["id"] if domain else None


def _context(refs: dict[str, Any]) -> tuple[int | None, int | None]:
    """(program id, campaign id); a campaign's program is the lead's program."""
    campaign = refs.get("campaign")
    program = refs.get("program")
    program_id = program["id"] if program else campaign["program_id"] if campaign else None
    return program_id, campaign["id"] if campaign else None


def _target(leads: Leads, row: ParsedRow, refs: dict[str, Any]) -> tuple[str, Token | None]:
    """(scope column, token of the contact or account the lead is about)."""
    if refs["scope"] == "account":
        account = refs.get("account_domain")
        if account is None and row.values.get("contact_email"):
            contact = leads.contacts.by_email.get(row.values["contact_email"])
            account_id = contact.get("account_id") if contact else None
            return "account_id", account_id
        return "account_id", account["id"] if account else None
    contact = leads.contacts.by_email.get(row.values.get("contact_email") or "")
    return "contact_id", (contact.id or contact) if contact else None


def _open_lead(leads: Leads, refs: dict[str, Any], row: ParsedRow) -> Record | RowError | None:
    """The open lead this row repeats (same target and context), if any."""
    column, token = _target(leads, row, refs)
    if token is None:
        if column == "account_id":
            return row.error("account_domain", "an account-scope lead needs an account"
                             " (account_domain, or a contact that has an account)")
        return None  # a new contact: it has no leads yet
    found = leads.by_context.get((refs["scope"], token, *_context(refs)))
    ext = row.values.get("external_id")
    if found is not None and ext and found.get("external_id") not in (None, ext):
        return row.error("external_id", "an open lead for this"
                         f" {refs['scope']} and context already exists with external_id"
                         f" '{found.get('external_id')}'")
    return found


def _create(
    chunk: Chunk, leads: Leads, row: ParsedRow, refs: dict[str, Any], contact: Record | None
) -> None:
    values = {k: row.values.get(k) for k in FIELDS if row.values.get(k) is not None}
    program_id, campaign_id = _context(refs)
    lead = Record(None, {**DEFAULTS, **values, "scope": refs["scope"], "custom": row.custom,
                         "program_id": program_id, "campaign_id": campaign_id,
                         "owner_id": refs["owner"]["id"] if "owner" in refs else None})
    account = refs.get("account_domain")
    if contact is not None:
        lead.link("contact_id", contact)
    if account is not None:
        lead.set("account_id", account["id"])
    elif contact is not None:
        lead.set("account_id", contact.get("account_id"))
    if not lead.get("name"):
        lead.values["name"] = _default_name(contact, account, refs, refs["scope"])
    leads.new.append(lead)
    leads.add_to_indexes(lead)
    chunk.outcome("created")


def _update(
    chunk: Chunk, leads: Leads, lead: Record, row: ParsedRow, refs: dict[str, Any],
    contact: Record | None,
) -> None:
    old_key, old_ext = leads.context_key(lead), lead.get("external_id")
    changes = [lead.set(k, row.values[k]) for k in FIELDS if row.values.get(k) is not None]
    if row.values.get("scope"):
        changes.append(lead.set("scope", refs["scope"]))
    if contact is not None:
        changes.append(lead.link("contact_id", contact))
    if "account_domain" in refs:
        changes.append(lead.set("account_id", refs["account_domain"]["id"]))
    if "program" in refs or "campaign" in refs:
        program_id, campaign_id = _context(refs)
        changes += [lead.set("program_id", program_id), lead.set("campaign_id", campaign_id)]
    if "owner" in refs:
        changes.append(lead.set("owner_id", refs["owner"]["id"]))
    if row.custom:
        changes.append(lead.set("custom", {**(lead.get("custom") or {}), **row.custom}))
    chunk.index(leads.by_external_id, old_ext, lead.get("external_id"), lead)
    new_key = leads.context_key(lead)
    if new_key != old_key and lead.get("stage") not in db.OPEN_STAGES_EXCLUDED:
        chunk.index(leads.by_context, old_key, new_key, lead)
    chunk.matched(lead, changes)


def _default_name(
    contact: Record | None, account: dict[str, Any] | None, refs: dict[str, Any], scope: str
) -> str:
    """The name a lead created by hand would get: `Ana Lima - Spring webinar`."""
    person = t.Contact(**{k: contact.get(k) for k in ("id", "email", "first_name", "last_name")}
                       ) if contact else None
    campaign, program = refs.get("campaign"), refs.get("program")
    return default_name(
        person,
        t.Account(name=account["name"]) if account else None,
        t.Campaign(name=campaign["name"]) if campaign else None,
        t.Program(name=program["name"]) if program else None,
        scope,
    )
