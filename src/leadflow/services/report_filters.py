"""The filters every report takes, read from text (query parameters, CLI options) into a
company-scoped `Cohort`. A filter naming a record the company does not have, or a date that is
not one, is a 422 naming the parameter: a report silently computed over nothing would mislead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db.reports import Cohort
from leadflow.errors import NotFound, Problems
from leadflow.services import records
from leadflow.services.resources import CAMPAIGNS, PROGRAMS, USERS, Resource


@dataclass(frozen=True)
class ReportFilter:
    """What a person narrows a report to; each is optional. Records by id or natural key
    (campaign and program key, owner email); dates as ISO dates or times (UTC if no zone)."""

    campaign: str | None = None
    program: str | None = None
    owner: str | None = None
    created_from: str | None = None
    created_to: str | None = None


def cohort(session: Session, company_id: int, wanted: ReportFilter
           ) -> tuple[Cohort, dict[str, Any]]:
    """The cohort `wanted` names, and the filters as applied (natural keys, ISO times)."""
    problems = Problems("Invalid report parameters")
    applied: dict[str, Any] = {}
    ids: dict[str, int | None] = {}
    for name, resource, label in (("campaign", CAMPAIGNS, "key"), ("program", PROGRAMS, "key"),
                                  ("owner", USERS, "email")):
        ids[name] = _record_id(session, company_id, resource, label, name,
                               getattr(wanted, name), problems, applied)
    start = _moment(wanted.created_from, "created_from", problems, end_of_day=False)
    end = _moment(wanted.created_to, "created_to", problems, end_of_day=True)
    if start is not None and end is not None and start > end:
        problems.add("created_to", "must not be before created_from")
    problems.raise_if_any()
    applied["created_from"] = start.isoformat() if start else None
    applied["created_to"] = end.isoformat() if end else None
    found = Cohort(company_id, campaign_id=ids["campaign"], program_id=ids["program"],
                   owner_id=ids["owner"], created_from=start, created_to=end)
    return found, applied


def _record_id(session: Session, company_id: int, resource: Resource, label: str, name: str,
               value: str | None, problems: Problems, applied: dict[str, Any]) -> int | None:
    applied[name] = None
    if value is None:
        return None
    try:
        row = records.get(session, company_id, resource, value)
    except NotFound:
        problems.add(name, f"no {resource.label} '{value}'")
        return None
    applied[name] = getattr(row, label)
    return int(row.id)


def _moment(text: str | None, name: str, problems: Problems, *, end_of_day: bool
            ) -> datetime | None:
    """An ISO date or time as UTC. A date alone means the whole day: its first moment as a
    start, its last as an end (so `created_to=2025-03-31` includes March 31)."""
    if text is None:
        return None
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            if end_of_day:
                return datetime.combine(day + timedelta(days=1), time(), UTC) - timedelta(
                    microseconds=1)
            return datetime.combine(day, time(), UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        problems.add(name, f"'{text}' is not an ISO date (2025-03-31) or time "
                     "(2025-03-31T12:00:00Z)")
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
