"""agreements

Revision ID: 0003_agreements
Revises: 0002_journal
Create Date: 2026-11-26 05:50:41.364014
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

from ledger.db import ExactDecimal

from ledger.migrations.immutable import allow_changes, forbid_changes

IMMUTABLE = ('agreement_versions', 'returnee_events')


revision = '0003_agreements'
down_revision = '0002_journal'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('payer_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('payee_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('terminated_on', sa.Date(), nullable=True),
    sa.Column('termination_notified_on', sa.Date(), nullable=True),
    sa.Column('termination_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['payee_code'], ['parties.code'], name=op.f('fk_agreements_payee_code_parties')),
    sa.ForeignKeyConstraint(['payer_code'], ['parties.code'], name=op.f('fk_agreements_payer_code_parties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreements')),
    sa.UniqueConstraint('reference', name=op.f('uq_agreements_reference'))
    )
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreements_payee_code'), ['payee_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_payer_code'), ['payer_code'], unique=False)

    op.create_table('agreement_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_agreement_versions_agreement_id_agreements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_versions')),
    sa.UniqueConstraint('agreement_id', 'number', name=op.f('uq_agreement_versions_agreement_id_number'))
    )
    with op.batch_alter_table('agreement_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_versions_agreement_id'), ['agreement_id'], unique=False)

    op.create_table('returnees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('pseudonym', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('nationality', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('transferred_on', sa.Date(), nullable=False),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('departed_on', sa.Date(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('retain_until', sa.Date(), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_returnees_agreement_id_agreements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_returnees')),
    sa.UniqueConstraint('agreement_id', 'pseudonym', name=op.f('uq_returnees_agreement_id_pseudonym'))
    )
    with op.batch_alter_table('returnees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_returnees_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_returnees_retain_until'), ['retain_until'], unique=False)

    op.create_table('obligations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('returnee_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('amount', ExactDecimal(24, 4), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('adjusts', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('journal_entry_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_obligations_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['journal_entry_id'], ['journal_entries.id'], name=op.f('fk_obligations_journal_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['returnee_id'], ['returnees.id'], name=op.f('fk_obligations_returnee_id_returnees')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_obligations')),
    sa.UniqueConstraint('agreement_id', 'key', name=op.f('uq_obligations_agreement_id_key'))
    )
    with op.batch_alter_table('obligations', schema=None) as batch_op:
        batch_op.create_index('ix_obligations_agreement_period', ['agreement_id', 'period'], unique=False)
        batch_op.create_index(batch_op.f('ix_obligations_journal_entry_id'), ['journal_entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_obligations_returnee_id'), ['returnee_id'], unique=False)

    op.create_table('returnee_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('returnee_id', sa.Integer(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['returnee_id'], ['returnees.id'], name=op.f('fk_returnee_events_returnee_id_returnees')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_returnee_events'))
    )
    with op.batch_alter_table('returnee_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_returnee_events_returnee_id'), ['returnee_id'], unique=False)
    for table in IMMUTABLE:
        forbid_changes(table)


def downgrade() -> None:
    for table in IMMUTABLE:
        allow_changes(table)
    with op.batch_alter_table('returnee_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_returnee_events_returnee_id'))

    op.drop_table('returnee_events')
    with op.batch_alter_table('obligations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_obligations_returnee_id'))
        batch_op.drop_index(batch_op.f('ix_obligations_journal_entry_id'))
        batch_op.drop_index('ix_obligations_agreement_period')

    op.drop_table('obligations')
    with op.batch_alter_table('returnees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_returnees_retain_until'))
        batch_op.drop_index(batch_op.f('ix_returnees_agreement_id'))

    op.drop_table('returnees')
    with op.batch_alter_table('agreement_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_versions_agreement_id'))

    op.drop_table('agreement_versions')
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreements_payer_code'))
        batch_op.drop_index(batch_op.f('ix_agreements_payee_code'))

    op.drop_table('agreements')
