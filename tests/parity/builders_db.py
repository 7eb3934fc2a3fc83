"""Hand-written worlds for the parity cases: rows with defaults, and one call that scores a
model both ways and checks they agree."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from leadflow.db.database import Database
from leadflow.scoring import ScoringModel, parse_text
from tests.unit.scoring.strategies import AS_OF, SCHEMA

from .strategies_db import World
from .world_db import Result, evaluated_results, load_facts, sources_for, sql_results, write_world


def account(**fields: Any) -> dict[str, Any]:
    base = {"name": "Acme", "domain": None, "industry": None, "city": None, "country": None,
            "external_id": None, "employees": None, "annual_revenue": None,
            "created_at": AS_OF, "custom": {}, "parent": None}
    return {**base, **fields}


def contact(**fields: Any) -> dict[str, Any]:
    base = {"email": None, "first_name": None, "last_name": None, "job_title": None,
            "phone": None, "city": None, "state": None, "country": None, "external_id": None,
            "created_at": AS_OF, "custom": {}, "account": None}
    return {**base, **fields}


def lead(**fields: Any) -> dict[str, Any]:
    base = {"name": "Lead", "scope": "contact", "contact": 0, "account": None,
            "campaign": None, "program": None, "owner": False, "origin": None, "status": None,
            "priority": "normal", "due_date": None, "territory": None, "stage": "nurture",
            "sales_ready": False, "source": "manual", "external_id": None,
            "created_at": AS_OF, "updated_at": AS_OF, "recycled_at": None, "custom": {}}
    return {**base, **fields}


def hit(kind: str = "email_clicked", days_ago: float = 1, **fields: Any) -> dict[str, Any]:
    """An interaction of contact 0, `days_ago` days before AS_OF."""
    base = {"type": kind, "occurred_at": AS_OF - timedelta(days=days_ago), "contact": 0,
            "account": None, "campaign": None, "program": None, "email": False,
            "landing_page": False, "event": False, "url": None, "link": None,
            "bounce_type": None, "duration_seconds": None, "external_id": None,
            "attributes": {}}
    return {**base, **fields}


def world(leads: list[dict[str, Any]] | None = None, *,
          contacts: list[dict[str, Any]] | None = None,
          accounts: list[dict[str, Any]] | None = None,
          interactions: list[dict[str, Any]] | None = None,
          adjustments: list[tuple[int, int]] | None = None,
          recycle_resets: bool = True) -> World:
    """A world; by default one contact-scope lead of one contact."""
    return World(accounts or [], contacts if contacts is not None else [contact()],
                 leads if leads is not None else [lead()], interactions or [],
                 adjustments or [], recycle_resets)


def model(text: str) -> ScoringModel:
    return parse_text(text, SCHEMA)


def rule(condition: str, points: int = 1, extra: str = "", header: str = "") -> ScoringModel:
    """A model with one rule `R` (+`points`) whose WHEN clause is `condition`."""
    return model(f'MODEL "m" {header}\nRULE "R" {points:+d}{extra}\n  WHEN {condition}\n')


def both(db: Database, m: ScoringModel, w: World, as_of: datetime = AS_OF,
         lead_filter: Any = None, neighbour: World | None = None) -> list[Result | None]:
    """Score `w` with `m` in memory and in SQL, check both agree, and return the results by
    lead index (None where the model does not apply). `neighbour`: another company's world,
    written too, that must not change anything."""
    with db.sessions() as session:
        if neighbour is not None:
            write_world(session, neighbour)
        written = write_world(session, w)
        expected = evaluated_results(m, load_facts(session, written), as_of, SCHEMA)
        if lead_filter is not None:
            keep = lead_filter(written)
            expected = {k: v for k, v in expected.items() if k in keep}
            sources = sources_for(written, as_of, lead_filter=_in(keep))
        else:  # both ways of reading the company's interactions (SqlSources.scan_by_type)
            by_type = sql_results(session, m, sources_for(written, as_of, scan_by_type=True),
                                  SCHEMA)
            assert by_type == expected
            sources = sources_for(written, as_of)
        actual = sql_results(session, m, sources, SCHEMA)
        session.rollback()
    assert actual == expected
    return [actual.get(lead_id) for lead_id in written.lead_ids]


def scores(db: Database, m: ScoringModel, w: World, as_of: datetime = AS_OF) -> list[int | None]:
    """Just the scores, by lead index (both back ends agreeing)."""
    return [r[0] if r is not None else None for r in both(db, m, w, as_of)]


def _in(ids: set[int]) -> Any:
    from leadflow.db.tables import Lead

    return Lead.__table__.c.id.in_(sorted(ids))
