"""Queries of webhooks: subscriptions, the outbox (deliveries) and the delivery log (attempts).

Everything a company sees is filtered by its id. The worker's queries (`claim_due`,
`finish`) run across companies, as the job queue's do: the worker serves every tenant and
never shows one tenant's rows to another.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.db.repository import INT_LIMIT


def enabled_subscriptions(session: Session, company_ids: Iterable[int]
                          ) -> list[tuple[int, int, list[Any]]]:
    """`(company, subscription id, event types)` of the enabled subscriptions of these
    companies: the one query the outbox makes per unit of work."""
    ids = sorted(set(company_ids))
    if not ids:
        return []
    stmt = (select(t.WebhookSubscription.company_id, t.WebhookSubscription.id,
                   t.WebhookSubscription.events)
            .where(t.WebhookSubscription.company_id.in_(ids),
                   t.WebhookSubscription.enabled.is_(True))
            .order_by(t.WebhookSubscription.id))
    return [(company, sub, list(events or [])) for company, sub, events in session.execute(stmt)]


def subscriptions(session: Session, company_id: int) -> list[t.WebhookSubscription]:
    stmt = (select(t.WebhookSubscription).where(t.WebhookSubscription.company_id == company_id)
            .order_by(t.WebhookSubscription.key))
    return list(session.scalars(stmt))


def subscription(session: Session, company_id: int, ident: str) -> t.WebhookSubscription | None:
    """A subscription by key, or by id when `ident` is a number."""
    stmt = select(t.WebhookSubscription).where(t.WebhookSubscription.company_id == company_id)
    if ident.isdigit() and int(ident) < INT_LIMIT:
        by_id = session.scalars(stmt.where(t.WebhookSubscription.id == int(ident))).first()
        if by_id is not None:
            return by_id
    return session.scalars(stmt.where(t.WebhookSubscription.key == ident)).first()


def subscription_by_key(session: Session, company_id: int, key: str
                        ) -> t.WebhookSubscription | None:
    stmt = select(t.WebhookSubscription).where(t.WebhookSubscription.company_id == company_id,
                                               t.WebhookSubscription.key == key)
    return session.scalars(stmt).first()


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Domain events in one statement."""
    if rows:
        session.execute(insert(t.DomainEvent), list(rows))


def insert_deliveries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Outbox rows in one statement."""
    if rows:
        session.execute(insert(t.WebhookDelivery), list(rows))


def delivery(session: Session, company_id: int, delivery_id: int) -> t.WebhookDelivery | None:
    if abs(delivery_id) >= INT_LIMIT:
        return None
    stmt = select(t.WebhookDelivery).where(t.WebhookDelivery.company_id == company_id,
                                           t.WebhookDelivery.id == delivery_id)
    return session.scalars(stmt).first()


def deliveries_page(session: Session, company_id: int, subscription_id: int,
                    statuses: Sequence[str], before: int | None, limit: int
                    ) -> list[t.WebhookDelivery]:
    """Newest first, `limit + 1` rows so the caller knows whether there is a next page."""
    stmt = select(t.WebhookDelivery).where(t.WebhookDelivery.company_id == company_id,
                                           t.WebhookDelivery.subscription_id == subscription_id)
    if statuses:
        stmt = stmt.where(t.WebhookDelivery.status.in_(statuses))
    if before is not None:
        stmt = stmt.where(t.WebhookDelivery.id < before)
    return list(session.scalars(stmt.order_by(t.WebhookDelivery.id.desc()).limit(limit + 1)))


def attempts_of(session: Session, company_id: int, delivery_ids: Sequence[int]
                ) -> dict[int, list[t.WebhookAttempt]]:
    if not delivery_ids:
        return {}
    stmt = (select(t.WebhookAttempt)
            .where(t.WebhookAttempt.company_id == company_id,
                   t.WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(t.WebhookAttempt.delivery_id, t.WebhookAttempt.id))
    out: dict[int, list[t.WebhookAttempt]] = {}
    for attempt in session.scalars(stmt):
        out.setdefault(attempt.delivery_id, []).append(attempt)
    return out


# --- the worker -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A delivery taken by one worker until `lease`: everything needed to send it."""

    id: int
    company_id: int
    message_id: str
    event_type: str
    payload: dict[str, Any]
    attempts: int
    lease: datetime
    url: str
    secret: str


def claim_due(session: Session, now: datetime, lease: datetime, limit: int) -> list[Claimed]:
    """Take up to `limit` due deliveries of enabled subscriptions: their next try moves to
    `lease`, so no other worker takes them meanwhile, and a worker that dies holding them only
    delays them. On PostgreSQL, rows another worker is claiming are skipped, not waited for."""
    due = (select(t.WebhookDelivery.id)
           .join(t.WebhookSubscription,
                 t.WebhookSubscription.id == t.WebhookDelivery.subscription_id)
           .where(t.WebhookDelivery.status == "pending",
                  t.WebhookDelivery.next_attempt_at <= now,
                  t.WebhookSubscription.enabled.is_(True))
           .order_by(t.WebhookDelivery.next_attempt_at, t.WebhookDelivery.id)
           .limit(limit)
           .with_for_update(of=t.WebhookDelivery, skip_locked=True))
    ids = list(session.scalars(due))
    if not ids:
        return []
    session.execute(update(t.WebhookDelivery).where(t.WebhookDelivery.id.in_(ids))
                    .values(next_attempt_at=lease))
    stmt = (select(t.WebhookDelivery, t.WebhookSubscription.url, t.WebhookSubscription.secret)
            .join(t.WebhookSubscription,
                  t.WebhookSubscription.id == t.WebhookDelivery.subscription_id)
            .where(t.WebhookDelivery.id.in_(ids))
            .order_by(t.WebhookDelivery.next_attempt_at, t.WebhookDelivery.id)
            .execution_options(populate_existing=True))
    return [Claimed(row.id, row.company_id, row.message_id, row.event_type, row.payload,
                    row.attempts, lease, url, secret)
            for row, url, secret in session.execute(stmt)]


def finish(session: Session, claimed: Claimed, values: dict[str, Any]) -> bool:
    """Write the outcome of a try, if the delivery is still this worker's (its lease was not
    taken over by another after expiring, nor was it re-queued meanwhile)."""
    stmt = (update(t.WebhookDelivery)
            .where(t.WebhookDelivery.id == claimed.id,
                   t.WebhookDelivery.status == "pending",
                   t.WebhookDelivery.attempts == claimed.attempts,
                   t.WebhookDelivery.next_attempt_at == claimed.lease)
            .values(**values))
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
