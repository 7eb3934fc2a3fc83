"""Queries of assignment (SPEC §4): rules in order, round-robin seats (locked while a lead takes
one), owners' open-lead loads, assignment history, and which leads an on-demand run covers.
Every query is scoped by the company."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.domain.assignment import CLOSED_STAGES


def rules(session: Session, company_id: int) -> list[t.AssignmentRule]:
    """The company's rules in the order they are tried."""
    stmt = (select(t.AssignmentRule).where(t.AssignmentRule.company_id == company_id)
            .order_by(t.AssignmentRule.position, t.AssignmentRule.id))
    return list(session.scalars(stmt))


def rule_by_name(session: Session, company_id: int, name: str) -> t.AssignmentRule | None:
    stmt = select(t.AssignmentRule).where(t.AssignmentRule.company_id == company_id,
                                          t.AssignmentRule.name == name)
    return session.scalars(stmt).first()


def rule_by_id(session: Session, company_id: int, rule_id: int) -> t.AssignmentRule | None:
    stmt = select(t.AssignmentRule).where(t.AssignmentRule.company_id == company_id,
                                          t.AssignmentRule.id == rule_id)
    return session.scalars(stmt).first()


def seats(session: Session, company_id: int, rule_id: int, *, lock: bool
          ) -> list[t.RoundRobinMember]:
    """The rule's round-robin seats. With `lock`, they are locked until the transaction ends
    (`SELECT … FOR UPDATE` on PostgreSQL; SQLite transactions are serialised by BEGIN
    IMMEDIATE), so two leads assigned at once never take the same turn. Always re-read, never
    taken from the session's cache: the turn another transaction just took must be seen."""
    stmt = (select(t.RoundRobinMember)
            .where(t.RoundRobinMember.company_id == company_id,
                   t.RoundRobinMember.rule_id == rule_id)
            .order_by(t.RoundRobinMember.id)
            .execution_options(populate_existing=True))
    if lock:
        stmt = stmt.with_for_update()
    return list(session.scalars(stmt))


def users_by_id(session: Session, company_id: int, ids: Iterable[int]) -> dict[int, t.User]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    stmt = select(t.User).where(t.User.company_id == company_id, t.User.id.in_(wanted))
    return {user.id: user for user in session.scalars(stmt)}


def users_by_email(session: Session, company_id: int, emails: Iterable[str]) -> dict[str, t.User]:
    wanted = list(set(emails))
    if not wanted:
        return {}
    stmt = select(t.User).where(t.User.company_id == company_id, t.User.email.in_(wanted))
    return {user.email: user for user in session.scalars(stmt)}


def user_emails(session: Session, company_id: int) -> list[str]:
    stmt = select(t.User.email).where(t.User.company_id == company_id)
    return list(session.scalars(stmt))


def open_leads(session: Session, company_id: int, user_ids: Iterable[int]) -> dict[int, int]:
    """`{user id: leads it owns that are not won or lost}` (users with none are absent)."""
    wanted = list(set(user_ids))
    if not wanted:
        return {}
    stmt = (select(t.Lead.owner_id, func.count())
            .where(t.Lead.company_id == company_id, t.Lead.owner_id.in_(wanted),
                   t.Lead.stage.not_in(CLOSED_STAGES))
            .group_by(t.Lead.owner_id))
    return {owner: int(count) for owner, count in session.execute(stmt) if owner is not None}


def leads_by_id(session: Session, company_id: int, ids: Iterable[int]) -> list[t.Lead]:
    """The leads among `ids` that exist, in id order."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    stmt = (select(t.Lead).where(t.Lead.company_id == company_id, t.Lead.id.in_(wanted))
            .order_by(t.Lead.id))
    return list(session.scalars(stmt))


def history(session: Session, company_id: int, lead_id: int) -> list[t.Assignment]:
    """Every recorded assignment of a lead, oldest first."""
    stmt = (select(t.Assignment).where(t.Assignment.company_id == company_id,
                                       t.Assignment.lead_id == lead_id)
            .order_by(t.Assignment.id))
    return list(session.scalars(stmt))


def count_assignments(session: Session, company_id: int) -> int:
    stmt = select(func.count()).select_from(t.Assignment).where(
        t.Assignment.company_id == company_id)
    return int(session.scalar(stmt) or 0)


# The filters an on-demand run accepts, by lead column; `owner` and `campaign` are resolved
# to ids by the caller.
FILTER_COLUMNS: Mapping[str, Any] = {
    "stage": t.Lead.stage, "status": t.Lead.status, "priority": t.Lead.priority,
    "territory": t.Lead.territory, "source": t.Lead.source, "scope": t.Lead.scope,
    "sales_ready": t.Lead.sales_ready, "owner_id": t.Lead.owner_id,
    "campaign_id": t.Lead.campaign_id, "program_id": t.Lead.program_id,
}


def lead_ids(session: Session, company_id: int, filters: Mapping[str, Sequence[Any]],
             *, unowned_only: bool) -> list[int]:
    """Ids of the company's leads matching every filter (column → allowed values, None for
    null), in id order."""
    stmt = select(t.Lead.id).where(t.Lead.company_id == company_id)
    for name, values in filters.items():
        column = FILTER_COLUMNS[name]
        known = [v for v in values if v is not None]
        clauses = [column.in_(known)] if known else []
        if None in values:
            clauses.append(column.is_(None))
        stmt = stmt.where(or_(false(), *clauses))
    if unowned_only:
        stmt = stmt.where(t.Lead.owner_id.is_(None))
    return list(session.scalars(stmt.order_by(t.Lead.id)))
