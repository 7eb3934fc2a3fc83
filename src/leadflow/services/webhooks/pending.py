"""What one unit of work has to report, kept on its Session until the transaction commits.

Events become outbox rows only when the transaction commits (see outbox.py), after every change
of the unit — scoring included — so a payload shows the lead as it was committed. Each thing
noted remembers the savepoint it happened in: when a savepoint is rolled back (a bad item of a
batch), what was noted inside it is forgotten with its rows. The whole state is dropped when the
transaction ends, committed or not, so nothing — the company's subscriptions included — is
cached from one transaction to the next.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, SessionTransaction

from leadflow.db import webhooks as queries

KEY = "leadflow.webhooks.unit"
Within = SessionTransaction | None  # the savepoint something happened in; None: the transaction


@dataclass
class Event:
    """An event to turn into deliveries: recorded by `events.record`, or derived at commit."""

    company_id: int
    type: str
    lead_id: int | None
    payload: dict[str, Any]
    at: datetime
    within: Within = None


@dataclass
class LeadSeen:
    """A lead inserted, changed or deleted by one flush: `changes` are `{field: (old, new)}`."""

    company_id: int
    lead_id: int
    kind: str  # created | changed | deleted
    changes: dict[str, tuple[Any, Any]]
    within: Within = None


@dataclass
class ScoreSeen:
    """A stored score or grade that changed in one model: `(score, grade)` before and after."""

    company_id: int
    lead_id: int
    model_id: int
    old: tuple[int | None, str | None]
    new: tuple[int | None, str | None]
    at: datetime
    within: Within = None


@dataclass
class Unit:
    """The state of one transaction."""

    events: list[Event] = field(default_factory=list)
    leads: list[LeadSeen] = field(default_factory=list)
    scores: list[ScoreSeen] = field(default_factory=list)
    subscriptions: dict[int, list[tuple[int, list[Any]]]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.events or self.leads or self.scores)

    def subscribers(self, session: Session, company_ids: Iterable[int]
                    ) -> dict[int, list[tuple[int, list[Any]]]]:
        """`{company: [(subscription id, event types)]}` of enabled subscriptions, read once
        per transaction (one query for all the companies not read yet)."""
        wanted = set(company_ids)
        missing = wanted - self.subscriptions.keys()
        if missing:
            for company in missing:
                self.subscriptions[company] = []
            for company, sub, types in queries.enabled_subscriptions(session, missing):
                self.subscriptions[company].append((sub, types))
        return {company: self.subscriptions[company] for company in wanted}

    def wants(self, session: Session, company_id: int, type: str) -> bool:
        """Whether an enabled subscription of the company asks for `type`."""
        subs = self.subscriptions.get(company_id)
        if subs is None:
            subs = self.subscribers(session, [company_id])[company_id]
        return any(type in types for _, types in subs)

    def forget(self, savepoint: SessionTransaction) -> None:
        """Drop what was noted inside `savepoint` (or a savepoint within it): it rolled back."""

        def kept(within: Within) -> bool:
            while within is not None:
                if within is savepoint:
                    return False
                within = within.parent
            return True

        self.events = [e for e in self.events if kept(e.within)]
        self.leads = [s for s in self.leads if kept(s.within)]
        self.scores = [s for s in self.scores if kept(s.within)]


def unit(session: Session) -> Unit:
    """The state of the session's current transaction, created on first use."""
    found = session.info.get(KEY)
    if found is None:
        found = session.info[KEY] = Unit()
    return found


def peek(session: Session) -> Unit | None:
    """The state, if anything was noted or read in this transaction."""
    return session.info.get(KEY)


def drop(session: Session) -> None:
    session.info.pop(KEY, None)


def forget_subscriptions(session: Session) -> None:
    """Subscriptions changed in this transaction: read them again when next needed."""
    found = peek(session)
    if found is not None:
        found.subscriptions.clear()


def within(session: Session) -> Within:
    """The innermost savepoint now open, if any."""
    return session.get_nested_transaction()
