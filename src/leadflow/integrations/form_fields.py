"""Reading submitted form fields: name synonyms, the honeypot, and what becomes an attribute.

The same reading serves public forms (`/f/...`) and the traits of the tracking script's
`identify` call, so "Email Address", "e-mail" and "email" mean the same everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from leadflow.errors import FieldError, ValidationFailed

HONEYPOT = "lf_hp"
VISITOR_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": ("email", "e_mail", "email_address", "emailaddress", "e_mail_address", "mail",
              "contact_email", "your_email", "work_email", "business_email"),
    "first_name": ("first_name", "firstname", "first", "fname", "given_name", "forename"),
    "last_name": ("last_name", "lastname", "last", "lname", "surname", "family_name"),
    "name": ("name", "full_name", "fullname", "your_name"),
    "job_title": ("job_title", "jobtitle", "title", "position", "job", "role"),
    "phone": ("phone", "phone_number", "phonenumber", "telephone", "tel", "mobile",
              "mobile_phone", "mobilephone", "mobile_number"),
    "city": ("city", "town"),
    "state": ("state", "region", "province", "state_province", "state_region"),
    "country": ("country", "country_name", "country_region"),
    "company": ("company", "company_name", "companyname", "organization", "organisation",
                "organization_name", "organisation_name", "account_name"),
    "domain": ("domain", "website", "web_site", "company_website", "company_domain",
               "website_url", "company_url"),
    "visitor_id": ("visitor_id", "lf_vid"),
    "redirect": ("redirect", "_redirect"),
}
FIELD_OF = {alias: canonical for canonical, aliases in SYNONYMS.items() for alias in aliases}
CONTACT_FIELDS = ("first_name", "last_name", "job_title", "phone", "city", "state", "country",
                  "company", "domain")


def normalise_name(name: str) -> str:
    """`Email Address` → `email_address`, `interests[]` → `interests`."""
    text = name.strip().lower().removesuffix("[]")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


@dataclass
class Submission:
    """The fields of one submission, sorted into known fields, custom fields and attributes."""

    values: dict[str, str] = field(default_factory=dict)  # canonical name → first value
    custom: dict[str, str] = field(default_factory=dict)  # contact custom field → value
    attributes: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # canonical name → name as submitted
    honeypot: bool = False
    problems: list[FieldError] = field(default_factory=list)

    def label(self, name: str) -> str:
        """The field's name as the submitter wrote it, for error messages."""
        return self.labels.get(name, name)


def read(pairs: Iterable[tuple[str, Any]], custom_fields: dict[str, str]) -> Submission:
    """Sort submitted `(name, value)` pairs; `custom_fields` maps contact custom keys to types."""
    sub = Submission()
    for raw_name, raw_value in pairs:
        name = normalise_name(str(raw_name))
        values = _texts(raw_value)
        if values is None:
            sub.problems.append(FieldError(str(raw_name), "must be a single value or a list"))
            continue
        if name == HONEYPOT:
            sub.honeypot = sub.honeypot or any(values)
            continue
        values = [v for v in values if v]
        if not name or not values:
            continue
        canonical = FIELD_OF.get(name)
        if canonical is not None:
            sub.values.setdefault(canonical, values[0])
            sub.labels.setdefault(canonical, str(raw_name))
        elif name in custom_fields:
            sub.custom[name] = _custom_value(custom_fields[name], values)
            sub.labels.setdefault(name, str(raw_name))
        else:
            joined = ", ".join(values)
            sub.attributes[name] = f"{sub.attributes[name]}, {joined}" if name in sub.attributes \
                else joined
            sub.labels.setdefault(name, str(raw_name))
    _split_name(sub)
    return sub


def visitor_id(sub: Submission, cookie: str | None) -> str | None:
    """The visitor id sent as a field, else the tracking cookie; a malformed one is dropped."""
    for candidate in (sub.values.get("visitor_id"), cookie):
        if candidate and VISITOR_ID.match(candidate):
            return candidate
    return None


def required_email(sub: Submission) -> str:
    """The submitted email address, or ValidationFailed naming the problem."""
    email = sub.values.get("email")
    if not email:
        raise ValidationFailed("The form is missing an email address", errors=[FieldError(
            "email", "is required (send it in a field named `email`)")])
    return email


def contact_data(sub: Submission) -> dict[str, Any] | None:
    """The contact fields of a submission (a `FormContact` shape); None when it has none."""
    data: dict[str, Any] = {k: sub.values[k] for k in CONTACT_FIELDS if k in sub.values}
    if sub.custom:
        data["custom"] = dict(sub.custom)
    return data or None


def field_errors(error: ValidationError) -> list[FieldError]:
    """A pydantic error as field errors located by dotted path."""
    out = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"]) or "body"
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        if item.get("type") == "extra_forbidden":
            message = "unknown field"
        out.append(FieldError(loc, message))
    return out


def relabel(errors: list[FieldError], sub: Submission, detail: str) -> ValidationFailed:
    """A validation error whose fields are named as the submitter named them."""
    out = []
    for item in errors:
        loc = item.loc
        for prefix in ("contact.custom.", "contact.", "custom.", "attributes."):
            loc = loc.removeprefix(prefix)
        loc = "email" if loc == "contact_email" else loc
        out.append(FieldError(sub.label(loc), item.message))
    return ValidationFailed(detail, errors=out)


def _texts(value: Any) -> list[str] | None:
    """A submitted value as text(s); None for nested objects, which forms cannot express."""
    if value is None:
        return []
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, str | int | float):
        return [str(value).strip()]
    if isinstance(value, list):
        texts = [_texts(v) for v in value]
        if any(t is None or len(t) > 1 for t in texts):
            return None
        return [t[0] for t in texts if t]
    return None


def _custom_value(kind: str, values: list[str]) -> str:
    # A checked HTML checkbox without a value attribute sends "on".
    if kind == "boolean" and values[0].lower() == "on":
        return "true"
    return ", ".join(values) if kind == "text" else values[0]


def _split_name(sub: Submission) -> None:
    """A single "Name" field fills first and last name when those are not given."""
    full = sub.values.pop("name", None)
    if not full or "first_name" in sub.values or "last_name" in sub.values:
        return
    first, _, last = full.partition(" ")
    sub.values["first_name"] = first
    if last.strip():
        sub.values["last_name"] = last.strip()

