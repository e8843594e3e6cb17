"""task forms named by their step: human_task.form_key is "" where the form is the step's own id

Revision ID: c8e2a4f7b319
Revises: b3f8d6a2c517
Create Date: 2026-12-02 08:00:00.000000

Many user tasks show the form named like their step (every one of Linzi's identification),
and each of their task rows kept the same string twice. The engine now reads the form key
through `HumanTask.form_key` (the stored value, or the step when it is "") and writes "" in
that case: about 55 bytes less per running case on PostgreSQL. Steps whose form is named
otherwise (Jiangmen's, Fuxin's) keep it as before. The column stays NOT NULL
(every user task has a form: deploy checks), so no table is rebuilt; the rows are rewritten
once.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c8e2a4f7b319'
down_revision = 'b3f8d6a2c517'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE human_task SET form_key = '' WHERE form_key = step")


def downgrade():
    op.execute("UPDATE human_task SET form_key = step WHERE form_key = ''")
