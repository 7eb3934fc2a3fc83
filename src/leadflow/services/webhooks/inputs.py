"""The input shape of a webhook subscription, shared by the REST API, the CLI and `apply`."""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from pydantic import field_validator

from leadflow.schemas import Input, Slug, partial
from leadflow.services.events import EVENT_TYPES

SECRET_PREFIX = "whsec_"
SECRET_BYTES = (24, 64)  # Standard Webhooks: secrets of 24 to 64 random bytes
URL_LIMIT = 2000
_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


def new_secret() -> str:
    """A fresh signing secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def check_url(value: str) -> str:
    """Only absolute http(s) URLs with a host: a receiver must be something the worker can
    POST to."""
    text = value.strip()
    if len(text) > URL_LIMIT:
        raise ValueError(f"must be at most {URL_LIMIT} characters")
    if any(c.isspace() for c in text):
        raise ValueError("must not contain spaces")
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError as error:
        raise ValueError(f"'{text}' is not a valid URL ({error})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"must be an http:// or https:// URL (got '{text}')")
    if not host:
        raise ValueError(f"'{text}' has no host name")
    return text


def check_events(values: list[str]) -> list[str]:
    """Known event types, each once, in the order given; at least one."""
    unknown = [v for v in values if v not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown event type{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(repr(u) for u in unknown)}; known event types: "
                         f"{', '.join(EVENT_TYPES)}")
    if not values:
        raise ValueError(f"name at least one event type: {', '.join(EVENT_TYPES)}")
    return list(dict.fromkeys(values))


def check_secret(value: str) -> str:
    """`whsec_` and 24 to 64 bytes in base64, as Standard Webhooks libraries expect."""
    if not value.startswith(SECRET_PREFIX):
        raise ValueError(f"must start with '{SECRET_PREFIX}' (a Standard Webhooks secret)")
    encoded = value[len(SECRET_PREFIX):]
    try:
        if not _BASE64.match(encoded):
            raise binascii.Error
        raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        raise ValueError(f"must be '{SECRET_PREFIX}' followed by base64") from None
    low, high = SECRET_BYTES
    if not low <= len(raw) <= high:
        raise ValueError(f"must hold {low} to {high} bytes of key (it holds {len(raw)})")
    return value


class WebhookIn(Input):
    """A subscription: where to POST, which event types, and the signing secret (generated
    when not given)."""

    key: Slug
    url: str
    events: list[str]
    secret: str | None = None
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_url(value)

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str]) -> list[str]:
        return check_events(value)

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        return None if value is None else check_secret(value)


WebhookPatch: type[Input] = partial(WebhookIn)


def fields_of(data: Input) -> dict[str, Any]:
    """The fields given in `data` (a PATCH leaves the others alone)."""
    return data.model_dump(include=data.model_fields_set)
