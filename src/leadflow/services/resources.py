"""The record types leadflow manages, described once for every interface."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow import schemas
from leadflow.db import tables as t
from leadflow.interaction_type_schemas import InteractionTypeIn
from leadflow.opportunity_schemas import OpportunityIn


@dataclass(frozen=True)
class Reference:
    """A relation given as `<column>` (an id) or by the target's natural key under `name`."""

    name: str
    column: str
    target: type[t.Base]
    key: str
    label: str


@dataclass(frozen=True)
class Resource:
    """How one record type is named, validated, referenced, searched and shown."""

    path: str
    label: str
    table: type[t.Base]
    schema: type[schemas.Input]
    lookup: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    search: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    custom_entity: str | None = None
    hidden: tuple[str, ...] = ()

    def describe(self, row: t.Base) -> str:
        """`campaign 'spring'` or `lead 12`: how messages name a record."""
        for column in (*self.lookup, "email", "name"):
            value = getattr(row, column, None)
            if value:
                return f"{self.label} '{value}'"
        return f"{self.label} {row.id}"  # type: ignore[attr-defined]


PROGRAM_REF = Reference("program", "program_id", t.Program, "key", "program")
CAMPAIGN_REF = Reference("campaign", "campaign_id", t.Campaign, "key", "campaign")

PROGRAMS = Resource(
    "programs", "program", t.Program, schemas.ProgramIn,
    lookup=("key",), search=("key", "name"), unique=("key",),
)
CAMPAIGNS = Resource(
    "campaigns", "campaign", t.Campaign, schemas.CampaignIn,
    lookup=("key",), references=(PROGRAM_REF,), search=("key", "name"), unique=("key",),
)
LANDING_PAGES = Resource(
    "landing-pages", "landing page", t.LandingPage, schemas.LandingPageIn,
    lookup=("key",), references=(CAMPAIGN_REF,), search=("key", "name"), unique=("key",),
)
EVENTS = Resource(
    "events", "event", t.Event, schemas.EventIn,
    lookup=("key",), references=(CAMPAIGN_REF,), search=("key", "name"), unique=("key",),
)
EMAILS = Resource(
    "emails", "email", t.MarketingEmail, schemas.EmailIn,
    lookup=("key",), references=(CAMPAIGN_REF,), search=("key", "name", "subject"),
    unique=("key",),
)
CUSTOM_FIELDS = Resource(
    "custom-fields", "custom field", t.CustomField, schemas.CustomFieldIn,
    search=("key", "label"),
)
INTERACTION_TYPES = Resource(
    "interaction-types", "interaction type", t.InteractionType, InteractionTypeIn,
    lookup=("key",), search=("key", "name"), unique=("key",),
)
ACCOUNTS = Resource(
    "accounts", "account", t.Account, schemas.AccountIn,
    lookup=("domain",),
    references=(Reference("parent_domain", "parent_id", t.Account, "domain", "parent account"),),
    search=("name", "domain", "industry", "city"), unique=("domain", "external_id"),
    custom_entity="account",
)
CONTACTS = Resource(
    "contacts", "contact", t.Contact, schemas.ContactIn,
    lookup=("email",),
    references=(Reference("account_domain", "account_id", t.Account, "domain", "account"),),
    search=("email", "first_name", "last_name", "job_title", "city"),
    unique=("email", "external_id"), custom_entity="contact",
)
USERS = Resource(
    "users", "user", t.User, schemas.UserIn,
    lookup=("email",), search=("email", "name"), unique=("email",), hidden=("password_hash",),
)
LEADS = Resource(
    "leads", "lead", t.Lead, schemas.LeadIn,
    references=(
        Reference("contact_email", "contact_id", t.Contact, "email", "contact"),
        Reference("account_domain", "account_id", t.Account, "domain", "account"),
        PROGRAM_REF,
        CAMPAIGN_REF,
        Reference("owner", "owner_id", t.User, "email", "owner"),
    ),
    search=("name", "status", "territory"), unique=("external_id",), custom_entity="lead",
    hidden=("open_key",),
)

ALL: tuple[Resource, ...] = (
    PROGRAMS, CAMPAIGNS, LANDING_PAGES, EVENTS, EMAILS, CUSTOM_FIELDS, INTERACTION_TYPES,
    ACCOUNTS, CONTACTS, USERS, LEADS,
)
BY_PATH = {r.path: r for r in ALL}

# Interactions are listed and read like other records, but created only by ingestion.
INTERACTIONS = Resource(
    "interactions", "interaction", t.Interaction, schemas.Input,
    references=(
        Reference("contact_email", "contact_id", t.Contact, "email", "contact"),
        Reference("account_domain", "account_id", t.Account, "domain", "account"),
        PROGRAM_REF,
        CAMPAIGN_REF,
        Reference("email", "email_id", t.MarketingEmail, "key", "marketing email"),
        Reference("landing_page", "landing_page_id", t.LandingPage, "key", "landing page"),
        Reference("event", "event_id", t.Event, "key", "event"),
    ),
    search=("type", "url", "link"), unique=(), hidden=("fingerprint",),
)

# Opportunities have routes of their own (api/opportunities.py: every change is an event, and a
# closed opportunity closes its lead), built on the generic record services.
OPPORTUNITIES = Resource(
    "opportunities", "opportunity", t.Opportunity, OpportunityIn,
    references=(
        Reference("lead_external_id", "lead_id", t.Lead, "external_id", "lead"),
        Reference("contact_email", "contact_id", t.Contact, "email", "contact"),
        Reference("account_domain", "account_id", t.Account, "domain", "account"),
    ),
    search=("name",),
)
