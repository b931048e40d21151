"""Migrations are frozen: each one carries what it needs as of its revision and imports
nothing of the app (``orchid_desktop``), whose modules may change later and would then
silently change what an old migration does.

Every file in the versions folder is checked, so a new migration is too: statically (no
import of the app anywhere in it) and by running them all in a fresh interpreter where any
import of ``orchid_desktop`` fails, through Alembic with a stand-in env.py that has no
``target_metadata`` (so nothing of the models' naming convention either). The schema built
that way must be the one the app's own upgrade builds (env.py, live models loaded).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from orchid_desktop.db import migrate

MIGRATIONS = Path(migrate.alembic_config().get_main_option("script_location"))
VERSIONS = MIGRATIONS / "versions"
APP = "orchid_desktop"


def _version_files() -> list[Path]:
    # what Alembic loads as revisions: every .py file but __init__.py
    return sorted(p for p in VERSIONS.glob("*.py") if not p.name.startswith("__init__"))


def _is_app(module: str | None) -> bool:
    return bool(module) and (module == APP or module.startswith(APP + "."))


def _app_imports(source: str) -> list[str]:
    """Each import of the app in ``source``, anywhere in it (functions included)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if _is_app(a.name)]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the package the migrations live in
                found.append(f"from {'.' * node.level}{node.module or ''} import …")
            elif _is_app(node.module):
                found.append(f"from {node.module} import …")
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            arg = node.args[0]
            if (name in ("__import__", "import_module") and isinstance(arg, ast.Constant)
                    and isinstance(arg.value, str) and _is_app(arg.value)):
                found.append(f"{name}({arg.value!r})")
    found += [m.group(0).strip() for m in
              re.finditer(rf"^\s*(?:from|import)\s+{APP}\b.*$", source, re.MULTILINE)]
    return found


def test_there_are_migrations_to_check():
    names = [p.name for p in _version_files()]
    assert names[:6] == ["0001_initial_schema.py", "0002_list_indexes_and_search.py",
                         "0003_screening_queue.py", "0004_campaign_authoring.py",
                         "0005_category_stats.py", "0006_outbox_queued_index.py"]


@pytest.mark.parametrize("path", _version_files(), ids=lambda p: p.name)
def test_a_migration_does_not_import_the_app(path):
    assert _app_imports(path.read_text(encoding="utf-8")) == [], (
        f"{path.name} imports the app; copy what it needs into the migration instead "
        "(a frozen copy as of its revision)")


def test_the_static_check_finds_imports_of_the_app():
    found = _app_imports(textwrap.dedent("""\
        import orchid_desktop.db
        from orchid_desktop.domain import search_terms
        from . import sibling
        def later():
            from orchid_desktop.db.models.base import UTCDateTime
            importlib.import_module("orchid_desktop.db.search_index")
        x = "orchid_desktop/db/search_index.py is where the app keeps it"
        import orchid_desktopper
        """))
    assert len([f for f in found if not f.startswith(("import ", "from "))]) == 1
    assert "import orchid_desktop.db" in found
    assert "from orchid_desktop.domain import …" in found
    assert "from . import …" in found
    assert "from orchid_desktop.db.models.base import …" in found
    assert "import_module('orchid_desktop.db.search_index')" in found
    assert not any("orchid_desktopper" in f or "is where" in f for f in found)


# The stand-in for env.py: the connection given, and nothing else (no target_metadata,
# so no naming convention of the models' either).
STAND_IN_ENV = """\
from alembic import context

context.configure(connection=context.config.attributes["connection"])
with context.begin_transaction():
    context.run_migrations()
"""

# Run in a fresh interpreter: argv[1] is a JSON request {url, versions, script_location,
# steps}; each step is ["upgrade", revision] or ["sql", statement].
BLOCKED_RUN = r"""
import importlib.abc, importlib.util, json, sys

APP = "orchid_desktop"
attempts = []


class RefuseTheApp(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == APP or name.startswith(APP + "."):
            attempts.append(name)
            raise ImportError(f"a migration imported the app: {name}")
        return None


assert not [m for m in sys.modules if m == APP or m.startswith(APP + ".")]
sys.meta_path.insert(0, RefuseTheApp())
request = json.loads(sys.argv[1])

from pathlib import Path

loaded = []
for path in sorted(Path(request["versions"]).glob("*.py")):
    if path.name.startswith("__init__"):
        continue
    spec = importlib.util.spec_from_file_location(f"frozen_check_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    loaded.append([path.name, module.revision, module.down_revision])

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

config = Config()
config.set_main_option("script_location", request["script_location"])
config.set_main_option("version_locations", request["versions"])
config.set_main_option("path_separator", "os")
engine = create_engine(request["url"])
for kind, arg in request["steps"]:
    with engine.begin() as connection:
        if kind == "upgrade":
            config.attributes["connection"] = connection
            command.upgrade(config, arg)
        else:
            connection.execute(text(arg))
with engine.connect() as connection:
    current = sorted(MigrationContext.configure(connection).get_current_heads())
engine.dispose()
print(json.dumps({
    "loaded": loaded,
    "current": current,
    "heads": sorted(ScriptDirectory.from_config(config).get_heads()),
    "attempts": attempts,
    "app_modules": sorted(m for m in sys.modules if m == APP or m.startswith(APP + ".")),
}))
"""


def _run_blocked(tmp_path: Path, url: str, steps: list[list[str]]) -> dict:
    script_location = tmp_path / "stand_in_migrations"
    script_location.mkdir(exist_ok=True)
    (script_location / "env.py").write_text(STAND_IN_ENV, encoding="utf-8")
    request = {"url": url, "versions": str(VERSIONS),
               "script_location": str(script_location), "steps": steps}
    done = subprocess.run([sys.executable, "-c", BLOCKED_RUN, json.dumps(request)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-6000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert [row[0] for row in report["loaded"]] == [p.name for p in _version_files()]
    assert report["attempts"] == [] and report["app_modules"] == []
    return report


def _upgrade_the_apps_way(url: str) -> None:
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()


def _sqlite_schema(url: str) -> list[str]:
    """sqlite_master, sorted; within a CREATE TABLE the table constraints are sorted too,
    because Alembic's batch mode writes those of a rebuilt table in set order, which
    varies from one run to the next."""
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT type, name, tbl_name, sql FROM sqlite_master"))
        entries = []
        for type_, name, table, sql in rows:
            lines = (sql or "").split("\n")
            constraints = sorted(line.rstrip().rstrip(",") for line in lines
                                 if line.startswith("\tCONSTRAINT "))
            others = [line.rstrip() for line in lines
                      if not line.startswith("\tCONSTRAINT ")]
            if constraints:
                others[-1:-1] = constraints
            entries.append(f"{type_}|{name}|{table}|" + "\n".join(others))
    engine.dispose()
    return sorted(entries)


PG_CATALOG = {
    "tables": "SELECT c.relname, c.relkind FROM pg_class c WHERE c.relnamespace = "
              "'public'::regnamespace ORDER BY 1",
    "columns": "SELECT c.relname, a.attnum, a.attname, "
               "format_type(a.atttypid, a.atttypmod), a.attnotnull, "
               "pg_get_expr(d.adbin, d.adrelid), a.attgenerated::text "
               "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
               "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
               "WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 "
               "AND NOT a.attisdropped ORDER BY 1, 2",
    "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                   "FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
                   "ORDER BY 1, 2",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes "
               "WHERE schemaname = 'public' ORDER BY 1, 2",
    "triggers": "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) "
                "FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2",
    "functions": "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p "
                 "WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1",
}


def _pg_schema(url: str) -> dict[str, list[list[str]]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        catalog = {key: [[str(v) for v in row] for row in connection.execute(text(query))]
                   for key, query in PG_CATALOG.items()}
    engine.dispose()
    return catalog


def _reset_pg(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


SAME_SCHEMA = ("the migrations run without the app build a different schema than the app's "
               "upgrade: a migration depends on env.py's target_metadata (the models' "
               "naming convention?); name its constraints in full with op.f(…)")

# People present before revision 0002, whose search text 0002 computes with its frozen
# copy of the search words: the expected texts are those of revision 0002.
SEED_0001 = [
    "INSERT INTO leads (status, received_at, raw_form_data, first_name, last_name, email, "
    "email_normalized, phone_e164, applicant_type, source) VALUES ('new', "
    "'2026-01-01 00:00:00', '{}', 'Zoë', 'Ångström-Ñuñez', 'Zoe.A@Example.com', "
    "'zoe.a@example.com', '+14155550123', 'egg_donor', 'website')",
    "INSERT INTO contacts (stage, stage_changed_at, country, profile, first_name, "
    "last_name, phone_e164, applicant_type, source) VALUES ('inquiry', "
    "'2026-01-01 00:00:00', 'GB', '{}', 'O''Brien', 'MÜLLER', '+442079460958', "
    "'gestational_carrier', 'referral')",
]
FILLED_STEPS = [["upgrade", "0001"], *(["sql", s] for s in SEED_0001), ["upgrade", "heads"]]
SEARCH_TEXT_0002 = {
    "leads": "zoe angstrom nunez a example com 14155550123 4155550123 5550123 0123",
    "contacts": "o brien muller 442079460958 2079460958 9460958 0958",
}


def _search_texts(url: str) -> dict[str, str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        texts = {table: connection.execute(
                     text(f"SELECT search_text FROM {table}")).scalar_one()
                 for table in SEARCH_TEXT_0002}
    engine.dispose()
    return texts


def test_sqlite_upgrades_without_the_app_to_the_apps_schema(tmp_path):
    blocked = f"sqlite:///{tmp_path}/blocked.db"
    report = _run_blocked(tmp_path, blocked, [["upgrade", "heads"]])
    assert report["current"] == report["heads"]
    reference = f"sqlite:///{tmp_path}/reference.db"
    _upgrade_the_apps_way(reference)
    assert _sqlite_schema(blocked) == _sqlite_schema(reference), SAME_SCHEMA


def test_sqlite_backfill_without_the_app(tmp_path):
    url = f"sqlite:///{tmp_path}/filled.db"
    report = _run_blocked(tmp_path, url, FILLED_STEPS)
    assert report["current"] == report["heads"]
    assert _search_texts(url) == SEARCH_TEXT_0002
    engine = create_engine(url)
    with engine.connect() as connection:
        for table, word in (("leads", "angstrom"), ("contacts", "2079460958")):
            hits = connection.execute(text(
                f"SELECT rowid FROM fts_{table} WHERE fts_{table} MATCH :q"),
                {"q": f'"{word}"*'})
            assert hits.scalars().all() == [1]
    engine.dispose()


@pytest.mark.postgres
def test_postgresql_upgrades_without_the_app_to_the_apps_schema(pg_url, tmp_path):
    report = _run_blocked(tmp_path, pg_url, [["upgrade", "heads"]])
    assert report["current"] == report["heads"]
    blocked = _pg_schema(pg_url)
    _reset_pg(pg_url)
    _upgrade_the_apps_way(pg_url)
    assert blocked == _pg_schema(pg_url), SAME_SCHEMA


@pytest.mark.postgres
def test_postgresql_backfill_without_the_app(pg_url, tmp_path):
    report = _run_blocked(tmp_path, pg_url, FILLED_STEPS)
    assert report["current"] == report["heads"]
    assert _search_texts(pg_url) == SEARCH_TEXT_0002
    engine = create_engine(pg_url)
    with engine.connect() as connection:
        hit = connection.execute(text(
            "SELECT id FROM leads WHERE fts_vector @@ to_tsquery('simple', 'angstrom:*')"))
        assert hit.scalars().all() == [1]
    engine.dispose()
