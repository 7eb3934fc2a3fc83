"""Input shapes of every record, shared by the REST API, the CLI, `apply` and imports.

References are given either as `<relation>_id` or by natural key (`campaign`, `contact_email`…).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from leadflow.domain.naming import is_email, normalise_domain, normalise_email

Slug = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
]
# Lengths match the columns they are stored in (PostgreSQL rejects longer values).
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Subject = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
# Integer columns are 32-bit.
Count = Annotated[int, Field(ge=0, le=2_147_483_647)]
FieldKey = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{0,63}$")
]


class Input(BaseModel):
    """Base of all inputs: unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL cannot store NUL characters in text; refuse them with a clear message.
        if _has_nul(value):
            raise ValueError("must not contain NUL (\\u0000) characters")
        return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    email = normalise_email(value)
    if len(email) > 320 or not is_email(email):
        raise ValueError(f"'{value}' is not an email address")
    return email


def _domain(value: str | None) -> str | None:
    if value is None:
        return None
    domain = normalise_domain(value)
    if "." not in domain or " " in domain or len(domain) > 300:
        raise ValueError(f"'{value}' is not a domain name")
    return domain


class ProgramIn(Input):
    key: Slug
    name: Name
    description: Text | None = None


class CampaignIn(Input):
    key: Slug
    name: Name
    description: Text | None = None
    program_id: int | None = None
    program: Slug | None = None


class LandingPageIn(Input):
    key: Slug
    name: Name
    url: Text | None = None
    campaign_id: int | None = None
    campaign: Slug | None = None
    creates_leads: bool = True


class EventIn(Input):
    key: Slug
    name: Name
    starts_at: datetime | None = None
    location: Short | None = None
    campaign_id: int | None = None
    campaign: Slug | None = None
    creates_leads: bool = True


class EmailIn(Input):
    key: Slug
    name: Name
    subject: Subject | None = None
    campaign_id: int | None = None
    campaign: Slug | None = None


class CustomFieldIn(Input):
    key: FieldKey
    entity: Literal["contact", "account", "lead"]
    type: Literal["text", "number", "boolean", "date", "choice"]
    label: Short | None = None
    choices: list[Short] | None = None


class ContactIn(Input):
    email: str | None = None
    first_name: Short | None = None
    last_name: Short | None = None
    job_title: Short | None = None
    phone: Label | None = None
    city: Short | None = None
    state: Short | None = None
    country: Short | None = None
    account_id: int | None = None
    account_domain: str | None = None
    external_id: Short | None = None
    custom: dict[str, Any] | None = None

    _email = field_validator("email")(_email)
    _domain = field_validator("account_domain")(_domain)


class AccountIn(Input):
    name: LongName
    domain: str | None = None
    industry: Short | None = None
    employees: Count | None = None
    annual_revenue: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    city: Short | None = None
    country: Short | None = None
    parent_id: int | None = None
    parent_domain: str | None = None
    external_id: Short | None = None
    custom: dict[str, Any] | None = None

    _domain = field_validator("domain", "parent_domain")(_domain)


class UserIn(Input):
    email: str
    name: Short | None = None
    role: Literal["admin", "marketer", "sales", "viewer"] = "sales"
    available: bool = True
    capacity: Count | None = None
    territories: list[Short] = Field(default_factory=list)

    _email = field_validator("email")(_email)


class LeadIn(Input):
    name: LongName | None = None
    scope: Literal["contact", "account"] = "contact"
    contact_id: int | None = None
    contact_email: str | None = None
    account_id: int | None = None
    account_domain: str | None = None
    program_id: int | None = None
    program: Slug | None = None
    campaign_id: int | None = None
    campaign: Slug | None = None
    status: Label | None = None
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    due_date: date | None = None
    territory: Label | None = None
    owner_id: int | None = None
    owner: str | None = None
    external_id: Short | None = None
    custom: dict[str, Any] | None = None

    _email = field_validator("contact_email", "owner")(_email)
    _domain = field_validator("account_domain")(_domain)

    # Import rows never hold `stage` (no column maps to a field LeadIn does not have), so the
    # import's fast row check may skip this validator (services/imports/fastcheck.py).
    FAST_CHECK_IGNORES: ClassVar[frozenset[str]] = frozenset({"_no_stage"})

    @model_validator(mode="wrap")
    @classmethod
    def _no_stage(cls, data: Any, handler: Any) -> Any:
        # The stage is never written directly (creation starts in nurture): a `stage` gets an
        # error that says how to change it, reported with the other problems of the input.
        if not isinstance(data, dict) or "stage" not in data:
            return handler(data)
        errors: list[InitErrorDetails] = []
        try:
            handler({k: v for k, v in data.items() if k != "stage"})
        except ValidationError as error:
            errors = [InitErrorDetails(type=e["type"], loc=e["loc"], input=e["input"],
                                       ctx=e.get("ctx", {})) for e in error.errors()]
        errors.append(InitErrorDetails(type=STAGE_BY_ACTION, loc=("stage",),
                                       input=data["stage"]))
        raise ValidationError.from_exception_data(cls.__name__, errors)


STAGE_BY_ACTION = PydanticCustomError(
    "stage_by_action", "unknown field: a lead's stage changes only through life-cycle actions,"
    " POST /api/v1/leads/{id}/actions/{action} (CLI: leadflow leads act ID ACTION)")


class CompanyIn(Input):
    key: Slug
    name: Name
    settings: dict[str, Any] | None = None


def partial(model: type[Input]) -> type[Input]:
    """The PATCH shape of `model`: every field optional, nothing defaulted.

    Types, constraints and validators are kept, so an explicit null is accepted only where the
    full model accepts one (it clears the field); omitted fields are left alone.
    """
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation: Any = info.annotation
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        fields[name] = (annotation, None)
    name = model.__name__.removesuffix("In") + "Patch"
    patch: type[Input] = create_model(name, __base__=model, **fields)
    return patch


email_address = _email
domain_name = _domain
