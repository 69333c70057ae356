"""reconciliation

Revision ID: 0009_reconciliation
Revises: 0008_settlement
Create Date: 2026-11-26 06:16:15.250666
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import ledger.db

revision = '0009_reconciliation'
down_revision = '0008_settlement'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reconciliation_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('transfers_considered', sa.Integer(), nullable=False),
    sa.Column('invoices_considered', sa.Integer(), nullable=False),
    sa.Column('auto_matched', sa.Integer(), nullable=False),
    sa.Column('proposed', sa.Integer(), nullable=False),
    sa.Column('unmatched_transfers', sa.Integer(), nullable=False),
    sa.Column('open_invoices', sa.Integer(), nullable=False),
    sa.Column('per_rule', sa.Text(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_runs'))
    )
    op.create_table('reconciliation_matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('payer_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('payee_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('confidence', ledger.db.ExactDecimal(precision=20, scale=8), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('value', ledger.db.ExactDecimal(precision=24, scale=4), nullable=False),
    sa.Column('residual', ledger.db.ExactDecimal(precision=24, scale=4), nullable=False),
    sa.Column('residual_account', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('transfer_amount', ledger.db.ExactDecimal(precision=24, scale=4), nullable=False),
    sa.Column('transfer_currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('fx_rate', ledger.db.ExactDecimal(precision=20, scale=8), nullable=True),
    sa.Column('fx_source', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('journal_entry_id', sa.Integer(), nullable=True),
    sa.Column('reversal_entry_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['journal_entry_id'], ['journal_entries.id'], name=op.f('fk_reconciliation_matches_journal_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['payee_code'], ['parties.code'], name=op.f('fk_reconciliation_matches_payee_code_parties')),
    sa.ForeignKeyConstraint(['payer_code'], ['parties.code'], name=op.f('fk_reconciliation_matches_payer_code_parties')),
    sa.ForeignKeyConstraint(['reversal_entry_id'], ['journal_entries.id'], name=op.f('fk_reconciliation_matches_reversal_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['run_id'], ['reconciliation_runs.id'], name=op.f('fk_reconciliation_matches_run_id_reconciliation_runs')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_reconciliation_matches_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_matches'))
    )
    with op.batch_alter_table('reconciliation_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconciliation_matches_run_id'), ['run_id'], unique=False)
        batch_op.create_index('ix_reconciliation_matches_status_id', ['status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reconciliation_matches_transfer_id'), ['transfer_id'], unique=False)

    op.create_table('transfer_fx',
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('instructed_amount', ledger.db.ExactDecimal(precision=24, scale=4), nullable=False),
    sa.Column('instructed_currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('rate', ledger.db.ExactDecimal(precision=20, scale=8), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_transfer_fx_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('transfer_id', name=op.f('pk_transfer_fx'))
    )
    op.create_table('reconciliation_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('match_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('amount', ledger.db.ExactDecimal(precision=24, scale=4), nullable=False),
    sa.Column('written_off', ledger.db.ExactDecimal(precision=24, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_reconciliation_allocations_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['match_id'], ['reconciliation_matches.id'], name=op.f('fk_reconciliation_allocations_match_id_reconciliation_matches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_allocations'))
    )
    with op.batch_alter_table('reconciliation_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconciliation_allocations_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reconciliation_allocations_match_id'), ['match_id'], unique=False)

    op.create_table('reconciliation_rejections',
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('match_id', sa.Integer(), nullable=False),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_reconciliation_rejections_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['match_id'], ['reconciliation_matches.id'], name=op.f('fk_reconciliation_rejections_match_id_reconciliation_matches')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_reconciliation_rejections_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('transfer_id', 'invoice_id', name=op.f('pk_reconciliation_rejections'))
    )


def downgrade() -> None:
    op.drop_table('reconciliation_rejections')
    with op.batch_alter_table('reconciliation_allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reconciliation_allocations_match_id'))
        batch_op.drop_index(batch_op.f('ix_reconciliation_allocations_invoice_id'))

    op.drop_table('reconciliation_allocations')
    op.drop_table('transfer_fx')
    with op.batch_alter_table('reconciliation_matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reconciliation_matches_transfer_id'))
        batch_op.drop_index('ix_reconciliation_matches_status_id')
        batch_op.drop_index(batch_op.f('ix_reconciliation_matches_run_id'))

    op.drop_table('reconciliation_matches')
    op.drop_table('reconciliation_runs')
