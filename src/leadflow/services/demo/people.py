"""The demo step that creates accounts (some under parent accounts) and their contacts."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from typing import Any

from leadflow.db import bulk
from leadflow.db import tables as t
from leadflow.services.demo import data
from leadflow.services.demo.context import Demo

COUNTRY_TLDS = {"GB": "co.uk", "DE": "de", "FR": "fr", "NL": "nl", "IE": "ie", "ES": "es",
                "SE": "se", "CH": "ch", "CA": "ca"}
PLACE_BY_CITY = {p.city: p for p in data.PLACES}


def load_people(demo: Demo) -> None:
    """Accounts first (parents before subsidiaries), then contacts at their domains."""
    rng = demo.rng("people")
    names = _Names()
    holdings = _holdings(demo, rng, names)
    bulk.add_all(demo.session, demo.company.id, holdings)
    others = _subsidiaries(demo, rng, names, holdings)
    while len(holdings) + len(others) < demo.spec.accounts:
        name, industry = names.company(rng)
        others.append(_account(demo, rng, names, name, industry))
    bulk.add_all(demo.session, demo.company.id, others)
    demo.accounts = [*holdings, *others]
    demo.contacts = list(bulk.add_all(demo.session, demo.company.id, _contacts(demo, rng)))


class _Names:
    """Hands out company names, account domains and contact emails, each once."""

    def __init__(self) -> None:
        self.used_stems: set[str] = set()
        self.reserved: set[str] = set()
        self.names: set[str] = set()
        self.domains: set[str] = set()
        self.emails: set[str] = set()

    def take_stem(self, rng: random.Random, reserve: bool = False) -> str:
        # Once every stem is used, names repeat a stem with another industry's suffix; never
        # a holding's stem, which only its subsidiaries carry.
        free = [s for s in data.COMPANY_STEMS if s not in self.used_stems]
        stem = rng.choice(free or [s for s in data.COMPANY_STEMS if s not in self.reserved])
        self.used_stems.add(stem)
        if reserve:
            self.reserved.add(stem)
        return stem

    def claim(self, name: str) -> str:
        self.names.add(name)
        return name

    def company(self, rng: random.Random) -> tuple[str, data.Industry]:
        """A company name not used yet, and its industry."""
        while True:
            stem, industry = self.take_stem(rng), rng.choice(data.INDUSTRIES)
            name = f"{stem} {rng.choice(industry.suffixes)}"
            if name not in self.names:
                return self.claim(name), industry

    def domain(self, name: str, tld: str) -> str:
        base = re.sub(r"[^a-z0-9]", "", name.lower())
        domain, n = f"{base}.{tld}", 2
        while domain in self.domains:
            domain, n = f"{base}{n}.{tld}", n + 1
        self.domains.add(domain)
        return domain

    def email(self, first: str, last: str, domain: str) -> str:
        local = re.sub(r"[^a-z.]", "", f"{first}.{last}".lower())
        candidates = [local, f"{first[0]}{last}".lower(), f"{first}{last[0]}".lower()]
        candidates += [f"{local}{n}" for n in range(2, 100)]
        for candidate in candidates:
            email = f"{candidate}@{domain}"
            if email not in self.emails:
                self.emails.add(email)
                return email
        raise AssertionError("ran out of email addresses")  # pragma: no cover


def _holdings(demo: Demo, rng: random.Random, names: _Names) -> list[t.Account]:
    """Large parent companies (`Acme Holdings`); their stem is left to their subsidiaries."""
    rows = []
    for _ in range(demo.spec.holdings):
        name = names.claim(f"{names.take_stem(rng, reserve=True)} Holdings")
        rows.append(_account(demo, rng, names, name, rng.choice(data.INDUSTRIES)))
    for row in rows:
        row.employees = rng.randrange(20_000, 90_000, 500)
        row.annual_revenue = float(row.employees * rng.randrange(200_000, 400_000, 1000))
        row.custom = _custom(demo, "account", tier="strategic")
    return rows


def _subsidiaries(
    demo: Demo, rng: random.Random, names: _Names, holdings: Sequence[t.Account]
) -> list[t.Account]:
    """Two to four companies per holding, named after it, in different industries."""
    rows = []
    for parent in holdings:
        stem = parent.name.removesuffix(" Holdings")
        for industry in rng.sample(data.INDUSTRIES, rng.randint(2, 4)):
            name = names.claim(f"{stem} {rng.choice(industry.suffixes)}")
            row = _account(demo, rng, names, name, industry)
            row.parent_id = parent.id
            rows.append(row)
    return rows


def _account(
    demo: Demo, rng: random.Random, names: _Names, name: str, industry: data.Industry
) -> t.Account:
    place = rng.choice(data.PLACES)
    tld = COUNTRY_TLDS.get(place.country, industry.tld) if rng.random() < 0.6 else industry.tld
    low, high = industry.employees
    employees = _round(math.exp(rng.uniform(math.log(low), math.log(high))))
    revenue = employees * rng.randint(*industry.revenue_per_employee)
    has_revenue = rng.random() < 0.9  # real CRMs have gaps
    external = f"sfdc-001{rng.randrange(10**9):09d}" if rng.random() < 0.4 else None
    return t.Account(
        name=name, domain=names.domain(name, tld), industry=industry.name, employees=employees,
        annual_revenue=float(round(revenue, -3)) if has_revenue else None, city=place.city,
        country=place.country, parent_id=None, external_id=external,
        custom=_custom(demo, "account", tier=_tier(rng, employees)),
    )


def _contacts(demo: Demo, rng: random.Random) -> list[t.Contact]:
    names = _Names()
    titles = [title for title, _ in data.JOB_TITLES]
    weights = [weight for _, weight in data.JOB_TITLES]
    per_account = _spread(rng, demo.spec.contacts - demo.spec.personal_contacts, demo.accounts)
    rows = []
    for account, count in zip(demo.accounts, per_account, strict=True):
        home = PLACE_BY_CITY[account.city or ""]
        for _ in range(count):
            first, last = rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES)
            # Most people work where their company is; some in another office of the territory.
            place = home if rng.random() < 0.8 else rng.choice(
                [p for p in data.PLACES if p.territory == home.territory])
            rows.append(_contact(
                demo, rng, first, last, names.email(first, last, account.domain or ""), place,
                rng.choices(titles, weights)[0], account, _segment(account.employees or 0)))
    for _ in range(demo.spec.personal_contacts):
        first, last = rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES)
        email = names.email(first, last + str(rng.randint(1, 99)),
                            rng.choice(data.PERSONAL_DOMAINS))
        rows.append(_contact(demo, rng, first, last, email, rng.choice(data.PLACES), None, None,
                             "smb"))
    return rows


def _contact(
    demo: Demo, rng: random.Random, first: str, last: str, email: str, place: data.Place,
    title: str | None, account: t.Account | None, segment: str,
) -> t.Contact:
    phone = f"{place.phone} {rng.randint(100, 9999):04d}" if rng.random() < 0.7 else None
    return t.Contact(
        email=email, first_name=first, last_name=last, job_title=title, phone=phone,
        city=place.city, state=place.state, country=place.country,
        account_id=account.id if account else None, external_id=None,
        custom=_custom(demo, "contact", segment=segment),
    )


def _spread(rng: random.Random, total: int, accounts: Sequence[t.Account]) -> list[int]:
    """One contact per account, the rest to bigger companies more often."""
    counts = [1] * len(accounts)
    weights = [math.log10((a.employees or 10) + 10) for a in accounts]
    for index in rng.choices(range(len(accounts)), weights, k=max(0, total - len(accounts))):
        counts[index] += 1
    return counts


def _custom(demo: Demo, entity: str, **values: Any) -> dict[str, Any]:
    """Only values of the custom fields this company declares."""
    declared = {f["key"] for f in demo.spec.catalog.custom_fields if f["entity"] == entity}
    return {k: v for k, v in values.items() if k in declared}


def _segment(employees: int) -> str:
    return "smb" if employees < 200 else "mid-market" if employees < 2000 else "enterprise"


def _tier(rng: random.Random, employees: int) -> str:
    tiers = ("standard", "growth", "strategic")
    base = 0 if employees < 500 else 1 if employees < 5000 else 2
    nudge = rng.choice((-1, 0, 0, 0, 1))  # account managers do not follow size exactly
    return tiers[min(2, max(0, base + nudge))]


def _round(value: float) -> int:
    return int(value) if value < 100 else int(round(value, -1)) if value < 1000 else int(
        round(value, -2))
