"""What the tracking script sends to `/t/collect`: page views, identify calls, custom events."""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from pydantic import Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from leadflow.db.tables import Company
from leadflow.errors import FieldError, ValidationFailed
from leadflow.integrations import form_fields
from leadflow.schemas import Input, Short, Text, email_address
from leadflow.scoring.schema import BUILTIN_INTERACTION_TYPES
from leadflow.services import custom_fields
from leadflow.services.ingestion import people
from leadflow.services.ingestion.ingest import Ingestor
from leadflow.services.ingestion.inputs import FormContact, InteractionIn
from leadflow.services.ingestion.types import catalog

SOURCE = "tracking"
UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
BOTS = re.compile(r"bot|crawler|spider|slurp|facebookexternalhit|preview", re.IGNORECASE)


class Beacon(Input):
    """One message of the tracking script."""

    type: Literal["page", "identify", "track"]
    company: Short | None = Field(default=None, description="Company key; default: the site.")
    visitor_id: str = Field(pattern=form_fields.VISITOR_ID.pattern,
                            description="The `lf_vid` cookie: 1-100 letters, digits, . _ : -")
    url: Text | None = None
    referrer: Text | None = None
    title: Text | None = None
    email: str | None = Field(default=None, description="identify: who the visitor is.")
    traits: dict[str, Any] = Field(default_factory=dict, description="identify: contact fields.")
    event: Short | None = Field(default=None, description="track: a custom interaction type.")
    properties: dict[str, Any] = Field(default_factory=dict, description="track: attributes.")

    _email = field_validator("email")(email_address)


def parse(body: dict[str, Any]) -> Beacon:
    """The body as a Beacon, or ValidationFailed naming each bad field."""
    try:
        return Beacon.model_validate(body)
    except ValidationError as error:
        raise ValidationFailed("The tracking message is not valid",
                               errors=form_fields.field_errors(error)) from error


def is_bot(user_agent: str) -> bool:
    """Crawlers' page views are not people's visits."""
    return bool(BOTS.search(user_agent))


def receive(session: Session, company: Company, beacon: Beacon) -> None:
    """Store a page view or custom event, or identify the visitor."""
    if beacon.type == "identify":
        identify(session, company, beacon)
    elif beacon.type == "page":
        _page(session, company, beacon)
    else:
        _track(session, company, beacon)


def identify(session: Session, company: Company, beacon: Beacon) -> list[int]:
    """Link the visitor to the contact with this email (created if new), storing no
    interaction; returns the ids of the earlier visits now attached to the contact."""
    if beacon.email is None:
        raise ValidationFailed("Who is it?", errors=[FieldError("email", "is required")])
    form = _traits(session, company.id, beacon.traits)
    # contact_for reads only the contact fields of its argument.
    contact = people.contact_for(session, company.id,
                                 InteractionIn(type="identify", contact_email=beacon.email))
    assert contact is not None  # an email always gives a contact
    if form is not None:
        people.update_from_form(session, company.id, contact, form)
    return people.identify_visitor(session, company.id, beacon.visitor_id, contact)


def _page(session: Session, company: Company, beacon: Beacon) -> None:
    url = _web(beacon.url)
    if url is None:
        raise ValidationFailed("The page view is not valid", errors=[
            FieldError("url", "is required: the page's http(s) address")])
    attributes = {"title": beacon.title, "referrer": beacon.referrer, **_utm(url)}
    Ingestor(session, company, source=SOURCE).one(InteractionIn(
        type="website_visited", visitor_id=beacon.visitor_id, url=url,
        attributes={k: v for k, v in attributes.items() if v}))


def _track(session: Session, company: Company, beacon: Beacon) -> None:
    """Only the company's own interaction types: built-in ones (form submissions, email
    clicks…) have their own, better-checked paths and must not be forged from a browser."""
    if not beacon.event:
        raise ValidationFailed("The event is not valid", errors=[
            FieldError("event", "is required: a custom interaction type")])
    types = catalog(session, company.id)
    key = types.resolve(beacon.event)
    if key in BUILTIN_INTERACTION_TYPES.values():
        raise ValidationFailed("The event is not valid", errors=[FieldError(
            "event", f"'{beacon.event}' is a built-in type; the tracking script may only send "
            "the company's custom interaction types")])
    ingestor = Ingestor(session, company, source=SOURCE, types=types)
    try:
        ingestor.one(InteractionIn(type=key, visitor_id=beacon.visitor_id,
                                   url=_web(beacon.url), attributes=beacon.properties))
    except ValidationFailed as error:
        raise ValidationFailed(error.detail, errors=[
            FieldError(e.loc.replace("attributes.", "properties.", 1), e.message)
            for e in error.errors]) from error


def _traits(session: Session, company_id: int, traits: dict[str, Any]) -> FormContact | None:
    """Traits read like form fields; those that are no contact field are ignored."""
    types = {k: row.type for k, row in custom_fields.definitions(session, company_id,
                                                                   "contact").items()}
    sub = form_fields.read(traits.items(), types)
    if sub.problems:
        raise ValidationFailed("The traits are not valid", errors=sub.problems)
    data = form_fields.contact_data(sub)
    if data is None:
        return None
    try:
        return FormContact.model_validate(data)
    except ValidationError as error:
        raise form_fields.relabel(form_fields.field_errors(error), sub,
                                  "The traits are not valid") from error


def _web(url: str | None) -> str | None:
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.hostname else None


def _utm(url: str) -> dict[str, str]:
    """Campaign parameters of the page's address, kept as attributes for scoring rules."""
    query = dict(parse_qsl(urlsplit(url).query))
    return {k: query[k] for k in UTM if query.get(k)}
