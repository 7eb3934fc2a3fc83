"""The shape of one incoming interaction, shared by every ingestion path."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from leadflow.schemas import Input, Label, Short, Slug, Text, domain_name, email_address


class FormContact(Input):
    """Contact details sent with a lead interaction (a form's fields); they update the contact."""

    first_name: Short | None = None
    last_name: Short | None = None
    job_title: Short | None = None
    phone: Label | None = None
    city: Short | None = None
    state: Short | None = None
    country: Short | None = None
    company: Short | None = Field(default=None, description="Account name to match or create.")
    domain: str | None = Field(default=None, description="Account domain to match or create.")
    custom: dict[str, Any] | None = None

    _domain = field_validator("domain")(domain_name)


class InteractionIn(Input):
    """One interaction: who (contact or anonymous visitor), what (type), when, and where."""

    type: Short = Field(description="Type key (email_clicked) or entity name (EmailClicked).")
    occurred_at: datetime | None = Field(default=None, description="Defaults to now.")
    contact_id: int | None = None
    contact_email: str | None = None
    visitor_id: Label | None = None  # the column holds 100 characters
    contact: FormContact | None = None
    lead_id: int | None = Field(default=None, description="Add a form interaction to this lead.")
    campaign_id: int | None = None
    campaign: Slug | None = None
    program_id: int | None = None
    program: Slug | None = None
    email_id: int | None = None
    email: Slug | None = None
    landing_page_id: int | None = None
    landing_page: Slug | None = None
    event_id: int | None = None
    event: Slug | None = None
    url: Text | None = None
    link: Text | None = None
    bounce_type: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = (
        None)
    duration_seconds: int | None = Field(default=None, ge=0)
    external_id: Short | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)

    _email = field_validator("contact_email")(email_address)
