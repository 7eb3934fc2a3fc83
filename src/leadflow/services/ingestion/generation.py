"""Automatic lead generation: a lead interaction joins an open lead or creates one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from leadflow.db import ingestion as queries
from leadflow.db.repository import Repository
from leadflow.db.tables import (
    Account,
    Campaign,
    Contact,
    Event,
    Interaction,
    LandingPage,
    Lead,
    Program,
)
from leadflow.domain.lead_matching import MarketingContext, context_for, open_key, target_for
from leadflow.domain.settings import effective_settings
from leadflow.services.ingestion.people import insert_or_find
from leadflow.services.ingestion.types import LEAD_INTERACTIONS
from leadflow.services.record_rules import default_name


@dataclass(frozen=True)
class LeadOutcome:
    lead: Lead
    created: bool


def creates_leads(session: Session, company_id: int, interaction: Interaction) -> bool:
    """Lead interactions from a landing page or event whose `creates_leads` is on."""
    if interaction.type not in LEAD_INTERACTIONS or interaction.contact_id is None:
        return False
    if interaction.type == "form_submitted":
        source = interaction.landing_page_id
        page = Repository(session, company_id, LandingPage).get(source) if source else None
        return page is not None and page.creates_leads
    event_id = interaction.event_id
    event = Repository(session, company_id, Event).get(event_id) if event_id else None
    return event is not None and event.creates_leads


def generate(
    session: Session, company_id: int, settings: dict[str, object], interaction: Interaction,
    contact: Contact,
) -> LeadOutcome:
    """Link `interaction` to the matching open lead, creating the lead when there is none."""
    settings = effective_settings(settings)
    campaign = (Repository(session, company_id, Campaign).get(interaction.campaign_id)
                if interaction.campaign_id else None)
    context = context_for(str(settings["leads.creation_strategy"]), interaction.campaign_id,
                          campaign.program_id if campaign else None, interaction.program_id)
    target = target_for(str(settings["leads.creation_scope"]), contact.id, contact.account_id)
    found = queries.open_lead(session, company_id, scope=target.scope, target_id=target.target_id,
                              campaign_id=context.campaign_id, program_id=context.program_id)
    if found is not None:
        interaction.lead_id = found.id
        return LeadOutcome(found, False)
    lead = Lead(
        company_id=company_id, scope=target.scope, contact_id=contact.id,
        account_id=target.account_id, campaign_id=context.campaign_id,
        program_id=context.program_id, source="auto", stage="nurture", priority="normal",
        origin="landing_page" if interaction.type == "form_submitted" else "event",
        origin_landing_page_id=interaction.landing_page_id, origin_event_id=interaction.event_id,
        origin_email_id=interaction.email_id, open_key=open_key(target, context), custom={},
        name=_name(session, company_id, contact, target.scope, context),
    )
    stored = insert_or_find(
        session, lead,
        lambda: queries.open_lead(session, company_id, scope=target.scope,
                                  target_id=target.target_id, campaign_id=context.campaign_id,
                                  program_id=context.program_id),
    )
    interaction.lead_id = stored.id
    return LeadOutcome(stored, stored is lead)


def _name(
    session: Session, company_id: int, contact: Contact, scope: str, context: MarketingContext
) -> str:
    account = (Repository(session, company_id, Account).get(contact.account_id)
               if contact.account_id else None)
    campaign = (Repository(session, company_id, Campaign).get(context.campaign_id)
                if context.campaign_id else None)
    program = (Repository(session, company_id, Program).get(context.program_id)
               if context.program_id and campaign is None else None)
    return default_name(contact, account, campaign, program, scope)
