"""The relational schema. Every business record carries `company_id` (its tenant)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Date as SqlDate
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from leadflow.db.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def company_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)


class Company(Timestamps, Base):
    __tablename__ = "companies"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_site: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Program(Timestamps, Base):
    __tablename__ = "programs"
    __table_args__ = (UniqueConstraint("company_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)


class Campaign(Timestamps, Base):
    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("company_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id"), index=True)


class LandingPage(Timestamps, Base):
    __tablename__ = "landing_pages"
    __table_args__ = (UniqueConstraint("company_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    creates_leads: Mapped[bool] = mapped_column(Boolean, default=True)


class Event(Timestamps, Base):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("company_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime | None] = mapped_column()
    location: Mapped[str | None] = mapped_column(String(200))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    creates_leads: Mapped[bool] = mapped_column(Boolean, default=True)


class MarketingEmail(Timestamps, Base):
    __tablename__ = "emails"
    __table_args__ = (UniqueConstraint("company_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(500))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)


class CustomField(Timestamps, Base):
    __tablename__ = "custom_fields"
    __table_args__ = (UniqueConstraint("company_id", "entity", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    key: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(200))
    choices: Mapped[list[Any] | None] = mapped_column()


class Account(Timestamps, Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("company_id", "domain"),
        UniqueConstraint("company_id", "external_id"),
        Index("ix_accounts_company_name", "company_id", "name"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    name: Mapped[str] = mapped_column(String(300))
    domain: Mapped[str | None] = mapped_column(String(300))
    industry: Mapped[str | None] = mapped_column(String(200))
    employees: Mapped[int | None] = mapped_column(Integer)
    annual_revenue: Mapped[float | None] = mapped_column(Float)
    city: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(200))
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Contact(Timestamps, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("company_id", "email"),
        UniqueConstraint("company_id", "external_id"),
        Index("ix_contacts_company_account", "company_id", "account_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    email: Mapped[str | None] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(200))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    external_id: Mapped[str | None] = mapped_column(String(200))
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict)


class User(Timestamps, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("company_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    capacity: Mapped[int | None] = mapped_column(Integer)
    territories: Mapped[list[Any]] = mapped_column(default=list)
    password_hash: Mapped[str | None] = mapped_column(String(300))


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class Lead(Timestamps, Base):
    __tablename__ = "leads"
    __table_args__ = (
        UniqueConstraint("company_id", "external_id"),
        UniqueConstraint("company_id", "open_key"),
        Index("ix_leads_company_stage", "company_id", "stage"),
        Index("ix_leads_company_contact", "company_id", "contact_id"),
        Index("ix_leads_company_account", "company_id", "account_id"),
        Index("ix_leads_company_campaign", "company_id", "campaign_id"),
        Index("ix_leads_company_owner", "company_id", "owner_id"),
        Index("ix_leads_company_created", "company_id", "created_at"),
        # What the stored scores and the ledger reference: a lead of their own company.
        Index("ix_leads_company_lead", "company_id", "id", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    scope: Mapped[str] = mapped_column(String(16), default="contact")
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    origin: Mapped[str | None] = mapped_column(String(16))
    origin_landing_page_id: Mapped[int | None] = mapped_column(ForeignKey("landing_pages.id"))
    origin_event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    origin_email_id: Mapped[int | None] = mapped_column(ForeignKey("emails.id"))
    status: Mapped[str | None] = mapped_column(String(100))
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    due_date: Mapped[date | None] = mapped_column(SqlDate)
    territory: Mapped[str | None] = mapped_column(String(100))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    stage: Mapped[str] = mapped_column(String(16), default="nurture")
    sales_ready: Mapped[bool] = mapped_column(Boolean, default=False)
    sales_ready_at: Mapped[datetime | None] = mapped_column()
    recycled_at: Mapped[datetime | None] = mapped_column()
    source: Mapped[str] = mapped_column(String(16), default="manual")
    external_id: Mapped[str | None] = mapped_column(String(200))
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Set while an automatically created lead is open: (scope target, context). Its unique
    # constraint makes two concurrent lead interactions for one context create one lead.
    open_key: Mapped[str | None] = mapped_column(String(100))


class InteractionType(Timestamps, Base):
    """A company's custom interaction type, or typed attributes for a built-in one."""

    __tablename__ = "interaction_types"
    __table_args__ = (UniqueConstraint("company_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(64))
    attributes: Mapped[list[Any]] = mapped_column(default=list)


class Interaction(Base):
    """Something a contact (or a not yet identified visitor) did, at a moment."""

    __tablename__ = "interactions"
    __table_args__ = (
        UniqueConstraint("company_id", "source", "external_id"),
        Index("ix_interactions_contact_type_time", "company_id", "contact_id", "type",
              "occurred_at"),
        Index("ix_interactions_account_type_time", "company_id", "account_id", "type",
              "occurred_at"),
        # PostgreSQL only (migration 0008): scoring every lead of a company reads each type's
        # window of interactions from this index alone (scoring/sql_behaviour.py, _by_type).
        Index("ix_interactions_type_time", "company_id", "type", "occurred_at",
              postgresql_include=["contact_id", "campaign_id", "program_id"]
              ).ddl_if(dialect="postgresql"),
        Index("ix_interactions_visitor", "company_id", "visitor_id"),
        Index("ix_interactions_lead", "company_id", "lead_id"),
        Index("ix_interactions_fingerprint", "company_id", "fingerprint"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    visitor_id: Mapped[str | None] = mapped_column(String(100))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id"))
    email_id: Mapped[int | None] = mapped_column(ForeignKey("emails.id"))
    landing_page_id: Mapped[int | None] = mapped_column(ForeignKey("landing_pages.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    url: Mapped[str | None] = mapped_column(String(2000))
    link: Mapped[str | None] = mapped_column(String(2000))
    bounce_type: Mapped[str | None] = mapped_column(String(32))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    external_id: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16), default="api")
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Visitor(Base):
    """An anonymous website visitor (tracking cookie), linked to a contact once identified."""

    __tablename__ = "visitors"
    __table_args__ = (UniqueConstraint("company_id", "visitor_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    visitor_id: Mapped[str] = mapped_column(String(100))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    identified_at: Mapped[datetime | None] = mapped_column()


class ScoringModelRow(Timestamps, Base):
    """A scoring model: its editable draft and, once published, its live version."""

    __tablename__ = "scoring_models"
    __table_args__ = (UniqueConstraint("company_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    draft: Mapped[dict[str, Any] | None] = mapped_column()
    live_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("scoring_model_versions.id", use_alter=True, name="fk_models_live_version")
    )


class ScoringModelVersion(Base):
    """An immutable published version of a scoring model."""

    __tablename__ = "scoring_model_versions"
    __table_args__ = (
        UniqueConstraint("model_id", "version"),
        # What the stored scores reference: a version of their own model.
        Index("ix_scoring_model_versions_model_version", "model_id", "id", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    model_id: Mapped[int] = mapped_column(ForeignKey("scoring_models.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column()
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(200))


class LeadScore(Base):
    """A lead's current score in one live model, naming the version that produced it."""

    __tablename__ = "lead_scores"
    __table_args__ = (
        UniqueConstraint("lead_id", "model_id"),
        Index("ix_lead_scores_model_grade", "company_id", "model_id", "grade"),
        Index("ix_lead_scores_next_change", "company_id", "next_change_at"),
        # Half of each page left free: publishing a version rewrites every score of the model,
        # and with room in the page PostgreSQL updates a row in place, without new entries in
        # the table's indexes (a HOT update; about ten times faster at a million scores).
        # Two composite foreign keys instead of four single ones: a score's lead is of the
        # score's company and its version of the score's model, and storing a score costs two
        # checks, not four (each a lookup per row: a third of a first publish's inserts).
        ForeignKeyConstraint(["company_id", "lead_id"], ["leads.company_id", "leads.id"],
                             ondelete="CASCADE"),
        ForeignKeyConstraint(["model_id", "version_id"],
                             ["scoring_model_versions.model_id", "scoring_model_versions.id"],
                             ondelete="CASCADE"),
        {"postgresql_with": {"fillfactor": 50}},
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column()  # ix_lead_scores_model_grade leads with it
    lead_id: Mapped[int] = mapped_column()
    model_id: Mapped[int] = mapped_column()
    version_id: Mapped[int] = mapped_column()
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(String(64))
    sales_ready: Mapped[bool] = mapped_column(Boolean, default=False)
    next_change_at: Mapped[datetime | None] = mapped_column()
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScoreLedgerEntry(Base):
    """One change of a stored score; a lead's deltas in a model add up to its score."""

    __tablename__ = "score_ledger"
    __table_args__ = (
        Index("ix_score_ledger_lead", "company_id", "lead_id", "model_id"),
        # One check per entry for the lead and its company (see LeadScore).
        ForeignKeyConstraint(["company_id", "lead_id"], ["leads.company_id", "leads.id"],
                             ondelete="CASCADE"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column()  # ix_score_ledger_lead leads with it
    lead_id: Mapped[int] = mapped_column()
    model_id: Mapped[int] = mapped_column(ForeignKey("scoring_models.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    old_score: Mapped[int | None] = mapped_column(Integer)
    new_score: Mapped[int | None] = mapped_column(Integer)
    delta: Mapped[int] = mapped_column(Integer)
    cause: Mapped[str] = mapped_column(String(32))
    cause_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ScoreAdjustment(Base):
    """A person's manual ±N points on a lead in one model, kept through rescoring."""

    __tablename__ = "score_adjustments"
    __table_args__ = (Index("ix_score_adjustments_lead", "company_id", "lead_id", "model_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    model_id: Mapped[int] = mapped_column(ForeignKey("scoring_models.id", ondelete="CASCADE"))
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DomainEvent(Base):
    """Something that happened to a lead (lead.sales_ready …), written in the same transaction
    as the change; webhooks deliver from here."""

    __tablename__ = "domain_events"
    __table_args__ = (Index("ix_domain_events_company_time", "company_id", "id"),
                      Index("ix_domain_events_lead", "company_id", "lead_id", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    type: Mapped[str] = mapped_column(String(64))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Job(Base):
    """Background work (rescoring after a publish, imports) with progress; the worker runs it."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status", "status", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[dict[str, Any] | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    # Touched while a job makes progress; a `running` job whose heartbeat stops was left by a
    # dead worker and is queued again (jobs.requeue_stale).
    heartbeat_at: Mapped[datetime | None] = mapped_column()


class ImportFilePart(Base):
    """A piece of a file uploaded for a background import, kept in the database so that any
    worker can run the job."""

    __tablename__ = "import_file_parts"
    __table_args__ = (UniqueConstraint("job_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ImportProblem(Base):
    """One row error of a background import: a line of its errors.csv."""

    __tablename__ = "import_errors"
    __table_args__ = (Index("ix_import_errors_job", "job_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    row: Mapped[int] = mapped_column(Integer)
    column: Mapped[str] = mapped_column(String(300))
    value: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)


class ImportTouched(Base):
    """A lead an import run touched; such leads are rescored once when the import ends."""

    __tablename__ = "import_touched"
    __table_args__ = (Index("ix_import_touched_run", "run_key", "lead_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    run_key: Mapped[str] = mapped_column(String(64))
    lead_id: Mapped[int] = mapped_column(Integer)


# --- Life cycle and opportunities (SPEC §5) ----------------------------------------------------


class StageChange(Base):
    """One move of a lead between life-cycle stages: who did what, when and why."""

    __tablename__ = "lead_stage_changes"
    __table_args__ = (Index("ix_lead_stage_changes_lead", "company_id", "lead_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(320))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Opportunity(Timestamps, Base):
    """A sales opportunity, created by converting a lead or upserted by a CRM."""

    __tablename__ = "opportunities"
    __table_args__ = (Index("ix_opportunities_company_lead", "company_id", "lead_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    name: Mapped[str] = mapped_column(String(300))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    estimated_revenue: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(3))
    probability: Mapped[int | None] = mapped_column(Integer)
    expected_close_date: Mapped[date | None] = mapped_column(SqlDate)
    status: Mapped[str] = mapped_column(String(16), default="open")
    source: Mapped[str] = mapped_column(String(16), default="promoted")
    closed_at: Mapped[datetime | None] = mapped_column()


class OpportunityExternalId(Base):
    """The id an outside system (a CRM) knows an opportunity by; unique per system."""

    __tablename__ = "opportunity_external_ids"
    __table_args__ = (UniqueConstraint("company_id", "system", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), index=True)
    system: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(200))


# --- Assignment (SPEC §4) ---------------------------------------------------------------------


class AssignmentRule(Timestamps, Base):
    """One of a company's ordered assignment rules; the first enabled rule that holds applies."""

    __tablename__ = "assignment_rules"
    __table_args__ = (UniqueConstraint("company_id", "name"),
                      Index("ix_assignment_rules_order", "company_id", "position"))
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    conditions: Mapped[list[Any]] = mapped_column(default=list)
    # The owner choice, users by id (shown by email): {"kind": "user" | "round_robin" |
    # "least_loaded", "users": [{"id": 3, "weight": 1}, ...]}; None: the rule only sets fields.
    assign: Mapped[dict[str, Any] | None] = mapped_column()
    # Field updates: status, territory, priority.
    set_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RoundRobinMember(Base):
    """A user's place in a round-robin pool: its weight and `served`, the leads it was given
    plus the turns it missed (domain/rotation.py). Stored, so that the rotation survives
    restarts and edits of the pool."""

    __tablename__ = "round_robin_members"
    __table_args__ = (UniqueConstraint("rule_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    rule_id: Mapped[int] = mapped_column(ForeignKey("assignment_rules.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    weight: Mapped[int] = mapped_column(Integer, default=1)
    served: Mapped[int] = mapped_column(Integer, default=0)


class Assignment(Base):
    """One run of the assignment rules on a lead: the rule, the owner (None: nobody could take
    it), the trigger and the time."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_lead", "company_id", "lead_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignment_rules.id", ondelete="SET NULL"))
    rule_name: Mapped[str | None] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    previous_owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    trigger: Mapped[str] = mapped_column(String(32))
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


# --- Webhooks (SPEC §6.4) ---------------------------------------------------------------------


class WebhookSubscription(Timestamps, Base):
    """A company's CRM endpoint and the event types it wants."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (UniqueConstraint("company_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    key: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[Any]] = mapped_column(default=list)
    secret: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class WebhookDelivery(Base):
    """The outbox: one message for one subscription, written in the same transaction as the
    change it reports; the worker sends it, retrying with the same `webhook-id`."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_subscription", "company_id", "subscription_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookAttempt(Base):
    """One try at sending a delivery: the delivery log."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = company_fk()
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
