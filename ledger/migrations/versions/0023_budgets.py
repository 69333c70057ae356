"""budgets: parties' fiscal years and reporting currencies, budget lines and revisions, FX rates, revaluations

Revision ID: 0023_budgets
Revises: 0022_payments
Create Date: 2026-12-07 01:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from ledger.db import ExactDecimal

revision = '0023_budgets'
down_revision = '0022_payments'
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table('parties') as batch:
        batch.add_column(sa.Column('fiscal_year_start_month', sa.Integer(), server_default='1', nullable=False))
        batch.add_column(sa.Column('reporting_currency', S(length=3), nullable=True))
    op.create_table(
        'budget_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('fiscal_year', sa.Integer(), nullable=False),
        sa.Column('agreement_id', sa.Integer(), nullable=False),
        sa.Column('category', S(length=40), nullable=False),
        sa.Column('voted', ExactDecimal(24, 4), nullable=False),
        sa.Column('currency', S(length=3), nullable=False),
        sa.Column('on_exceed', S(length=10), nullable=False),
        sa.Column('approved_excess', ExactDecimal(24, 4), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('fiscal_year', 'agreement_id', 'category'),
    )
    op.create_index('ix_budget_lines_fiscal_year', 'budget_lines', ['fiscal_year'])
    op.create_index('ix_budget_lines_agreement_id', 'budget_lines', ['agreement_id'])
    op.create_table(
        'budget_revisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('budget_line_id', sa.Integer(), nullable=False),
        sa.Column('amount', ExactDecimal(24, 4), nullable=False),
        sa.Column('reason', S(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['budget_line_id'], ['budget_lines.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_budget_revisions_budget_line_id', 'budget_revisions', ['budget_line_id'])
    op.create_table(
        'fx_rates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('currency', S(length=3), nullable=False),
        sa.Column('quote_currency', S(length=3), nullable=False),
        sa.Column('rate', ExactDecimal(20, 8), nullable=False),
        sa.Column('on', sa.Date(), nullable=False),
        sa.Column('source', S(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('currency', 'quote_currency', 'on'),
    )
    op.create_index('ix_fx_rates_on', 'fx_rates', ['on'])
    op.create_table(
        'revaluations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period', S(length=7), nullable=False),
        sa.Column('party_code', S(length=2), nullable=False),
        sa.Column('reporting_currency', S(length=3), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=True),
        sa.Column('reversal_entry_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['party_code'], ['parties.code']),
        sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id']),
        sa.ForeignKeyConstraint(['reversal_entry_id'], ['journal_entries.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('period', 'party_code'),
    )


def downgrade() -> None:
    op.drop_table('revaluations')
    op.drop_index('ix_fx_rates_on', 'fx_rates')
    op.drop_table('fx_rates')
    op.drop_index('ix_budget_revisions_budget_line_id', 'budget_revisions')
    op.drop_table('budget_revisions')
    op.drop_index('ix_budget_lines_agreement_id', 'budget_lines')
    op.drop_index('ix_budget_lines_fiscal_year', 'budget_lines')
    op.drop_table('budget_lines')
    with op.batch_alter_table('parties') as batch:
        batch.drop_column('reporting_currency')
        batch.drop_column('fiscal_year_start_month')
