"""accrual scope: what the last accrual of each agreement settled, and which returnees changed since

Existing returnees start as pending, so the first accrual after the upgrade re-prices everything once.

Revision ID: 0012_accrual
Revises: 0011_web
Create Date: 2026-11-26 09:50:04.634215
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0012_accrual'
down_revision = '0011_web'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accrual_states',
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('pricing_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('priced_through', sa.Date(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_accrual_states_agreement_id_agreements')),
    sa.PrimaryKeyConstraint('agreement_id', name=op.f('pk_accrual_states'))
    )
    with op.batch_alter_table('returnees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reprice_pending', sa.Boolean(), server_default=sa.true(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('returnees', schema=None) as batch_op:
        batch_op.drop_column('reprice_pending')

    op.drop_table('accrual_states')
