"""Webhook subscriptions of a company: create, change, delete, and show them.

A subscription's secret signs its messages. It is shown once — in the answer that created or
replaced it — and masked everywhere after (`whsec_…` and its last four characters), like an API
key. A secret may also be given (configuration as code, or moving a receiver from another
system); then the caller knows it already.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.db import webhooks as queries
from leadflow.errors import Conflict, NotFound
from leadflow.schemas import Input
from leadflow.services.webhooks import pending
from leadflow.services.webhooks.inputs import SECRET_PREFIX, WebhookIn, fields_of, new_secret


def get(session: Session, company_id: int, ident: str | int) -> t.WebhookSubscription:
    """A subscription by key or id; NotFound otherwise (also for another company's)."""
    found = queries.subscription(session, company_id, str(ident).strip())
    if found is None:
        raise NotFound(f"no webhook subscription '{ident}'")
    return found


def list_all(session: Session, company_id: int) -> list[t.WebhookSubscription]:
    return queries.subscriptions(session, company_id)


def create(session: Session, company_id: int, data: WebhookIn
           ) -> tuple[t.WebhookSubscription, str]:
    """Insert a subscription; returns it and its secret (generated unless given)."""
    if queries.subscription(session, company_id, data.key) is not None:
        raise Conflict(f"a webhook subscription with key '{data.key}' already exists")
    secret = data.secret or new_secret()
    row = t.WebhookSubscription(company_id=company_id, key=data.key, url=data.url,
                                events=list(data.events), secret=secret, enabled=data.enabled)
    session.add(row)
    _flush(session, data.key)
    return row, secret


def update(session: Session, company_id: int, row: t.WebhookSubscription, patch: Input
           ) -> list[str]:
    """Apply the fields given in `patch`; the names of those that changed."""
    values = {k: v for k, v in fields_of(patch).items() if v is not None}
    if "key" in values and values["key"] != row.key:
        other = queries.subscription(session, company_id, values["key"])
        if other is not None and other is not row:
            raise Conflict(f"a webhook subscription with key '{values['key']}' already exists")
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    if changed:
        _flush(session, row.key)
    return changed


def delete(session: Session, row: t.WebhookSubscription) -> None:
    """Delete the subscription with its deliveries and their log."""
    session.delete(row)
    session.flush()
    pending.forget_subscriptions(session)


def describe(row: t.WebhookSubscription, secret: str | None = None) -> dict[str, Any]:
    """The subscription as the API shows it; `secret` in full only when given (just created)."""
    return {
        "id": row.id, "key": row.key, "url": row.url, "events": list(row.events),
        "enabled": row.enabled, "secret": secret if secret is not None else mask(row.secret),
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }


def mask(secret: str) -> str:
    """`whsec_…Ab3=`: enough to tell two secrets apart, not to sign anything."""
    return f"{SECRET_PREFIX}…{secret[-4:]}"


def _flush(session: Session, key: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        raise Conflict(f"could not save webhook subscription '{key}'") from error
    # The outbox reads subscriptions once per transaction: read them again after this.
    pending.forget_subscriptions(session)
