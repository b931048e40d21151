"""Settings: the database, SendGrid and sender identities, the agency and its sending
window. Workstation choices go to the settings file, secrets to the keyring, agency
facts to the database (services decide and validate; this file only lays them out)."""

from __future__ import annotations

from zoneinfo import available_timezones

import phonenumbers
from PySide6.QtCore import Qt
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.config.secrets import SENDGRID_API_KEY, KeyringUnavailable
from orchid_desktop.errors import UserError, ValidationError
from orchid_desktop.services import agency, database_choice, senders

from .qt_convert import py_time, qtime
from .tasks import run_in_background

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    return label


def _result_label() -> QLabel:
    label = QLabel()
    label.setObjectName("checkResult")
    label.setWordWrap(True)
    return label


def _show_result(label: QLabel, ok: bool, text: str) -> None:
    label.setText(text)
    label.setProperty("ok", "true" if ok else "false")
    label.style().polish(label)


class SettingsDialog(QDialog):
    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.setWindowTitle("Settings")
        self.setMinimumSize(640, 560)
        self.keyring_problem = context.secrets.unavailable_reason()
        self.tabs = QTabWidget()
        self.tabs.addTab(self._database_page(), "Database")
        self.tabs.addTab(self._sending_page(), "Sending")
        self.tabs.addTab(self._agency_page(), "Agency")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)

    # -- pages ----------------------------------------------------------------------------
    def _database_page(self) -> QWidget:
        settings = self.context.settings
        self.local_radio = QRadioButton("Local database on this computer")
        self.shared_radio = QRadioButton("Shared PostgreSQL database (several workstations)")
        group = QButtonGroup(self)
        group.addButton(self.local_radio)
        group.addButton(self.shared_radio)
        shared = settings.get("database.mode") == "shared"
        (self.shared_radio if shared else self.local_radio).setChecked(True)
        self.url_edit = QLineEdit(settings.get("database.shared_url"))
        self.url_edit.setPlaceholderText("postgresql+psycopg://orchid@dbserver:5432/orchid")
        self.db_password_edit = QLineEdit()
        self.db_password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.db_password_edit.setPlaceholderText("kept in the system keyring")
        self.test_db_button = QPushButton("Test connection")
        self.test_db_button.clicked.connect(self.test_database)
        self.db_result = _result_label()
        form = QFormLayout()
        form.addRow("URL", self.url_edit)
        form.addRow("Password", self.db_password_edit)
        shared_box = QGroupBox("Shared database")
        box_layout = QVBoxLayout(shared_box)
        box_layout.addLayout(form)
        row = QHBoxLayout()
        row.addWidget(self.test_db_button)
        row.addWidget(self.db_result, 1)
        box_layout.addLayout(row)
        self.shared_radio.toggled.connect(shared_box.setEnabled)
        shared_box.setEnabled(shared)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.local_radio)
        layout.addWidget(_hint(f"Stored in {self.context.paths.database_file}. One workstation "
                               "only: a database file cannot be shared over the network."))
        layout.addWidget(self.shared_radio)
        layout.addWidget(shared_box)
        layout.addWidget(_hint(f"In use now: {self.context.target.describe()}. A change takes "
                               "effect the next time Orchid Desktop starts."))
        layout.addStretch(1)
        return page

    def _sending_page(self) -> QWidget:
        self.api_key_edit = QLineEdit()
        self.api_key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        has_key = bool(self.context.secrets.get(SENDGRID_API_KEY))
        self.api_key_edit.setPlaceholderText(
            "a key is saved (type to replace it)" if has_key else "SG.…")
        self.test_key_button = QPushButton("Test key")
        self.test_key_button.clicked.connect(self.test_key)
        self.key_result = _result_label()
        self.local_mode_box = QCheckBox("Local mode: save emails to the outbox folder instead "
                                        "of sending them")
        self.local_mode_box.setChecked(self.context.settings.get("sending.local_mode"))
        key_row = QHBoxLayout()
        key_row.addWidget(self.api_key_edit, 1)
        key_row.addWidget(self.test_key_button)
        key_box = QGroupBox("SendGrid")
        key_layout = QVBoxLayout(key_box)
        key_layout.addLayout(key_row)
        key_layout.addWidget(self.key_result)
        if self.keyring_problem:
            key_layout.addWidget(_hint(self.keyring_problem))
            self.api_key_edit.setEnabled(False)
        key_layout.addWidget(self.local_mode_box)

        self.sender_table = QTableWidget(0, 4)
        self.sender_table.setHorizontalHeaderLabels(["From address", "From name", "Daily limit",
                                                     "Warm up"])
        header = self.sender_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.model().setHeaderData(
            3, Qt.Orientation.Horizontal,
            "A new address starts at 50 emails a day and doubles each day up to its limit, "
            "so mailbox providers learn to trust it", Qt.ItemDataRole.ToolTipRole)
        self.sender_table.verticalHeader().hide()
        self._sender_ids: list[int | None] = []
        for row in senders.list_senders(self.context.sessions):
            self._append_sender(row)
        add_button = QPushButton("Add sender")
        add_button.clicked.connect(lambda: self._append_sender(
            senders.SenderRow(None, "", "", 500, warm_up=True)))
        remove_button = QPushButton("Remove")
        remove_button.clicked.connect(self._remove_sender)
        sender_buttons = QHBoxLayout()
        sender_buttons.addWidget(add_button)
        sender_buttons.addWidget(remove_button)
        sender_buttons.addStretch(1)
        sender_box = QGroupBox("Sender identities")
        sender_layout = QVBoxLayout(sender_box)
        sender_layout.addWidget(_hint("Addresses verified in SendGrid. Each sends at most its "
                                      "daily limit; with Warm up, a new address starts at 50 "
                                      "a day and doubles daily up to it."))
        sender_layout.addWidget(self.sender_table)
        sender_layout.addLayout(sender_buttons)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(key_box)
        layout.addWidget(sender_box, 1)
        return page

    def _agency_page(self) -> QWidget:
        self.agency_form = agency.load_agency(self.context.sessions)
        form = self.agency_form
        self.name_edit = QLineEdit(form.name)
        self.address_edit = QPlainTextEdit(form.postal_address)
        self.address_edit.setPlaceholderText("Street, city, state ZIP — printed in every "
                                             "marketing email, as the law requires")
        self.address_edit.setFixedHeight(72)
        self.link_edit = QLineEdit(form.application_link)
        self.link_edit.setPlaceholderText("https://youragency.com/apply")
        self.tz_combo = QComboBox()
        self.tz_combo.setEditable(True)
        self.tz_combo.addItems(sorted(available_timezones()))
        self.tz_combo.setCurrentText(form.time_zone)
        self.region_combo = QComboBox()
        self.region_combo.addItems(sorted(phonenumbers.SUPPORTED_REGIONS))
        self.region_combo.setCurrentText(form.default_phone_region)
        self.start_edit = QTimeEdit(qtime(form.window_start))
        self.end_edit = QTimeEdit(qtime(form.window_end))
        for edit in (self.start_edit, self.end_edit):
            edit.setDisplayFormat("HH:mm")
        self.asm_edit = QLineEdit("" if form.asm_group_id is None else str(form.asm_group_id))
        self.asm_edit.setValidator(QIntValidator(1, 2**31 - 1, self.asm_edit))
        self.asm_edit.setPlaceholderText("none: SendGrid's subscription tracking")
        self.asm_edit.setToolTip("The id of the SendGrid unsubscribe group for recruitment "
                                 "email (Marketing → Unsubscribe Groups). Its link and the "
                                 "one-click unsubscribe headers go in every marketing email.")
        self.rate_spin = QSpinBox()
        self.rate_spin.setRange(1, agency.MAX_RATE_PER_MINUTE)
        self.rate_spin.setGroupSeparatorShown(True)
        self.rate_spin.setSuffix(" emails a minute")
        self.rate_spin.setValue(form.rate_per_minute)
        self.rate_spin.setMaximumWidth(240)
        self.asm_edit.setMaximumWidth(320)
        self.weekday_boxes = []
        days = QHBoxLayout()
        for number, label in enumerate(WEEKDAYS, start=1):
            box = QCheckBox(label)
            box.setChecked(str(number) in form.weekdays)
            self.weekday_boxes.append(box)
            days.addWidget(box)
        days.addStretch(1)
        window = QHBoxLayout()
        window.addWidget(self.start_edit)
        window.addWidget(QLabel("to"))
        window.addWidget(self.end_edit)
        zone_hint = _hint("in each recipient's time zone")
        zone_hint.setWordWrap(False)
        window.addWidget(zone_hint)
        window.addStretch(1)
        page = QWidget()
        outer = QVBoxLayout(page)
        layout = QFormLayout()
        outer.addLayout(layout)
        outer.addStretch(1)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addRow("Agency name", self.name_edit)
        layout.addRow("Postal address", self.address_edit)
        layout.addRow("Application link", self.link_edit)
        layout.addRow("Time zone", self.tz_combo)
        layout.addRow("Phone region", self.region_combo)
        layout.addRow("Sending hours", window)
        layout.addRow("Sending days", days)
        layout.addRow("Unsubscribe group", self.asm_edit)
        layout.addRow("Sending rate", self.rate_spin)
        return page

    # -- sender table -----------------------------------------------------------------------
    def _append_sender(self, row: senders.SenderRow) -> None:
        index = self.sender_table.rowCount()
        self.sender_table.insertRow(index)
        for column, value in enumerate((row.from_email, row.from_name, str(row.daily_limit))):
            item = QTableWidgetItem(value)
            if column == 2:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.sender_table.setItem(index, column, item)
        warm_up = QTableWidgetItem()
        warm_up.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable
                         | Qt.ItemFlag.ItemIsSelectable)
        warm_up.setCheckState(Qt.CheckState.Checked if row.warm_up else Qt.CheckState.Unchecked)
        self.sender_table.setItem(index, 3, warm_up)
        self._sender_ids.append(row.id)

    def _remove_sender(self) -> None:
        row = self.sender_table.currentRow()
        if row >= 0:
            self.sender_table.removeRow(row)
            del self._sender_ids[row]

    def sender_rows(self) -> list[senders.SenderRow]:
        rows = []
        for index, sender_id in enumerate(self._sender_ids):
            cell = [(self.sender_table.item(index, c) or QTableWidgetItem("")).text()
                    for c in range(3)]
            try:
                limit = int(cell[2].replace(",", "").strip() or 0)
            except ValueError:
                limit = 0
            warm = self.sender_table.item(index, 3)
            rows.append(senders.SenderRow(
                sender_id, cell[0], cell[1], limit,
                warm is not None and warm.checkState() == Qt.CheckState.Checked))
        return rows

    # -- checks (off the GUI thread: they wait on the network) ------------------------------
    def test_database(self) -> None:
        url, password = self.url_edit.text(), self.db_password_edit.text() or None
        self._run_check(self.test_db_button, self.db_result, "Connecting…",
                        lambda: database_choice.check_shared_database(url, password),
                        lambda message: (True, message))

    def test_key(self) -> None:
        key = self.api_key_edit.text() or self.context.secrets.get(SENDGRID_API_KEY) or ""
        self._run_check(self.test_key_button, self.key_result, "Asking SendGrid…",
                        lambda: senders.check_api_key(key),
                        lambda result: (result.ok, result.message))

    def _run_check(self, button: QPushButton, label: QLabel, waiting: str, job,
                   verdict) -> None:
        """Run ``job`` in the background; show ``verdict(result)`` (ok, text) or the error."""
        button.setEnabled(False)
        _show_result(label, True, waiting)

        def done(result) -> None:
            button.setEnabled(True)
            _show_result(label, *verdict(result))

        def failed(error: Exception) -> None:
            button.setEnabled(True)
            _show_result(label, False, str(error))

        run_in_background(job, done, failed, parent=self)

    # -- saving ------------------------------------------------------------------------------
    def agency_values(self) -> agency.AgencyForm:
        return agency.AgencyForm(
            name=self.name_edit.text(), postal_address=self.address_edit.toPlainText(),
            time_zone=self.tz_combo.currentText().strip(),
            default_phone_region=self.region_combo.currentText(),
            application_link=self.link_edit.text().strip(),
            window_start=py_time(self.start_edit.time()),
            window_end=py_time(self.end_edit.time()),
            weekdays="".join(str(n) for n, box in enumerate(self.weekday_boxes, 1)
                             if box.isChecked()),
            version=self.agency_form.version,
            asm_group_id=int(self.asm_edit.text()) if self.asm_edit.text().strip() else None,
            rate_per_minute=self.rate_spin.value())

    def save(self) -> None:
        """Check everything first, then write: a refused page leaves nothing half-saved."""
        values, rows = self.agency_values(), self.sender_rows()
        problems = agency.validate(values)
        try:
            senders.validate(rows)
        except ValidationError as error:
            problems += error.problems
        try:
            shared_url = (database_choice.shared_url(self.url_edit.text())
                          if self.shared_radio.isChecked() else None)
        except UserError as error:
            problems.append(str(error))
        if problems:
            QMessageBox.warning(self, "Settings not saved", "\n".join(problems))
            return
        try:
            agency.save_agency(self.context.sessions, values, self.context.staff_id)
            senders.replace_senders(self.context.sessions, rows, self.context.staff_id)
            if self.api_key_edit.text().strip():
                self.context.secrets.set(SENDGRID_API_KEY, self.api_key_edit.text().strip())
            if shared_url is not None:
                database_choice.choose_shared(self.context.settings, self.context.secrets,
                                              shared_url, self.db_password_edit.text() or None)
        except (UserError, KeyringUnavailable) as error:
            QMessageBox.warning(self, "Settings not saved", str(error))
            return
        settings = self.context.settings
        settings.set("sending.local_mode", self.local_mode_box.isChecked())
        if shared_url is None:
            database_choice.choose_local(settings)
        settings.save()
        self.accept()
