"""interactions by type and time (PostgreSQL)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 01:20:00

A covering index for scoring every lead of a company: each interaction type's window is read
from the index alone (scoring/sql_behaviour.py, `_by_type`). PostgreSQL only: SQLite reads
the interactions in one pass and would only pay for the index when storing interactions.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_interactions_type_time", "interactions",
                        ["company_id", "type", "occurred_at"],
                        postgresql_include=["contact_id", "campaign_id", "program_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_interactions_type_time", table_name="interactions")
