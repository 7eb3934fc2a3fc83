"""Translating SendGrid Event Webhook events into interactions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leadflow.domain.naming import is_email, normalise_email
from leadflow.errors import FieldError, ValidationFailed
from leadflow.integrations.common import is_scalar, scalars

EVENT_TYPES = {
    "delivered": "email_delivered",
    "open": "email_opened",
    "click": "email_clicked",
    "bounce": "email_bounced",
    "dropped": "email_bounced",
    "spamreport": "email_unsubscribed",
    "spam_report": "email_unsubscribed",
    "unsubscribe": "email_unsubscribed",
    "group_unsubscribe": "email_unsubscribed",
}
# Events about SendGrid's own work, not about what the recipient did.
NOT_INTERACTIONS = frozenset({"processed", "deferred", "group_resubscribe"})
# Custom arguments that name leadflow records: kind → argument names, first present wins.
REFERENCE_ARGS = {
    "campaign": ("campaign",), "program": ("program",),
    "email": ("email_key", "marketing_email"),
}
# Fields that become interaction fields, or that are delivery plumbing or personal data
# (the recipient's IP and user agent) and are not kept.
NOT_ATTRIBUTES = frozenset({
    "email", "timestamp", "event", "sg_event_id", "sg_message_id", "smtp-id", "url",
    "url_offset", "type", "useragent", "ip", "tls", "cert_err", "attempt", "response", "pool",
    "send_at", "sg_content_type", "sg_machine_open", "unique_args", "category",
    *(n for names in REFERENCE_ARGS.values() for n in names),
})


@dataclass
class SendGridEvent:
    """One event in leadflow terms; `key` is None for events that are not stored."""

    key: str | None
    reason: str | None = None
    email: str | None = None
    occurred_at: datetime | None = None
    external_id: str | None = None
    link: str | None = None
    bounce_type: str | None = None
    references: dict[str, tuple[str, Any]] | None = None
    attributes: dict[str, Any] | None = None


def _invalid(loc: str, message: str) -> ValidationFailed:
    return ValidationFailed("Invalid SendGrid event", errors=[FieldError(loc, message)])


def translate(event: Any) -> SendGridEvent:
    """Map one webhook event; raises ValidationFailed for an event that cannot be read."""
    if not isinstance(event, dict):
        raise _invalid("", "an event must be a JSON object")
    name = event.get("event")
    if not isinstance(name, str) or not name:
        raise _invalid("event", "every event needs its `event` name")
    key = EVENT_TYPES.get(name)
    if key is None:
        why = ("is about delivery, not the recipient" if name in NOT_INTERACTIONS
               else "is not a SendGrid event leadflow knows")
        return SendGridEvent(None, reason=f"'{name}' {why}; not stored")
    args = {**_object(event.get("unique_args")), **event}
    attributes = scalars(args, NOT_ATTRIBUTES)
    attributes["sendgrid_event"] = name
    if is_scalar(event.get("sg_message_id")):
        attributes["message_id"] = str(event["sg_message_id"])
    if event.get("sg_machine_open") is True:
        attributes["machine_open"] = True
    category = _category(event.get("category"))
    if category:
        attributes["category"] = category
    if name in ("spamreport", "spam_report"):
        attributes["reason"] = "spam"
    return SendGridEvent(
        key, email=_email(event.get("email")), occurred_at=unix_time(event.get("timestamp")),
        external_id=_text(event.get("sg_event_id")),
        link=_text(event.get("url")) if name == "click" else None,
        bounce_type=_bounce_type(name, event), references=_references(args),
        attributes=attributes,
    )


def _bounce_type(name: str, event: Mapping[str, Any]) -> str | None:
    if name == "dropped":
        return "dropped"
    if name == "bounce":
        return _text(event.get("type")) or "bounce"
    return None


def _references(args: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    out = {}
    for kind, names in REFERENCE_ARGS.items():
        name = next((n for n in names if is_scalar(args.get(n))), None)
        if name is not None:
            out[kind] = (name, args[name])
    return out


def _category(value: Any) -> str | None:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value if is_scalar(v)) or None
    return str(value) if is_scalar(value) else None


def _email(value: Any) -> str:
    email = normalise_email(value) if isinstance(value, str) else ""
    if not email:
        raise _invalid("email", "every event needs the recipient's `email`")
    if not is_email(email) or len(email) > 320:
        raise _invalid("email", f"'{value}' is not an email address")
    return email


def unix_time(value: Any) -> datetime | None:
    """A Unix timestamp (seconds) as a UTC date-time; None when absent."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        return datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError) as error:
        raise _invalid("timestamp", f"'{value}' is not a Unix timestamp") from error


def _text(value: Any) -> str | None:
    return str(value) if is_scalar(value) else None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
