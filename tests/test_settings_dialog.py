"""The Settings dialog, driven through its widgets against real services: a fake
SendGrid for the key check, a real PostgreSQL for the connection test."""

from datetime import time

import pytest
from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import QMessageBox

from orchid_desktop.config.secrets import SENDGRID_API_KEY
from orchid_desktop.services import agency, senders
from orchid_desktop.ui.application import make_qapplication
from orchid_desktop.ui.settings_dialog import SettingsDialog
from tests.fakes.sendgrid_server import FakeSendGrid


@pytest.fixture
def dialog(qtbot, context):
    make_qapplication()
    dlg = SettingsDialog(context)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


@pytest.fixture
def warnings(monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda parent, title, text, *a: shown.append(text))
    return shown


def test_saving_the_agency_page_updates_the_database_and_audits(dialog, context, warnings):
    dialog.name_edit.setText("Bloom Fertility Agency")
    dialog.address_edit.setPlainText("100 Main St\nAustin, TX 78701")
    dialog.tz_combo.setCurrentText("America/Chicago")
    dialog.start_edit.setTime(QTime(8, 30))
    dialog.weekday_boxes[5].setChecked(True)  # Saturday
    dialog.save()
    assert warnings == []
    saved = agency.load_agency(context.sessions)
    assert saved.name == "Bloom Fertility Agency"
    assert saved.time_zone == "America/Chicago"
    assert saved.window_start == time(8, 30)
    assert saved.weekdays == "123456"
    assert saved.version == 2


def test_unsubscribe_group_sending_rate_and_warm_up_are_saved(dialog, context, warnings,
                                                              qtbot):
    dialog.asm_edit.setText("4321")
    dialog.rate_spin.setValue(1200)
    dialog.add_sender_button.click() if hasattr(dialog, "add_sender_button") else \
        dialog._append_sender(senders.SenderRow(None, "", "", 500, warm_up=True))
    last = dialog.sender_table.rowCount() - 1
    dialog.sender_table.item(last, 0).setText("new@example.org")
    dialog.sender_table.item(last, 1).setText("Bloom Team")
    dialog.save()
    assert warnings == []
    saved = agency.load_agency(context.sessions)
    assert (saved.asm_group_id, saved.rate_per_minute) == (4321, 1200)
    assert [r.warm_up for r in senders.list_senders(context.sessions)] == [True]
    again = SettingsDialog(context)
    qtbot.addWidget(again)
    assert again.asm_edit.text() == "4321" and again.rate_spin.value() == 1200
    assert again.sender_table.item(0, 3).checkState() == Qt.CheckState.Checked


def test_invalid_values_are_all_listed_and_nothing_is_saved(dialog, context, warnings):
    dialog.tz_combo.setCurrentText("Mars/Olympus")
    dialog.end_edit.setTime(QTime(7, 0))
    dialog._append_sender(senders.SenderRow(None, "not-an-address", "Ann", 10))
    dialog._append_sender(senders.SenderRow(None, "team@example.org", "", 0))
    dialog.shared_radio.setChecked(True)
    dialog.url_edit.setText("mysql://x@y/z")
    dialog.save()
    assert len(warnings) == 1
    for fragment in ("not a time zone", "must end after it starts", "not a valid email",
                     "give the name", "daily limit", "not supported"):
        assert fragment in warnings[0]
    assert agency.load_agency(context.sessions).version == 1
    assert context.settings.get("database.mode") == "local"


def test_sender_identities_are_added_and_removed(dialog, context, warnings, qtbot):
    dialog._append_sender(senders.SenderRow(None, " Recruit@Example.org ", "Bloom Team", 300))
    dialog.save()
    assert warnings == []
    rows = senders.list_senders(context.sessions)
    assert [(r.from_email, r.from_name, r.daily_limit) for r in rows] == \
        [("recruit@example.org", "Bloom Team", 300)]
    again = SettingsDialog(context)
    qtbot.addWidget(again)
    again.sender_table.setCurrentCell(0, 0)
    again._remove_sender()
    again.save()
    assert senders.list_senders(context.sessions) == []


def test_a_conflicting_edit_from_another_workstation_is_reported(dialog, context, warnings):
    other = agency.load_agency(context.sessions)
    other.name = "Saved elsewhere"
    agency.save_agency(context.sessions, other, context.staff_id)
    dialog.name_edit.setText("Mine")
    dialog.save()
    assert "changed on another workstation" in warnings[0]
    assert agency.load_agency(context.sessions).name == "Saved elsewhere"


def test_the_api_key_goes_to_the_keyring_only(dialog, context, memory_keyring, warnings):
    dialog.api_key_edit.setText("SG.abc")
    dialog.save()
    assert memory_keyring.secrets[("orchid-desktop", SENDGRID_API_KEY)] == "SG.abc"
    assert "SG.abc" not in context.paths.settings_file.read_text()


@pytest.mark.parametrize("key, ok, fragment", [
    ("SG.test-key", True, "works and may send mail"),
    ("SG.wrong", False, "refused this key"),
])
def test_test_key_asks_sendgrid(dialog, qtbot, monkeypatch, key, ok, fragment):
    with FakeSendGrid() as fake:
        monkeypatch.setenv("ORCHID_SENDGRID_HOST", fake.host)
        dialog.api_key_edit.setText(key)
        dialog.test_key_button.click()
        qtbot.waitUntil(lambda: fragment in dialog.key_result.text(), timeout=10_000)
        assert dialog.key_result.property("ok") == ("true" if ok else "false")
        assert ("GET", "/v3/scopes") in fake.requests


def test_test_key_says_when_sendgrid_cannot_be_reached(dialog, qtbot, monkeypatch):
    monkeypatch.setenv("ORCHID_SENDGRID_HOST", "http://127.0.0.1:9")
    dialog.api_key_edit.setText("SG.x")
    dialog.test_key_button.click()
    qtbot.waitUntil(lambda: "Could not reach SendGrid" in dialog.key_result.text(),
                    timeout=10_000)


@pytest.mark.postgres
def test_test_connection_and_choosing_a_shared_database(dialog, qtbot, pg_url, context,
                                                        memory_keyring, warnings):
    dialog.shared_radio.setChecked(True)
    dialog.url_edit.setText(pg_url)
    dialog.test_db_button.click()
    qtbot.waitUntil(lambda: "Connected to PostgreSQL" in dialog.db_result.text(),
                    timeout=15_000)
    assert "no Orchid Desktop schema yet" in dialog.db_result.text()
    dialog.db_password_edit.setText("pw")
    dialog.save()
    assert warnings == []
    assert context.settings.get("database.mode") == "shared"
    assert "pw" not in context.paths.settings_file.read_text()
    assert any(k[1].startswith("database-password:") for k in memory_keyring.secrets)


def test_test_connection_failure_is_shown_in_plain_words(dialog, qtbot):
    dialog.shared_radio.setChecked(True)
    dialog.url_edit.setText("postgresql+psycopg://orchid@127.0.0.1:1/agency")
    dialog.test_db_button.click()
    qtbot.waitUntil(lambda: "Cannot connect" in dialog.db_result.text(), timeout=15_000)
    assert dialog.db_result.property("ok") == "false"
