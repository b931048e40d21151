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

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

ACTIVE = 'merged_into_id IS NULL AND archived_at IS NULL'
OUTCOMES = ('pass', 'dq', 'flag', 'defer', 'needs_data')

# Frozen as of revision 0003: the new columns' type is the plain DateTime(timezone=True)
# that the app's UTCDateTime decorates (same DDL: DATETIME on SQLite, TIMESTAMP WITH TIME
# ZONE on PostgreSQL; the decorator only converts values, and this migration moves none),
# and the CHECK constraint is named in full (op.f) rather than by the models' naming
# convention, so later changes to the models cannot change what this migration does.
_INSTANT = sa.DateTime(timezone=True)


# Frozen copy, as of revision 0003, of the SQLite search triggers of revision 0002 (the
# app's orchid_desktop/db/search_index.py sqlite_trigger_sql), which downgrade recreates
# after batch mode rebuilt ``contacts``; copied, not imported, so that it stays the SQL
# of this revision whatever the app's module becomes.
def _sqlite_trigger_sql(table_name: str) -> list[str]:
    fts = "fts_" + table_name
    insert = f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text);"
    delete = (f"INSERT INTO {fts}({fts}, rowid, search_text) "
              "VALUES ('delete', old.id, old.search_text);")
    return [
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table_name} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table_name} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF search_text ON {table_name} "
        f"BEGIN {delete} {insert} END",
    ]


def upgrade() -> None:
    op.add_column('contacts', sa.Column(
        'screening_outcome', sa.String(length=18),
        sa.CheckConstraint(f"screening_outcome IN {OUTCOMES!r}",
                           name=op.f('ck_contacts_screening_outcome')),
        nullable=True))
    op.add_column('contacts', sa.Column('screened_at', _INSTANT))
    op.add_column('contacts', sa.Column('flagged_at', _INSTANT))
    op.add_column('contacts', sa.Column('flag_note', sa.Text()))
    op.add_column('contacts', sa.Column('info_requested_at', _INSTANT))
    op.create_index('ix_contacts_list_screening_outcome_created_at', 'contacts',
                    ['screening_outcome', 'created_at', 'id'],
                    sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))


def downgrade() -> None:
    op.drop_index('ix_contacts_list_screening_outcome_created_at', 'contacts')
    with op.batch_alter_table('contacts') as batch_op:
        batch_op.drop_constraint(op.f('ck_contacts_screening_outcome'), type_='check')
        for name in ('info_requested_at', 'flag_note', 'flagged_at', 'screened_at',
                     'screening_outcome'):
            batch_op.drop_column(name)
    if op.get_bind().dialect.name == 'sqlite':  # the rebuilt table lost its triggers
        for statement in _sqlite_trigger_sql('contacts'):
            op.execute(statement)
