"""run indexes: no index entries for what nothing looks up

A reconciliation run inserts ~85k matches and as many allocations; every index is one more insert per row.

- `ix_reconciliation_matches_run_id` goes: nothing looks matches up by run (a run's page shows its counts).
- `ix_reconciliation_allocations_claim_id` only holds claim allocations (partial index): an invoice's allocation,
  nearly all of a run's, has no claim, and its NULL entry was never looked up.

Revision ID: 0017_run_indexes
Revises: 0016_invoice_hot_updates
Create Date: 2026-11-26 16:20:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0017_run_indexes'
down_revision = '0016_invoice_hot_updates'
branch_labels = None
depends_on = None

_CLAIMS_ONLY = sa.text('claim_id IS NOT NULL')


def upgrade() -> None:
    with op.batch_alter_table('reconciliation_matches', schema=None) as batch_op:
        batch_op.drop_index('ix_reconciliation_matches_run_id')
    with op.batch_alter_table('reconciliation_allocations', schema=None) as batch_op:
        batch_op.drop_index('ix_reconciliation_allocations_claim_id')
        batch_op.create_index('ix_reconciliation_allocations_claim_id', ['claim_id'], unique=False,
                              postgresql_where=_CLAIMS_ONLY, sqlite_where=_CLAIMS_ONLY)


def downgrade() -> None:
    with op.batch_alter_table('reconciliation_allocations', schema=None) as batch_op:
        batch_op.drop_index('ix_reconciliation_allocations_claim_id')
        batch_op.create_index('ix_reconciliation_allocations_claim_id', ['claim_id'], unique=False)
    with op.batch_alter_table('reconciliation_matches', schema=None) as batch_op:
        batch_op.create_index('ix_reconciliation_matches_run_id', ['run_id'], unique=False)
