"""outbox queued index

A partial index of the queued outbox rows in claim order (due_at, id): the claim reads
its batch from it and stops, instead of reading and sorting every queued row.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 03:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

QUEUED = "status = 'queued'"


def upgrade() -> None:
    op.create_index('ix_outbox_messages_queued_due', 'outbox_messages', ['due_at', 'id'],
                    sqlite_where=sa.text(QUEUED), postgresql_where=sa.text(QUEUED))


def downgrade() -> None:
    op.drop_index('ix_outbox_messages_queued_due', 'outbox_messages')
