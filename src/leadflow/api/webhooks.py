"""REST routes for webhook subscriptions, their delivery log, redelivery and test messages.

Webhooks are an admin's business: a subscription sends the company's leads to another system,
so every route here needs an admin key (of the company, or a site admin with `X-Company`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from leadflow.api.deps import ActorDep, SessionDep
from leadflow.domain.roles import may_write
from leadflow.errors import Forbidden
from leadflow.services.keys import Actor
from leadflow.services.webhooks import log, subscriptions
from leadflow.services.webhooks.inputs import WebhookIn, WebhookPatch

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
RESOURCE = "webhooks"


def _admin(actor: Actor) -> None:
    if not may_write(actor.role, RESOURCE):
        raise Forbidden(f"a key with role '{actor.role}' may not manage webhooks (admins only)")


@router.get("", summary="List webhook subscriptions (secrets masked)")
def list_webhooks(session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    _admin(actor)
    rows = subscriptions.list_all(session, actor.company.id)
    return {"items": [subscriptions.describe(r) for r in rows], "next_cursor": None}


@router.post("", status_code=201,
             summary="Create a subscription; its secret is in this answer only")
def create_webhook(data: WebhookIn, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    _admin(actor)
    row, secret = subscriptions.create(session, actor.company.id, data)
    return subscriptions.describe(row, secret=secret)


# Routes of deliveries come before `/{key}` ones so that `deliveries` is never read as a key.
@router.get("/deliveries/{delivery_id}", summary="One message with its tries")
def read_delivery(delivery_id: int, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    _admin(actor)
    row = log.get(session, actor.company.id, delivery_id)
    return log.show(session, actor.company.id, row)


@router.post("/deliveries/{delivery_id}/redeliver", status_code=202,
             summary="Send a delivered or dead message again (same webhook-id)")
def redeliver(delivery_id: int, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    _admin(actor)
    row = log.get(session, actor.company.id, delivery_id)
    log.redeliver(session, actor.company.id, row)
    return log.show(session, actor.company.id, row)


@router.get("/{key}", summary="Read a subscription (secret masked)")
def read_webhook(key: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    _admin(actor)
    return subscriptions.describe(subscriptions.get(session, actor.company.id, key))


@router.patch("/{key}", summary="Change a subscription (url, events, enabled, secret, key)")
def update_webhook(
    key: str, data: WebhookPatch, session: SessionDep, actor: ActorDep  # type: ignore[valid-type]
) -> dict[str, Any]:
    _admin(actor)
    row = subscriptions.get(session, actor.company.id, key)
    subscriptions.update(session, actor.company.id, row, data)
    return subscriptions.describe(row)


@router.delete("/{key}", status_code=204,
               summary="Delete a subscription with its queued messages and their log")
def delete_webhook(key: str, session: SessionDep, actor: ActorDep) -> Response:
    _admin(actor)
    subscriptions.delete(session, subscriptions.get(session, actor.company.id, key))
    return Response(status_code=204)


@router.get("/{key}/deliveries", summary="The delivery log: messages newest first, with tries")
def list_deliveries(
    key: str, session: SessionDep, actor: ActorDep,
    status: Annotated[list[str] | None, Query(description="pending, delivered or dead")] = None,
    limit: Annotated[int, Query(ge=1, le=log.MAX_LIMIT)] = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    _admin(actor)
    row = subscriptions.get(session, actor.company.id, key)
    items, next_cursor = log.deliveries(session, actor.company.id, row, status or (), cursor,
                                        limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/{key}/test", status_code=202,
             summary="Queue a `webhook.test` message to check the receiver")
def test_webhook(key: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    _admin(actor)
    row = subscriptions.get(session, actor.company.id, key)
    delivery = log.queue_test(session, row)
    return log.show(session, actor.company.id, delivery)
