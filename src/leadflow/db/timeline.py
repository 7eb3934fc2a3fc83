"""The queries of a lead's timeline: one UNION ALL of everything that happened to the lead, as
`(at, rank, id)` keys in time order, paged in the database; then the rows of one page by kind.

`rank` orders what happened at the same moment by cause and effect (the interaction before
the score change it caused, the score change before the stage change it triggered), and names
the kind of each entry (`KINDS`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from leadflow.db import tables as t
from leadflow.db.types import UTCDateTime

# kind → (rank, table). The lead's own row is its creation.
KINDS: dict[str, tuple[int, Any]] = {
    "interaction": (0, t.Interaction),
    "created": (1, t.Lead),
    "score_change": (2, t.ScoreLedgerEntry),
    "score_adjustment": (3, t.ScoreAdjustment),
    "event": (4, t.DomainEvent),
    "stage_change": (5, t.StageChange),
    "assignment": (6, t.Assignment),
    "opportunity": (7, t.Opportunity),
}
BY_RANK = {rank: kind for kind, (rank, _) in KINDS.items()}
# Domain events shown through their own records instead (creation, score ledger, stage
# history, assignments, opportunities), so that nothing appears twice.
SHOWN_ELSEWHERE = ("lead.created", "lead.score_changed", "lead.stage_changed", "lead.assigned",
                   "lead.unassignable", "opportunity.created")

Position = tuple[datetime, int, int]  # (at, rank, id) of an entry


def _keys(kind: str, at: Any, row_id: Any, *where: Any) -> Select[Any]:
    rank = KINDS[kind][0]
    return select(at.label("at"), literal_column(str(rank)).label("rank"),
                  row_id.label("id")).where(*where)


def _interactions(lead: t.Lead) -> list[Select[Any]]:
    """The interactions linked to the lead, and those of its people (its contact, or for an
    account lead the contacts now in the account) that count in its marketing context — the
    `context: lead` rule of SPEC §2.3, the same interactions its score sees. Two queries, each
    served by an index, rather than one OR that would read every interaction of the company."""
    i, campaign = t.Interaction, aliased(t.Campaign)
    linked = _keys("interaction", i.occurred_at, i.id, i.company_id == lead.company_id,
                   i.lead_id == lead.id)
    if lead.scope == "account" and lead.account_id is not None:
        people: ColumnElement[bool] = i.contact_id.in_(select(t.Contact.id).where(
            t.Contact.company_id == lead.company_id, t.Contact.account_id == lead.account_id))
    elif lead.contact_id is not None:
        people = i.contact_id == lead.contact_id
    else:
        return [linked]
    if lead.campaign_id is None and lead.program_id is None:
        context: ColumnElement[bool] = true()
    elif lead.campaign_id is not None:
        context = i.campaign_id == lead.campaign_id
    else:
        context = or_(i.program_id == lead.program_id, campaign.program_id == lead.program_id)
    context = or_(and_(i.campaign_id.is_(None), i.program_id.is_(None)), context)
    theirs = (_keys("interaction", i.occurred_at, i.id, i.company_id == lead.company_id, people,
                    context, or_(i.lead_id.is_(None), i.lead_id != lead.id))
              .outerjoin(campaign, campaign.id == i.campaign_id))
    return [linked, theirs]


def entries(lead: t.Lead) -> Any:
    """Every entry of the lead's timeline as `(at, rank, id)`."""
    company, lead_id = lead.company_id, lead.id

    def of(kind: str, at: Any, *where: Any) -> Select[Any]:
        table = KINDS[kind][1]
        return _keys(kind, at, table.id, table.company_id == company,
                     table.lead_id == lead_id, *where)

    return union_all(
        *_interactions(lead),
        _keys("created", t.Lead.created_at, t.Lead.id, t.Lead.company_id == company,
              t.Lead.id == lead_id),
        of("score_change", t.ScoreLedgerEntry.at),
        of("score_adjustment", t.ScoreAdjustment.created_at),
        of("event", t.DomainEvent.created_at, t.DomainEvent.type.not_in(SHOWN_ELSEWHERE)),
        of("stage_change", t.StageChange.at),
        of("assignment", t.Assignment.at),
        of("opportunity", t.Opportunity.created_at),
    ).subquery("timeline")


def page(session: Session, lead: t.Lead, limit: int, after: Position | None
         ) -> list[Position]:
    """Up to `limit` entries, newest first, strictly after `after` in that order."""
    u = entries(lead)
    stmt = select(u.c.at, u.c.rank, u.c.id)
    if after is not None:
        at, rank, row_id = after
        moment = literal(at, UTCDateTime())
        stmt = stmt.where(or_(
            u.c.at < moment,
            and_(u.c.at == moment, or_(u.c.rank < rank,
                                       and_(u.c.rank == rank, u.c.id < row_id)))))
    stmt = stmt.order_by(u.c.at.desc(), u.c.rank.desc(), u.c.id.desc()).limit(limit)
    return [(row.at, int(row.rank), int(row.id)) for row in session.execute(stmt)]


def rows(session: Session, company_id: int, kind: str, ids: Iterable[int]) -> dict[int, Any]:
    """`{id: row}` of one kind's entries."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    table = KINDS[kind][1]
    stmt = select(table).where(table.company_id == company_id, table.id.in_(wanted))
    return {row.id: row for row in session.scalars(stmt)}
