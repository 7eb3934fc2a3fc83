"""What the demo steps share: the company being filled, its recipe, and what earlier steps made."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from leadflow.db import tables as t

if TYPE_CHECKING:
    from leadflow.services.demo.catalog import Catalog


@dataclass(frozen=True)
class CompanySpec:
    """The recipe of one demo company: its catalog and how many people and leads it has."""

    key: str
    name: str
    catalog: Catalog
    accounts: int
    contacts: int
    leads: dict[str, int]  # stage → how many leads are in it
    holdings: int = 0  # parent accounts, each with a few subsidiaries among `accounts`
    personal_contacts: int = 0  # contacts with a free-mail address and no account (of `contacts`)
    account_leads: int = 0  # account-scope leads (of the total)

    @property
    def lead_count(self) -> int:
        return sum(self.leads.values())


@dataclass
class Demo:
    """One company being loaded; each step reads what the steps before it created."""

    session: Session
    company: t.Company
    spec: CompanySpec
    seed: int
    now: datetime
    users: list[t.User] = field(default_factory=list)
    programs: list[t.Program] = field(default_factory=list)
    campaigns: list[t.Campaign] = field(default_factory=list)
    landing_pages: list[t.LandingPage] = field(default_factory=list)
    events: list[t.Event] = field(default_factory=list)
    emails: list[t.MarketingEmail] = field(default_factory=list)
    accounts: list[t.Account] = field(default_factory=list)
    contacts: list[t.Contact] = field(default_factory=list)
    leads: list[t.Lead] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # room for later steps

    def rng(self, step: str) -> random.Random:
        """A generator of its own per step, so adding a step never changes the others' data."""
        return random.Random(f"{self.seed}:{self.company.key}:{step}")

    def sales_reps(self, territory: str | None = None) -> list[t.User]:
        """Sales users, optionally only those covering `territory`."""
        return [
            u for u in self.users
            if u.role == "sales" and (territory is None or territory in (u.territories or []))
        ]
