"""The marketing catalog of each demo company (fields, users, programs, campaigns, pages, events,
emails), as data, and the step that creates it through the record services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import leadflow.services.record_rules  # noqa: F401  (registers the record checks)
from leadflow import schemas
from leadflow.services import records
from leadflow.services import resources as r
from leadflow.services.demo.context import Demo
from leadflow.services.demo.plan import Activity, Send, Signup
from leadflow.services.demo.scoring import Adjustment, engagement_model, fit_model

SEGMENTS = ("smb", "mid-market", "enterprise")
TIERS = ("strategic", "growth", "standard")

CUSTOM_FIELDS: tuple[dict[str, Any], ...] = (
    {"key": "segment", "entity": "contact", "type": "choice", "label": "Market segment",
     "choices": list(SEGMENTS)},
    {"key": "tier", "entity": "account", "type": "choice", "label": "Account tier",
     "choices": list(TIERS)},
)


@dataclass(frozen=True)
class Catalog:
    """What one company markets with; each list holds the fields of the record's input schema."""

    users: tuple[dict[str, Any], ...]
    programs: tuple[dict[str, Any], ...]
    campaigns: tuple[dict[str, Any], ...]
    landing_pages: tuple[dict[str, Any], ...]
    events: tuple[dict[str, Any], ...]
    emails: tuple[dict[str, Any], ...]
    custom_fields: tuple[dict[str, Any], ...] = CUSTOM_FIELDS
    # Days from the load date to each event's start (negative: already happened).
    event_days: dict[str, int] = field(default_factory=dict)
    activity: Activity | None = None  # the month of activity before loading
    scoring_models: tuple[dict[str, Any], ...] = ()  # published, in the shape of SPEC §6.5
    adjustments: tuple[Adjustment, ...] = ()


def _rep(email: str, name: str, territory: str, capacity: int, available: bool = True) -> dict[
    str, Any
]:
    return {"email": email, "name": name, "role": "sales", "territories": [territory],
            "capacity": capacity, "available": available}


NORTHWIND = Catalog(
    users=(
        _rep("ana.lima@northwindtraders.com", "Ana Lima", "west", 60),
        _rep("ben.okafor@northwindtraders.com", "Ben Okafor", "west", 45),
        _rep("chloe.martin@northwindtraders.com", "Chloe Martin", "east", 60),
        _rep("diego.garcia@northwindtraders.com", "Diego Garcia", "east", 40, available=False),
        _rep("emma.schmidt@northwindtraders.com", "Emma Schmidt", "emea", 55),
        _rep("farid.haddad@northwindtraders.com", "Farid Haddad", "emea", 40),
        {"email": "maya.patel@northwindtraders.com", "name": "Maya Patel", "role": "marketer"},
        {"email": "victor.novak@northwindtraders.com", "name": "Victor Novak", "role": "viewer"},
    ),
    programs=(
        {"key": "fleet-launch", "name": "Fleet tracking launch",
         "description": "Launch of Northwind Fleet, real-time tracking for delivery fleets."},
        {"key": "brand-awareness", "name": "Brand awareness",
         "description": "Content and events that make Northwind known in supply-chain circles."},
        {"key": "customer-growth", "name": "Customer growth",
         "description": "Cross-sell and upsell to existing customers."},
    ),
    campaigns=(
        {"key": "fleet-webinar", "name": "Fleet tracking webinar", "program": "fleet-launch"},
        {"key": "fleet-trial", "name": "Fleet 30-day trial", "program": "fleet-launch"},
        {"key": "supply-summit", "name": "Supply Chain Summit", "program": "brand-awareness"},
        {"key": "cold-chain-ebook", "name": "Cold-chain ebook", "program": "brand-awareness"},
        {"key": "analytics-upsell", "name": "Analytics add-on upsell",
         "program": "customer-growth"},
        {"key": "partner-referrals", "name": "Partner referrals",
         "description": "Leads passed on by resellers; belongs to no program."},
    ),
    landing_pages=(
        {"key": "webinar-signup", "name": "Webinar sign-up", "campaign": "fleet-webinar",
         "url": "https://northwindtraders.com/webinars/fleet"},
        {"key": "trial-signup", "name": "Start your trial", "campaign": "fleet-trial",
         "url": "https://northwindtraders.com/fleet/trial"},
        {"key": "ebook-download", "name": "Cold-chain ebook download",
         "campaign": "cold-chain-ebook", "url": "https://northwindtraders.com/ebooks/cold-chain"},
        {"key": "contact-us", "name": "Contact sales", "url": "https://northwindtraders.com/contact"},
        {"key": "newsletter", "name": "Newsletter sign-up", "creates_leads": False,
         "url": "https://northwindtraders.com/newsletter"},
    ),
    events=(
        {"key": "fleet-webinar-live", "name": "Fleet tracking live demo", "location": "Online",
         "campaign": "fleet-webinar"},
        {"key": "summit-london", "name": "Supply Chain Summit London", "location": "London",
         "campaign": "supply-summit"},
        {"key": "summit-chicago", "name": "Supply Chain Summit Chicago", "location": "Chicago",
         "campaign": "supply-summit"},
    ),
    emails=(
        {"key": "webinar-invite", "name": "Webinar invitation", "campaign": "fleet-webinar",
         "subject": "See your whole fleet on one map - live demo"},
        {"key": "webinar-reminder", "name": "Webinar reminder", "campaign": "fleet-webinar",
         "subject": "Starting tomorrow: Fleet tracking live demo"},
        {"key": "trial-day-3", "name": "Trial nurture day 3", "campaign": "fleet-trial",
         "subject": "Three things to try in your Fleet trial"},
        {"key": "trial-day-20", "name": "Trial nurture day 20", "campaign": "fleet-trial",
         "subject": "Your trial ends soon - talk to us"},
        {"key": "summit-invite", "name": "Summit invitation", "campaign": "supply-summit",
         "subject": "Join 800 supply-chain leaders at the Summit"},
        {"key": "analytics-offer", "name": "Analytics add-on offer",
         "campaign": "analytics-upsell", "subject": "Forecast demand with Northwind Analytics"},
        {"key": "monthly-newsletter", "name": "Monthly newsletter",
         "subject": "Northwind monthly: logistics news and tips"},
    ),
    event_days={"fleet-webinar-live": -21, "summit-london": -60, "summit-chicago": 24},
    activity=Activity(
        site="https://northwindtraders.com",
        pages=(("/", 30), ("/fleet", 16), ("/fleet/features", 10), ("/pricing", 10),
               ("/customers", 6), ("/analytics", 5), ("/blog/cold-chain-compliance", 8),
               ("/blog/route-planning-tips", 8), ("/about", 4)),
        sends=(
            Send("webinar-invite", day=29, share=0.12),
            Send("monthly-newsletter", day=27, share=0.2),
            Send("summit-invite", day=12, share=0.12),
            Send("analytics-offer", day=8, share=0.08),
            Send("webinar-reminder", day=22, to="fleet-webinar-live"),
            Send("trial-day-3", delay=3, to="trial-signup"),
            Send("trial-day-20", delay=20, to="trial-signup"),
        ),
        signups=(
            Signup("webinar-signup", (29, 21), known=20, new=6, event="fleet-webinar-live",
                   email="webinar-invite"),
            Signup("trial-signup", (30, 1), known=8, new=5, email="webinar-reminder"),
            Signup("ebook-download", (30, 1), known=10, new=8),
            Signup("contact-us", (30, 1), known=4, new=2, email="analytics-offer"),
            Signup("newsletter", (30, 1), known=0, new=8),
            Signup(None, (12, 1), known=16, event="summit-chicago", email="summit-invite"),
        ),
    ),
    scoring_models=(engagement_model(),
                    fit_model(["Logistics", "Retail", "Manufacturing", "Food & Beverage"])),
    adjustments=(
        Adjustment("engagement", 10, "Met at the London summit booth; asked for fleet pricing",
                   "warmest"),
        Adjustment("engagement", -15, "Student writing a thesis on cold chains; not a buyer",
                   "personal"),
        Adjustment("fit", 15, "Confirmed on a call: runs 40 delivery vans, replacing trackers"
                   " this year", "best_c"),
    ),
)

AGENCY = Catalog(
    users=(
        {"email": "olivia.hart@leadflow.example", "name": "Olivia Hart", "role": "admin"},
        _rep("sam.rivera@leadflow.example", "Sam Rivera", "west", 30),
        {**_rep("tara.walsh@leadflow.example", "Tara Walsh", "east", 30),
         "territories": ["east", "emea"]},
        {"email": "noah.berg@leadflow.example", "name": "Noah Berg", "role": "marketer"},
    ),
    programs=(
        {"key": "new-business", "name": "New business",
         "description": "Finding new clients for the agency."},
    ),
    campaigns=(
        {"key": "scoring-audit", "name": "Free lead-scoring audit", "program": "new-business"},
        {"key": "ops-webinar", "name": "Marketing ops webinar", "program": "new-business"},
    ),
    landing_pages=(
        {"key": "audit-request", "name": "Request an audit", "campaign": "scoring-audit",
         "url": "https://leadflow.example/audit"},
        {"key": "webinar-signup", "name": "Webinar sign-up", "campaign": "ops-webinar",
         "url": "https://leadflow.example/webinars/ops"},
        {"key": "blog-subscribe", "name": "Blog subscription", "creates_leads": False,
         "url": "https://leadflow.example/blog"},
    ),
    events=(
        {"key": "ops-webinar-live", "name": "Marketing ops live", "location": "Online",
         "campaign": "ops-webinar"},
    ),
    emails=(
        {"key": "audit-follow-up", "name": "Audit follow-up", "campaign": "scoring-audit",
         "subject": "Your lead-scoring audit is ready"},
        {"key": "webinar-invite", "name": "Webinar invitation", "campaign": "ops-webinar",
         "subject": "Fix your MQL definition in 45 minutes"},
    ),
    event_days={"ops-webinar-live": -14},
    activity=Activity(
        site="https://leadflow.example",
        pages=(("/", 30), ("/services", 14), ("/pricing", 10), ("/case-studies", 8),
               ("/blog/mql-definitions", 10), ("/blog/scoring-decay", 8), ("/about", 4)),
        sends=(
            Send("webinar-invite", day=20, share=0.4),
            Send("audit-follow-up", delay=2, to="audit-request"),
        ),
        signups=(
            Signup("audit-request", (30, 1), known=4, new=3),
            Signup("webinar-signup", (20, 15), known=10, new=2, event="ops-webinar-live",
                   email="webinar-invite"),
            Signup("blog-subscribe", (30, 1), known=0, new=3),
        ),
        anonymous=6,
    ),
    scoring_models=(engagement_model(),
                    fit_model(["Software", "Retail", "Financial Services", "Media"])),
    adjustments=(
        Adjustment("engagement", 10, "Referred by the Northwind Traders marketing team",
                   "warmest"),
    ),
)


def load_catalog(demo: Demo) -> None:
    """Custom fields, users, programs, campaigns, landing pages, events and emails."""
    catalog = demo.spec.catalog
    _create_all(demo, r.CUSTOM_FIELDS, catalog.custom_fields)
    demo.users = _create_all(demo, r.USERS, catalog.users)
    demo.programs = _create_all(demo, r.PROGRAMS, catalog.programs)
    demo.campaigns = _create_all(demo, r.CAMPAIGNS, catalog.campaigns)
    demo.landing_pages = _create_all(demo, r.LANDING_PAGES, catalog.landing_pages)
    events = [
        {**item, "starts_at": demo.now + timedelta(days=catalog.event_days.get(item["key"], 30))}
        for item in catalog.events
    ]
    demo.events = _create_all(demo, r.EVENTS, events)
    demo.emails = _create_all(demo, r.EMAILS, catalog.emails)


def _create_all(demo: Demo, resource: r.Resource, items: Any) -> list[Any]:
    schema: type[schemas.Input] = resource.schema
    return [
        records.create(demo.session, demo.company.id, resource, schema(**item))
        for item in items
    ]
