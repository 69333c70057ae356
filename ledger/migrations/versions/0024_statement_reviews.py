"""statement reviews: partners acknowledge or dispute lines of their signed statements; partner people sign in

A partner person (`users.party_code`) is bound to its party as a partner's API token is; `settlement_reviews`
keeps each acknowledgement or dispute of one line, with its comment and, once a finance officer settles it, the
resolution.

Revision ID: 0024_statement_reviews
Revises: 0023_budgets
Create Date: 2026-12-07 01:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0024_statement_reviews'
down_revision = '0023_budgets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('party_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_users_party_code_parties'), 'parties', ['party_code'], ['code'])

    op.create_table(
        'settlement_reviews',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column('agreement_id', sa.Integer(), nullable=False),
        sa.Column('party_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column('line', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column('reviewed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolved_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('resolution', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.ForeignKeyConstraint(['party_code'], ['parties.code'], name=op.f('fk_settlement_reviews_party_code_parties')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_reviews')),
    )
    with op.batch_alter_table('settlement_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_reviews_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlement_reviews_period'), ['period'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('settlement_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_reviews_period'))
        batch_op.drop_index(batch_op.f('ix_settlement_reviews_agreement_id'))
    op.drop_table('settlement_reviews')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_party_code_parties'), type_='foreignkey')
        batch_op.drop_column('party_code')
