"""order retention: a return order is a record about a person, so it gets a retention date and can be erased

Existing orders are kept for the default retention period (ten years from the decision); a deployment with
another LEDGER_RETENTION_YEARS can correct the dates it already holds with one UPDATE.

Revision ID: 0014_order_retention
Revises: 0013_claim_credits
Create Date: 2026-11-26 10:45:34.361577
"""
from alembic import op
import sqlalchemy as sa

from ledger.pseudonyms import DEFAULT_RETENTION_YEARS, retain_until


revision = '0014_order_retention'
down_revision = '0013_claim_credits'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('return_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retain_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('pseudonym', existing_type=sa.VARCHAR(length=64), nullable=True)
    orders = sa.table('return_orders', sa.column('id', sa.Integer), sa.column('decision_date', sa.Date),
                      sa.column('retain_until', sa.Date))
    connection = op.get_bind()
    rows = connection.execute(sa.select(orders.c.id, orders.c.decision_date)).all()
    if rows:
        connection.execute(orders.update().where(orders.c.id == sa.bindparam('order_id'))
                           .values(retain_until=sa.bindparam('until')),
                           [{'order_id': oid, 'until': retain_until(day, DEFAULT_RETENTION_YEARS)} for oid, day in rows])
    with op.batch_alter_table('return_orders', schema=None) as batch_op:
        batch_op.alter_column('retain_until', existing_type=sa.Date(), nullable=False)
        batch_op.create_index(batch_op.f('ix_return_orders_retain_until'), ['retain_until'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('return_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_orders_retain_until'))
        batch_op.alter_column('pseudonym', existing_type=sa.VARCHAR(length=64), nullable=False)
        batch_op.drop_column('erased_at')
        batch_op.drop_column('retain_until')
