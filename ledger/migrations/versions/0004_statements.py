"""statements

Revision ID: 0004_statements
Revises: 0002_journal
Create Date: 2026-11-26 05:54:18.893807
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

from ledger.db import ExactDecimal
# What the bank said about a movement never changes; only who it belongs to (filled in when an account is
# registered later) and how much of it reconciliation has allocated may.
FROZEN = ('statement_id', 'statement_index', 'entry_index', 'detail_index', 'account', 'amount', 'currency',
          'direction', 'booking_date', 'value_date', 'bank_reference', 'end_to_end_id', 'uetr',
          'structured_reference', 'structured_reference_scheme', 'remittance_information', 'counterparty_name',
          'counterparty_iban', 'reversal', 'booking_status', 'fingerprint')


def _freeze_transfers() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        changed = ' OR '.join(f'NEW.{c} IS DISTINCT FROM OLD.{c}' for c in FROZEN)
        op.execute(
            "CREATE OR REPLACE FUNCTION ledger_transfers_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'transfers are never deleted' USING ERRCODE = 'restrict_violation'; "
            f"END IF; IF {changed} THEN RAISE EXCEPTION 'what the bank reported about a transfer cannot change' "
            "USING ERRCODE = 'restrict_violation'; END IF; RETURN NEW; END $$"
        )
        op.execute("CREATE TRIGGER transfers_frozen BEFORE UPDATE OR DELETE ON transfers "
                   "FOR EACH ROW EXECUTE FUNCTION ledger_transfers_frozen()")
    else:
        op.execute(f"CREATE TRIGGER transfers_frozen BEFORE UPDATE OF {', '.join(FROZEN)} ON transfers "
                   "BEGIN SELECT RAISE(ABORT, 'what the bank reported about a transfer cannot change'); END")
        op.execute("CREATE TRIGGER transfers_no_delete BEFORE DELETE ON transfers "
                   "BEGIN SELECT RAISE(ABORT, 'transfers are never deleted'); END")


def _thaw_transfers() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS transfers_frozen ON transfers")
        op.execute("DROP FUNCTION IF EXISTS ledger_transfers_frozen()")
    else:
        op.execute("DROP TRIGGER IF EXISTS transfers_frozen")
        op.execute("DROP TRIGGER IF EXISTS transfers_no_delete")


revision = '0004_statements'
down_revision = '0003_agreements'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('format_version', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=70), nullable=True),
    sa.Column('party_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=140), nullable=True),
    sa.Column('statements', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('imported', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('not_booked', sa.Integer(), nullable=False),
    sa.Column('opening_balance', ExactDecimal(24, 4), nullable=True),
    sa.Column('closing_balance', ExactDecimal(24, 4), nullable=True),
    sa.Column('balance_check', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('flags', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('file_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('imported_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['party_code'], ['parties.code'], name=op.f('fk_statements_party_code_parties')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statements'))
    )
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statements_file_sha256'), ['file_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_statements_party_code'), ['party_code'], unique=False)

    op.create_table('statement_parts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=70), nullable=True),
    sa.Column('party_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('bank_statement_id', sqlmodel.sql.sqltypes.AutoString(length=140), nullable=True),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=140), nullable=True),
    sa.Column('from_date', sa.Date(), nullable=True),
    sa.Column('to_date', sa.Date(), nullable=True),
    sa.Column('opening_balance', ExactDecimal(24, 4), nullable=True),
    sa.Column('closing_balance', ExactDecimal(24, 4), nullable=True),
    sa.Column('credits', ExactDecimal(24, 4), nullable=True),
    sa.Column('debits', ExactDecimal(24, 4), nullable=True),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('imported', sa.Integer(), nullable=False),
    sa.Column('balance_check', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('unknown_account', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['party_code'], ['parties.code'], name=op.f('fk_statement_parts_party_code_parties')),
    sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], name=op.f('fk_statement_parts_statement_id_statements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_parts'))
    )
    with op.batch_alter_table('statement_parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_parts_account'), ['account'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_parts_party_code'), ['party_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_parts_statement_id'), ['statement_id'], unique=False)

    op.create_table('transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('statement_index', sa.Integer(), nullable=False),
    sa.Column('entry_index', sa.Integer(), nullable=False),
    sa.Column('detail_index', sa.Integer(), nullable=True),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=70), nullable=False),
    sa.Column('party_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('counterparty_party', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('amount', ExactDecimal(24, 4), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('booking_date', sa.Date(), nullable=True),
    sa.Column('value_date', sa.Date(), nullable=True),
    sa.Column('bank_reference', sqlmodel.sql.sqltypes.AutoString(length=140), nullable=True),
    sa.Column('end_to_end_id', sqlmodel.sql.sqltypes.AutoString(length=140), nullable=True),
    sa.Column('uetr', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('structured_reference', sqlmodel.sql.sqltypes.AutoString(length=140), nullable=True),
    sa.Column('structured_reference_scheme', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('remittance_information', sa.Text(), nullable=True),
    sa.Column('counterparty_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('counterparty_iban', sqlmodel.sql.sqltypes.AutoString(length=34), nullable=True),
    sa.Column('reversal', sa.Boolean(), nullable=False),
    sa.Column('booking_status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('allocated', ExactDecimal(24, 4), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['counterparty_party'], ['parties.code'], name=op.f('fk_transfers_counterparty_party_parties')),
    sa.ForeignKeyConstraint(['party_code'], ['parties.code'], name=op.f('fk_transfers_party_code_parties')),
    sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], name=op.f('fk_transfers_statement_id_statements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_transfers_fingerprint'))
    )
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfers_account'), ['account'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_counterparty_iban'), ['counterparty_iban'], unique=False)
        batch_op.create_index('ix_transfers_party_id', ['party_code', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_statement_id'), ['statement_id'], unique=False)
        batch_op.create_index('ix_transfers_structured_reference', ['structured_reference'], unique=False)
    _freeze_transfers()


def downgrade() -> None:
    _thaw_transfers()
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_index('ix_transfers_structured_reference')
        batch_op.drop_index(batch_op.f('ix_transfers_statement_id'))
        batch_op.drop_index('ix_transfers_party_id')
        batch_op.drop_index(batch_op.f('ix_transfers_counterparty_iban'))
        batch_op.drop_index(batch_op.f('ix_transfers_account'))

    op.drop_table('transfers')
    with op.batch_alter_table('statement_parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_parts_statement_id'))
        batch_op.drop_index(batch_op.f('ix_statement_parts_party_code'))
        batch_op.drop_index(batch_op.f('ix_statement_parts_account'))

    op.drop_table('statement_parts')
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statements_party_code'))
        batch_op.drop_index(batch_op.f('ix_statements_file_sha256'))

    op.drop_table('statements')
