"""The demo world: an agency (the site company) and its client Northwind Traders, loaded in steps.

Each company is filled by running STEPS in order over one `Demo` context: its catalog, people
and leads as seed data, then a month of activity through the real ingestion, then scoring.
A step draws from its own seeded generators, so the same seed always gives the same world (dates
are relative to the moment of loading), and adding a step later does not change what the
earlier steps make.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from leadflow.db import companies as company_rows
from leadflow.db import scoring as scoring_queries
from leadflow.db import tables as t
from leadflow.db.database import normalise_url
from leadflow.db.repository import Repository
from leadflow.db.types import utcnow
from leadflow.errors import ValidationFailed
from leadflow.schemas import CompanyIn
from leadflow.services import companies
from leadflow.services.demo.activity import load_activity
from leadflow.services.demo.assignment import load_assignment
from leadflow.services.demo.catalog import AGENCY, NORTHWIND, load_catalog
from leadflow.services.demo.context import CompanySpec, Demo
from leadflow.services.demo.leads import load_leads
from leadflow.services.demo.lifecycle import load_lifecycle
from leadflow.services.demo.people import load_people
from leadflow.services.demo.scoring import load_scoring
from leadflow.services.demo.webhooks import load_webhooks

DEFAULT_SEED = 7

SITE = CompanySpec(
    key="site", name="leadflow Agency", catalog=AGENCY, accounts=40, contacts=80, holdings=1,
    personal_contacts=4, account_leads=2,
    leads={"nurture": 12, "sales_ready": 5, "accepted": 4, "qualified": 3, "opportunity": 3,
           "won": 2, "lost": 1},
)
CLIENT = CompanySpec(
    key="northwind", name="Northwind Traders", catalog=NORTHWIND, accounts=300, contacts=600,
    holdings=6, personal_contacts=12, account_leads=12,
    leads={"nurture": 95, "sales_ready": 35, "accepted": 28, "qualified": 24,
           "opportunity": 24, "won": 24, "lost": 20},
)

Step = Callable[[Demo], None]
STEPS: list[tuple[str, Step]] = [
    ("catalog", load_catalog),
    ("people", load_people),
    ("leads", load_leads),
    ("lifecycle", load_lifecycle),
    ("activity", load_activity),
    ("scoring", load_scoring),
    ("assignment", load_assignment),
    ("webhooks", load_webhooks),
]

COUNTED: dict[str, type[t.Base]] = {
    "custom_fields": t.CustomField, "users": t.User, "programs": t.Program,
    "campaigns": t.Campaign, "landing_pages": t.LandingPage, "events": t.Event,
    "emails": t.MarketingEmail, "accounts": t.Account, "contacts": t.Contact, "leads": t.Lead,
    "interactions": t.Interaction, "scoring_models": t.ScoringModelRow,
}


@dataclass(frozen=True)
class DemoWorld:
    """The two demo companies, whether this call loaded them, and what each one holds."""

    site: t.Company
    client: t.Company
    loaded: bool
    counts: dict[str, dict[str, int]]
    hot_lead: int | None = None  # the client's most engaged lead, to show its scores


def load_demo(session: Session, *, seed: int = DEFAULT_SEED, now: datetime | None = None) -> (
    DemoWorld
):
    """Load the demo world unless the client company is already there (then change nothing)."""
    site = companies.ensure_site(session, SITE.key, SITE.name)
    client = company_rows.company_by_key(session, CLIENT.key)
    loaded = client is None
    if client is None:
        client = companies.create_client(session, site, CompanyIn(key=CLIENT.key,
                                                                  name=CLIENT.name))
        moment = now or utcnow()
        # A site company that already holds records of its own is left as it is.
        if _is_empty(session, site):
            fill(Demo(session, site, SITE, seed, moment))
        fill(Demo(session, client, CLIENT, seed, moment))
    counts = {c.key: count_records(session, c) for c in (site, client)}
    return DemoWorld(site=site, client=client, loaded=loaded, counts=counts,
                     hot_lead=hottest_lead(session, client))


def fill(demo: Demo) -> None:
    """Run every step over one company."""
    for _name, step in STEPS:
        step(demo)


def count_records(session: Session, company: t.Company) -> dict[str, int]:
    """How many records of each kind `company` holds."""
    return {name: Repository(session, company.id, table).count()
            for name, table in COUNTED.items()}


def hottest_lead(session: Session, company: t.Company, model: str = "engagement") -> int | None:
    """The lead with the highest score in `model` (the lowest id among equals)."""
    row = scoring_queries.model_by_key(session, company.id, model)
    if row is None:
        return None
    stmt = (Repository(session, company.id, t.LeadScore).query()
            .where(t.LeadScore.model_id == row.id)
            .order_by(t.LeadScore.score.desc(), t.LeadScore.lead_id).limit(1))
    best = session.scalars(stmt).first()
    return best.lead_id if best is not None else None


def _is_empty(session: Session, company: t.Company) -> bool:
    tables = (t.Program, t.Campaign, t.Contact, t.Account, t.Lead, t.User, t.CustomField)
    return all(Repository(session, company.id, table).count() == 0 for table in tables)


def reset_sqlite(url: str) -> Path | None:
    """Delete the SQLite database file `url` names (with its journal files); refuse any other."""
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError as error:
        raise ValidationFailed(f"LEADFLOW_DATABASE_URL is not a database URL: {error}") from error
    backend = parsed.get_backend_name()
    if backend != "sqlite":
        raise ValidationFailed(
            f"the demo only resets an embedded SQLite database, and LEADFLOW_DATABASE_URL names"
            f" a {backend} database; drop and re-create that database yourself, then run"
            " `leadflow demo` again"
        )
    if not parsed.database or parsed.database == ":memory:":
        return None
    path = Path(parsed.database)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path
