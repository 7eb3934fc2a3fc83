"""cheaper score writes: room for in-place updates, no redundant company indexes

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 03:30:00

Publishing a model version rewrites every stored score of the model (each names the version
that produced it). With its pages full, PostgreSQL writes each updated row to another page
and adds an entry for it to every index of `lead_scores`; with half of each page free it
updates the row in place (a HOT update) and touches no index. The fill factor applies to pages
written from now on: on an existing database the first publish after the upgrade moves the
scores to half-full pages, and the publishes after it update in place
(`VACUUM FULL lead_scores` applies it at once, locking the table while it runs). SQLite has no
fill factor.

`lead_scores` and `score_ledger` also lose their single-column `company_id` index: each has a
composite index led by `company_id`, which serves the same searches, and every stored score
and ledger entry paid for the extra index entry.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('lead_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_scores_company_id'))
    with op.batch_alter_table('score_ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_ledger_company_id'))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE lead_scores SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE lead_scores RESET (fillfactor)")
    with op.batch_alter_table('score_ledger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_ledger_company_id'), ['company_id'],
                              unique=False)
    with op.batch_alter_table('lead_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_scores_company_id'), ['company_id'],
                              unique=False)
