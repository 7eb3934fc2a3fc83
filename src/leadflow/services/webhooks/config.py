"""The `webhooks` section of a configuration file (SPEC §6.5): `{key, url, events, enabled?,
secret?}` per subscription, matched by key.

Secrets are never written by `dump`: a dump is made to be read, diffed and committed, and a
secret in it would leak to everyone who can read the repository. So a file without `secret`
keeps the subscription's current secret (or, for a new subscription, has one generated and
printed once in the apply's notes), and a file with `secret` sets that one — re-applying it
changes nothing.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.db import webhooks as queries
from leadflow.errors import LeadflowError
from leadflow.services.config_plan import Action, Applying, Where
from leadflow.services.webhooks import subscriptions
from leadflow.services.webhooks.inputs import WebhookIn, WebhookPatch

SECTION = "webhooks"
LABEL = "webhook"
FIELDS = ("url", "events", "enabled", "secret")


def apply_webhooks(state: Applying, content: Any, where: Where) -> None:
    """Create or update each subscription of the file by key."""
    if content is None:
        return
    if not isinstance(content, list):
        state.problem(where, None, "must be a list of webhook subscriptions")
        return
    seen: dict[str, int] = {}
    for index, raw in enumerate(content):
        _apply_one(state, Where(SECTION, index, raw, line_hint=where.line_hint), raw, seen)


def _apply_one(state: Applying, where: Where, raw: Any, seen: dict[str, int]) -> None:
    if not isinstance(raw, dict):
        state.problem(where, None, "must be a mapping: {key, url, events, enabled?, secret?}")
        return
    where.key = raw["key"] if isinstance(raw.get("key"), str) else None
    try:
        data = WebhookIn.model_validate(raw)
    except ValidationError as error:
        state.invalid(where, error, LABEL)
        return
    where.key = data.key
    if data.key in seen:
        state.problem(where, None, f"duplicate of {SECTION}[{seen[data.key]}] (same key)")
        return
    seen[data.key] = where.index or 0
    session, company_id = state.session, state.company.id
    row = queries.subscription_by_key(session, company_id, data.key)
    action: Action = "create" if row is None else "unchanged"
    changed: list[str] = []
    try:
        if row is None:
            _, secret = subscriptions.create(session, company_id, data)
            if data.secret is None:
                state.plan.notes.append(_secret_note(data.key, secret, state.plan.dry_run))
        else:
            given = {name: raw[name] for name in FIELDS if name in raw}
            changed = subscriptions.update(session, company_id, row,
                                           WebhookPatch.model_validate(given))
            action = "update" if changed else "unchanged"
    except LeadflowError as error:
        state.error(where, error)
        return
    state.record(SECTION, LABEL, data.key, action, changed)


def _secret_note(key: str, secret: str, dry_run: bool) -> str:
    if dry_run:
        return f"webhook '{key}': a signing secret will be generated and shown once"
    return (f"webhook '{key}': signing secret {secret} (shown only now; give it to the "
            "receiver, or put `secret:` in the file to choose it)")


def dump_webhooks(session: Session, company: t.Company) -> list[dict[str, Any]]:
    """Every subscription in file shape, without its secret."""
    out = []
    for row in subscriptions.list_all(session, company.id):
        item: dict[str, Any] = {"key": row.key, "url": row.url, "events": list(row.events)}
        if not row.enabled:
            item["enabled"] = False
        out.append(item)
    return out
