"""payments: payment batches, their transfers and approvals, and imported pain.002 status reports

Revision ID: 0022_payments
Revises: 0021_cost_reimbursement
Create Date: 2026-12-07 01:10:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from ledger.db import ExactDecimal

revision = '0022_payments'
down_revision = '0021_cost_reimbursement'
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        'payment_batches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('debtor_party', S(length=2), nullable=False),
        sa.Column('debtor_account', S(length=34), nullable=False),
        sa.Column('debtor_bic', S(length=11), nullable=True),
        sa.Column('currency', S(length=3), nullable=False),
        sa.Column('due_by', sa.Date(), nullable=False),
        sa.Column('execution_date', sa.Date(), nullable=False),
        sa.Column('status', S(length=10), nullable=False),
        sa.Column('total', ExactDecimal(24, 4), nullable=False),
        sa.Column('approvals_required', sa.Integer(), nullable=False),
        sa.Column('digest', S(length=64), nullable=False),
        sa.Column('message_id', S(length=35), nullable=True),
        sa.Column('prepared_by', S(length=200), nullable=False),
        sa.Column('prepared_by_name', S(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('released_by', S(length=200), nullable=True),
        sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('release_entry_id', sa.Integer(), nullable=True),
        sa.Column('document', sa.LargeBinary(), nullable=True),
        sa.Column('document_sha256', S(length=64), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['debtor_party'], ['parties.code']),
        sa.ForeignKeyConstraint(['release_entry_id'], ['journal_entries.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('message_id'),
    )
    op.create_index('ix_payment_batches_debtor_party', 'payment_batches', ['debtor_party'])
    op.create_index('ix_payment_batches_status', 'payment_batches', ['status'])
    op.create_table(
        'payment_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('invoice_id', sa.Integer(), nullable=False),
        sa.Column('agreement_id', sa.Integer(), nullable=False),
        sa.Column('payee_code', S(length=2), nullable=False),
        sa.Column('amount', ExactDecimal(24, 4), nullable=False),
        sa.Column('currency', S(length=3), nullable=False),
        sa.Column('creditor_name', S(length=140), nullable=False),
        sa.Column('creditor_account', S(length=34), nullable=False),
        sa.Column('creditor_bic', S(length=11), nullable=True),
        sa.Column('creditor_country', S(length=2), nullable=False),
        sa.Column('remittance', S(length=140), nullable=False),
        sa.Column('remittance_is_rf', sa.Boolean(), nullable=False),
        sa.Column('end_to_end_id', S(length=35), nullable=False),
        sa.Column('status', S(length=10), nullable=False),
        sa.Column('hold_reason', S(length=500), nullable=True),
        sa.Column('status_reason', S(length=500), nullable=True),
        sa.Column('transfer_id', sa.Integer(), nullable=True),
        sa.Column('match_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['payment_batches.id']),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id']),
        sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id']),
        sa.ForeignKeyConstraint(['payee_code'], ['parties.code']),
        sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id']),
        sa.ForeignKeyConstraint(['match_id'], ['reconciliation_matches.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('end_to_end_id'),
    )
    op.create_index('ix_payment_items_batch_id', 'payment_items', ['batch_id'])
    op.create_index('ix_payment_items_invoice_id', 'payment_items', ['invoice_id'])
    op.create_table(
        'payment_approvals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('approved_by', S(length=200), nullable=False),
        sa.Column('approved_by_name', S(length=200), nullable=False),
        sa.Column('digest', S(length=64), nullable=False),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['payment_batches.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('batch_id', 'approved_by', 'digest'),
    )
    op.create_index('ix_payment_approvals_batch_id', 'payment_approvals', ['batch_id'])
    op.create_table(
        'payment_status_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('message_id', S(length=35), nullable=False),
        sa.Column('group_status', S(length=4), nullable=True),
        sa.Column('accepted', sa.Integer(), nullable=False),
        sa.Column('rejected', sa.Integer(), nullable=False),
        sa.Column('file_sha256', S(length=64), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('imported_by', S(length=200), nullable=False),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['payment_batches.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_payment_status_reports_batch_id', 'payment_status_reports', ['batch_id'])


def downgrade() -> None:
    op.drop_index('ix_payment_status_reports_batch_id', 'payment_status_reports')
    op.drop_table('payment_status_reports')
    op.drop_index('ix_payment_approvals_batch_id', 'payment_approvals')
    op.drop_table('payment_approvals')
    op.drop_index('ix_payment_items_invoice_id', 'payment_items')
    op.drop_index('ix_payment_items_batch_id', 'payment_items')
    op.drop_table('payment_items')
    op.drop_index('ix_payment_batches_status', 'payment_batches')
    op.drop_index('ix_payment_batches_debtor_party', 'payment_batches')
    op.drop_table('payment_batches')
