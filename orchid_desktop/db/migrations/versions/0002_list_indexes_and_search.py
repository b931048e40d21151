"""list indexes and search

One partial index per sort order of the Leads and Contacts lists (active rows only), a
``search_text`` column filled from the existing rows, and the full-text index over it
(FTS5 on SQLite, GIN tsvector on PostgreSQL; the app's side of it is
orchid_desktop/db/search_index.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 20:04:45.618778
"""
import re
import unicodedata

import phonenumbers
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


# --- Frozen copy, as of revision 0002, of the search index SQL (the app's module is
# orchid_desktop/db/search_index.py). A migration must keep doing what it did when it was
# written, so it does not import the app's module, which may change later; do not edit
# this copy to follow it.
_SEARCHED_TABLES = ("leads", "contacts")
_PREFIX = "fts_"


def _sqlite_create_sql(table_name: str) -> list[str]:
    fts = _PREFIX + table_name
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(search_text, content='{table_name}', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
        *_sqlite_trigger_sql(table_name),
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def _sqlite_trigger_sql(table_name: str) -> list[str]:
    fts = _PREFIX + table_name
    insert = f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text);"
    delete = (f"INSERT INTO {fts}({fts}, rowid, search_text) "
              "VALUES ('delete', old.id, old.search_text);")
    return [
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table_name} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table_name} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF search_text ON {table_name} "
        f"BEGIN {delete} {insert} END",
    ]


def _sqlite_drop_sql(table_name: str) -> list[str]:
    fts = _PREFIX + table_name
    return [*(f"DROP TRIGGER IF EXISTS {fts}_{t}" for t in ("ai", "ad", "au")),
            f"DROP TABLE IF EXISTS {fts}"]


def _postgresql_create_sql(table_name: str) -> list[str]:
    return [f"ALTER TABLE {table_name} ADD COLUMN {_PREFIX}vector tsvector GENERATED ALWAYS "
            "AS (to_tsvector('simple', search_text)) STORED",
            f"CREATE INDEX {_PREFIX}{table_name} ON {table_name} USING gin ({_PREFIX}vector)"]


def _postgresql_drop_sql(table_name: str) -> list[str]:
    return [f"DROP INDEX IF EXISTS {_PREFIX}{table_name}",
            f"ALTER TABLE {table_name} DROP COLUMN IF EXISTS {_PREFIX}vector"]


# --- Frozen copy, as of revision 0002, of how a person's search text is made (fold,
# phone_words and search_text of orchid_desktop/domain/search_terms.py), for filling
# ``search_text`` on the rows that exist when this migration runs. Copied rather than
# imported so that a later change to the app's words does not change this backfill.
_WORD = re.compile(r"[^\W_]+")
# A NANP number in E.164 (+1 and ten ASCII digits, the first 2-9).
_NANP_E164 = re.compile(r"\+1[2-9][0-9]{9}")


def _fold(text: str) -> list[str]:
    """The words of ``text``, accent-free and lower-case."""
    if text.isascii():
        # the same words, faster: ASCII has nothing to decompose and its case folding
        # is lower()
        return _WORD.findall(text.lower())
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _WORD.findall(stripped.casefold())


def _phone_words(e164: str | None) -> list[str]:
    """The number in full, its national number (without country code or trunk 0), and
    its last 7 and 4 digits."""
    if not e164:
        return []
    digits = e164.lstrip("+")
    variants = [digits]
    if _NANP_E164.fullmatch(e164):
        # +1 is the US's code; a national number starting 2-9 has no national prefix
        # ("1") to strip, so it is the 10 digits.
        variants.append(e164[2:])
    else:
        try:
            variants.append(phonenumbers.national_significant_number(phonenumbers.parse(e164)))
        except phonenumbers.NumberParseException:
            pass
    variants += [digits[-7:], digits[-4:]]
    return list(dict.fromkeys(variants))


def _search_text(first_name: str | None, last_name: str | None, email: str | None,
                 phone_e164: str | None) -> str:
    words: list[str] = []
    for part in (first_name, last_name, email):
        if part:
            words += _fold(part)
    words += _phone_words(phone_e164)
    return " ".join(dict.fromkeys(words))
# --- end of the frozen copies


def upgrade() -> None:
    op.create_table('document_contents',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_document_contents'))
    )
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))
        batch_op.drop_index(batch_op.f('ix_contacts_created_at'))
        batch_op.drop_index(batch_op.f('ix_contacts_last_name_first_name'))
        batch_op.drop_index(batch_op.f('ix_contacts_stage_updated_at'))
        batch_op.create_index('ix_contacts_list_applicant_type_created_at', ['applicant_type', 'created_at', 'id'], unique=False, sqlite_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'), postgresql_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'))
        batch_op.create_index('ix_contacts_list_created_at', ['created_at', 'id'], unique=False, sqlite_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'), postgresql_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'))
        batch_op.create_index('ix_contacts_list_email_normalized', ['email_normalized', 'id'], unique=False, sqlite_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'), postgresql_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'))
        batch_op.create_index('ix_contacts_list_last_name_first_name', ['last_name', 'first_name', 'id'], unique=False, sqlite_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'), postgresql_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'))
        batch_op.create_index('ix_contacts_list_phone_e164', ['phone_e164', 'id'], unique=False, sqlite_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'), postgresql_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'))
        batch_op.create_index('ix_contacts_list_stage_created_at', ['stage', 'created_at', 'id'], unique=False, sqlite_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'), postgresql_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'))
        batch_op.create_index('ix_contacts_list_state_created_at', ['state', 'created_at', 'id'], unique=False, sqlite_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'), postgresql_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'))

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))
        batch_op.drop_index(batch_op.f('ix_leads_last_name_first_name'))
        batch_op.drop_index(batch_op.f('ix_leads_received_at'))
        batch_op.drop_index(batch_op.f('ix_leads_status_received_at'))
        batch_op.create_index('ix_leads_list_applicant_type_received_at', ['applicant_type', 'received_at', 'id'], unique=False, sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))
        batch_op.create_index('ix_leads_list_email_normalized', ['email_normalized', 'id'], unique=False, sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))
        batch_op.create_index('ix_leads_list_last_name_first_name', ['last_name', 'first_name', 'id'], unique=False, sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))
        batch_op.create_index('ix_leads_list_phone_e164', ['phone_e164', 'id'], unique=False, sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))
        batch_op.create_index('ix_leads_list_received_at', ['received_at', 'id'], unique=False, sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))
        batch_op.create_index('ix_leads_list_source_received_at', ['source', 'received_at', 'id'], unique=False, sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))
        batch_op.create_index('ix_leads_list_status_received_at', ['status', 'received_at', 'id'], unique=False, sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))

    # ### end Alembic commands ###
    connection = op.get_bind()
    for table_name in _SEARCHED_TABLES:
        _fill_search_text(connection, table_name)
        create = (_sqlite_create_sql if connection.dialect.name == "sqlite"
                  else _postgresql_create_sql)
        for statement in create(table_name):
            op.execute(statement)


def _fill_search_text(connection, table_name: str) -> None:
    people = sa.table(table_name, sa.column("id"), sa.column("first_name"),
                      sa.column("last_name"), sa.column("email"), sa.column("phone_e164"),
                      sa.column("search_text"))
    rows = connection.execute(sa.select(people.c.id, people.c.first_name, people.c.last_name,
                                        people.c.email, people.c.phone_e164)).all()
    if rows:
        connection.execute(
            people.update().where(people.c.id == sa.bindparam("row_id"))
            .values(search_text=sa.bindparam("text")),
            [{"row_id": r.id, "text": _search_text(r.first_name, r.last_name, r.email,
                                                    r.phone_e164)} for r in rows])


def downgrade() -> None:
    connection = op.get_bind()
    for table_name in _SEARCHED_TABLES:
        drop = (_sqlite_drop_sql if connection.dialect.name == "sqlite"
                else _postgresql_drop_sql)
        for statement in drop(table_name):
            op.execute(statement)
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_list_status_received_at', sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))
        batch_op.drop_index('ix_leads_list_source_received_at', sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))
        batch_op.drop_index('ix_leads_list_received_at', sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))
        batch_op.drop_index('ix_leads_list_phone_e164', sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))
        batch_op.drop_index('ix_leads_list_last_name_first_name', sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))
        batch_op.drop_index('ix_leads_list_email_normalized', sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))
        batch_op.drop_index('ix_leads_list_applicant_type_received_at', sqlite_where=sa.text('archived_at IS NULL'), postgresql_where=sa.text('archived_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_leads_status_received_at'), ['status', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_last_name_first_name'), ['last_name', 'first_name'], unique=False)
        batch_op.drop_column('search_text')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_list_state_created_at', sqlite_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'), postgresql_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'))
        batch_op.drop_index('ix_contacts_list_stage_created_at', sqlite_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'), postgresql_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'))
        batch_op.drop_index('ix_contacts_list_phone_e164', sqlite_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'), postgresql_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'))
        batch_op.drop_index('ix_contacts_list_last_name_first_name', sqlite_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'), postgresql_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'))
        batch_op.drop_index('ix_contacts_list_email_normalized', sqlite_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'), postgresql_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'))
        batch_op.drop_index('ix_contacts_list_created_at', sqlite_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'), postgresql_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'))
        batch_op.drop_index('ix_contacts_list_applicant_type_created_at', sqlite_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'), postgresql_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_contacts_stage_updated_at'), ['stage', 'updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_last_name_first_name'), ['last_name', 'first_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_created_at'), ['created_at'], unique=False)
        batch_op.drop_column('search_text')

    op.drop_table('document_contents')
    # ### end Alembic commands ###
