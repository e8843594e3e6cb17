"""cache_version: one counter row bumped by triggers on every change to org units, users and
API tokens, so each process may cache them and see a change on its next request

Revision ID: c3f1a9e07d42
Revises: c3e9f4a7d215
Create Date: 2026-12-01 04:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f1a9e07d42'
down_revision = 'c3e9f4a7d215'
branch_labels = None
depends_on = None

TABLES = ("org_unit", "user_account", "api_token")
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION bump_cache_version() RETURNS trigger AS $$
BEGIN
    UPDATE cache_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def upgrade():
    op.create_table(
        'cache_version',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.execute("INSERT INTO cache_version (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_cache_version AFTER INSERT OR UPDATE OR DELETE "
                       f"OR TRUNCATE ON {table} FOR EACH STATEMENT "
                       f"EXECUTE FUNCTION bump_cache_version()")
        return
    for table in TABLES:
        for kind in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_cache_version_{kind.lower()} AFTER {kind} "
                       f"ON {table} BEGIN UPDATE cache_version SET version = version + 1 "
                       f"WHERE id = 1; END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_cache_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_cache_version()")
    else:
        for table in TABLES:
            for kind in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_cache_version_{kind}")
    op.drop_table('cache_version')
