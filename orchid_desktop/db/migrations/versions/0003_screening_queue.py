"""screening queue

The latest screening outcome on the contact row (so the queue groups and counts in SQL),
with its own list index, and the screening decisions that are not stages: a staff flag
and a request for information. Plain ADD COLUMNs: no table rebuild, so the SQLite search
triggers on ``contacts`` stay as they are.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 22:10:00.362344
"""
import sqlalchemy as sa
from alembic import op

from orchid_desktop.db import search_index
from orchid_desktop.db.models.base import UTCDateTime

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

ACTIVE = 'merged_into_id IS NULL AND archived_at IS NULL'
OUTCOMES = ('pass', 'dq', 'flag', 'defer', 'needs_data')


def upgrade() -> None:
    op.add_column('contacts', sa.Column(
        'screening_outcome', sa.String(length=18),
        sa.CheckConstraint(f"screening_outcome IN {OUTCOMES!r}",
                           name='screening_outcome'),
        nullable=True))
    op.add_column('contacts', sa.Column('screened_at', UTCDateTime(timezone=True)))
    op.add_column('contacts', sa.Column('flagged_at', UTCDateTime(timezone=True)))
    op.add_column('contacts', sa.Column('flag_note', sa.Text()))
    op.add_column('contacts', sa.Column('info_requested_at', UTCDateTime(timezone=True)))
    op.create_index('ix_contacts_list_screening_outcome_created_at', 'contacts',
                    ['screening_outcome', 'created_at', 'id'],
                    sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))


def downgrade() -> None:
    op.drop_index('ix_contacts_list_screening_outcome_created_at', 'contacts')
    with op.batch_alter_table('contacts') as batch_op:
        batch_op.drop_constraint('screening_outcome', type_='check')
        for name in ('info_requested_at', 'flag_note', 'flagged_at', 'screened_at',
                     'screening_outcome'):
            batch_op.drop_column(name)
    if op.get_bind().dialect.name == 'sqlite':  # the rebuilt table lost its triggers
        for statement in search_index.sqlite_trigger_sql('contacts'):
            op.execute(statement)
