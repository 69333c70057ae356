"""journal

Revision ID: 0002_journal
Revises: 0001_foundation
Create Date: 2026-11-26 05:42:40.428009
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

from ledger.db import ExactDecimal
from ledger.migrations.immutable import allow_changes, forbid_changes

IMMUTABLE = ('accounts', 'journal_entries', 'postings')


revision = '0002_journal'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('journal_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('source_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('source_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('memo', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['reverses_id'], ['journal_entries.id'], name=op.f('fk_journal_entries_reverses_id_journal_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_entries')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_journal_entries_reverses_id'))
    )
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_entries_effective_date'), ['effective_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_entries_period'), ['period'], unique=False)
        batch_op.create_index('ix_journal_entries_source', ['source_type', 'source_id'], unique=False)

    op.create_table('periods',
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('chain_seq', sa.Integer(), nullable=True),
    sa.Column('chain_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.PrimaryKeyConstraint('period', name=op.f('pk_periods'))
    )
    op.create_table('accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('party_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('counterparty_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('agreement_id', sa.Integer(), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.ForeignKeyConstraint(['counterparty_code'], ['parties.code'], name=op.f('fk_accounts_counterparty_code_parties')),
    sa.ForeignKeyConstraint(['party_code'], ['parties.code'], name=op.f('fk_accounts_party_code_parties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('code', name=op.f('uq_accounts_code'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_accounts_counterparty_code'), ['counterparty_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_accounts_party_code'), ['party_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_accounts_purpose'), ['purpose'], unique=False)

    op.create_table('postings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('amount', ExactDecimal(24, 4), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('fx_rate', ExactDecimal(20, 8), nullable=True),
    sa.Column('fx_source', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('original_amount', ExactDecimal(24, 4), nullable=True),
    sa.Column('original_currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_postings_account_id_accounts')),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id'], name=op.f('fk_postings_entry_id_journal_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postings'))
    )
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.create_index('ix_postings_account_date', ['account_id', 'effective_date'], unique=False)
        batch_op.create_index('ix_postings_account_period', ['account_id', 'period'], unique=False)
        batch_op.create_index(batch_op.f('ix_postings_entry_id'), ['entry_id'], unique=False)

    for table in IMMUTABLE:
        forbid_changes(table)


def downgrade() -> None:
    for table in IMMUTABLE:
        allow_changes(table)
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_postings_entry_id'))
        batch_op.drop_index('ix_postings_account_period')
        batch_op.drop_index('ix_postings_account_date')

    op.drop_table('postings')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_purpose'))
        batch_op.drop_index(batch_op.f('ix_accounts_party_code'))
        batch_op.drop_index(batch_op.f('ix_accounts_counterparty_code'))
        batch_op.drop_index(batch_op.f('ix_accounts_agreement_id'))

    op.drop_table('accounts')
    op.drop_table('periods')
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_journal_entries_source')
        batch_op.drop_index(batch_op.f('ix_journal_entries_period'))
        batch_op.drop_index(batch_op.f('ix_journal_entries_effective_date'))

    op.drop_table('journal_entries')
