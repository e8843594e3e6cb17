"""case members keyed by case: case_member's key is (case_id, seq), its surrogate id and the
case index it needed go

Revision ID: a9e5c3f1d726
Revises: f6d2b8e4a193
Create Date: 2026-12-02 00:40:00.000000

A case's members are written once, when it opens, and read by case (its page, the review)
or by ID number (lists, duplicates). Nothing points at a member row, so the surrogate `id`
served only its own index, beside the case index every read by case used: three indexes for
three members a case. Keyed by (case_id, seq), seq being the member's place in the
application (the order `id` gave them), the key is the case index: about 80 bytes less per
running case on PostgreSQL and one index fewer to write when a case opens. The rows are
copied in one statement: `seq` numbers each case's members in their old id order, from 0.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a9e5c3f1d726'
down_revision = 'f6d2b8e4a193'
branch_labels = None
depends_on = None

COLUMNS = "id_number, name, relation"


def _columns(key: list) -> list:
    return [*key,
            sa.Column('id_number', sa.String(length=18), nullable=False),
            sa.Column('name', sa.String(length=100), nullable=False),
            sa.Column('relation', sa.String(length=16), nullable=False),
            sa.ForeignKeyConstraint(['case_id'], ['case_file.id'])]


def _swap(new_key: list, copy: str, indexes: list[tuple[str, list[str]]]) -> None:
    """Build the table under a new name with `new_key`, copy the rows with `copy` (a SELECT
    in the new column order), then put it in the old one's place with its indexes."""
    op.create_table('case_member_next', *_columns(new_key))
    op.execute(f"INSERT INTO case_member_next SELECT {copy} FROM case_member")
    op.drop_table('case_member')
    op.rename_table('case_member_next', 'case_member')
    if op.get_bind().dialect.name == 'postgresql':  # the key's index takes the usual name
        op.execute("ALTER INDEX case_member_next_pkey RENAME TO case_member_pkey")
        op.execute("ALTER TABLE case_member RENAME CONSTRAINT case_member_next_case_id_fkey "
                   "TO case_member_case_id_fkey")
    for name, columns in indexes:
        op.create_index(name, 'case_member', columns, unique=False)


def upgrade():
    _swap([sa.Column('case_id', sa.Integer(), nullable=False),
           sa.Column('seq', sa.SmallInteger(), nullable=False),
           sa.PrimaryKeyConstraint('case_id', 'seq')],
          "case_id, row_number() OVER (PARTITION BY case_id ORDER BY id) - 1, " + COLUMNS,
          [('ix_case_member_id_number', ['id_number'])])


def downgrade():
    _swap([sa.Column('id', sa.Integer(), nullable=False),
           sa.Column('case_id', sa.Integer(), nullable=False),
           sa.PrimaryKeyConstraint('id')],
          "row_number() OVER (ORDER BY case_id, seq), case_id, " + COLUMNS,
          [('ix_case_member_id_number', ['id_number']), ('ix_case_member_case', ['case_id'])])
    if op.get_bind().dialect.name == 'postgresql':  # ids from a sequence again, past the rows
        op.execute("CREATE SEQUENCE case_member_id_seq OWNED BY case_member.id")
        op.execute("ALTER TABLE case_member ALTER COLUMN id SET DEFAULT "
                   "nextval('case_member_id_seq')")
        op.execute("SELECT setval('case_member_id_seq', coalesce(max(id), 0) + 1, false) "
                   "FROM case_member")
