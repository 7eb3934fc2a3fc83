"""The month being planned: the people, the catalog by key, and what has happened so far."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from leadflow.db import tables as t
from leadflow.services.demo.context import Demo
from leadflow.services.demo.plan import Activity, Person, Plan

DAYS = 30
CLOSED = ("won", "lost")


@dataclass
class Month:
    """Shared by the planners: each reads what the others planned before it."""

    demo: Demo
    activity: Activity
    people: list[Person]  # the company's contacts, in contact order
    leads: list[t.Lead]  # the company's leads before the month
    newcomers: list[Person] = field(default_factory=list)  # introduced by their first form
    plan: Plan = field(default_factory=Plan)
    clicks: dict[str, list[tuple[Person, datetime]]] = field(
        default_factory=lambda: defaultdict(list))  # email key → who clicked, when
    submitted: dict[str, list[tuple[Person, datetime]]] = field(
        default_factory=lambda: defaultdict(list))  # page or event key → who, when

    @classmethod
    def start(cls, demo: Demo, activity: Activity, rng: random.Random) -> Month:
        """Everyone the company knows, each with a propensity to engage and a tracking cookie."""
        accounts = {a.id: a for a in demo.accounts}
        # Campaign audiences come from the leads the company had before the month, so
        # playing the month again plans exactly the same items.
        played = demo.extra.get("activity")
        ours = set(played.new_leads) if played is not None else set()
        leads = [lead for lead in demo.leads if lead.id not in ours]
        people = [
            Person(email=c.email or "", visitor=_cookie(rng), propensity=propensity(rng),
                   known=True, form=_form_of(c, accounts.get(c.account_id or -1)),
                   contact_id=c.id)
            for c in demo.contacts
        ]
        return cls(demo, activity, people, leads)

    @property
    def now(self) -> datetime:
        return self.demo.now

    def ago(self, days: float) -> datetime:
        return self.demo.now - timedelta(days=days)

    def within(self, rng: random.Random, oldest: float, newest: float) -> datetime:
        """A random moment between `oldest` and `newest` days ago."""
        return self.ago(rng.uniform(newest, oldest))

    def email(self, key: str) -> t.MarketingEmail:
        return next(e for e in self.demo.emails if e.key == key)

    def page(self, key: str) -> t.LandingPage:
        return next(p for p in self.demo.landing_pages if p.key == key)

    def event(self, key: str) -> t.Event:
        return next(e for e in self.demo.events if e.key == key)

    def members(self, campaign_id: int | None) -> set[int]:
        """Contacts with an open lead in the campaign: its emails go to them."""
        if campaign_id is None:
            return set()
        return {lead.contact_id for lead in self.leads
                if lead.campaign_id == campaign_id and lead.contact_id is not None
                and lead.stage not in CLOSED}

    def link(self, email: t.MarketingEmail, rng: random.Random) -> str:
        """Where an email's call to action leads: its campaign's page, or the website."""
        pages = [p.url for p in self.demo.landing_pages
                 if email.campaign_id is not None and p.campaign_id == email.campaign_id and p.url]
        if pages:
            return pages[0]
        return self.url(rng)

    def url(self, rng: random.Random) -> str:
        paths = [path for path, _ in self.activity.pages]
        weights = [weight for _, weight in self.activity.pages]
        return self.activity.site + rng.choices(paths, weights)[0]


def propensity(rng: random.Random) -> float:
    """Most people engage a little, a few a lot."""
    return rng.betavariate(1.3, 2.6)


def _cookie(rng: random.Random) -> str:
    return f"v-{rng.getrandbits(48):012x}"


def _form_of(contact: t.Contact, account: t.Account | None) -> dict[str, str]:
    """What a contact types into a form: what the company already knows about them."""
    fields = {"first_name": contact.first_name, "last_name": contact.last_name,
              "job_title": contact.job_title, "country": contact.country}
    if account is not None:
        fields.update(company=account.name, domain=account.domain)
    return {k: v for k, v in fields.items() if v}
