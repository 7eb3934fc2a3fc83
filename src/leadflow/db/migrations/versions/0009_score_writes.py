"""cheaper score writes: room for in-place updates, composite foreign keys, fewer indexes

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

PostgreSQL checks every foreign key of every row written, one lookup each: a stored score had
four (company, lead, model, version), a ledger entry three. They become two composite keys —
(company, lead) to the leads and (model, version) to the model versions — and one for the
ledger, (company, lead): fewer checks, and a score or entry can no longer name a lead of
another company or a version of another model. The leads and the versions get the unique
indexes those keys reference. Deleting a lead, a model or a company still deletes its scores
and ledger (through the leads and the versions).

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
    # Unique indexes (not constraints): SQLite takes them as parent keys without rebuilding
    # the leads table, which its other tables reference.
    op.create_index('ix_leads_company_lead', 'leads', ['company_id', 'id'], unique=True)
    op.create_index('ix_scoring_model_versions_model_version', 'scoring_model_versions',
                    ['model_id', 'id'], unique=True)
    with op.batch_alter_table('lead_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_scores_company_id'))
        for name in ('company_id_companies', 'lead_id_leads', 'model_id_scoring_models',
                     'version_id_scoring_model_versions'):
            batch_op.drop_constraint(f'fk_lead_scores_{name}', type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_lead_scores_company_id_leads'), 'leads',
                                    ['company_id', 'lead_id'], ['company_id', 'id'],
                                    ondelete='CASCADE')
        batch_op.create_foreign_key(
            batch_op.f('fk_lead_scores_model_id_scoring_model_versions'),
            'scoring_model_versions', ['model_id', 'version_id'], ['model_id', 'id'],
            ondelete='CASCADE')
    with op.batch_alter_table('score_ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_ledger_company_id'))
        for name in ('company_id_companies', 'lead_id_leads'):
            batch_op.drop_constraint(f'fk_score_ledger_{name}', type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_score_ledger_company_id_leads'), 'leads',
                                    ['company_id', 'lead_id'], ['company_id', 'id'],
                                    ondelete='CASCADE')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE lead_scores SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE lead_scores RESET (fillfactor)")
    with op.batch_alter_table('score_ledger', schema=None) as batch_op:
        batch_op.drop_constraint('fk_score_ledger_company_id_leads', type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_score_ledger_company_id_companies'),
                                    'companies', ['company_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_score_ledger_lead_id_leads'), 'leads',
                                    ['lead_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_score_ledger_company_id'), ['company_id'],
                              unique=False)
    with op.batch_alter_table('lead_scores', schema=None) as batch_op:
        batch_op.drop_constraint('fk_lead_scores_company_id_leads', type_='foreignkey')
        batch_op.drop_constraint('fk_lead_scores_model_id_scoring_model_versions',
                                 type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_lead_scores_company_id_companies'),
                                    'companies', ['company_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_lead_scores_lead_id_leads'), 'leads',
                                    ['lead_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_lead_scores_model_id_scoring_models'),
                                    'scoring_models', ['model_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_lead_scores_version_id_scoring_model_versions'),
                                    'scoring_model_versions', ['version_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_lead_scores_company_id'), ['company_id'],
                              unique=False)
    op.drop_index('ix_scoring_model_versions_model_version', table_name='scoring_model_versions')
    op.drop_index('ix_leads_company_lead', table_name='leads')
