"""visit_experts: 懂行人 attached to on-site visits (issue 10)

Revision ID: 0007_visit_experts
Revises: 0005_programmes
Create Date: 2026-12-02 01:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007_visit_experts'
down_revision: str | None = '0005_programmes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'visit_experts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('visit_id', sa.Integer(), sa.ForeignKey('visits.id'), nullable=False),
        sa.Column('expert_id', sa.Integer(), sa.ForeignKey('programme_experts.id'), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('visit_id', 'expert_id', name='uq_visit_expert'),
    )
    op.create_index('ix_visit_experts_visit_id', 'visit_experts', ['visit_id'])
    op.create_index('ix_visit_experts_expert_id', 'visit_experts', ['expert_id'])


def downgrade() -> None:
    op.drop_index('ix_visit_experts_expert_id', table_name='visit_experts')
    op.drop_index('ix_visit_experts_visit_id', table_name='visit_experts')
    op.drop_table('visit_experts')
