"""list indexes: each list's filter with the key its pages are read in

The lists page by keyset (`ledger.listing.page`: `WHERE <filter> AND id > :cursor ORDER BY id LIMIT n`). An index on
the filter column alone finds the rows but not in id order: PostgreSQL then reads every row of the filter and
sorts them for each page. Each single-column index is replaced by one on (filter, key), which serves the same
lookups (the foreign key's among them) at the same write cost; the audit log gains its object filter. SQLite's
indexes end with the rowid already, so there the change is the name and the object index.

Revision ID: 0027_list_indexes
Revises: 0026_import_void
Create Date: 2026-12-07 00:50:00
"""
from alembic import op


revision = '0027_list_indexes'
down_revision = '0026_import_void'
branch_labels = None
depends_on = None

#: (table, old single-column index and its column, new index and its columns)
_REPLACED = [
    ('returnees', 'ix_returnees_agreement_id', 'agreement_id', 'ix_returnees_agreement_id_id', ['agreement_id', 'id']),
    ('transfers', 'ix_transfers_statement_id', 'statement_id', 'ix_transfers_statement_id_id', ['statement_id', 'id']),
    ('transfers', 'ix_transfers_account', 'account', 'ix_transfers_account_id', ['account', 'id']),
    ('journal_entries', 'ix_journal_entries_period', 'period', 'ix_journal_entries_period_id', ['period', 'id']),
    ('audit_log', 'ix_audit_log_action', 'action', 'ix_audit_log_action_seq', ['action', 'seq']),
]


def upgrade() -> None:
    for table, old, _, new, columns in _REPLACED:
        op.create_index(new, table, columns, unique=False)
        op.drop_index(old, table_name=table)
    op.create_index('ix_audit_log_object_seq', 'audit_log', ['object_type', 'object_id', 'seq'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_log_object_seq', table_name='audit_log')
    for table, old, column, new, _ in reversed(_REPLACED):
        op.create_index(old, table, [column], unique=False)
        op.drop_index(new, table_name=table)
