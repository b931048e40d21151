"""category stats

SendGrid's daily engagement figures per category (a drip step or a mass email), pulled
every few hours because a desktop app cannot receive SendGrid's event webhook. One row
per category and day, overwritten while a day's opens and clicks keep arriving.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

METRICS = ('delivered', 'opens', 'unique_opens', 'clicks', 'unique_clicks', 'bounces',
           'spam_reports', 'unsubscribes')


def upgrade() -> None:
    op.create_table(
        'category_stats',
        sa.Column('category', sa.String(length=255), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in METRICS),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('category', 'day', name=op.f('pk_category_stats')),
    )


def downgrade() -> None:
    op.drop_table('category_stats')
