"""The demo step that creates leads in every stage, from every source, in every kind of context.

Stages and sales-ready flags are set directly, as seed data: the history that would have led
there (interactions, scores, actions) is added by later steps.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadflow.db import bulk
from leadflow.db import tables as t
from leadflow.services.demo import data
from leadflow.services.demo.context import Demo
from leadflow.services.demo.people import PLACE_BY_CITY
from leadflow.services.record_rules import default_name

# How long ago leads in each stage were created, in days (later stages are older).
AGE = {"nurture": (1, 240), "sales_ready": (1, 30), "accepted": (5, 60), "qualified": (10, 90),
       "opportunity": (20, 150), "won": (60, 365), "lost": (45, 365)}
OPEN_WORK = ("sales_ready", "accepted", "qualified", "opportunity")
SOURCES = {"auto": 45, "import": 20, "api": 20, "manual": 15}
PRIORITIES = ("low", "normal", "high", "urgent")


@dataclass(frozen=True)
class _Context:
    """A lead's marketing context: a campaign (and its program), a program, or the company."""

    campaign: t.Campaign | None
    program: t.Program | None

    @property
    def key(self) -> tuple[str, int | None]:
        if self.campaign is not None:
            return ("campaign", self.campaign.id)
        return ("program", self.program.id) if self.program is not None else ("company", None)


def load_leads(demo: Demo) -> None:
    """Leads in the spec's stage mix; one per contact (or account) and context."""
    rng = demo.rng("leads")
    stages = [stage for stage, count in demo.spec.leads.items() for _ in range(count)]
    rng.shuffle(stages)
    by_account = set(rng.sample(range(len(stages)), demo.spec.account_leads))
    maker = _LeadMaker(demo, rng)
    rows = [maker.lead(stage, index in by_account) for index, stage in enumerate(stages)]
    demo.leads = list(bulk.add_all(demo.session, demo.company.id, rows))


class _LeadMaker:
    def __init__(self, demo: Demo, rng: random.Random) -> None:
        self.demo, self.rng = demo, rng
        self.taken: set[tuple[str, int, tuple[str, int | None]]] = set()
        self.external_ids: set[str] = set()
        self.programs = {p.id: p for p in demo.programs}
        self.big_accounts = [a for a in demo.accounts if (a.employees or 0) >= 500]
        self.accounts = {a.id: a for a in demo.accounts}

    def lead(self, stage: str, account_scope: bool) -> t.Lead:
        """One lead in `stage` with plausible owner, dates, source and status."""
        rng = self.rng
        contact, account, context = self._target(account_scope)
        created = self.demo.now - timedelta(days=rng.randint(*AGE[stage]),
                                             seconds=rng.randint(0, 86_399))
        source, origin = self._source(context)
        place = PLACE_BY_CITY[(contact.city if contact else account.city if account else None)
                              or "London"]
        owner = self._owner(stage, place.territory)
        sales_ready = stage in (*OPEN_WORK, "won") or (stage == "lost" and rng.random() < 0.6)
        status = rng.choice(data.STATUSES[stage])
        recycled = stage == "nurture" and rng.random() < 0.1
        ready_at = self._later(created, 20) if sales_ready else None
        recycled_at = self._later(created, 40) if recycled else None
        updated = max(d for d in (self._later(created, 60), ready_at, recycled_at) if d)
        return t.Lead(
            name=default_name(contact, account, context.campaign, context.program,
                              "account" if account_scope else "contact"),
            scope="account" if account_scope else "contact",
            contact_id=contact.id if contact else None, account_id=account.id if account else None,
            program_id=context.program.id if context.program else None,
            campaign_id=context.campaign.id if context.campaign else None,
            origin=origin[0] if origin else None,
            origin_landing_page_id=_origin_id(origin, "landing_page"),
            origin_event_id=_origin_id(origin, "event"),
            origin_email_id=_origin_id(origin, "email"),
            status="Recycled" if recycled else status,
            priority=self._priority(stage),
            due_date=(self.demo.now + timedelta(days=rng.randint(-7, 30))).date()
            if stage in OPEN_WORK and owner is not None else None,
            territory=place.territory if owner is not None or stage != "nurture" else None,
            owner_id=owner.id if owner else None,
            stage=stage, sales_ready=sales_ready,
            sales_ready_at=ready_at, recycled_at=recycled_at,
            source=source, external_id=self._external_id(source),
            custom={}, created_at=created, updated_at=updated,
        )

    def _target(self, account_scope: bool) -> tuple[t.Contact | None, t.Account | None, _Context]:
        """A contact (or account) and a context no other lead of it has yet."""
        while True:
            context = self._context()
            contact: t.Contact | None
            account: t.Account | None
            if account_scope:
                contact, account = None, self.rng.choice(self.big_accounts or self.demo.accounts)
                target = ("account", account.id, context.key)
            else:
                contact = self.rng.choice(self.demo.contacts)
                account = self.accounts.get(contact.account_id) if contact.account_id else None
                target = ("contact", contact.id, context.key)
            if target not in self.taken:
                self.taken.add(target)
                return contact, account, context

    def _context(self) -> _Context:
        roll = self.rng.random()
        if roll < 0.7 and self.demo.campaigns:
            campaign = self.rng.choice(self.demo.campaigns)
            return _Context(campaign, self.programs.get(campaign.program_id or 0))
        if roll < 0.82 and self.demo.programs:
            return _Context(None, self.rng.choice(self.demo.programs))
        return _Context(None, None)

    def _source(self, context: _Context) -> tuple[str, tuple[str, int] | None]:
        """How the lead arrived; automatic leads come from a page, event or email of the context."""
        source = self.rng.choices(list(SOURCES), list(SOURCES.values()))[0]
        origins = self._origins(context)
        if source != "auto":
            return source, None
        if not origins:
            return self.rng.choice(("import", "api", "manual")), None
        return "auto", self.rng.choice(origins)

    def _origins(self, context: _Context) -> list[tuple[str, int]]:
        # With the default `campaign` creation strategy an automatic lead's context is the
        # campaign of its origin, or the company when the origin has none; never a bare program.
        if context.program is not None and context.campaign is None:
            return []
        wanted = context.campaign.id if context.campaign else None
        found: list[tuple[str, int]] = [
            ("landing_page", p.id) for p in self.demo.landing_pages
            if p.campaign_id == wanted and p.creates_leads]
        found += [("event", e.id) for e in self.demo.events
                  if e.campaign_id == wanted and e.creates_leads]
        if not found and wanted is not None:
            found = [("email", e.id) for e in self.demo.emails if e.campaign_id == wanted]
        return found

    def _owner(self, stage: str, territory: str) -> t.User | None:
        chance = {"nurture": 0.15, "sales_ready": 0.75}.get(stage, 1.0)
        reps = self.demo.sales_reps(territory) or self.demo.sales_reps()
        return self.rng.choice(reps) if reps and self.rng.random() < chance else None

    def _priority(self, stage: str) -> str:
        weights = (35, 55, 10, 0) if stage == "nurture" else (10, 45, 33, 12)
        return self.rng.choices(PRIORITIES, weights)[0]

    def _later(self, start: datetime, max_days: int) -> datetime:
        """A moment after `start`, never in the future."""
        return min(self.demo.now, start + timedelta(days=self.rng.uniform(0, max_days)))

    def _external_id(self, source: str) -> str | None:
        if source not in ("import", "api"):
            return None
        while True:
            value = (f"sfdc-00Q{self.rng.randrange(10**9):09d}" if source == "import"
                     else f"crm-{self.rng.randrange(10**6):06d}")
            if value not in self.external_ids:
                self.external_ids.add(value)
                return value


def _origin_id(origin: tuple[str, int] | None, kind: str) -> int | None:
    return origin[1] if origin and origin[0] == kind else None
