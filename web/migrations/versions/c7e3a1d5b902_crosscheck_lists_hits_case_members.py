"""cross-checks: case members by ID number, bureau lists, their rows and hits

Revision ID: c7e3a1d5b902
Revises: 5e7a1c3d9b20
Create Date: 2026-12-01 01:30:00

Existing cases' members are indexed from their applications, so that lists match them and a
household can be found by any member's ID number.
"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7e3a1d5b902'
down_revision = '5e7a1c3d9b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'case_member',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('case_file.id'), nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('relation', sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_case_member_id_number', 'case_member', ['id_number'])
    op.create_index('ix_case_member_case', 'case_member', ['case_id'])
    op.create_table(
        'crosscheck_list',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=32), nullable=False),
        sa.Column('region_id', sa.Integer(), sa.ForeignKey('org_unit.id'), nullable=False),
        sa.Column('region_path', sa.String(length=400), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('row_count', sa.Integer(), nullable=False),
        sa.Column('hit_count', sa.Integer(), nullable=False),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('imported_by_id', sa.Integer(), sa.ForeignKey('user_account.id'),
                  nullable=True),
        sa.Column('imported_by_name', sa.String(length=64), nullable=False),
        sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('job_id', sa.Integer(), sa.ForeignKey('job.id'), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_crosscheck_list_source_region', 'crosscheck_list',
                    ['source', 'region_id'])
    op.create_table(
        'crosscheck_row',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('list_id', sa.Integer(), sa.ForeignKey('crosscheck_list.id'),
                  nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('finding', sa.Text(), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_crosscheck_row_list', 'crosscheck_row', ['list_id', 'id'])
    op.create_index('ix_crosscheck_row_id_number', 'crosscheck_row', ['id_number'])
    op.create_table(
        'crosscheck_hit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('list_id', sa.Integer(), sa.ForeignKey('crosscheck_list.id'),
                  nullable=False),
        sa.Column('row_id', sa.Integer(), sa.ForeignKey('crosscheck_row.id'), nullable=False),
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('case_file.id'), nullable=False),
        sa.Column('household_id', sa.Integer(), sa.ForeignKey('household.id'), nullable=True),
        sa.Column('enrolled', sa.Boolean(), nullable=False),
        sa.Column('member_name', sa.String(length=100), nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=False),
        sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('explanation', sa.Text(), nullable=True),
        sa.Column('explained_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('explained_by_id', sa.Integer(), sa.ForeignKey('user_account.id'),
                  nullable=True),
        sa.Column('followup_case_id', sa.Integer(), sa.ForeignKey('case_file.id'),
                  nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_crosscheck_hit_case', 'crosscheck_hit', ['case_id'])
    op.create_index('ix_crosscheck_hit_household', 'crosscheck_hit', ['household_id'])
    op.create_index('ix_crosscheck_hit_list', 'crosscheck_hit', ['list_id'])
    _index_existing_members()


def _index_existing_members():
    """Every existing case's members, read from its application (one pass, in batches)."""
    bind = op.get_bind()
    member = sa.table('case_member', sa.column('case_id'), sa.column('id_number'),
                      sa.column('name'), sa.column('relation'))
    last = 0
    while True:
        rows = bind.execute(sa.text(
            "SELECT id, application FROM case_file WHERE id > :last ORDER BY id LIMIT 1000"),
            {"last": last}).all()
        if not rows:
            return
        batch = []
        for case_id, application in rows:
            if isinstance(application, str):
                application = json.loads(application)
            batch.extend({"case_id": case_id, **m} for m in _members(application or {}))
        if batch:
            bind.execute(member.insert(), batch)
        last = rows[-1][0]


def _members(application):
    """The same reading as engine.casework.hits.members_of, frozen for this migration."""
    found, seen = [], set()
    rows = application.get("members")
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict):
            number = str(row.get("id_number") or "").strip().upper()
            if len(number) == 18 and number not in seen:
                seen.add(number)
                found.append({"id_number": number, "name": str(row.get("name") or "")[:100],
                              "relation": str(row.get("relation") or "")[:16]})
    head = str(application.get("head_id_number") or "").strip().upper()
    if len(head) == 18 and head not in seen:
        found.append({"id_number": head, "name": str(application.get("head_name") or "")[:100],
                      "relation": "self"})
    return found


def downgrade():
    op.drop_table('crosscheck_hit')
    op.drop_table('crosscheck_row')
    op.drop_table('crosscheck_list')
    op.drop_table('case_member')
