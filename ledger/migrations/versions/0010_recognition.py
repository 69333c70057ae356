"""recognition

Revision ID: 0010_recognition
Revises: 0002_journal
Create Date: 2026-11-26 05:52:53.540924
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

from ledger.db import ExactDecimal

from ledger.migrations.immutable import allow_changes, forbid_changes

# Assessed lines and published rates are what claims were decided on: never rewritten.
IMMUTABLE = ('allowance_rates', 'cost_claim_lines')


revision = '0010_recognition'
down_revision = '0009_reconciliation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('allowance_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('daily_rate', ExactDecimal(24, 4), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['party_code'], ['parties.code'], name=op.f('fk_allowance_rates_party_code_parties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allowance_rates')),
    sa.UniqueConstraint('party_code', 'effective_from', 'currency', name=op.f('uq_allowance_rates_party_code_effective_from_currency'))
    )
    with op.batch_alter_table('allowance_rates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allowance_rates_party_code'), ['party_code'], unique=False)

    op.create_table('return_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuing_state', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('decision_ref', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('decision_date', sa.Date(), nullable=False),
    sa.Column('ground', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('pseudonym', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('sis_alert_ref', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('european_return_order_ref', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('legal_basis', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issuing_state'], ['parties.code'], name=op.f('fk_return_orders_issuing_state_parties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_orders')),
    sa.UniqueConstraint('issuing_state', 'decision_ref', name=op.f('uq_return_orders_issuing_state_decision_ref'))
    )
    with op.batch_alter_table('return_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_orders_issuing_state'), ['issuing_state'], unique=False)
        batch_op.create_index(batch_op.f('ix_return_orders_pseudonym'), ['pseudonym'], unique=False)

    op.create_table('recognitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_order_id', sa.Integer(), nullable=False),
    sa.Column('issuing_state', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('enforcing_state', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('requested_on', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('enforced_on', sa.Date(), nullable=True),
    sa.Column('notified_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enforcing_state'], ['parties.code'], name=op.f('fk_recognitions_enforcing_state_parties')),
    sa.ForeignKeyConstraint(['issuing_state'], ['parties.code'], name=op.f('fk_recognitions_issuing_state_parties')),
    sa.ForeignKeyConstraint(['return_order_id'], ['return_orders.id'], name=op.f('fk_recognitions_return_order_id_return_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recognitions')),
    sa.UniqueConstraint('return_order_id', 'enforcing_state', name=op.f('uq_recognitions_return_order_id_enforcing_state'))
    )
    with op.batch_alter_table('recognitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recognitions_enforcing_state'), ['enforcing_state'], unique=False)
        batch_op.create_index(batch_op.f('ix_recognitions_issuing_state'), ['issuing_state'], unique=False)
        batch_op.create_index(batch_op.f('ix_recognitions_return_order_id'), ['return_order_id'], unique=False)

    op.create_table('cost_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recognition_id', sa.Integer(), nullable=False),
    sa.Column('return_order_id', sa.Integer(), nullable=False),
    sa.Column('issuing_state', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('enforcing_state', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('legal_basis', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('claimed', ExactDecimal(24, 4), nullable=False),
    sa.Column('allowed', ExactDecimal(24, 4), nullable=False),
    sa.Column('recovered_from_person', ExactDecimal(24, 4), nullable=False),
    sa.Column('payable', ExactDecimal(24, 4), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('late_after', sa.Date(), nullable=False),
    sa.Column('flags', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('decision_due_on', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('payment_due_on', sa.Date(), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('acceptance_entry_id', sa.Integer(), nullable=True),
    sa.Column('payment_entry_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['acceptance_entry_id'], ['journal_entries.id'], name=op.f('fk_cost_claims_acceptance_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['enforcing_state'], ['parties.code'], name=op.f('fk_cost_claims_enforcing_state_parties')),
    sa.ForeignKeyConstraint(['issuing_state'], ['parties.code'], name=op.f('fk_cost_claims_issuing_state_parties')),
    sa.ForeignKeyConstraint(['payment_entry_id'], ['journal_entries.id'], name=op.f('fk_cost_claims_payment_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['recognition_id'], ['recognitions.id'], name=op.f('fk_cost_claims_recognition_id_recognitions')),
    sa.ForeignKeyConstraint(['return_order_id'], ['return_orders.id'], name=op.f('fk_cost_claims_return_order_id_return_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_claims')),
    sa.UniqueConstraint('recognition_id', name=op.f('uq_cost_claims_recognition_id'))
    )
    with op.batch_alter_table('cost_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cost_claims_decision_due_on'), ['decision_due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_cost_claims_enforcing_state'), ['enforcing_state'], unique=False)
        batch_op.create_index(batch_op.f('ix_cost_claims_issuing_state'), ['issuing_state'], unique=False)
        batch_op.create_index(batch_op.f('ix_cost_claims_payment_due_on'), ['payment_due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_cost_claims_return_order_id'), ['return_order_id'], unique=False)

    op.create_table('cost_claim_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('evidence_ref', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('claimed', ExactDecimal(24, 4), nullable=False),
    sa.Column('allowed', ExactDecimal(24, 4), nullable=False),
    sa.Column('flags', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('reference_fare', ExactDecimal(24, 4), nullable=True),
    sa.Column('location', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('days', sa.Integer(), nullable=True),
    sa.Column('escorts', sa.Integer(), nullable=True),
    sa.Column('rate_effective_from', sa.Date(), nullable=True),
    sa.Column('daily_rate', ExactDecimal(24, 4), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['cost_claims.id'], name=op.f('fk_cost_claim_lines_claim_id_cost_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_claim_lines')),
    sa.UniqueConstraint('claim_id', 'line', name=op.f('uq_cost_claim_lines_claim_id_line'))
    )
    with op.batch_alter_table('cost_claim_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cost_claim_lines_claim_id'), ['claim_id'], unique=False)

    for table in IMMUTABLE:
        forbid_changes(table)


def downgrade() -> None:
    for table in IMMUTABLE:
        allow_changes(table)
    with op.batch_alter_table('cost_claim_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cost_claim_lines_claim_id'))

    op.drop_table('cost_claim_lines')
    with op.batch_alter_table('cost_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cost_claims_return_order_id'))
        batch_op.drop_index(batch_op.f('ix_cost_claims_payment_due_on'))
        batch_op.drop_index(batch_op.f('ix_cost_claims_issuing_state'))
        batch_op.drop_index(batch_op.f('ix_cost_claims_enforcing_state'))
        batch_op.drop_index(batch_op.f('ix_cost_claims_decision_due_on'))

    op.drop_table('cost_claims')
    with op.batch_alter_table('recognitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recognitions_return_order_id'))
        batch_op.drop_index(batch_op.f('ix_recognitions_issuing_state'))
        batch_op.drop_index(batch_op.f('ix_recognitions_enforcing_state'))

    op.drop_table('recognitions')
    with op.batch_alter_table('return_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_orders_pseudonym'))
        batch_op.drop_index(batch_op.f('ix_return_orders_issuing_state'))

    op.drop_table('return_orders')
    with op.batch_alter_table('allowance_rates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allowance_rates_party_code'))

    op.drop_table('allowance_rates')
