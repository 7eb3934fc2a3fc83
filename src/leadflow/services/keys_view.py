"""API keys as people and scripts see them: never the secret, only its first characters."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from leadflow.db import companies as repo
from leadflow.db.tables import ApiKey, Company


def describe_key(row: ApiKey, company: Company) -> dict[str, Any]:
    """One key as JSON-ready data (no secret, no hash)."""
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "role": row.role,
        "company": company.key,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


def list_keys(session: Session, company: Company) -> list[dict[str, Any]]:
    """Every key of `company`, revoked ones included, oldest first."""
    return [describe_key(row, company) for row in repo.keys_of(session, company.id)]
