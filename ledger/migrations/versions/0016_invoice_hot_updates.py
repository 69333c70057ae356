"""invoice hot updates: settling an invoice touches no index

A reconciliation run changes three columns of every invoice it settles (`amount_open`, `version` and, when paid in
full, `status`). With `status` indexed, and no room left on the page, PostgreSQL wrote each new row version
elsewhere and added it to all six indexes of the table: about 4 s of the server's time for the ~85k invoices of a
100k-invoice run, the largest single statement of the run.

- `ix_invoices_status` goes: a status has a handful of values, so the index only ever helped to count the few
  invoices awaiting a decision, which a scan of the table answers as well at this ledger's volumes.
- Invoices keep 40 % of each page free, so the new version fits beside the old one (a HOT update). Only pages
  written from now on are affected (`VACUUM FULL invoices` repacks older ones); SQLite has no such setting.

Revision ID: 0016_invoice_hot_updates
Revises: 0015_run_writes
Create Date: 2026-11-26 16:10:00
"""
from alembic import op


revision = '0016_invoice_hot_updates'
down_revision = '0015_run_writes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_status')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE invoices SET (fillfactor = 60)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE invoices RESET (fillfactor)')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoices_status', ['status'], unique=False)
