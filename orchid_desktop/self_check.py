"""What ``--smoke-test`` checks beyond opening the window: that every library the app
needs at run time imports — in a frozen bundle a missing hidden import or a damaged
shared library otherwise surfaces only when a user first imports a spreadsheet."""

from __future__ import annotations

import importlib

from orchid_desktop.errors import UserError

RUNTIME_MODULES = (
    "pandas", "openpyxl", "python_calamine", "jinja2.sandbox", "email_validator",
    "phonenumbers", "sendgrid", "apscheduler.schedulers.background", "keyring",
    "platformdirs", "psycopg", "sqlalchemy.dialects.postgresql.psycopg", "alembic",
    "tzlocal", "zoneinfo",
)


def check_runtime_imports() -> None:
    failed = []
    for name in RUNTIME_MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # any failure to load is what we are looking for
            failed.append(f"{name} ({exc.__class__.__name__}: {exc})")
    try:
        import psycopg

        psycopg.pq.version()  # loads the binary libpq
    except Exception as exc:
        failed.append(f"psycopg's libpq ({exc})")
    if failed:
        raise UserError("These libraries cannot be loaded: " + "; ".join(failed))
