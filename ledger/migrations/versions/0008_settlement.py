"""settlement

Revision ID: 0008_settlement
Revises: 0002_journal
Create Date: 2026-11-26 06:01:33.023817
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

from ledger.migrations.immutable import allow_changes, forbid_changes


revision = '0008_settlement'
down_revision = '0007_invoices'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('settlement_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=True),
    sa.Column('canonical', sa.Text(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('signed_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_statements')),
    sa.UniqueConstraint('period', 'scope', name=op.f('uq_settlement_statements_period_scope'))
    )
    with op.batch_alter_table('settlement_statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_statements_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlement_statements_period'), ['period'], unique=False)

    op.create_table('settlement_acknowledgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('party_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('disputed_lines', sa.Text(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('acknowledged_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.ForeignKeyConstraint(['party_code'], ['parties.code'], name=op.f('fk_settlement_acknowledgements_party_code_parties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_acknowledgements'))
    )
    with op.batch_alter_table('settlement_acknowledgements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_acknowledgements_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlement_acknowledgements_period'), ['period'], unique=False)

    forbid_changes('settlement_statements')


def downgrade() -> None:
    allow_changes('settlement_statements')
    with op.batch_alter_table('settlement_acknowledgements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_acknowledgements_period'))
        batch_op.drop_index(batch_op.f('ix_settlement_acknowledgements_agreement_id'))

    op.drop_table('settlement_acknowledgements')
    with op.batch_alter_table('settlement_statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_statements_period'))
        batch_op.drop_index(batch_op.f('ix_settlement_statements_agreement_id'))

    op.drop_table('settlement_statements')
