"""Queries of scoring: models, versions, stored scores, ledger, adjustments — scoped by company."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, select, union
from sqlalchemy.orm import Session

from leadflow.db import tables as t


def models(session: Session, company_id: int) -> list[t.ScoringModelRow]:
    stmt = select(t.ScoringModelRow).where(t.ScoringModelRow.company_id == company_id)
    return list(session.scalars(stmt.order_by(t.ScoringModelRow.key)))


def model_by_key(session: Session, company_id: int, key: str) -> t.ScoringModelRow | None:
    stmt = select(t.ScoringModelRow).where(t.ScoringModelRow.company_id == company_id,
                                           t.ScoringModelRow.key == key)
    return session.scalars(stmt).first()


def version(session: Session, company_id: int, version_id: int) -> t.ScoringModelVersion | None:
    stmt = select(t.ScoringModelVersion).where(t.ScoringModelVersion.company_id == company_id,
                                               t.ScoringModelVersion.id == version_id)
    return session.scalars(stmt).first()


def latest_version_number(session: Session, model_id: int) -> int:
    stmt = select(func.max(t.ScoringModelVersion.version)).where(
        t.ScoringModelVersion.model_id == model_id)
    return int(session.scalar(stmt) or 0)


def versions_of(session: Session, company_id: int, model_id: int) -> list[t.ScoringModelVersion]:
    stmt = select(t.ScoringModelVersion).where(
        t.ScoringModelVersion.company_id == company_id, t.ScoringModelVersion.model_id == model_id
    ).order_by(t.ScoringModelVersion.version)
    return list(session.scalars(stmt))


# The statements rescoring runs for every interaction are built once, with bound parameters:
# building one costs more than running it for the few rows of one lead.
_LIVE_VERSIONS = (
    select(t.ScoringModelRow, t.ScoringModelVersion)
    .join(t.ScoringModelVersion, t.ScoringModelVersion.id == t.ScoringModelRow.live_version_id)
    .where(t.ScoringModelRow.company_id == bindparam("company_id"),
           t.ScoringModelRow.status == "live")
    .order_by(t.ScoringModelRow.key)
)
# A lead's scores are found by the (lead, model) key. Compared as is, the company would draw
# SQLite (and PostgreSQL with stale statistics) to an index led by the company: a scan of
# every score of the company. `+ 0` keeps it a filter only.
_SCORES = select(t.LeadScore).where(t.LeadScore.company_id + 0 == bindparam("company_id"),
                                    t.LeadScore.lead_id.in_(bindparam("ids", expanding=True)))
_ADJUSTMENTS = (
    select(t.ScoreAdjustment.lead_id, t.ScoreAdjustment.model_id,
           func.sum(t.ScoreAdjustment.points))
    .where(t.ScoreAdjustment.company_id == bindparam("company_id"),
           t.ScoreAdjustment.lead_id.in_(bindparam("ids", expanding=True)))
    .group_by(t.ScoreAdjustment.lead_id, t.ScoreAdjustment.model_id)
)
_LEAD_KEYS = (t.Lead.id, t.Lead.contact_id, t.Lead.account_id, t.Lead.scope)


def _touched(*columns: Any) -> tuple[Select[Any], Select[Any]]:
    """Leads of the contacts, and account leads of the accounts: one indexed search each (an
    OR of the two made SQLite scan every lead of the company)."""
    return (select(*columns).where(t.Lead.company_id == bindparam("company_id"),
                                   t.Lead.contact_id.in_(bindparam("contacts", expanding=True))),
            select(*columns).where(t.Lead.company_id == bindparam("company_id"),
                                   t.Lead.scope == "account",
                                   t.Lead.account_id.in_(bindparam("accounts", expanding=True))))


_LEADS_OF_CONTACTS, _ACCOUNT_LEADS = _touched(*_LEAD_KEYS)
_LEADS_OF_PEOPLE = union(_LEADS_OF_CONTACTS, _ACCOUNT_LEADS)


@cache
def _lead_rows_of_people(accounts: bool, limit: int) -> Select[Any]:
    if not accounts:
        return _touched(t.Lead)[0].limit(limit)
    return select(t.Lead).where(t.Lead.id.in_(union(*_touched(t.Lead.id)))).limit(limit)


@cache
def _by_id(table: Any) -> Any:
    return select(table).where(table.company_id == bindparam("company_id"),
                               table.id.in_(bindparam("ids", expanding=True)))


def live_versions(session: Session, company_id: int) -> list[tuple[t.ScoringModelRow,
                                                                 t.ScoringModelVersion]]:
    return [(row, ver) for row, ver in session.execute(_LIVE_VERSIONS,
                                                       {"company_id": company_id})]


def scores_of(session: Session, company_id: int, lead_ids: Iterable[int]) -> list[t.LeadScore]:
    ids = list(lead_ids)
    if not ids:
        return []
    return list(session.scalars(_SCORES, {"company_id": company_id, "ids": ids}))


def scores_of_model(session: Session, company_id: int, model_id: int) -> list[t.LeadScore]:
    stmt = select(t.LeadScore).where(t.LeadScore.company_id == company_id,
                                     t.LeadScore.model_id == model_id)
    return list(session.scalars(stmt))


def adjustments_of(
    session: Session, company_id: int, lead_ids: Sequence[int]
) -> dict[tuple[int, int], int]:
    """`{(lead_id, model_id): total points}` of manual adjustments."""
    if not lead_ids:
        return {}
    rows = session.execute(_ADJUSTMENTS, {"company_id": company_id, "ids": list(lead_ids)})
    return {(lead, model): int(total) for lead, model, total in rows}


def adjustment_rows(session: Session, company_id: int, lead_id: int) -> list[t.ScoreAdjustment]:
    stmt = select(t.ScoreAdjustment).where(t.ScoreAdjustment.company_id == company_id,
                                           t.ScoreAdjustment.lead_id == lead_id)
    return list(session.scalars(stmt.order_by(t.ScoreAdjustment.id)))


def ledger_of(session: Session, company_id: int, lead_id: int) -> list[t.ScoreLedgerEntry]:
    stmt = select(t.ScoreLedgerEntry).where(t.ScoreLedgerEntry.company_id == company_id,
                                            t.ScoreLedgerEntry.lead_id == lead_id)
    return list(session.scalars(stmt.order_by(t.ScoreLedgerEntry.id)))


def lead_ids_due(session: Session, company_id: int, now: datetime, limit: int) -> list[int]:
    """Leads with a stored score whose next change (a window expiry) has come."""
    stmt = (select(t.LeadScore.lead_id).where(t.LeadScore.company_id == company_id,
                                              t.LeadScore.next_change_at <= now)
            .distinct().limit(limit))
    return list(session.scalars(stmt))


def companies_with_due_scores(session: Session, now: datetime) -> list[int]:
    stmt = select(t.LeadScore.company_id).where(t.LeadScore.next_change_at <= now).distinct()
    return list(session.scalars(stmt))


def lead_ids(session: Session, company_id: int, after: int, limit: int) -> list[int]:
    stmt = (select(t.Lead.id).where(t.Lead.company_id == company_id, t.Lead.id > after)
            .order_by(t.Lead.id).limit(limit))
    return list(session.scalars(stmt))


def count_leads(session: Session, company_id: int) -> int:
    stmt = select(func.count()).select_from(t.Lead).where(t.Lead.company_id == company_id)
    return int(session.scalar(stmt) or 0)


def leads_of_people(
    session: Session, company_id: int, contact_ids: Iterable[int], account_ids: Iterable[int]
) -> list[tuple[int, int | None, int | None, str]]:
    """(lead id, contact id, account id, scope) of leads touched by these contacts' activity."""
    contacts, accounts = list(set(contact_ids)), list(set(account_ids))
    if not contacts and not accounts:
        return []
    params = {"company_id": company_id, "contacts": contacts, "accounts": accounts}
    stmt = _LEADS_OF_PEOPLE if accounts else _LEADS_OF_CONTACTS
    return [(a, b, c, d) for a, b, c, d in session.execute(stmt, params)]


def lead_rows_of_people(
    session: Session, company_id: int, contact_ids: Iterable[int], account_ids: Iterable[int],
    limit: int,
) -> list[t.Lead]:
    """The leads `leads_of_people` names, as rows, up to `limit` of them."""
    contacts, accounts = list(set(contact_ids)), list(set(account_ids))
    if not contacts and not accounts:
        return []
    params = {"company_id": company_id, "contacts": contacts, "accounts": accounts}
    return list(session.scalars(_lead_rows_of_people(bool(accounts), limit), params))


def delete_scores_of_model(session: Session, company_id: int, model_id: int) -> None:
    session.execute(delete(t.LeadScore).where(t.LeadScore.company_id == company_id,
                                              t.LeadScore.model_id == model_id))


def rows_by_id(
    session: Session, company_id: int, table: Any, ids: Iterable[int | None]
) -> dict[int, Any]:
    """`{id: row}` of one table for the given ids, in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.scalars(_by_id(table), {"company_id": company_id, "ids": list(wanted)})
    return {row.id: row for row in rows}


def contacts_of_accounts(
    session: Session, company_id: int, account_ids: Iterable[int | None]
) -> list[t.Contact]:
    wanted = list({i for i in account_ids if i is not None})
    if not wanted:
        return []
    stmt = select(t.Contact).where(t.Contact.company_id == company_id,
                                   t.Contact.account_id.in_(wanted))
    return list(session.scalars(stmt))


def leads_with_grade(company_id: int, grades: list[str]) -> Any:
    """A condition on leads: graded one of `grades` in any live model."""
    return t.Lead.id.in_(select(t.LeadScore.lead_id).where(
        t.LeadScore.company_id == company_id, t.LeadScore.grade.in_(grades)))


def scores_by_lead(session: Session, company_id: int, lead_ids: list[int]
                   ) -> dict[int, dict[str, dict[str, Any]]]:
    """`{lead: {model key: {score, grade, version}}}` of stored scores."""
    if not lead_ids:
        return {}
    stmt = (select(t.LeadScore.lead_id, t.ScoringModelRow.key, t.LeadScore.score,
                   t.LeadScore.grade, t.ScoringModelVersion.version)
            .join(t.ScoringModelRow, t.ScoringModelRow.id == t.LeadScore.model_id)
            .join(t.ScoringModelVersion, t.ScoringModelVersion.id == t.LeadScore.version_id)
            .where(t.LeadScore.company_id == company_id, t.LeadScore.lead_id.in_(lead_ids)))
    out: dict[int, dict[str, dict[str, Any]]] = {}
    for lead_id, key, score, grade, version in session.execute(stmt):
        out.setdefault(lead_id, {})[key] = {"score": score, "grade": grade, "version": version}
    return out
