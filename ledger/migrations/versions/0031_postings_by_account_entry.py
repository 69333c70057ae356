"""postings by account and entry: the entries list narrowed to some accounts reads a page from their postings

An account's postings in entry order (`ix_postings_account_entry`), and in a period in entry order
(`ix_postings_account_period` gains `entry_id`; a balance by period still reads its first two columns). Without
them a partner's (or one account's) page of entries walked the journal from the cursor until it found a page: the
whole journal for an account with few entries.

Revision ID: 0031_postings_by_account_entry
Revises: 0030_claims_in_transit
Create Date: 2026-12-08 01:00:00
"""
from alembic import op

revision = '0031_postings_by_account_entry'
down_revision = '0030_claims_in_transit'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_postings_account_entry', 'postings', ['account_id', 'entry_id'], unique=False)
    op.drop_index('ix_postings_account_period', table_name='postings')
    op.create_index('ix_postings_account_period', 'postings', ['account_id', 'period', 'entry_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_postings_account_period', table_name='postings')
    op.create_index('ix_postings_account_period', 'postings', ['account_id', 'period'], unique=False)
    op.drop_index('ix_postings_account_entry', table_name='postings')
