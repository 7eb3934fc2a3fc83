"""The delivery log of a subscription, redelivery, and test messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.db import webhooks as queries
from leadflow.db.types import utcnow
from leadflow.errors import Conflict, NotFound, ValidationFailed
from leadflow.services.webhooks.outbox import message_id
from leadflow.services.webhooks.payloads import envelope

STATUSES = ("pending", "delivered", "dead")
MAX_LIMIT = 200
TEST_EVENT = "webhook.test"


def deliveries(session: Session, company_id: int, subscription: t.WebhookSubscription,
               statuses: Sequence[str] = (), cursor: str | None = None, limit: int = 50
               ) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the subscription's messages, newest first, each with its tries."""
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise ValidationFailed(f"unknown delivery status '{unknown[0]}'; use one of: "
                               f"{', '.join(STATUSES)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be from 1 to {MAX_LIMIT}")
    before = None
    if cursor is not None:
        if not cursor.isdigit():
            raise ValidationFailed("cursor: use next_cursor from a previous answer")
        before = int(cursor)
    rows = queries.deliveries_page(session, company_id, subscription.id, statuses, before,
                                   limit)
    more = len(rows) > limit
    rows = rows[:limit]
    tries = queries.attempts_of(session, company_id, [r.id for r in rows])
    items = [describe(r, subscription.key, tries.get(r.id, [])) for r in rows]
    return items, str(rows[-1].id) if more and rows else None


def get(session: Session, company_id: int, delivery_id: int) -> t.WebhookDelivery:
    found = queries.delivery(session, company_id, delivery_id)
    if found is None:
        raise NotFound(f"no webhook delivery {delivery_id}")
    return found


def show(session: Session, company_id: int, delivery: t.WebhookDelivery) -> dict[str, Any]:
    """One message with its tries."""
    subscription = session.get(t.WebhookSubscription, delivery.subscription_id)
    tries = queries.attempts_of(session, company_id, [delivery.id]).get(delivery.id, [])
    return describe(delivery, subscription.key if subscription else None, tries)


def redeliver(session: Session, company_id: int, delivery: t.WebhookDelivery) -> None:
    """Queue a delivered or dead message again, at once and with the same `webhook-id`; it
    gets the whole retry schedule again. Its log is kept."""
    if delivery.status == "pending":
        raise Conflict(f"webhook delivery {delivery.id} is already waiting to be sent")
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, utcnow()
    session.flush()


def queue_test(session: Session, subscription: t.WebhookSubscription) -> t.WebhookDelivery:
    """Queue a `webhook.test` message to the subscription (sent by the worker like any other),
    to check the receiver's URL and signature checking."""
    if not subscription.enabled:
        raise Conflict(f"webhook subscription '{subscription.key}' is disabled; enable it first")
    now = utcnow()
    row = t.WebhookDelivery(
        company_id=subscription.company_id, subscription_id=subscription.id,
        message_id=message_id(), event_type=TEST_EVENT,
        payload=envelope(TEST_EVENT, now, {"subscription": subscription.key,
                                           "events": list(subscription.events)}),
        status="pending", attempts=0, next_attempt_at=now, created_at=now)
    session.add(row)
    session.flush()
    return row


def describe(row: t.WebhookDelivery, subscription: str | None,
             tries: Sequence[t.WebhookAttempt]) -> dict[str, Any]:
    return {
        "id": row.id, "message_id": row.message_id, "subscription": subscription,
        "event_type": row.event_type, "status": row.status, "attempts": row.attempts,
        "next_attempt_at": _iso(row.next_attempt_at),
        "last_status_code": row.last_status_code, "last_error": row.last_error,
        "delivered_at": _iso(row.delivered_at), "created_at": _iso(row.created_at),
        "payload": row.payload,
        "attempt_log": [{"at": _iso(a.at), "status_code": a.status_code,
                         "response_body": a.response_body, "error": a.error,
                         "duration_ms": a.duration_ms} for a in tries],
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
