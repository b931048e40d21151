"""campaign authoring

A mass email remembers the library template chosen while it is a draft (its version is
pinned only when it is scheduled), and the campaign queue finds due drip steps through a
partial index on the pending ones, so a tick costs the same with a million finished
steps as with none.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 23:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

PENDING = "status = 'pending'"


def upgrade() -> None:
    with op.batch_alter_table('mass_emails') as batch_op:
        batch_op.add_column(sa.Column('template_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_mass_emails_template_id_templates'), 'templates',
                                    ['template_id'], ['id'])
    op.create_index('ix_enrolment_steps_pending_due', 'enrolment_steps', ['due_at'],
                    sqlite_where=sa.text(PENDING), postgresql_where=sa.text(PENDING))


def downgrade() -> None:
    op.drop_index('ix_enrolment_steps_pending_due', 'enrolment_steps')
    with op.batch_alter_table('mass_emails') as batch_op:
        batch_op.drop_constraint(op.f('fk_mass_emails_template_id_templates'), type_='foreignkey')
        batch_op.drop_column('template_id')
