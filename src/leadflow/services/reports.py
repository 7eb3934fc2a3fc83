"""The reports: the funnel (where leads are and how they move) and attribution (which
initiatives bring leads that sell: the "which initiatives work" view). The numbers come from
set-based queries in `db/reports.py`; this module names them and computes the rates."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import reports as queries
from leadflow.db.types import utcnow
from leadflow.domain.funnel import ATTRIBUTION_DIMENSIONS, OPEN_STAGES, PATH, hours, rate
from leadflow.domain.lifecycle import STAGES
from leadflow.errors import FieldError, ValidationFailed
from leadflow.services.report_filters import ReportFilter, cohort
from leadflow.services.report_shapes import (
    AppliedFilters,
    Attribution,
    Conversion,
    Funnel,
    Outcome,
    Revenue,
    StageCount,
    StageTime,
)


def funnel(session: Session, company_id: int, wanted: ReportFilter,
           now: datetime | None = None) -> Funnel:
    """Leads per stage (all seven), conversion between consecutive stages of the path, and
    time in each open stage; stays still going are measured until `now`."""
    group, applied = cohort(session, company_id, wanted)
    current = queries.leads_per_stage(session, group)
    reached = queries.reached(session, group)
    times = queries.time_in_stage(session, group, now or utcnow())
    stages = [StageCount(stage=s, leads=current.get(s, 0), reached=reached[s]) for s in STAGES]
    conversions = [
        Conversion(from_stage=a, to_stage=b, reached_from=reached[a], reached_to=reached[b],
                   rate=rate(reached[b], reached[a]))
        for a, b in pairwise(PATH)
    ]
    return Funnel(filters=AppliedFilters(**applied), total=sum(current.values()),
                  stages=stages, conversions=conversions,
                  time_in_stage=[_stage_time(s, times.get(s, {})) for s in OPEN_STAGES])


def _stage_time(stage: str, found: dict[str, Any]) -> StageTime:
    return StageTime(stage=stage, stays=int(found.get("stays", 0)),
                     avg_hours=hours(found.get("avg_hours")),
                     median_hours=hours(found.get("median_hours")),
                     current=int(found.get("current", 0)),
                     current_avg_hours=hours(found.get("current_avg_hours")))


def attribution(session: Session, company_id: int, by: str, wanted: ReportFilter
                ) -> Attribution:
    """Per initiative of the dimension `by` (every one of the company's, with or without
    leads): the leads it brought, how many became sales-ready and won, and the revenue."""
    if by not in ATTRIBUTION_DIMENSIONS:
        choices = ", ".join(ATTRIBUTION_DIMENSIONS)
        raise ValidationFailed("Invalid report parameters", errors=[
            FieldError("by", f"must be one of: {choices} (got '{by}')")])
    group, applied = cohort(session, company_id, wanted)
    counts = queries.outcomes(session, group, by)
    money: dict[int | None, list[Revenue]] = defaultdict(list)
    for initiative, currency, amount, n in queries.revenue(session, group, by):
        money[initiative].append(Revenue(currency=currency, amount=round(amount, 2),
                                          opportunities=n))
    touched = queries.influenced(session, group, by)
    items = [
        _outcome(counts.get(i, {}), money.get(i, []), id=i, key=key, name=name,
                 influenced=touched.get(i, 0))
        for i, key, name in queries.catalog(session, company_id, by)
    ]
    items.sort(key=lambda o: (-o.leads, o.key or ""))
    every = [r for found in money.values() for r in found]
    return Attribution(
        by=by, filters=AppliedFilters(**applied), items=items,
        unattributed=_outcome(counts.get(None, {}), money.get(None, [])),
        totals=_outcome(_sum(counts.values()), _merge(every)),
    )


def _outcome(found: dict[str, int], revenue: list[Revenue], **named: Any) -> Outcome:
    leads, ready = found.get("leads", 0), found.get("sales_ready", 0)
    won, lost = found.get("won", 0), found.get("lost", 0)
    return Outcome(leads=leads, sales_ready=ready, won=won, lost=lost,
                   revenue=sorted(_merge(revenue), key=lambda r: r.currency or ""),
                   sales_ready_rate=rate(ready, leads), win_rate=rate(won, leads),
                   close_rate=rate(won, won + lost), **named)


def _sum(rows: Any) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for row in rows:
        for name, value in row.items():
            total[name] += value
    return total


def _merge(found: list[Revenue]) -> list[Revenue]:
    """One line per currency."""
    merged: dict[str | None, Revenue] = {}
    for item in found:
        seen = merged.get(item.currency)
        merged[item.currency] = item if seen is None else Revenue(
            currency=item.currency, amount=round(seen.amount + item.amount, 2),
            opportunities=seen.opportunities + item.opportunities)
    return sorted(merged.values(), key=lambda r: r.currency or "")
