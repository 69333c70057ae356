"""signing keys: every public key that signed statements, so a rotation leaves earlier statements verifiable

The service records the configured key at start (and before it signs); statements signed before this table
existed name no key and verify with the key current when the table was first filled.

Revision ID: 0019_install_signing_keys
Revises: 0018_fix_cash_bank_accounts
Create Date: 2026-11-28 10:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0019_install_signing_keys'
down_revision = '0018_fix_cash_bank_accounts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'signing_keys',
        sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('algorithm', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('public_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('key_id'),
    )


def downgrade() -> None:
    op.drop_table('signing_keys')
