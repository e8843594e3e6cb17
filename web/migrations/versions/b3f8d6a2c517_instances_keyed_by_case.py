"""instances keyed by case: process_instance's key is case_id, its surrogate id goes

Revision ID: b3f8d6a2c517
Revises: a9e5c3f1d726
Create Date: 2026-12-02 01:00:00.000000

A case has one workflow instance, and every read and write finds it by its case: the
surrogate `id` only kept an index of its own beside the unique one on `case_id`, and every
update that moved the row (a new state version elsewhere on the page) wrote both. Keyed by
`case_id`, one index remains: about 45 bytes less per running case on PostgreSQL. The timer
pass and the admins' failing-timer list name instances by their case.

PostgreSQL changes the key in place (the column's drop is instant; the key's index is
built once). SQLite cannot change a table's key: the table is copied.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b3f8d6a2c517'
down_revision = 'a9e5c3f1d726'
branch_labels = None
depends_on = None

WAITING = sa.text('next_timer_at IS NOT NULL')
REST = "state, serializer_version, next_timer_at, updated_at, version, timer_attempts, " \
       "timer_error, timer_failed_at"


def _columns(key: list) -> list:
    return [*key,
            sa.Column('state', sa.LargeBinary(), nullable=False),
            sa.Column('serializer_version', sa.String(length=16), nullable=False),
            sa.Column('next_timer_at', sa.DateTime(), nullable=True),
            sa.Column('updated_at', sa.DateTime(), nullable=False),
            sa.Column('version', sa.Integer(), nullable=False),
            sa.Column('timer_attempts', sa.Integer(), server_default='0', nullable=False),
            sa.Column('timer_error', sa.Text(), nullable=True),
            sa.Column('timer_failed_at', sa.DateTime(), nullable=True),
            sa.ForeignKeyConstraint(['case_id'], ['case_file.id'])]


def _copy_sqlite(key: list, copy: str) -> None:
    """SQLite: the table rebuilt with `key`, its rows copied with `copy` (a SELECT list)."""
    op.create_table('process_instance_next', *_columns(key))
    op.execute(f"INSERT INTO process_instance_next SELECT {copy} FROM process_instance")
    op.drop_table('process_instance')
    op.rename_table('process_instance_next', 'process_instance')
    op.create_index('ix_process_instance_next_timer', 'process_instance', ['next_timer_at'],
                    unique=False, sqlite_where=WAITING)


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE process_instance DROP CONSTRAINT process_instance_pkey")
        op.execute("ALTER TABLE process_instance DROP CONSTRAINT process_instance_case_id_key")
        op.execute("ALTER TABLE process_instance DROP COLUMN id")
        op.execute("ALTER TABLE process_instance ADD CONSTRAINT process_instance_pkey "
                   "PRIMARY KEY (case_id)")
        return
    _copy_sqlite([sa.Column('case_id', sa.Integer(), nullable=False),
                  sa.PrimaryKeyConstraint('case_id')], "case_id, " + REST)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE process_instance DROP CONSTRAINT process_instance_pkey")
        op.execute("ALTER TABLE process_instance ADD COLUMN id serial")  # numbered in place
        op.execute("ALTER TABLE process_instance ADD CONSTRAINT process_instance_pkey "
                   "PRIMARY KEY (id)")
        op.execute("ALTER TABLE process_instance ADD CONSTRAINT process_instance_case_id_key "
                   "UNIQUE (case_id)")
        return
    _copy_sqlite([sa.Column('id', sa.Integer(), nullable=False),
                  sa.Column('case_id', sa.Integer(), nullable=False),
                  sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('case_id')],
                 "row_number() OVER (ORDER BY case_id), case_id, " + REST)
