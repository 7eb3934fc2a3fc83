"""Helpers shared by the assignment tests: sales users, rules and leads made quickly."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from leadflow.db import tables as t
from leadflow.db.database import Database


def users(api: TestClient, *emails: str, **fields: Any) -> None:
    """Sales users (the same extra fields for each)."""
    for email in emails:
        result = api.post("/api/v1/users", json={"email": email, "role": "sales", **fields})
        assert result.status_code == 201, result.text


def rule(api: TestClient, **data: Any) -> dict[str, Any]:
    result = api.post("/api/v1/assignment-rules", json=data)
    assert result.status_code == 201, result.text
    return dict(result.json())


def lead(api: TestClient, **data: Any) -> dict[str, Any]:
    """A lead created through the API (a new contact of its own unless one is given)."""
    if "contact_email" not in data and data.get("scope") != "account":
        email = f"person{next(_PEOPLE)}@people.test"
        contact(api, email)
        data["contact_email"] = email
    result = api.post("/api/v1/leads", json={"name": "A lead", **data})
    assert result.status_code == 201, result.text
    return dict(result.json())


_PEOPLE = itertools.count(1)


def contact(api: TestClient, email: str, **data: Any) -> None:
    result = api.post("/api/v1/contacts", json={"email": email, **data})
    assert result.status_code == 201, result.text


def bulk_leads(db: Database, company_id: int, count: int, **fields: Any) -> list[int]:
    """`count` leads inserted in one transaction (no triggers): fast set-up for big runs."""
    with db.transaction() as session:
        rows = [t.Lead(company_id=company_id, name=f"Lead {i}", **fields) for i in range(count)]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def owners(db: Database, company_id: int) -> dict[int, str | None]:
    """`{lead id: owner email}`."""
    with db.transaction() as session:
        emails = dict(session.execute(select(t.User.id, t.User.email)).all())
        return {lead_id: emails.get(owner) for lead_id, owner in session.execute(
            select(t.Lead.id, t.Lead.owner_id).where(t.Lead.company_id == company_id))}


def events(db: Database, company_id: int, type: str) -> list[dict[str, Any]]:
    with db.transaction() as session:
        return [dict(e.payload) for e in session.scalars(
            select(t.DomainEvent).where(t.DomainEvent.company_id == company_id,
                                        t.DomainEvent.type == type)
            .order_by(t.DomainEvent.id))]


def history(api: TestClient, lead_id: int) -> list[dict[str, Any]]:
    result = api.get(f"/api/v1/leads/{lead_id}/assignments")
    assert result.status_code == 200, result.text
    return list(result.json()["items"])


def run(api: TestClient, **body: Any) -> dict[str, Any]:
    result = api.post("/api/v1/assignment-rules/run", json=body)
    assert result.status_code == 200, result.text
    return dict(result.json())
