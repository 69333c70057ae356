"""claims in transit: an accepted EU cost claim a released payment batch ordered is `in_transit` until the debit

`cost_claims.ordered_on` is the day a released payment batch ordered the transfer paying the claim; the claim's
status is `in_transit` from then until the bank's debit (matched by EndToEndId) pays it (the status column is a
plain string: no constraint to change). Claims released before this revision were marked `paid` at release by an
entry that settled both states' books at once; they stay `paid` (their journal says so) and get `ordered_on` =
`paid_on`, the day they were released.

Revision ID: 0030_claims_in_transit
Revises: 0029_payments_in_transit
Create Date: 2026-12-07 07:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0030_claims_in_transit'
down_revision = '0029_payments_in_transit'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cost_claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ordered_on', sa.Date(), nullable=True))
    op.execute("UPDATE cost_claims SET ordered_on = paid_on WHERE status = 'paid' AND id IN "
               "(SELECT claim_id FROM payment_items WHERE claim_id IS NOT NULL "
               "AND status IN ('ordered', 'accepted', 'paid'))")


def downgrade() -> None:
    # A claim in transit has only the issuing state's side in the journal: the revision before would take it for
    # paid (or for open) and the books would disagree with it. Downgrade once the bank has debited or rejected it.
    waiting = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM cost_claims WHERE status = 'in_transit'")).scalar()
    if waiting:
        raise RuntimeError(f"{waiting} cost claim(s) in transit: downgrade once the bank debited or rejected them")
    with op.batch_alter_table('cost_claims', schema=None) as batch_op:
        batch_op.drop_column('ordered_on')
