"""What a webhook message says: the Standard Webhooks envelope around an event and the lead as
it is when the transaction commits (fields, references by natural key, score and grade per
model)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.services import records
from leadflow.services.resources import LEADS

SNAPSHOT_CHUNK = 500


def jsonable(value: Any) -> Any:
    """`value` with dates as ISO 8601 text, so it can be stored and sent as JSON."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def lead_snapshots(session: Session, company_id: int, lead_ids: Iterable[int]
                   ) -> dict[int, dict[str, Any]]:
    """`{lead: the lead as the API shows it, scores included}` (a deleted lead is absent)."""
    ids = sorted(set(lead_ids))
    out: dict[int, dict[str, Any]] = {}
    table = t.Lead.__table__
    for start in range(0, len(ids), SNAPSHOT_CHUNK):
        chunk = ids[start:start + SNAPSHOT_CHUNK]
        # Plain rows, read afresh: set-based paths (imports) write behind the ORM's back, and
        # thousands of leads are serialised here without building ORM objects.
        stmt = select(*table.columns).where(table.c.company_id == company_id,
                                            table.c.id.in_(chunk))
        rows: list[Any] = list(session.execute(stmt))
        for item in records.serialize(session, company_id, LEADS, rows):  # JSON-ready
            out[item["id"]] = item
    return out


def envelope(type: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    """The message body: `{"type", "timestamp", "data"}` as Standard Webhooks suggests."""
    return {"type": type, "timestamp": at.isoformat(), "data": data}


def message(type: str, at: datetime, specifics: dict[str, Any], lead_id: int | None,
            snapshots: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """An event's message: its own details (`changes`, `stage`, `score` …) and, for an event
    about a lead, the lead as committed (null if it was deleted)."""
    data = dict(jsonable(specifics))
    if lead_id is not None:
        data["lead"] = snapshots.get(lead_id)
    return envelope(type, at, data)
