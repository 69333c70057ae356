"""invoices

Revision ID: 0007_invoices
Revises: 0003_agreements
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

from ledger.db import ExactDecimal
from ledger.migrations.immutable import allow_changes, forbid_changes


revision = '0007_invoices'
down_revision = '0004_statements'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('payee_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('payer_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('document_type', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('payment_reference', sqlmodel.sql.sqltypes.AutoString(length=140), nullable=True),
    sa.Column('payment_reference_is_rf', sa.Boolean(), nullable=False),
    sa.Column('payee_iban', sqlmodel.sql.sqltypes.AutoString(length=34), nullable=True),
    sa.Column('preceding_invoice', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('total', ExactDecimal(precision=24, scale=4), nullable=False),
    sa.Column('payable', ExactDecimal(precision=24, scale=4), nullable=False),
    sa.Column('amount_open', ExactDecimal(precision=24, scale=4), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('document', sa.LargeBinary(), nullable=True),
    sa.Column('document_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('dispute_reason', sa.Text(), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('journal_entry_id', sa.Integer(), nullable=True),
    sa.Column('advance_offset', ExactDecimal(precision=24, scale=4), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_invoices_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['journal_entry_id'], ['journal_entries.id'], name=op.f('fk_invoices_journal_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['payee_code'], ['parties.code'], name=op.f('fk_invoices_payee_code_parties')),
    sa.ForeignKeyConstraint(['payer_code'], ['parties.code'], name=op.f('fk_invoices_payer_code_parties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('payee_code', 'number', name=op.f('uq_invoices_payee_code_number'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index('ix_invoices_agreement_period', ['agreement_id', 'period'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_payer_code'), ['payer_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_period'), ['period'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_status'), ['status'], unique=False)

    op.create_table('invoice_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('line', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_findings_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_findings'))
    )
    with op.batch_alter_table('invoice_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_findings_invoice_id'), ['invoice_id'], unique=False)
    forbid_changes('invoice_findings')

    op.create_table('invoice_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('line_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('returnee_id', sa.Integer(), nullable=True),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('amount', ExactDecimal(precision=24, scale=4), nullable=False),
    sa.Column('obligation_id', sa.Integer(), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_lines_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['obligation_id'], ['obligations.id'], name=op.f('fk_invoice_lines_obligation_id_obligations')),
    sa.ForeignKeyConstraint(['returnee_id'], ['returnees.id'], name=op.f('fk_invoice_lines_returnee_id_returnees')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_lines')),
    sa.UniqueConstraint('invoice_id', 'position', name=op.f('uq_invoice_lines_invoice_id_position'))
    )
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_lines_obligation_id'), ['obligation_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_lines_obligation_id'))

    op.drop_table('invoice_lines')
    allow_changes('invoice_findings')
    with op.batch_alter_table('invoice_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_findings_invoice_id'))

    op.drop_table('invoice_findings')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_status'))
        batch_op.drop_index(batch_op.f('ix_invoices_period'))
        batch_op.drop_index(batch_op.f('ix_invoices_payer_code'))
        batch_op.drop_index('ix_invoices_agreement_period')
        batch_op.drop_index(batch_op.f('ix_invoices_agreement_id'))

    op.drop_table('invoices')
