"""approvals: changes one officer asked for that a second officer approves (four eyes)

Revision ID: 0020_approvals
Revises: 0019_install_signing_keys
Create Date: 2026-12-07 00:45:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from ledger.db import ExactDecimal

revision = '0020_approvals'
down_revision = '0019_install_signing_keys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'approvals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('amount', ExactDecimal(24, 4), nullable=True),
        sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('requested_by_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('decided_by_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_approvals_kind', 'approvals', ['kind'])
    op.create_index('ix_approvals_status', 'approvals', ['status'])


def downgrade() -> None:
    op.drop_index('ix_approvals_status', 'approvals')
    op.drop_index('ix_approvals_kind', 'approvals')
    op.drop_table('approvals')
