"""Set-based rescoring of a whole company in one model: the compiled query's rows are staged
in a temporary table, then the ledger, the stored scores and the removals are written by a few
statements inside the database. No row travels through Python."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from leadflow.db import tables as t
from leadflow.db.types import UTCDateTime
from leadflow.scoring.sql import SqlSources

LEDGER_COLUMNS = ("company_id", "lead_id", "model_id", "version", "old_score", "new_score",
                  "delta", "cause", "cause_id", "at")


def sources(company_id: int, model_id: int, as_of: datetime, behaviour_reset: bool,
            lead_filter: ColumnElement[bool] | None) -> SqlSources:
    """What the compiled query reads: leadflow's tables and the model's manual adjustments."""
    adjustments = t.ScoreAdjustment.__table__
    manual = (select(adjustments.c.lead_id, adjustments.c.points.label("adjustment"))
              .where(adjustments.c.company_id == company_id, adjustments.c.model_id == model_id)
              .subquery("manual"))
    leads = t.Lead.__table__
    return SqlSources(
        leads=leads, contacts=t.Contact.__table__, accounts=t.Account.__table__,
        campaigns=t.Campaign.__table__, programs=t.Program.__table__, users=t.User.__table__,
        landing_pages=t.LandingPage.__table__, events=t.Event.__table__,
        emails=t.MarketingEmail.__table__, interactions=t.Interaction.__table__,
        company_id=company_id, as_of=as_of,
        behavior_since=leads.c.recycled_at if behaviour_reset else None,
        adjustments=manual, lead_filter=lead_filter,
    )


def context_filter(session: Session, company_id: int, targets: list[tuple[str, str | None]]
                   ) -> ColumnElement[bool]:
    """Leads whose marketing context is one of `targets` (`scoring.model_selection: context`):
    their campaign, else their program, else the company."""
    leads = t.Lead.__table__
    keys = {kind: [key for k, key in targets if k == kind and key] for kind in
            ("campaign", "program")}
    campaign_ids = _ids(session, company_id, t.Campaign, keys["campaign"])
    program_ids = _ids(session, company_id, t.Program, keys["program"])
    options: list[ColumnElement[bool]] = [leads.c.campaign_id.in_(campaign_ids)]
    options.append(and_(leads.c.campaign_id.is_(None), leads.c.program_id.in_(program_ids)))
    if any(kind == "company" for kind, _ in targets):
        options.append(and_(leads.c.campaign_id.is_(None), leads.c.program_id.is_(None)))
    return or_(*options)


def _ids(session: Session, company_id: int, table: Any, keys: list[str]) -> list[int]:
    if not keys:
        return []
    return list(session.scalars(select(table.id).where(table.company_id == company_id,
                                                       table.key.in_(keys))))


def stage(session: Session, query: Select[Any]) -> Table:
    """Run the compiled query into a temporary table (dropped by `unstage`)."""
    staged = Table(
        "staged_scores", MetaData(),
        Column("lead_id", Integer, primary_key=True), Column("score", Integer),
        Column("grade", String(64)), Column("sales_ready", Boolean),
        Column("next_change_at", UTCDateTime()),
        prefixes=["TEMPORARY"],
    )
    connection = session.connection()
    staged.drop(connection, checkfirst=True)
    staged.create(connection)
    columns = ["lead_id", "score", "grade", "sales_ready", "next_change_at"]
    session.execute(insert(staged).from_select(columns, query))
    return staged


def unstage(session: Session, staged: Table) -> None:
    staged.drop(session.connection())


def write(session: Session, staged: Table, *, company_id: int, model_id: int,
          version_id: int, version: int, cause: str, now: datetime,
          lead_filter: ColumnElement[bool] | None) -> int:
    """Make the stored scores of `model_id` those staged: ledger entries for every change,
    updated and new scores, and scores removed from leads (within `lead_filter`) the model no
    longer scores. Returns how many leads' scores changed."""
    scores, ledger, leads = _table(t.LeadScore), _table(t.ScoreLedgerEntry), _table(t.Lead)
    stored = scores.alias("stored")
    on_stored = and_(stored.c.lead_id == staged.c.lead_id, stored.c.model_id == model_id)
    changed = (
        select(literal(company_id), staged.c.lead_id, literal(model_id), literal(version),
               stored.c.score, staged.c.score, staged.c.score - func.coalesce(stored.c.score, 0),
               literal(cause), null(), literal(now, UTCDateTime()))
        .select_from(staged.outerjoin(stored, on_stored))
        .where(or_(stored.c.id.is_(None), stored.c.score != staged.c.score))
    )
    count = _written(session, insert(ledger).from_select(LEDGER_COLUMNS, changed))
    gone = [scores.c.company_id == company_id, scores.c.model_id == model_id,
            ~exists().where(staged.c.lead_id == scores.c.lead_id)]
    if lead_filter is not None:
        gone.append(scores.c.lead_id.in_(select(leads.c.id).where(
            leads.c.company_id == company_id, lead_filter)))
    removed = select(scores.c.company_id, scores.c.lead_id, scores.c.model_id,
                     literal(version), scores.c.score, null(), -scores.c.score, literal(cause),
                     null(), literal(now, UTCDateTime())).where(*gone)
    count += _written(session, insert(ledger).from_select(LEDGER_COLUMNS, removed))
    session.execute(scores.delete().where(*gone))
    new_values = {"version_id": version_id, "score": staged.c.score, "grade": staged.c.grade,
                  "sales_ready": staged.c.sales_ready, "next_change_at": staged.c.next_change_at}
    differs = or_(*(scores.c[name].is_distinct_from(value) for name, value in new_values.items()
                    if name != "version_id"), scores.c.version_id != version_id)
    session.execute(
        update(scores)
        .where(scores.c.lead_id == staged.c.lead_id, scores.c.model_id == model_id, differs)
        .values(**new_values, computed_at=now)
    )
    fresh = (
        select(literal(company_id), staged.c.lead_id, literal(model_id), literal(version_id),
               staged.c.score, staged.c.grade, staged.c.sales_ready, staged.c.next_change_at,
               literal(now, UTCDateTime()))
        .where(~exists().where(stored.c.lead_id == staged.c.lead_id,
                               stored.c.model_id == model_id))
    )
    session.execute(insert(scores).from_select(
        ["company_id", "lead_id", "model_id", "version_id", "score", "grade", "sales_ready",
         "next_change_at", "computed_at"], fresh))
    return count


def _written(session: Session, statement: Any) -> int:
    """Run an INSERT … SELECT; how many rows it wrote."""
    result = session.execute(statement.execution_options(preserve_rowcount=True))
    assert isinstance(result, CursorResult)
    return int(result.rowcount or 0)


def _table(model: type[t.Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def newly_sales_ready(session: Session, staged: Table, company_id: int) -> list[int]:
    """Staged leads that reach their model's threshold and are not flagged yet."""
    leads = t.Lead.__table__
    return list(session.scalars(
        select(staged.c.lead_id)
        .join(leads, leads.c.id == staged.c.lead_id)
        .where(staged.c.sales_ready.is_(True), leads.c.company_id == company_id,
               leads.c.sales_ready.is_(False))
        .order_by(staged.c.lead_id)
    ))


def tune_for_bulk(session: Session) -> None:
    """PostgreSQL: no JIT (compiling these wide expressions costs more than it saves) and room
    for the hash aggregates, for this transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '64MB'"))
