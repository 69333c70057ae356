"""payment claims: a transfer pays an invoice or an accepted EU cost claim

A payment item names either the invoice it pays (with the invoice's agreement) or the cost claim it pays (no
agreement: a claim is owed under Decision 2004/191/EC, not under a returns agreement), so `invoice_id` and
`agreement_id` become nullable and `claim_id` is added (indexed: the claim's open batches are looked up by it).

Revision ID: 0028_payment_claims
Revises: 0027_list_indexes
Create Date: 2026-12-07 02:20:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0028_payment_claims'
down_revision = '0027_list_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('payment_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_payment_items_claim_id_cost_claims', 'cost_claims', ['claim_id'], ['id'])
        batch_op.alter_column('invoice_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('agreement_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index('ix_payment_items_claim_id', ['claim_id'], unique=False)


def downgrade() -> None:
    op.execute('DELETE FROM payment_items WHERE claim_id IS NOT NULL')
    with op.batch_alter_table('payment_items', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_items_claim_id')
        batch_op.drop_constraint('fk_payment_items_claim_id_cost_claims', type_='foreignkey')
        batch_op.drop_column('claim_id')
        batch_op.alter_column('agreement_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('invoice_id', existing_type=sa.Integer(), nullable=False)
