"""claim credits: reconciliation matches credits to EU cost claims

An allocation settles either an invoice or a cost claim (exactly one, checked by the database), and
refused (credit, claim) pairs get their own table, since `reconciliation_rejections` keys on invoices.

Revision ID: 0013_claim_credits
Revises: 0012_accrual
Create Date: 2026-11-26 10:01:23.274308
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_claim_credits'
down_revision = '0012_accrual'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reconciliation_claim_rejections',
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('match_id', sa.Integer(), nullable=False),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['cost_claims.id'], name=op.f('fk_reconciliation_claim_rejections_claim_id_cost_claims')),
    sa.ForeignKeyConstraint(['match_id'], ['reconciliation_matches.id'], name=op.f('fk_reconciliation_claim_rejections_match_id_reconciliation_matches')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_reconciliation_claim_rejections_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('transfer_id', 'claim_id', name=op.f('pk_reconciliation_claim_rejections'))
    )
    with op.batch_alter_table('reconciliation_allocations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_id', sa.Integer(), nullable=True))
        batch_op.alter_column('invoice_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_reconciliation_allocations_claim_id'), ['claim_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_reconciliation_allocations_claim_id_cost_claims'), 'cost_claims', ['claim_id'], ['id'])
        batch_op.create_check_constraint('one_settled_item', '(invoice_id IS NULL) <> (claim_id IS NULL)')


def downgrade() -> None:
    # Refuses (NOT NULL) while claim allocations exist: matches are never deleted, so reverse them first
    # and remove the claim rows deliberately if a downgrade is really wanted.
    with op.batch_alter_table('reconciliation_allocations', schema=None) as batch_op:
        batch_op.drop_constraint('one_settled_item', type_='check')
        batch_op.drop_constraint(batch_op.f('fk_reconciliation_allocations_claim_id_cost_claims'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_reconciliation_allocations_claim_id'))
        batch_op.alter_column('invoice_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('claim_id')

    op.drop_table('reconciliation_claim_rejections')
