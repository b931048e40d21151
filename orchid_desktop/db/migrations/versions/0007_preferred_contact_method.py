"""preferred contact method

A person's preferred contact method, on leads and contacts alike, limited by a CHECK
constraint to the values of ``ContactMethod`` (copied below as they are at this revision).

Contacts had the column already, as free text that the application form filled with
email / phone / sms. It is replaced by a constrained one: the old column is renamed, the
new one added beside it, the values copied across in the new words ("sms" is "text"
now), and the old one dropped. No table is rebuilt, on SQLite either (it can add a column
with a CHECK and drop a column nothing else refers to), so the search triggers on
``contacts`` stay as they are and no foreign key sees its table dropped. A stored value
that names no method is not lost: it is kept in the contact's ``profile`` under
``UNRECOGNISED`` (and put back by the downgrade).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

COLUMN = 'preferred_contact_method'
OLD = 'preferred_contact_method_0006'
# ContactMethod's values at this revision; the model's Enum is 8 characters longer than
# the longest, as the app's enum columns are.
METHODS = ('email', 'phone', 'text', 'whatsapp')
LENGTH = 16
OLD_LENGTH = 20
# what the free-text column held (the old form's choices, typed or imported spellings)
# → the method it names; anything else is kept in the profile
SPELLINGS = {
    'email': 'email', 'e-mail': 'email', 'mail': 'email',
    'phone': 'phone', 'phone call': 'phone', 'call': 'phone',
    'sms': 'text', 'text': 'text', 'text message': 'text',
    'whatsapp': 'whatsapp',
}
UNRECOGNISED = 'preferred_contact_method_unrecognised'


def _column(table: str, length: int, constrained: bool) -> sa.Column:
    check = (sa.CheckConstraint(f"{COLUMN} IN {METHODS!r}", name=op.f(f'ck_{table}_{COLUMN}')),
             ) if constrained else ()
    return sa.Column(COLUMN, sa.String(length=length), *check, nullable=True)


def _profile_sql(dialect: str) -> tuple[str, str, str]:
    """(keep the old value in the profile, read it back, remove it) for this database's
    JSON: JSONB on PostgreSQL, JSON text on SQLite."""
    if dialect == 'postgresql':
        return (f"coalesce(profile, '{{}}'::jsonb) || jsonb_build_object('{UNRECOGNISED}', {OLD})",
                f"profile ->> '{UNRECOGNISED}'", f"profile - '{UNRECOGNISED}'")
    return (f"json_set(coalesce(profile, '{{}}'), '$.{UNRECOGNISED}', {OLD})",
            f"json_extract(profile, '$.{UNRECOGNISED}')",
            f"json_remove(profile, '$.{UNRECOGNISED}')")


def upgrade() -> None:
    op.add_column('leads', _column('leads', LENGTH, constrained=True))

    op.execute(f"ALTER TABLE contacts RENAME COLUMN {COLUMN} TO {OLD}")
    op.add_column('contacts', _column('contacts', LENGTH, constrained=True))
    cases = " ".join(f"WHEN '{spelled}' THEN '{method}'"
                     for spelled, method in SPELLINGS.items())
    mapped = f"CASE lower(trim({OLD})) {cases} END"
    op.execute(f"UPDATE contacts SET {COLUMN} = {mapped} WHERE {OLD} IS NOT NULL")
    keep, _, _ = _profile_sql(op.get_bind().dialect.name)
    op.execute(f"UPDATE contacts SET profile = {keep} "
               f"WHERE {OLD} IS NOT NULL AND trim({OLD}) <> '' AND {COLUMN} IS NULL")
    op.execute(f"ALTER TABLE contacts DROP COLUMN {OLD}")


def downgrade() -> None:
    op.drop_column('leads', COLUMN)

    op.execute(f"ALTER TABLE contacts RENAME COLUMN {COLUMN} TO {OLD}")
    op.add_column('contacts', _column('contacts', OLD_LENGTH, constrained=False))
    _, kept, removed = _profile_sql(op.get_bind().dialect.name)
    # the old form called a text message "sms"; WhatsApp stays as it is
    op.execute(f"UPDATE contacts SET {COLUMN} = CASE {OLD} WHEN 'text' THEN 'sms' "
               f"ELSE {OLD} END WHERE {OLD} IS NOT NULL")
    op.execute(f"UPDATE contacts SET {COLUMN} = {kept}, profile = {removed} "
               f"WHERE {kept} IS NOT NULL")
    op.execute(f"ALTER TABLE contacts DROP COLUMN {OLD}")
