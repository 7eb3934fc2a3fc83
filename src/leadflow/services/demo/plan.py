"""A month of planned activity: the recipe of each company, the people in it, and the items.

The activity step plans every interaction first (who did what, when), then sends the items
through the real ingestion in time order, exactly as a live source would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Send:
    """A marketing email going out.

    A broadcast goes `day` days before loading to a `share` of the contacts, and to everyone
    with a lead in the email's campaign. With `to` (a landing page or event key) it goes to the
    people who submitted that form or registered: all at once `day` days ago, or each one
    `delay` days after their submission.
    """

    email: str
    day: int | None = None
    share: float = 0.0
    to: str | None = None
    delay: int | None = None


@dataclass(frozen=True)
class Signup:
    """People filling in a landing page's form (`page`), registering for an `event`, or both,
    between `days[0]` and `days[1]` days before loading; clickers of `email` are the likeliest."""

    page: str | None
    days: tuple[int, int]
    known: int  # contacts the company already has
    new: int = 0  # people it did not know yet (their form creates the contact)
    event: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Activity:
    """What happens in one company's month: its website, forms, registrations and emails."""

    site: str  # the company's website, e.g. https://northwindtraders.com
    pages: tuple[tuple[str, int], ...]  # paths people browse, with their weights
    signups: tuple[Signup, ...]
    sends: tuple[Send, ...]
    attendance: float = 0.6  # share of a past event's registrants who attend it
    anonymous: int = 12  # visitors who never say who they are
    sessions: float = 0.4  # browsing sessions in the month of the most engaged person


@dataclass
class Person:
    """Someone who may act in the month: a contact, or a person a form will introduce."""

    email: str
    visitor: str  # their tracking cookie
    propensity: float  # 0..1: how much they engage with the company's marketing
    known: bool  # already a contact before the month
    form: dict[str, Any] = field(default_factory=dict)  # what they type into a form
    identified_at: datetime | None = None  # first form of a person the company did not know
    unsubscribed_at: datetime | None = None
    bounced: bool = False  # hard bounce: no more emails
    contact_id: int | None = None  # of a known contact

    def reachable(self, when: datetime) -> bool:
        """Whether an email sent at `when` can still reach them."""
        if self.bounced or (self.unsubscribed_at is not None and self.unsubscribed_at <= when):
            return False
        return self.known or (self.identified_at is not None and self.identified_at <= when)


@dataclass
class Plan:
    """The planned interactions, each an input of the ingestion plus when it happened."""

    items: list[tuple[datetime, int, dict[str, Any]]] = field(default_factory=list)

    def add(self, kind: str, when: datetime, **fields: Any) -> None:
        """Plan one interaction; `None` fields are left out."""
        item = {"type": kind, **{k: v for k, v in fields.items() if v is not None}}
        self.items.append((when, len(self.items), item))

    def in_order(self) -> list[tuple[datetime, dict[str, Any]]]:
        """Items in time order, each with a stable external id (its place in the plan)."""
        ordered = sorted(self.items, key=lambda entry: (entry[0], entry[1]))
        return [(when, {**item, "occurred_at": when, "external_id": f"demo-{seq + 1:05d}"})
                for when, seq, item in ordered]
