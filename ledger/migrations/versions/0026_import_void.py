"""statements: a wrong import can be voided (when, by whom, why)

What the bank reported about a transfer stays frozen (0004's trigger), with one exception a void needs: a
booked transfer may become `voided`, its fingerprint released in the same update (so the corrected file imports
the movement again). Every other column, and every other change of those two, is still refused.

Revision ID: 0026_import_void
Revises: 0024_statement_reviews
Create Date: 2026-12-07 01:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0026_import_void'
down_revision = '0024_statement_reviews'
branch_labels = None
depends_on = None

# 0004's frozen columns: what the bank said about a movement.
FROZEN = ('statement_id', 'statement_index', 'entry_index', 'detail_index', 'account', 'amount', 'currency',
          'direction', 'booking_date', 'value_date', 'bank_reference', 'end_to_end_id', 'uetr',
          'structured_reference', 'structured_reference_scheme', 'remittance_information', 'counterparty_name',
          'counterparty_iban', 'reversal', 'booking_status', 'fingerprint')
MESSAGE = 'what the bank reported about a transfer cannot change'


def _freeze(allow_void: bool) -> None:
    kept = [c for c in FROZEN if c not in ('booking_status', 'fingerprint')]
    if op.get_bind().dialect.name == 'postgresql':
        changed = ' OR '.join(f'NEW.{c} IS DISTINCT FROM OLD.{c}' for c in FROZEN)
        if allow_void:
            same = ' AND '.join(f'NEW.{c} IS NOT DISTINCT FROM OLD.{c}' for c in kept)
            changed = f"({changed}) AND NOT (OLD.booking_status = 'booked' AND NEW.booking_status = 'voided' AND {same})"
        op.execute(
            "CREATE OR REPLACE FUNCTION ledger_transfers_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'transfers are never deleted' USING ERRCODE = 'restrict_violation'; "
            f"END IF; IF {changed} THEN RAISE EXCEPTION '{MESSAGE}' "
            "USING ERRCODE = 'restrict_violation'; END IF; RETURN NEW; END $$"
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS transfers_frozen")
        when = ''
        if allow_void:
            same = ' AND '.join(f'NEW.{c} IS OLD.{c}' for c in kept)
            when = f" WHEN NOT (OLD.booking_status = 'booked' AND NEW.booking_status = 'voided' AND {same})"
        op.execute(f"CREATE TRIGGER transfers_frozen BEFORE UPDATE OF {', '.join(FROZEN)} ON transfers{when} "
                   f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def upgrade() -> None:
    with op.batch_alter_table('statements') as batch:
        batch.add_column(sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('voided_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch.add_column(sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    _freeze(allow_void=True)


def downgrade() -> None:
    _freeze(allow_void=False)
    with op.batch_alter_table('statements') as batch:
        batch.drop_column('void_reason')
        batch.drop_column('voided_by')
        batch.drop_column('voided_at')
