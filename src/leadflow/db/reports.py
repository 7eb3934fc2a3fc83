"""Set-based queries of the reports (SPEC §6.2): the funnel and attribution.

Every query takes the company through a `Cohort` and filters on it; each one is a single
GROUP BY over the database, never a loop over leads in Python, so the reports stay quick on a
million leads. Time in stage is computed with window functions over the stage history, which
SQLite (3.25+) and PostgreSQL both have.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from leadflow.db import tables as t
from leadflow.db.types import UTCDateTime
from leadflow.domain.funnel import OPEN_STAGES, RANK


@dataclass(frozen=True)
class Cohort:
    """The leads a report counts: one company's, narrowed by optional filters (ids are of that
    company; `created_to` is inclusive)."""

    company_id: int
    campaign_id: int | None = None
    program_id: int | None = None
    owner_id: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        lead = t.Lead
        found: list[ColumnElement[bool]] = [lead.company_id == self.company_id]
        if self.campaign_id is not None:
            found.append(lead.campaign_id == self.campaign_id)
        if self.program_id is not None:
            found.append(lead.program_id == self.program_id)
        if self.owner_id is not None:
            found.append(lead.owner_id == self.owner_id)
        if self.created_from is not None:
            found.append(lead.created_at >= self.created_from)
        if self.created_to is not None:
            found.append(lead.created_at <= self.created_to)
        return found


class hours_between(FunctionElement[float]):
    """Hours from the first argument to the second, as a float, in either database."""

    type = Float()
    name = "hours_between"
    inherit_cache = True


@compiles(hours_between)
def _hours_postgresql(element: hours_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"


@compiles(hours_between, "sqlite")
def _hours_sqlite(element: hours_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 24.0)"


def _rank(stage: Any) -> Any:
    """A stage's position on the path (NULL for `lost` and for no stage)."""
    return case(RANK, value=stage, else_=null())


def _lost(stage: Any) -> Any:
    return case((stage == "lost", 1), else_=0)


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# --- Funnel ------------------------------------------------------------------------------------

def progress(cohort: Cohort) -> Subquery:
    """Per lead of the cohort: `furthest`, the rank of the furthest stage of the path it is in
    or ever was in (moved into or out of, per the stage history), and `lost`, 1 if it is or
    ever was lost."""
    sc = t.StageChange
    now = select(t.Lead.id.label("lead_id"), _rank(t.Lead.stage).label("rank"),
                 _lost(t.Lead.stage).label("lost")).where(*cohort.conditions())

    def history(rank: Any, lost: Any) -> Select[Any]:
        return (select(sc.lead_id, rank, lost).join(t.Lead, t.Lead.id == sc.lead_id)
                .where(sc.company_id == cohort.company_id, *cohort.conditions()))

    moves = union_all(now, history(_rank(sc.to_stage), _lost(sc.to_stage)),
                      history(_rank(sc.from_stage), literal_column("0"))).subquery("moves")
    return (select(moves.c.lead_id, func.coalesce(func.max(moves.c.rank), 0).label("furthest"),
                   func.max(moves.c.lost).label("lost"))
            .group_by(moves.c.lead_id).subquery("progress"))


def leads_per_stage(session: Session, cohort: Cohort) -> dict[str, int]:
    """`{stage: leads in it now}` (stages without leads are absent)."""
    stmt = (select(t.Lead.stage, func.count()).where(*cohort.conditions())
            .group_by(t.Lead.stage))
    return {stage: int(n) for stage, n in session.execute(stmt)}


def reached(session: Session, cohort: Cohort) -> dict[str, int]:
    """`{stage: leads that reached it}` for every stage of the path and `lost`."""
    p = progress(cohort)
    columns = [_count_if(p.c.furthest >= rank).label(stage) for stage, rank in RANK.items()]
    columns.append(_count_if(p.c.lost == 1).label("lost"))
    row = session.execute(select(*columns)).one()
    return {name: int(value) for name, value in row._mapping.items()}


def stays(cohort: Cohort, now: datetime) -> Subquery:
    """Every stay of a cohort lead in a stage: `stage`, `hours` and `open` (1 while the lead is
    still in it, measured until `now`). A lead's first stay runs from its creation to its first
    stage change (in the stage that change left); each change starts a stay in the stage it
    entered, which ends at the next change. A lead without history has one open stay."""
    sc, lead = t.StageChange, t.Lead
    order = (sc.at, sc.id)
    changes = (select(sc.lead_id, sc.from_stage, sc.to_stage, sc.at, lead.created_at,
                      func.row_number().over(partition_by=sc.lead_id, order_by=order)
                      .label("n"),
                      func.lead(sc.at).over(partition_by=sc.lead_id, order_by=order)
                      .label("next_at"))
               .join(lead, lead.id == sc.lead_id)
               .where(sc.company_id == cohort.company_id, *cohort.conditions())
               .subquery("changes"))
    no_end = cast(null(), UTCDateTime())
    first = (select(changes.c.from_stage.label("stage"), changes.c.created_at.label("start"),
                    changes.c.at.label("end"))
             .where(changes.c.n == 1, changes.c.from_stage.is_not(None)))
    later = select(changes.c.to_stage, changes.c.at, changes.c.next_at)
    history = select(sc.id).where(sc.company_id == cohort.company_id, sc.lead_id == lead.id)
    untouched = select(lead.stage, lead.created_at, no_end).where(
        *cohort.conditions(), ~history.exists())
    every = union_all(first, later, untouched).subquery("every_stay")
    moment = literal(now, UTCDateTime())
    return select(
        every.c.stage,
        hours_between(every.c.start, func.coalesce(every.c.end, moment)).label("hours"),
        case((every.c.end.is_(None), 1), else_=0).label("open"),
    ).where(every.c.stage.in_(OPEN_STAGES)).subquery("stays")


def time_in_stage(session: Session, cohort: Cohort, now: datetime) -> dict[str, dict[str, Any]]:
    """Per open stage: finished stays (count, average and median hours) and the leads in it
    now (count, average hours so far)."""
    s = stays(cohort, now)
    done = s.c.open == 0
    totals = select(
        s.c.stage, _count_if(done).label("stays"),
        func.avg(case((done, s.c.hours))).label("avg_hours"),
        _count_if(s.c.open == 1).label("current"),
        func.avg(case((s.c.open == 1, s.c.hours))).label("current_avg_hours"),
    ).group_by(s.c.stage)
    found = {row.stage: dict(row._mapping) for row in session.execute(totals)}
    ranked = select(
        s.c.stage, s.c.hours,
        func.row_number().over(partition_by=s.c.stage, order_by=s.c.hours).label("n"),
        func.count().over(partition_by=s.c.stage).label("of"),
    ).where(done).subquery("ranked")
    middle = select(ranked.c.stage, func.avg(ranked.c.hours).label("median")).where(
        ranked.c.n.in_([(ranked.c.of + 1) // 2, (ranked.c.of + 2) // 2])
    ).group_by(ranked.c.stage)
    for stage, median in session.execute(middle):
        found[stage]["median_hours"] = median
    return found


# --- Attribution -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dimension:
    """What leads are attributed to: a catalog table, the lead column naming its record (the
    lead's campaign or its origin) and the interaction column naming it."""

    table: Any
    lead_column: Any
    interaction_column: Any


DIMENSIONS = {
    "campaign": Dimension(t.Campaign, t.Lead.campaign_id, t.Interaction.campaign_id),
    "landing_page": Dimension(t.LandingPage, t.Lead.origin_landing_page_id,
                              t.Interaction.landing_page_id),
    "event": Dimension(t.Event, t.Lead.origin_event_id, t.Interaction.event_id),
    "email": Dimension(t.MarketingEmail, t.Lead.origin_email_id, t.Interaction.email_id),
}


def catalog(session: Session, company_id: int, by: str) -> list[tuple[int, str, str]]:
    """`(id, key, name)` of every initiative of the company in the dimension."""
    table = DIMENSIONS[by].table
    stmt = select(table.id, table.key, table.name).where(table.company_id == company_id)
    return [(row.id, row.key, row.name) for row in session.execute(stmt)]


def outcomes(session: Session, cohort: Cohort, by: str) -> dict[int | None, dict[str, int]]:
    """Per initiative id (None: leads without one): leads, sales-ready (flagged now or before,
    or reached the sales_ready stage or a later one), won and lost."""
    column = DIMENSIONS[by].lead_column
    p = progress(cohort)
    ready = (t.Lead.sales_ready_at.is_not(None)) | (p.c.furthest >= RANK["sales_ready"])
    stmt = (select(column.label("initiative"), func.count().label("leads"),
                   _count_if(ready).label("sales_ready"),
                   _count_if(t.Lead.stage == "won").label("won"),
                   _count_if(t.Lead.stage == "lost").label("lost"))
            .join(p, p.c.lead_id == t.Lead.id).where(*cohort.conditions()).group_by(column))
    return {row.initiative: {k: int(v) for k, v in row._mapping.items() if k != "initiative"}
            for row in session.execute(stmt)}


def revenue(session: Session, cohort: Cohort, by: str
            ) -> list[tuple[int | None, str | None, float, int]]:
    """`(initiative id, currency, revenue, opportunities)` of the cohort's won opportunities."""
    column, opp = DIMENSIONS[by].lead_column, t.Opportunity
    stmt = (select(column, opp.currency, func.coalesce(func.sum(opp.estimated_revenue), 0.0),
                   func.count())
            .join(t.Lead, and_(t.Lead.id == opp.lead_id, t.Lead.company_id == opp.company_id))
            .where(opp.company_id == cohort.company_id, opp.status == "won",
                   *cohort.conditions())
            .group_by(column, opp.currency))
    return [(row[0], row[1], float(row[2]), int(row[3])) for row in session.execute(stmt)]


def influenced(session: Session, cohort: Cohort, by: str) -> dict[int, int]:
    """`{initiative id: cohort leads with a linked interaction (Interaction.lead_id) of it}`."""
    column, i = DIMENSIONS[by].interaction_column, t.Interaction
    stmt = (select(column, func.count(func.distinct(i.lead_id)))
            .join(t.Lead, t.Lead.id == i.lead_id)
            .where(i.company_id == cohort.company_id, column.is_not(None), *cohort.conditions())
            .group_by(column))
    return {int(initiative): int(n) for initiative, n in session.execute(stmt)}
