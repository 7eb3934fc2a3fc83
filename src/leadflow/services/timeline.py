"""A lead's timeline: everything that happened to it, newest first, one page at a time.

Interactions (linked to the lead, or of its people in its marketing context), its creation,
score changes, manual adjustments, domain events (sales-ready …), stage changes, assignments and
opportunities become `{at, kind, summary, details}` items. The database orders and pages them
(`db/timeline.py`); this module only describes the rows of one page."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.db import timeline as queries
from leadflow.db.repository import INT_LIMIT, Repository
from leadflow.errors import FieldError, ValidationFailed
from leadflow.services import records
from leadflow.services.records import MAX_LIMIT
from leadflow.services.resources import LEADS
from leadflow.services.timeline_text import describe

Kind = Literal["interaction", "created", "score_change", "score_adjustment", "event",
               "stage_change", "assignment", "opportunity"]


class TimelineItem(BaseModel):
    at: datetime
    kind: Kind
    summary: str = Field(description="One line for people.")
    details: dict[str, Any] = Field(description="The record's fields, references by key.")


class Timeline(BaseModel):
    lead_id: int
    items: list[TimelineItem] = Field(description="Newest first.")
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page.")


def timeline(session: Session, company_id: int, ident: str | int, *, limit: int = 50,
             cursor: str | None = None) -> Timeline:
    """One page of the lead's timeline, newest first, continuing after `cursor`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed("Invalid timeline parameters", errors=[
            FieldError("limit", f"must be between 1 and {MAX_LIMIT}")])
    after = _decode(cursor) if cursor else None
    lead = records.get(session, company_id, LEADS, ident)
    keys = queries.page(session, lead, limit + 1, after)
    more = len(keys) > limit
    keys = keys[:limit]
    found: dict[str, dict[int, Any]] = {}
    for kind, (rank, _) in queries.KINDS.items():
        found[kind] = queries.rows(session, company_id, kind,
                                   (row_id for _, r, row_id in keys if r == rank))
    names = _names(session, company_id, found)
    items = []
    for at, rank, row_id in keys:
        kind = queries.BY_RANK[rank]
        summary, details = describe(kind, found[kind][row_id], lead, names)
        items.append(TimelineItem(at=at, kind=kind, summary=summary,
                                  details=details))
    return Timeline(lead_id=lead.id, items=items,
                    next_cursor=_encode(keys[-1]) if more else None)


def _names(session: Session, company_id: int, found: dict[str, dict[int, Any]]
           ) -> dict[str, dict[int, Any]]:
    """Natural keys of everything the page's rows refer to, one query per table."""
    rows = [row for by_id in found.values() for row in by_id.values()]
    wanted: dict[str, tuple[Any, str, tuple[str, ...]]] = {
        "campaign": (t.Campaign, "key", ("campaign_id",)),
        "program": (t.Program, "key", ("program_id",)),
        "landing_page": (t.LandingPage, "key", ("landing_page_id", "origin_landing_page_id")),
        "event": (t.Event, "key", ("event_id", "origin_event_id")),
        "email": (t.MarketingEmail, "key", ("email_id", "origin_email_id")),
        "contact": (t.Contact, "email", ("contact_id",)),
        "user": (t.User, "email", ("owner_id", "previous_owner_id")),
        "model": (t.ScoringModelRow, "key", ("model_id",)),
    }
    return {
        name: Repository(session, company_id, table).keys_by_id(
            (getattr(row, c) for row in rows for c in columns if hasattr(row, c)), key)
        for name, (table, key, columns) in wanted.items()
    }


def _encode(position: queries.Position) -> str:
    at, rank, row_id = position
    raw = json.dumps([at.isoformat(), rank, row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> queries.Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, rank, row_id = json.loads(raw)
        moment = datetime.fromisoformat(at)
        if (moment.tzinfo is None or rank not in queries.BY_RANK
                or not isinstance(row_id, int) or isinstance(row_id, bool)
                or abs(row_id) >= INT_LIMIT):
            raise ValueError
        return moment, rank, row_id
    except (TypeError, ValueError) as error:
        raise ValidationFailed("Invalid timeline parameters", errors=[FieldError(
            "cursor", "is not valid; use next_cursor from a timeline answer")]) from error
