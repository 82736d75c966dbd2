"""trust: session versions, shared log-in counters, one draft per enterprise and questionnaire

Revision ID: 0003_trust
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003_trust'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DRAFT = sa.text("status = 'draft'")


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
    op.create_table(
        'login_counters',
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('window_start', sa.DateTime(), nullable=False),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('key'),
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('questionnaire_code', sa.String(length=64), nullable=True))
    op.execute("UPDATE submissions SET questionnaire_code = (SELECT code FROM questionnaire_versions v "
               "WHERE v.id = submissions.questionnaire_version_id)")
    # Older duplicate drafts (made by double clicks before this revision) keep their answers but leave the
    # index: their code is cleared, so only the newest draft, the one "resume" opens, is constrained.
    op.execute("UPDATE submissions SET questionnaire_code = NULL WHERE status = 'draft' AND id < ("
               "SELECT MAX(s2.id) FROM submissions s2 WHERE s2.status = 'draft' "
               "AND s2.enterprise_id = submissions.enterprise_id "
               "AND s2.questionnaire_code = submissions.questionnaire_code)")
    op.create_index('uq_one_draft', 'submissions', ['enterprise_id', 'questionnaire_code'], unique=True,
                    sqlite_where=_DRAFT, postgresql_where=_DRAFT)


def downgrade() -> None:
    op.drop_index('uq_one_draft', table_name='submissions')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('questionnaire_code')
    op.drop_table('login_counters')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
