"""cost reimbursement, departures, claim decisions line by line and disputes, late-payment interest

- returnees.departure: which event ended the stay (departed | voluntary_departure | returned_onward);
- invoice_lines.category / evidence_ref: actual_cost lines; invoice_findings.remaining: cap_exceeded's headroom;
- cost_claim_disputes, cost_claim_line_decisions: a claim's answers line by line and its disputes (append-only);
- reference_rates, interest_proposals: late-payment interest proposed to officers.

Revision ID: 0021_cost_reimbursement
Revises: 0020_approvals
Create Date: 2026-12-07 01:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

from ledger.db import ExactDecimal

revision = '0021_cost_reimbursement'
down_revision = '0020_approvals'
branch_labels = None
depends_on = None


def _string(length: int):
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    with op.batch_alter_table('returnees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('departure', _string(20), nullable=True))
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', _string(20), nullable=True))
        batch_op.add_column(sa.Column('evidence_ref', _string(200), nullable=True))
    with op.batch_alter_table('invoice_findings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remaining', ExactDecimal(24, 4), nullable=True))

    op.create_table('cost_claim_disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('lines', _string(2000), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('stage_before', _string(20), nullable=False),
    sa.Column('status', _string(10), nullable=False),
    sa.Column('outcome', _string(20), nullable=True),
    sa.Column('resolution_reason', sa.Text(), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('payable_before', ExactDecimal(24, 4), nullable=False),
    sa.Column('payable_after', ExactDecimal(24, 4), nullable=True),
    sa.Column('adjustment_entry_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['adjustment_entry_id'], ['journal_entries.id'],
                            name=op.f('fk_cost_claim_disputes_adjustment_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['claim_id'], ['cost_claims.id'], name=op.f('fk_cost_claim_disputes_claim_id_cost_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_claim_disputes'))
    )
    with op.batch_alter_table('cost_claim_disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cost_claim_disputes_claim_id'), ['claim_id'], unique=False)

    op.create_table('cost_claim_line_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('reason', _string(2000), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('step', _string(12), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['cost_claims.id'],
                            name=op.f('fk_cost_claim_line_decisions_claim_id_cost_claims')),
    sa.ForeignKeyConstraint(['dispute_id'], ['cost_claim_disputes.id'],
                            name=op.f('fk_cost_claim_line_decisions_dispute_id_cost_claim_disputes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_claim_line_decisions'))
    )
    with op.batch_alter_table('cost_claim_line_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cost_claim_line_decisions_claim_id'), ['claim_id'], unique=False)

    op.create_table('reference_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', _string(20), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('rate_percent', ExactDecimal(24, 4), nullable=False),
    sa.Column('source', _string(200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_rates')),
    sa.UniqueConstraint('reference', 'effective_from', name=op.f('uq_reference_rates_reference_effective_from'))
    )

    op.create_table('interest_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('from_date', sa.Date(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('principal', ExactDecimal(24, 4), nullable=False),
    sa.Column('rate_percent', ExactDecimal(24, 4), nullable=False),
    sa.Column('basis', _string(60), nullable=False),
    sa.Column('amount', ExactDecimal(24, 4), nullable=False),
    sa.Column('currency', _string(3), nullable=False),
    sa.Column('status', _string(10), nullable=False),
    sa.Column('decided_by', _string(200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('obligation_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'],
                            name=op.f('fk_interest_proposals_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_interest_proposals_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['obligation_id'], ['obligations.id'],
                            name=op.f('fk_interest_proposals_obligation_id_obligations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interest_proposals'))
    )
    with op.batch_alter_table('interest_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interest_proposals_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interest_proposals_invoice_id'), ['invoice_id'], unique=False)


def downgrade() -> None:
    op.drop_table('interest_proposals')
    op.drop_table('reference_rates')
    op.drop_table('cost_claim_line_decisions')
    op.drop_table('cost_claim_disputes')
    with op.batch_alter_table('invoice_findings', schema=None) as batch_op:
        batch_op.drop_column('remaining')
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_column('evidence_ref')
        batch_op.drop_column('category')
    with op.batch_alter_table('returnees', schema=None) as batch_op:
        batch_op.drop_column('departure')
