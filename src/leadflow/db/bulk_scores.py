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
    case,
    cast,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session
from sqlalchemy.sql.ddl import CreateTableAs
from sqlalchemy.sql.elements import ColumnElement

from leadflow.db import tables as t
from leadflow.db.types import UTCDateTime
from leadflow.scoring.sql import SqlSources

LEDGER_COLUMNS = ("company_id", "lead_id", "model_id", "version", "old_score", "new_score",
                  "delta", "cause", "cause_id", "at")


def sources(company_id: int, model_id: int, as_of: datetime, behaviour_reset: bool,
            lead_filter: ColumnElement[bool] | None, dialect: str) -> SqlSources:
    """What the compiled query reads: leadflow's tables and the model's manual adjustments.
    On PostgreSQL the interactions of a whole company are read by type, from the covering
    index ix_interactions_type_time (`SqlSources.scan_by_type`)."""
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
        adjustments=manual, lead_filter=lead_filter, scan_by_type=dialect == "postgresql",
    )


def any_recycled(session: Session, company_id: int,
                 lead_filter: ColumnElement[bool] | None) -> bool:
    """Whether any lead to rescore was recycled (has a behaviour cut-off). When none was, the
    compiled query needs no branch for them: that branch reads interactions per lead, and
    SQLite, not knowing it is empty, may scan every interaction of the company for it."""
    leads = t.Lead.__table__
    found = select(leads.c.id).where(leads.c.company_id == company_id,
                                     leads.c.recycled_at.is_not(None))
    if lead_filter is not None:
        found = found.where(lead_filter)
    return session.scalar(select(found.exists())) is True


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


# Temporary tables, defined once so that the statements over them are compiled once (SQLAlchemy
# caches compiled statements by the tables they name). `stage` creates STAGED from the compiled
# query's columns and the stored score each lead has; this definition names them for the
# statements that read it.
_TEMPORARY = MetaData()
STAGED = Table(
    "staged_scores", _TEMPORARY,
    Column("lead_id", Integer), Column("score", Integer),
    Column("grade", String(64)), Column("sales_ready", Boolean),
    Column("next_change_at", UTCDateTime()),
    Column("fresh", Boolean),  # the lead has no stored score in the model yet
    Column("old_score", Integer), Column("old_grade", String(64)),  # the stored score
    Column("differs", Boolean),  # the stored row needs writing (any column differs)
    prefixes=["TEMPORARY"],
)
TOUCHED = Table("touched_leads", _TEMPORARY,
                Column("lead_id", Integer, primary_key=True, autoincrement=False),
                Column("cause_id", Integer), prefixes=["TEMPORARY"])


def stage(session: Session, query: Select[Any], *, model_id: int, version_id: int,
          every_lead: bool) -> Table:
    """Run the compiled query into a temporary table (dropped by `unstage`), each row beside
    the lead's stored score in the model: every later statement reads the comparison from
    the staged rows instead of joining the stored scores again.

    For `every_lead` of a company, CREATE TABLE … AS: PostgreSQL runs the query in parallel
    only for that (a third faster on two cores at a million leads). Only the rows whose
    stored score must be written or that are sales-ready are staged; scores to remove are
    found from `scored_leads` (see `write`). For a few leads (a batch of interactions),
    every row, with INSERT … SELECT into a declared table: SQLAlchemy compiles that
    statement once and reuses it, where it would compile the DDL again for every batch."""
    connection = session.connection()
    STAGED.drop(connection, checkfirst=True)
    computed = query.subquery("computed")
    stored = _table(t.LeadScore).alias("stored")
    differs = or_(stored.c.id.is_(None), stored.c.version_id != version_id,
                  *(stored.c[name].is_distinct_from(computed.c[name])
                    for name in ("score", "grade", "sales_ready", "next_change_at")))
    rows = (
        select(computed.c.lead_id, computed.c.score, computed.c.grade, computed.c.sales_ready,
               computed.c.next_change_at, stored.c.id.is_(None).label("fresh"),
               stored.c.score.label("old_score"), stored.c.grade.label("old_grade"),
               differs.label("differs"))
        .select_from(computed.outerjoin(stored, and_(stored.c.lead_id == computed.c.lead_id,
                                                     stored.c.model_id == model_id)))
    )
    if every_lead:  # only the rows a later statement reads: most scores do not change
        rows = rows.where(or_(differs, computed.c.sales_ready.is_(True)))
        connection.execute(CreateTableAs(rows, STAGED.name, temporary=True))
    else:
        STAGED.create(connection)
        connection.execute(insert(STAGED).from_select([c.name for c in STAGED.c], rows))
    _analyze(session, STAGED)
    return STAGED


def analyze_scores(session: Session) -> None:
    """PostgreSQL: fresh statistics of the stored scores before a rescore of every lead (a
    publish may just have written a million of them; with stale statistics the planner takes
    the table for empty and scans it once per lead)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE lead_scores"))


def _analyze(session: Session, table: Table) -> None:
    """PostgreSQL never gathers statistics of temporary tables by itself; without them the
    planner guesses their size and may pick nested loops over thousands of rows."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"ANALYZE {table.name}"))


def unstage(session: Session, staged: Table) -> None:
    staged.drop(session.connection())


def note_touched(session: Session, causes: dict[int, int | None]) -> Table:
    """The leads to rescore, each with the id of what caused it (the ledger names it), in a
    temporary table (dropped by `unstage`)."""
    touched = TOUCHED
    connection = session.connection()
    touched.drop(connection, checkfirst=True)
    touched.create(connection)
    if causes and connection.dialect.name == "postgresql":  # one statement, two arrays
        rows = select(func.unnest(literal(list(causes), ARRAY(Integer))),
                      func.unnest(literal(list(causes.values()), ARRAY(Integer))))
        connection.execute(insert(touched).from_select(["lead_id", "cause_id"], rows))
    elif causes:  # Core executemany: the ORM's bulk path costs more than the insert itself
        connection.execute(insert(touched), [{"lead_id": lead_id, "cause_id": cause_id}
                                             for lead_id, cause_id in causes.items()])
    _analyze(session, touched)
    return touched


def _score_changed(staged: Table) -> ColumnElement[bool]:
    """The staged score is new or differs from the stored one (a ledger entry)."""
    return or_(staged.c.fresh.is_(True), staged.c.old_score != staged.c.score)


def score_changes(session: Session, staged: Table, *, company_id: int, model_id: int,
                  lead_filter: ColumnElement[bool] | None,
                  causes: Table | None = None,
                  scored: Select[Any] | None = None) -> list[tuple[Any, ...]]:
    """(lead, old score, old grade, new score, new grade) of every score `write` will change
    or remove (None: no score), for `lead.score_changed`."""
    scores, leads = _table(t.LeadScore), _table(t.Lead)
    changed = (select(staged.c.lead_id, staged.c.old_score, staged.c.old_grade,
                      staged.c.score, staged.c.grade)
               .where(or_(_score_changed(staged),
                          staged.c.old_grade.is_distinct_from(staged.c.grade))))
    found = [tuple(row) for row in session.execute(changed)]
    gone = _gone(session, scores, leads, staged, company_id, model_id, lead_filter, causes,
                 scored)
    if gone is not None:
        found += [tuple(row) for row in session.execute(
            select(scores.c.lead_id, scores.c.score, scores.c.grade, null(), null()).where(
                *gone))]
    return found


def _gone(session: Session, scores: Table, leads: Table, staged: Table, company_id: int,
          model_id: int, lead_filter: ColumnElement[bool] | None,
          causes: Table | None = None,
          scored: Select[Any] | None = None) -> list[ColumnElement[bool]] | None:
    """Stored scores of the model on leads (within `lead_filter`) it no longer scores; None
    when there can be none.

    Over every lead, those are the leads outside `scored` (`sql.scored_leads`: the model's
    lead scope and audience); with no such query the model scores every lead, and a deleted
    lead's scores went with it. When only some leads are rescored (`causes`), those of them
    that were not staged are found first (usually none) and their scores are then taken by
    key: a search from the stored scores would depend on statistics that a busy lead_scores
    table often has stale."""
    gone = [scores.c.company_id == company_id, scores.c.model_id == model_id]
    if causes is None:
        if scored is None:
            return None
        lead_id = scored.selected_columns[0]
        gone.append(~scored.where(lead_id == scores.c.lead_id).exists())
    else:
        unstaged = list(session.scalars(
            select(leads.c.id).where(leads.c.company_id == company_id,
                                     leads.c.id.in_(select(causes.c.lead_id)),
                                     leads.c.id.not_in(select(staged.c.lead_id)),
                                     *([lead_filter] if lead_filter is not None else []))))
        if not unstaged:
            return None
        return [*gone, scores.c.lead_id.in_(unstaged)]
    if lead_filter is not None:
        gone.append(scores.c.lead_id.in_(select(leads.c.id).where(
            leads.c.company_id == company_id, lead_filter)))
    return gone


def write(session: Session, staged: Table, *, company_id: int, model_id: int,
          version_id: int, version: int, cause: str, now: datetime,
          lead_filter: ColumnElement[bool] | None, causes: Table | None = None,
          scored: Select[Any] | None = None) -> int:
    """Make the stored scores of `model_id` those staged: ledger entries for every change,
    updated and new scores, and scores removed from leads (within `lead_filter`) the model no
    longer scores (`scored`: see `_gone`); `causes` (see `note_touched`) gives each lead's
    cause id. Returns how many leads' scores changed."""
    scores, ledger, leads = _table(t.LeadScore), _table(t.ScoreLedgerEntry), _table(t.Lead)
    from_changed: Any = staged
    cause_id: Any = null()
    if causes is not None:
        from_changed = staged.outerjoin(causes, causes.c.lead_id == staged.c.lead_id)
        cause_id = causes.c.cause_id
    changed = (
        select(literal(company_id), staged.c.lead_id, literal(model_id), literal(version),
               staged.c.old_score, staged.c.score,
               staged.c.score - func.coalesce(staged.c.old_score, 0),
               literal(cause), cause_id, literal(now, UTCDateTime()))
        .select_from(from_changed)
        .where(_score_changed(staged))
    )
    count = _written(session, insert(ledger).from_select(LEDGER_COLUMNS, changed))
    gone = _gone(session, scores, leads, staged, company_id, model_id, lead_filter, causes,
                 scored)
    if gone is not None:
        removed_cause: Any = null()
        if causes is not None:
            removed_cause = (select(causes.c.cause_id)
                             .where(causes.c.lead_id == scores.c.lead_id).scalar_subquery())
        removed = select(scores.c.company_id, scores.c.lead_id, scores.c.model_id,
                         literal(version), scores.c.score, null(), -scores.c.score,
                         literal(cause), removed_cause, literal(now, UTCDateTime())).where(*gone)
        count += _written(session, insert(ledger).from_select(LEDGER_COLUMNS, removed))
        session.execute(scores.delete().where(*gone))
    new_values = {"version_id": version_id, "score": staged.c.score, "grade": staged.c.grade,
                  "sales_ready": staged.c.sales_ready, "next_change_at": staged.c.next_change_at}
    session.execute(
        update(scores)
        .where(scores.c.lead_id == staged.c.lead_id, scores.c.model_id == model_id,
               staged.c.fresh.is_(False), staged.c.differs.is_(True))
        .values(**new_values, computed_at=now)
    )
    fresh = (
        select(literal(company_id), staged.c.lead_id, literal(model_id), literal(version_id),
               staged.c.score, staged.c.grade, staged.c.sales_ready, staged.c.next_change_at,
               literal(now, UTCDateTime()))
        .where(staged.c.fresh.is_(True))
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
    """Staged leads that reach their model's threshold and are not flagged yet, in order."""
    leads = _table(t.Lead)
    return list(session.scalars(select(leads.c.id).where(_newly_ready(staged, company_id))
                                .order_by(leads.c.id)))


def _newly_ready(staged: Table, company_id: int) -> ColumnElement[bool]:
    """The lead is staged sales-ready and not flagged yet."""
    leads = _table(t.Lead)
    return and_(leads.c.company_id == company_id, leads.c.sales_ready.is_(False),
                leads.c.id.in_(select(staged.c.lead_id).where(staged.c.sales_ready.is_(True))))


def tune_for_bulk(session: Session) -> None:
    """PostgreSQL, for this transaction only: no JIT (compiling these wide expressions costs
    more than it saves, measured at a million leads too) and room for the hash aggregates
    and sorts (at a million leads they spill to disk with less)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '128MB'"))


def flag_sales_ready(session: Session, staged: Table, company_id: int, now: datetime,
                     advance: bool, reason: str, actor: str) -> list[int]:
    """Flag the staged leads that reach their threshold and are not flagged yet, as
    `mark_sales_ready` does lead by lead, in one statement each over all of them: the
    `lead.sales_ready` events, and when `advance` the `nurture → sales_ready` stage history
    and its `lead.stage_changed` events (read before the leads change), then the flag, its
    time and the stage. Returns the flagged leads' ids, in order."""
    leads, history, events = _table(t.Lead), _table(t.StageChange), _table(t.DomainEvent)
    newly = _newly_ready(staged, company_id)
    flagged = newly_sales_ready(session, staged, company_id)
    if not flagged:
        return []
    json = _json_object(session)
    moment, when = literal(now, UTCDateTime()), _text(now.isoformat())
    promoted = and_(newly, leads.c.stage == "nurture")
    moved = json(_key("old"), _text("nurture"), _key("new"), _text("sales_ready"))
    base = [_key("lead_id"), leads.c.id, _key("sales_ready_at"), when]
    payload: Any = json(*base)
    if advance:
        payload = case((leads.c.stage == "nurture", json(*base, _key("stage"), moved)),
                       else_=payload)
    event_columns = ["company_id", "type", "lead_id", "payload", "created_at"]
    session.execute(insert(events).from_select(event_columns, select(
        literal(company_id), _text("lead.sales_ready"), leads.c.id, payload, moment)
        .where(newly).order_by(leads.c.id)))
    if advance:
        stage_changed = json(_key("lead_id"), leads.c.id, _key("action"), _text("promote"),
                             _key("stage"), moved, _key("actor"), _text(actor),
                             _key("reason"), _text(reason), _key("at"), when)
        session.execute(insert(events).from_select(event_columns, select(
            literal(company_id), _text("lead.stage_changed"), leads.c.id, stage_changed,
            moment).where(promoted).order_by(leads.c.id)))
        session.execute(insert(history).from_select(
            ["company_id", "lead_id", "action", "from_stage", "to_stage", "actor", "reason", "at"],
            select(literal(company_id), leads.c.id, _text("promote"), _text("nurture"),
                   _text("sales_ready"), _text(actor), _text(reason), moment)
            .where(promoted).order_by(leads.c.id)))
    # One UPDATE for the flag and the stage: each updated lead is a new row version with new
    # index entries, so a second UPDATE of the promoted leads would cost as much again.
    stage: Any = leads.c.stage
    if advance:
        stage = case((leads.c.stage == "nurture", literal("sales_ready")), else_=leads.c.stage)
    session.execute(update(leads).where(newly)
                    .values(sales_ready=True, sales_ready_at=now, updated_at=now, stage=stage))
    return flagged


def _json_object(session: Session) -> Any:
    """The database's function building a JSON object from keys and values."""
    return (func.json_build_object if session.get_bind().dialect.name == "postgresql"
            else func.json_object)


def _key(name: str) -> ColumnElement[str]:
    """A JSON object's key, written into the statement (a fixed name, never user input)."""
    return literal_column(f"'{name}'", String)


def _text(value: str) -> ColumnElement[str]:
    """A text value bound as a parameter, typed so that PostgreSQL knows it (JSON builders
    take arguments of any type)."""
    return cast(literal(value, String), String)
