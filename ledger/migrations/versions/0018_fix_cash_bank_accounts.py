"""cash per bank account: journal accounts may name the bank account they are money at

Cash, suspense, conversions and opening balances are kept per bank account and currency (the account as the
bank's statements name it); the column is nullable, every other account has none. Adding a nullable column
rewrites no row, so the accounts table stays append-only (its triggers are untouched).

Revision ID: 0018_fix_cash_bank_accounts
Revises: 0017_run_indexes
Create Date: 2026-11-27 10:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from ledger.migrations.immutable import allow_changes, forbid_changes


revision = '0018_fix_cash_bank_accounts'
down_revision = '0017_run_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('accounts', sa.Column('bank_account', sqlmodel.sql.sqltypes.AutoString(length=70), nullable=True))
    op.create_index(op.f('ix_accounts_bank_account'), 'accounts', ['bank_account'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_accounts_bank_account'), table_name='accounts')
    allow_changes('accounts')  # SQLite drops a column by copying the table
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('bank_account')
    forbid_changes('accounts')
