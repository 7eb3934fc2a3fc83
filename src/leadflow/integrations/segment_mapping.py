"""Translating Segment messages into leadflow terms: event names, traits, identities."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import Field, TypeAdapter, ValidationError, field_validator

from leadflow.domain.naming import is_email, normalise_email
from leadflow.errors import FieldError, ValidationFailed
from leadflow.integrations.common import field_errors, is_scalar, scalars
from leadflow.schemas import Count, Input, Short, domain_name
from leadflow.scoring.schema import BUILTIN_INTERACTION_TYPES
from leadflow.services.ingestion.types import TypeCatalog

# Segment's Email spec, its Form spec, and the names event tools commonly send. A company's
# declared interaction types win over this table (see EventMapping.resolve).
DEFAULT_EVENTS: dict[str, tuple[str, dict[str, str]]] = {
    "Email Delivered": ("email_delivered", {}),
    "Email Opened": ("email_opened", {}),
    "Email Link Clicked": ("email_clicked", {}),
    "Email Clicked": ("email_clicked", {}),
    "Email Forwarded": ("email_forwarded", {}),
    "Email Bounced": ("email_bounced", {}),
    "Email Marked as Spam": ("email_unsubscribed", {"reason": "spam"}),
    "Unsubscribed": ("email_unsubscribed", {}),
    "Email Unsubscribed": ("email_unsubscribed", {}),
    "Form Submitted": ("form_submitted", {}),
    "Event Registered": ("event_registered", {}),
    "Webinar Registered": ("event_registered", {}),
    "Event Attended": ("event_attended", {}),
    "Webinar Attended": ("event_attended", {}),
}
USER_PREFIX = "user:"
MAX_IDENTITY = 100  # the width of the visitor id column
_TIME: TypeAdapter[datetime] = TypeAdapter(datetime)


def normalise_event(name: str) -> str:
    """`Webinar Watched`, `WebinarWatched` and `webinar_watched` are the same event."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True)
class EventMapping:
    """Event name → (interaction type key, attributes the mapping adds)."""

    declared: dict[str, str]
    builtin: dict[str, str]

    def resolve(self, event: str) -> tuple[str, dict[str, str]] | None:
        """Declared types first, then the default table, then built-in keys and names."""
        name = normalise_event(event)
        if name in self.declared:
            return self.declared[name], {}
        for known, mapped in DEFAULT_EVENTS.items():
            if normalise_event(known) == name:
                return mapped
        if name in self.builtin:
            return self.builtin[name], {}
        return None


def event_mapping(types: TypeCatalog) -> EventMapping:
    """The mapping for a company, from its type catalog."""
    builtin_keys = set(BUILTIN_INTERACTION_TYPES.values())
    declared = {normalise_event(k): k for k in types.attributes if k not in builtin_keys}
    declared.update({normalise_event(name): key for name, key in types.names.items()
                     if name not in BUILTIN_INTERACTION_TYPES})
    builtin = {normalise_event(k): k for k in builtin_keys}
    builtin.update({normalise_event(n): k for n, k in BUILTIN_INTERACTION_TYPES.items()})
    return EventMapping(declared, builtin)


def section(message: Mapping[str, Any], name: str) -> dict[str, Any]:
    """An object field of a message (`traits`, `properties`, `context`), {} when absent."""
    value = message.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationFailed("Invalid message", errors=[FieldError(name, "must be an object")])
    return value


@dataclass(frozen=True)
class Identity:
    """Who a message is about: an email, an app user id, an anonymous id."""

    email: str | None
    user: str | None  # "user:<userId>" for a userId that is not an email
    anonymous: str | None

    @property
    def identities(self) -> list[str]:
        """The visitor ids under which this person's anonymous activity is remembered."""
        return [i for i in (self.anonymous, self.user) if i]


def identity(
    message: Mapping[str, Any], *emails: tuple[str, Any], fallback: tuple[str, Any] = ("", None)
) -> Identity:
    """The identity of a message.

    The email is the first of `emails` (location, value) given, else `userId` when it is an
    email, else `fallback` (the traits analytics.js caches in `context.traits`).
    """
    user_id = text_id(message, "userId")
    if user_id and is_email(normalise_email(user_id)):
        emails = (*emails, ("userId", user_id))
        user_id = None
    email = None
    for loc, value in (*emails, fallback):
        if value not in (None, ""):
            email = _email(loc, value)
            break
    anonymous = text_id(message, "anonymousId")
    user = USER_PREFIX + user_id if user_id else None
    for loc, value in (("userId", user), ("anonymousId", anonymous)):
        if value and len(value) > MAX_IDENTITY:
            raise ValidationFailed("Invalid message", errors=[FieldError(
                loc, f"at most {MAX_IDENTITY - (len(USER_PREFIX) if loc == 'userId' else 0)} "
                "characters")])
    return Identity(email, user, anonymous)


def text_id(message: Mapping[str, Any], name: str) -> str | None:
    """An id field (`userId`, `messageId`, …) as text; numbers are accepted as Segment does."""
    value = message.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationFailed("Invalid message", errors=[FieldError(name, "must be a string")])
    return str(value).strip() or None


def _email(loc: str, value: Any) -> str:
    email = normalise_email(value) if isinstance(value, str) else ""
    if not is_email(email) or len(email) > 320:
        raise ValidationFailed("Invalid message", errors=[
            FieldError(loc, f"'{value}' is not an email address")])
    return email


def timestamp(message: Mapping[str, Any]) -> datetime | None:
    """When it happened: `timestamp`, else `originalTimestamp`, else None (now)."""
    for name in ("timestamp", "originalTimestamp"):
        value = message.get(name)
        if value not in (None, ""):
            try:
                return _TIME.validate_python(value)
            except ValidationError as error:
                raise ValidationFailed("Invalid message", errors=[
                    FieldError(name, "not an ISO 8601 date-time")]) from error
    return None


def _first(traits: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        value = traits.get(name)
        if is_scalar(value):
            return value
    return None


def _address(traits: Mapping[str, Any]) -> dict[str, Any]:
    address = traits.get("address")
    return address if isinstance(address, dict) else {}


CONTACT_TRAITS = frozenset({
    "email", "firstName", "first_name", "lastName", "last_name", "name", "title", "job_title",
    "phone", "address", "city", "state", "country", "company",
})


def contact_fields(traits: Mapping[str, Any], custom_keys: set[str]) -> dict[str, Any]:
    """Segment traits as the fields of a FormContact (declared custom fields included)."""
    first = _first(traits, "firstName", "first_name")
    last = _first(traits, "lastName", "last_name")
    full = _first(traits, "name")
    if first is None and last is None and isinstance(full, str) and full.strip():
        first, _, rest = full.strip().partition(" ")
        last = rest.strip() or None
    address = _address(traits)
    company = traits.get("company")
    fields: dict[str, Any] = {
        "first_name": first, "last_name": last, "job_title": _first(traits, "title", "job_title"),
        "phone": _first(traits, "phone"),
        "city": _first(address, "city") or _first(traits, "city"),
        "state": _first(address, "state") or _first(traits, "state"),
        "country": _first(address, "country") or _first(traits, "country"),
        "company": _first(company, "name") if isinstance(company, dict) else company,
        "domain": _first(company, "domain", "website") if isinstance(company, dict) else None,
    }
    fields = {k: str(v) for k, v in fields.items() if is_scalar(v)}
    custom = {k: v for k, v in traits.items() if k in custom_keys and k not in CONTACT_TRAITS}
    if custom:
        fields["custom"] = custom
    return fields


class GroupTraits(Input):
    """The account fields a group call may set."""

    name: Short | None = None
    domain: str | None = None
    industry: Short | None = None
    employees: Count | None = Field(default=None, description="Number of employees.")
    city: Short | None = None
    country: Short | None = None

    _domain = field_validator("domain")(domain_name)


def group_traits(traits: Mapping[str, Any]) -> GroupTraits:
    """Segment group traits as account fields (`website` or `domain` gives the domain)."""
    address = _address(traits)
    values = {
        "name": _first(traits, "name"), "domain": _first(traits, "domain", "website"),
        "industry": _first(traits, "industry"),
        "employees": _first(traits, "employees", "employee_count"),
        "city": _first(address, "city") or _first(traits, "city"),
        "country": _first(address, "country") or _first(traits, "country"),
    }
    values = {k: v for k, v in values.items() if v is not None}
    try:
        return GroupTraits.model_validate(values)
    except ValidationError as error:
        raise ValidationFailed("Invalid group traits",
                               errors=field_errors(error, "traits.")) from error


# Properties that become interaction fields or references rather than attributes.
REFERENCE_PROPERTIES = {  # kind → property names, first present wins
    "campaign": ("campaign", "campaign_id"), "program": ("program",),
    "email": ("email_id",), "landing_page": ("landing_page",), "event": ("event",),
}


@dataclass
class Properties:
    """A track or page call's properties, split into interaction fields and attributes."""

    url: str | None
    link: str | None
    bounce_type: str | None
    duration_seconds: Any
    references: dict[str, tuple[str, Any]]  # kind → (property name, value)
    attributes: dict[str, Any]


def split_properties(
    properties: Mapping[str, Any], context: Mapping[str, Any], also_skip: set[str]
) -> Properties:
    """Known property names become fields and references; other single values, attributes."""
    page = context.get("page")
    page = page if isinstance(page, dict) else {}
    references = {}
    for kind, names in REFERENCE_PROPERTIES.items():
        name = next((n for n in names if is_scalar(properties.get(n))), None)
        if name is not None:
            references[kind] = (name, properties[name])
    used = {"url", "link", "link_url", "bounce_type", "duration_seconds", "email",
            *(n for names in REFERENCE_PROPERTIES.values() for n in names), *also_skip}
    url = _first(properties, "url") or _first(page, "url")
    return Properties(
        url=str(url) if url is not None else None,
        link=_text(_first(properties, "link", "link_url")),
        bounce_type=_text(_first(properties, "bounce_type")),
        duration_seconds=properties.get("duration_seconds"),
        references=references,
        attributes=scalars(properties, used),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
