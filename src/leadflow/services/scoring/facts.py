"""Building the plain records the scoring core reads (LeadFacts) from stored rows.

Everything but the leads themselves is read as plain rows (no ORM instances: scoring never
changes them), and of the company's catalogs — campaigns, programs, emails, landing pages,
events, users — only the rows the leads and their interactions name: rescoring the lead of one
interaction reads a handful of rows, not every campaign of the company.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import scoring_facts as queries
from leadflow.db import tables as t
from leadflow.scoring.evaluate import LeadFacts

MAX_PARENT_HOPS = 5
Record = dict[str, Any]


def _columns(row: Any) -> Record:
    """A lead's columns, its custom fields among them."""
    return _flat({c.name: getattr(row, c.name) for c in row.__table__.columns})


def _flat(record: Record) -> Record:
    """A copy of a stored record with its custom fields beside the columns."""
    flat = dict(record)
    flat.update(flat.pop("custom", None) or {})
    return flat


@dataclass
class FactLoader:
    """Loads LeadFacts for many leads of one company with a handful of queries."""

    session: Session
    company_id: int
    # Catalog rows read so far, per table: `{id: record, or None when there is no such row}`.
    _catalog: dict[str, dict[int, Record | None]] = field(default_factory=dict)

    def _catalog_of(self, table: Any, ids: Iterable[int | None] = ()) -> dict[int, Record | None]:
        """The rows of a catalog table read so far, after reading those of `ids` not yet read."""
        known = self._catalog.setdefault(table.__tablename__, {})
        missing = {i for i in ids if i is not None} - known.keys()
        if missing:
            found = queries.records_by_id(self.session, self.company_id, table, missing)
            known.update({i: found.get(i) for i in missing})
        return known

    def _read_catalogs(self, leads: Sequence[t.Lead], rows: Sequence[Record]) -> None:
        """Read the catalog rows these leads and interactions name, one query per table."""
        campaigns = self._catalog_of(t.Campaign, [lead.campaign_id for lead in leads]
                                     + [row["campaign_id"] for row in rows])
        self._catalog_of(t.Program, [lead.program_id for lead in leads]
                         + [row["program_id"] for row in rows]
                         + [c["program_id"] for c in campaigns.values() if c is not None])
        self._catalog_of(t.MarketingEmail, [row["email_id"] for row in rows])
        self._catalog_of(t.LandingPage, [row["landing_page_id"] for row in rows])
        self._catalog_of(t.Event, [row["event_id"] for row in rows])
        self._catalog_of(t.User, [lead.owner_id for lead in leads])

    def _campaign(self, campaign_id: int | None) -> Record | None:
        if campaign_id is None:
            return None
        campaign = self._catalog_of(t.Campaign).get(campaign_id)
        if campaign is None:
            return None
        programs = self._catalog_of(t.Program)
        return {**campaign, "program": programs.get(campaign["program_id"])}

    def load(
        self, leads: Sequence[t.Lead], as_of: datetime, *, behavior_reset: bool,
        types: Sequence[str] | None = None,
    ) -> dict[int, LeadFacts]:
        """`{lead_id: LeadFacts}` with interactions up to `as_of` (of `types`, if given)."""
        account_leads = [lead.account_id for lead in leads if lead.scope == "account"]
        contacts = {c["id"]: c for c in queries.contacts_of_accounts(
            self.session, self.company_id, account_leads)}
        contacts.update(queries.records_by_id(self.session, self.company_id, t.Contact,
                                              (lead.contact_id for lead in leads)))
        accounts = self._accounts({lead.account_id for lead in leads}
                                  | {c["account_id"] for c in contacts.values()})
        contact_records = {i: {**_flat(c), "account": accounts.get(c["account_id"] or -1)}
                           for i, c in contacts.items()}
        rows = queries.interactions_of_contacts(self.session, self.company_id,
                                                contact_records, as_of, types)
        self._read_catalogs(leads, rows)
        interactions = self._interactions(rows, contact_records, accounts)
        by_account: dict[int, list[Record]] = defaultdict(list)
        for record in contact_records.values():
            if record["account_id"] is not None:
                by_account[record["account_id"]].append(record)
        return {lead.id: self._facts(lead, contact_records, accounts, by_account, interactions,
                                     behavior_reset) for lead in leads}

    def _facts(
        self, lead: t.Lead, contacts: dict[int, Record], accounts: dict[int, Record],
        by_account: dict[int, list[Record]], interactions: dict[int, list[Record]],
        behavior_reset: bool,
    ) -> LeadFacts:
        contact = contacts.get(lead.contact_id) if lead.contact_id else None
        users = self._catalog_of(t.User)
        record = {
            **_columns(lead), "contact": contact,
            "account": accounts.get(lead.account_id) if lead.account_id else None,
            "campaign": self._campaign(lead.campaign_id),
            "program": self._catalog_of(t.Program).get(lead.program_id or -1),
            "owner": users.get(lead.owner_id or -1),
        }
        if lead.scope == "account" and lead.account_id is not None:
            people = by_account.get(lead.account_id, [])
        else:
            people = [contact] if contact is not None else []
        activity = [i for person in people for i in interactions.get(person["id"], [])]
        since = lead.recycled_at if behavior_reset else None
        return LeadFacts(record, tuple(people), tuple(activity), since)

    def _accounts(self, ids: set[int | None]) -> dict[int, Record]:
        """Accounts with their parent chains (up to five hops) as nested records."""
        rows: dict[int, Record] = {}
        wanted = {i for i in ids if i is not None}
        for _ in range(MAX_PARENT_HOPS + 1):
            found = queries.records_by_id(self.session, self.company_id, t.Account,
                                          wanted - rows.keys())
            rows.update(found)
            wanted = {r["parent_id"] for r in found.values() if r["parent_id"] is not None}
            if not wanted - rows.keys():
                break
        records: dict[int, Record] = {}

        def build(account_id: int | None, depth: int) -> Record | None:
            if account_id is None or account_id not in rows or depth > MAX_PARENT_HOPS:
                return None
            row = rows[account_id]
            return {**_flat(row), "parent": build(row["parent_id"], depth + 1)}

        for account_id in rows:
            records[account_id] = build(account_id, 0)  # type: ignore[assignment]
        return records

    def _interactions(
        self, rows: Sequence[Record], contacts: dict[int, Record], accounts: dict[int, Record],
    ) -> dict[int, list[Record]]:
        emails = self._catalog_of(t.MarketingEmail)
        pages = self._catalog_of(t.LandingPage)
        events = self._catalog_of(t.Event)
        programs = self._catalog_of(t.Program)
        out: dict[int, list[Record]] = defaultdict(list)
        for record in rows:
            record["attr"] = record.pop("attributes", None) or {}
            record.update(
                contact=contacts.get(record["contact_id"] or -1),
                account=accounts.get(record["account_id"] or -1),
                campaign=self._campaign(record["campaign_id"]),
                program=programs.get(record["program_id"] or -1),
                email=emails.get(record["email_id"] or -1),
                landing_page=pages.get(record["landing_page_id"] or -1),
                event=events.get(record["event_id"] or -1),
            )
            out[record["contact_id"]].append(record)
        return out
