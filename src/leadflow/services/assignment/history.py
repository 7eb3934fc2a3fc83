"""A lead's assignment history as people and webhooks read it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import assignment as queries


def lead_history(session: Session, company_id: int, lead_id: int) -> list[dict[str, Any]]:
    """Every recorded assignment of the lead, oldest first, users by email."""
    rows = queries.history(session, company_id, lead_id)
    users = queries.users_by_id(session, company_id, {
        user for row in rows for user in (row.owner_id, row.previous_owner_id) if user})
    emails = {user_id: user.email for user_id, user in users.items()}
    return [{
        "id": row.id, "at": row.at.isoformat(), "trigger": row.trigger,
        "rule": row.rule_name, "rule_id": row.rule_id,
        "result": row.changes.get("result"),
        "owner": emails.get(row.owner_id) if row.owner_id else None,
        "previous_owner": emails.get(row.previous_owner_id) if row.previous_owner_id else None,
        "set": row.changes.get("set", {}), "reason": row.changes.get("reason"),
    } for row in rows]
