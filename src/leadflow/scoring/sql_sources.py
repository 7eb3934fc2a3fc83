"""What the SQL back end reads: the caller's tables, the company, the time and per-lead inputs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import FromClause
from sqlalchemy.sql.elements import ColumnElement

# Entity name → the SqlSources attribute holding its table (interaction types: "interactions").
ENTITY_TABLES = {
    "Lead": "leads",
    "Contact": "contacts",
    "Account": "accounts",
    "Campaign": "campaigns",
    "Program": "programs",
    "User": "users",
    "LandingPage": "landing_pages",
    "Event": "events",
    "Email": "emails",
}


@dataclass(frozen=True)
class SqlSources:
    """The tables a compiled model reads and the per-run inputs, filled in by the caller.

    Tables are SQLAlchemy `Table`s (e.g. `Lead.__table__`) with leadflow's column names:
    every business table has `id` and `company_id`; relations are `<hop>_id` columns; custom
    fields live in the JSON column `custom`, interaction attributes in `attributes`, the
    interaction type key in `type`.

    - `behavior_since`: an expression over `leads` giving the moment before which a lead's
      interactions never count (`leads.c.recycled_at` when the company setting
      `lifecycle.recycle_resets_behavior` is on), or None.
    - `adjustments`: a selectable with columns `lead_id` and `adjustment` (manual points,
      several rows per lead are summed), or None.
    - `lead_filter`: an extra condition over `leads` restricting the leads scored (e.g. the
      leads touched by one interaction), or None for every lead of the company.
    - `scan_by_type`: over every lead, read the interactions as one range per interaction
      type, from the earliest window of that type on (PostgreSQL, with the covering index
      ix_interactions_type_time); else in one pass over the company's interactions (SQLite,
      which has no such index).
    """

    leads: FromClause
    contacts: FromClause
    accounts: FromClause
    campaigns: FromClause
    programs: FromClause
    users: FromClause
    landing_pages: FromClause
    events: FromClause
    emails: FromClause
    interactions: FromClause
    company_id: int
    as_of: datetime
    behavior_since: ColumnElement[Any] | None = None
    adjustments: FromClause | None = None
    lead_filter: ColumnElement[bool] | None = None
    scan_by_type: bool = False

    def table_of(self, entity: str) -> FromClause:
        """The table holding records of `entity` (any interaction type → interactions)."""
        name = ENTITY_TABLES.get(entity, "interactions")
        table: FromClause = getattr(self, name)
        return table
