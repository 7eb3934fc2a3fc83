"""Planning marketing emails: deliveries, bounces, opens, clicks (with the visit they lead to)
and unsubscribes, at rates like a real B2B list (opens about 30%, clicks about 8%)."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from leadflow.db import tables as t
from leadflow.services.demo.month import Month
from leadflow.services.demo.plan import Person, Send

BOUNCE = 0.015  # of a broadcast's recipients
HARD_BOUNCE = 0.6  # of bounces
UNSUBSCRIBE = 0.02  # of a broadcast's openers, the less engaged more often


def send(month: Month, item: Send, rng: random.Random) -> None:
    """Plan one email going out and what each recipient does with it."""
    email = month.email(item.email)
    broadcast = item.to is None
    for person, when in _recipients(month, item, email, rng):
        if person.reachable(when):
            _deliver(month, email, person, when, rng, broadcast)


def _recipients(month: Month, item: Send, email: t.MarketingEmail, rng: random.Random
                ) -> list[tuple[Person, datetime]]:
    if item.to is None:
        start = month.ago(item.day or 0)
        members = month.members(email.campaign_id)
        audience = [p for p in month.people
                    if p.contact_id in members or rng.random() < item.share]
        # A mass send leaves over about an hour.
        return [(p, start + timedelta(seconds=rng.randint(0, 3600))) for p in audience]
    out = []
    for person, submitted in month.submitted[item.to]:
        if item.delay is not None:
            when = submitted + timedelta(days=item.delay, minutes=rng.randint(0, 90))
        else:
            when = month.ago(item.day or 0)
            if submitted >= when:  # signed up after it went out
                continue
        if when <= month.now:
            out.append((person, when))
    return out


def _deliver(month: Month, email: t.MarketingEmail, person: Person, when: datetime,
             rng: random.Random, broadcast: bool) -> None:
    plan, who = month.plan, {"contact_email": person.email, "email": email.key}
    if broadcast and rng.random() < BOUNCE:
        hard = rng.random() < HARD_BOUNCE
        plan.add("email_bounced", when, bounce_type="hard" if hard else "soft", **who)
        person.bounced = person.bounced or hard
        return
    plan.add("email_delivered", when, **who)
    opened = when + _reading_delay(rng)
    if rng.random() >= min(0.95, person.propensity) or opened > month.now:
        return
    plan.add("email_opened", opened, **who)
    if broadcast and rng.random() < UNSUBSCRIBE * 2 * (1 - person.propensity):
        person.unsubscribed_at = opened + timedelta(seconds=rng.randint(10, 120))
        plan.add("email_unsubscribed", person.unsubscribed_at, **who)
        return
    clicked = opened + timedelta(seconds=rng.randint(15, 600))
    if rng.random() >= 0.02 + 0.5 * person.propensity or clicked > month.now:
        return
    link = month.link(email, rng)
    plan.add("email_clicked", clicked, link=link, **who)
    # The link carries who clicked, so the page view is the contact's.
    plan.add("website_visited", clicked + timedelta(seconds=2), url=link,
             contact_email=person.email, duration_seconds=rng.randint(20, 400))
    month.clicks[email.key].append((person, clicked))


def _reading_delay(rng: random.Random) -> timedelta:
    """Most opens come within hours, some a few days later."""
    return timedelta(minutes=min(5 * 24 * 60, math.exp(rng.gauss(4.5, 1.6))))
