"""payments in transit: an invoice's amount ordered but not yet debited; transfers paying an advance

`invoices.amount_in_transit` is what released payment batches ordered of an invoice that the bank has not
debited yet (nor rejected): an invoice whose whole amount is ordered is `in_transit`, and `paid` only once the
bank's debit clears it. `payment_items.obligation_id` names the agreement obligation (an advance) a transfer pays
when no invoice asks for it.

Revision ID: 0029_payments_in_transit
Revises: 0028_payment_claims
Create Date: 2026-12-07 04:00:00
"""
import sqlalchemy as sa
from alembic import op

from ledger.db import ExactDecimal

revision = '0029_payments_in_transit'
down_revision = '0028_payment_claims'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amount_in_transit', ExactDecimal(24, 4), server_default='0', nullable=False))
    with op.batch_alter_table('payment_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('obligation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_payment_items_obligation_id_obligations', 'obligations', ['obligation_id'],
                                    ['id'])
        batch_op.create_index('ix_payment_items_obligation_id', ['obligation_id'], unique=False)
    # Invoices that released batches ordered in whole and the bank has not debited yet were marked paid at
    # release: they are in transit.
    op.execute("UPDATE invoices SET amount_in_transit = (SELECT COALESCE(SUM(p.amount), 0) FROM payment_items p "
               "WHERE p.invoice_id = invoices.id AND p.status IN ('ordered', 'accepted')) "
               "WHERE id IN (SELECT invoice_id FROM payment_items WHERE status IN ('ordered', 'accepted') "
               "AND invoice_id IS NOT NULL)")
    op.execute("UPDATE invoices SET status = 'in_transit' WHERE status = 'paid' AND amount_in_transit > 0")


def downgrade() -> None:
    op.execute("UPDATE invoices SET status = 'paid' WHERE status = 'in_transit'")
    op.execute('DELETE FROM payment_items WHERE obligation_id IS NOT NULL')
    with op.batch_alter_table('payment_items', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_items_obligation_id')
        batch_op.drop_constraint('fk_payment_items_obligation_id_obligations', type_='foreignkey')
        batch_op.drop_column('obligation_id')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_column('amount_in_transit')
