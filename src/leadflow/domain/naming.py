"""Normalising natural keys: emails, domains and slugs."""

from __future__ import annotations

import re

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(value: str) -> str:
    """Emails match case-insensitively after trimming."""
    return value.strip().lower()


def normalise_domain(value: str) -> str:
    """`https://www.Acme.com/x` → `acme.com`."""
    domain = value.strip().lower()
    domain = re.sub(r"^[a-z]+://", "", domain).split("/")[0].split("?")[0]
    if domain.startswith("www."):
        domain = domain[4:]
    return domain


def is_email(value: str) -> bool:
    return bool(EMAIL.match(value))


def is_slug(value: str) -> bool:
    return bool(SLUG.match(value))


def email_domain(email: str) -> str | None:
    """The domain part of an email address, if any."""
    _, _, domain = email.partition("@")
    return domain or None
