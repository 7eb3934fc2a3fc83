"""Queries of the life cycle and opportunities, each scoped by company."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.db.tables import Lead, Opportunity, OpportunityExternalId, StageChange


def lock(session: Session, lead: Lead) -> None:
    """Reload the lead and hold it until the transaction ends, so that two actions taken at once
    on one lead run one after the other, the second seeing the first's stage (PostgreSQL; SQLite
    lets one writer in at a time anyway)."""
    session.refresh(lead, with_for_update=True)


def stage_changes_of(session: Session, company_id: int, lead_id: int) -> list[StageChange]:
    """A lead's stage history, oldest first."""
    stmt = select(StageChange).where(
        StageChange.company_id == company_id, StageChange.lead_id == lead_id,
    ).order_by(StageChange.id)
    return list(session.scalars(stmt))


def open_opportunities_of(session: Session, company_id: int, lead_id: int) -> list[Opportunity]:
    """The lead's opportunities that are neither won nor lost, newest first."""
    stmt = select(Opportunity).where(
        Opportunity.company_id == company_id, Opportunity.lead_id == lead_id,
        Opportunity.status == "open",
    ).order_by(Opportunity.id.desc())
    return list(session.scalars(stmt))


def external_id(
    session: Session, company_id: int, system: str, external: str
) -> OpportunityExternalId | None:
    """The link of a CRM's id (unique per system) to an opportunity."""
    stmt = select(OpportunityExternalId).where(
        OpportunityExternalId.company_id == company_id,
        OpportunityExternalId.system == system,
        OpportunityExternalId.external_id == external,
    )
    return session.scalars(stmt).first()


def external_ids_of(
    session: Session, company_id: int, opportunity_ids: Iterable[int]
) -> dict[int, dict[str, str]]:
    """`{opportunity id: {system: external id}}` in one query."""
    wanted = set(opportunity_ids)
    if not wanted:
        return {}
    stmt = select(OpportunityExternalId).where(
        OpportunityExternalId.company_id == company_id,
        OpportunityExternalId.opportunity_id.in_(wanted),
    ).order_by(OpportunityExternalId.system)
    found: dict[int, dict[str, str]] = {}
    for row in session.scalars(stmt):
        found.setdefault(row.opportunity_id, {})[row.system] = row.external_id
    return found
