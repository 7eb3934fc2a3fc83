"""Building the plain records the scoring core reads (LeadFacts) from stored rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import scoring as queries
from leadflow.db import tables as t
from leadflow.scoring.evaluate import LeadFacts

MAX_PARENT_HOPS = 5
Record = dict[str, Any]


def _columns(row: Any, *, custom: bool = True) -> Record:
    record: Record = {c.name: getattr(row, c.name) for c in row.__table__.columns}
    if custom:
        record.update(record.pop("custom", None) or {})
    return record


@dataclass
class FactLoader:
    """Loads LeadFacts for many leads of one company with a handful of queries."""

    session: Session
    company_id: int
    _catalog: dict[str, dict[int, Record]] = field(default_factory=dict)

    def _catalog_of(self, name: str, table: Any) -> dict[int, Record]:
        if name not in self._catalog:
            rows = queries.all_rows(self.session, self.company_id, table)
            self._catalog[name] = {i: _columns(r, custom=False) for i, r in rows.items()}
        return self._catalog[name]

    def _campaign(self, campaign_id: int | None) -> Record | None:
        if campaign_id is None:
            return None
        campaign = self._catalog_of("campaigns", t.Campaign).get(campaign_id)
        if campaign is None:
            return None
        programs = self._catalog_of("programs", t.Program)
        return {**campaign, "program": programs.get(campaign["program_id"])}

    def load(
        self, leads: Sequence[t.Lead], as_of: datetime, *, behavior_reset: bool,
        types: Sequence[str] | None = None,
    ) -> dict[int, LeadFacts]:
        """`{lead_id: LeadFacts}` with interactions up to `as_of` (of `types`, if given)."""
        account_leads = [lead.account_id for lead in leads if lead.scope == "account"]
        contacts = {c.id: c for c in queries.contacts_of_accounts(
            self.session, self.company_id, account_leads)}
        contacts.update(queries.rows_by_id(self.session, self.company_id, t.Contact,
                                           (lead.contact_id for lead in leads)))
        accounts = self._accounts({lead.account_id for lead in leads}
                                  | {c.account_id for c in contacts.values()})
        contact_records = {i: {**_columns(c), "account": accounts.get(c.account_id or -1)}
                           for i, c in contacts.items()}
        interactions = self._interactions(contact_records, accounts, as_of, types)
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
        users = self._catalog_of("users", t.User)
        record = {
            **_columns(lead), "contact": contact,
            "account": accounts.get(lead.account_id) if lead.account_id else None,
            "campaign": self._campaign(lead.campaign_id),
            "program": self._catalog_of("programs", t.Program).get(lead.program_id or -1),
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
        rows: dict[int, Any] = {}
        wanted = {i for i in ids if i is not None}
        for _ in range(MAX_PARENT_HOPS + 1):
            found = queries.rows_by_id(self.session, self.company_id, t.Account,
                                       wanted - rows.keys())
            rows.update(found)
            wanted = {r.parent_id for r in found.values() if r.parent_id is not None}
            if not wanted - rows.keys():
                break
        records: dict[int, Record] = {}

        def build(account_id: int | None, depth: int) -> Record | None:
            if account_id is None or account_id not in rows or depth > MAX_PARENT_HOPS:
                return None
            row = rows[account_id]
            return {**_columns(row), "parent": build(row.parent_id, depth + 1)}

        for account_id in rows:
            records[account_id] = build(account_id, 0)  # type: ignore[assignment]
        return records

    def _interactions(
        self, contacts: dict[int, Record], accounts: dict[int, Record], as_of: datetime,
        types: Sequence[str] | None,
    ) -> dict[int, list[Record]]:
        rows = queries.interactions_of_contacts(self.session, self.company_id, contacts, as_of,
                                                types)
        emails = self._catalog_of("emails", t.MarketingEmail)
        pages = self._catalog_of("landing_pages", t.LandingPage)
        events = self._catalog_of("events", t.Event)
        programs = self._catalog_of("programs", t.Program)
        out: dict[int, list[Record]] = defaultdict(list)
        for row in rows:
            record = _columns(row, custom=False)
            record["attr"] = record.pop("attributes", None) or {}
            record.update(
                contact=contacts.get(row.contact_id or -1),
                account=accounts.get(row.account_id or -1),
                campaign=self._campaign(row.campaign_id),
                program=programs.get(row.program_id or -1),
                email=emails.get(row.email_id or -1),
                landing_page=pages.get(row.landing_page_id or -1),
                event=events.get(row.event_id or -1),
            )
            out[row.contact_id].append(record)  # type: ignore[index]
        return out
