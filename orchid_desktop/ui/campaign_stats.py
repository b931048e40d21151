"""How a drip campaign (per step) or a mass email did: sent from our outbox, and what
SendGrid reports — delivered, opened, clicked, bounced, spam reports, unsubscribes — with
a daily chart. *Sync now* pulls suppressions and figures from SendGrid off the GUI
thread; the scheduler does the same on its own every few hours."""

from __future__ import annotations

import logging
from datetime import datetime

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from orchid_desktop.app import AppContext
from orchid_desktop.errors import UserError
from orchid_desktop.services import campaign_stats, sendgrid_sync
from orchid_desktop.services.campaign_stats import CampaignStats, Figures

from .tasks import run_in_background
from .template_editor import set_tone

log = logging.getLogger(__name__)
AnyIndex = QModelIndex | QPersistentModelIndex
NO_PARENT = QModelIndex()

DAYS = 30
# column title, figure, whether a rate follows the count
COLUMNS = (("Sent", "sent", False), ("Delivered", "delivered", True),
           ("Opened", "unique_opens", True), ("Clicked", "unique_clicks", True),
           ("Bounced", "bounces", True), ("Spam reports", "spam_reports", True),
           ("Unsubscribed", "unsubscribes", True))


def rate_text(figures: Figures, name: str) -> str:
    if name == "delivered":
        share = figures.delivered / figures.sent if figures.sent else None
    else:
        share = figures.rate(name)
    return f"{share:.1%}" if share is not None else "–"


def when_text(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%a %d %b, %H:%M") if moment else "never"


class StatsTableModel(QAbstractTableModel):
    """One row per step (or the one row of a mass email), then the total."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[tuple[str, Figures]] = []

    def set_stats(self, stats: CampaignStats) -> None:
        self.beginResetModel()
        self.rows = [(r.label, r.figures) for r in stats.rows]
        if len(stats.rows) > 1:
            self.rows.append(("Total", stats.total))
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = NO_PARENT) -> int:
        return 0 if parent.isValid() else len(COLUMNS) + 1

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return "Email" if section == 0 else COLUMNS[section - 1][0]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        label, figures = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return label
            _, name, with_rate = COLUMNS[column - 1]
            count = f"{getattr(figures, name):,}"
            return f"{count}   {rate_text(figures, name)}" if with_rate else count
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and label == "Total" \
                and index.row() == len(self.rows) - 1:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return label
        if role == Qt.ItemDataRole.ToolTipRole and column > 0:
            _, name, _ = COLUMNS[column - 1]
            base = "of sent" if name in ("delivered", "bounces") else "of delivered"
            return f"{getattr(figures, name):,} ({rate_text(figures, name)} {base})"
        return None


class Tile(QFrame):
    """A headline figure: the count large, the rate under it."""

    def __init__(self, title: str):
        super().__init__()
        self.setObjectName("statTile")
        self.value = QLabel("–")
        self.value.setObjectName("statValue")
        self.rate = QLabel("")
        self.rate.setObjectName("statRate")
        caption = QLabel(title)
        caption.setObjectName("statCaption")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(1)
        layout.addWidget(caption)
        layout.addWidget(self.value)
        layout.addWidget(self.rate)


class CampaignStatsDialog(QDialog):
    loaded = Signal()  # figures read and shown
    synced = Signal(str)  # a sync finished (its summary) or failed (the reason)

    def __init__(self, context: AppContext, kind: str, item_id: int, name: str,
                 parent: QWidget | None = None,
                 api_factory: sendgrid_sync.ApiFactory | None = None):
        super().__init__(parent)
        from .stats_chart import StatsChart

        assert kind in ("drip", "mass_email")
        self.context, self.kind, self.item_id = context, kind, item_id
        self.api_factory = api_factory  # None: the service's own SendGrid client
        self.stats: CampaignStats | None = None
        self.syncing = False
        self.setWindowTitle(f"Stats — {name}")
        self.resize(1000, 760)
        self.setStyleSheet(
            "#statTile { background: #f6f3f8; border: 1px solid #e6e0ea; border-radius: 6px; }"
            "#statCaption { color: #6b6270; }"
            "#statValue { font-size: 17pt; font-weight: 600; color: #2f2733; }"
            "#statRate { color: #6b3fa0; }"
            "#statsTitle { font-size: 13pt; font-weight: 600; }")
        title = QLabel(name)
        title.setObjectName("statsTitle")
        self.subtitle = QLabel(f"Last {DAYS} days, per day · totals since the first send")
        self.subtitle.setObjectName("hint")
        self.tiles = {key: Tile(text) for key, text in (
            ("sent", "Sent"), ("delivered", "Delivered"), ("unique_opens", "Opened"),
            ("unique_clicks", "Clicked"), ("bounces", "Bounced"),
            ("unsubscribes", "Unsubscribed"))}
        tiles = QGridLayout()
        tiles.setSpacing(8)
        for column, tile in enumerate(self.tiles.values()):
            tiles.addWidget(tile, 0, column)
        self.chart = StatsChart()
        self.model = StatsTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.setStyleSheet("QTableView::item { padding: 0 8px; }")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.status_label = QLabel()
        self.status_label.setObjectName("hint")
        self.status_label.setWordWrap(True)
        self.result_label = QLabel()
        self.result_label.setObjectName("checkResult")
        self.result_label.setWordWrap(True)
        self.result_label.hide()
        self.sync_button = QPushButton("Sync now")
        self.sync_button.clicked.connect(self.sync_now)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(self.sync_button)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(self.subtitle)
        layout.addLayout(tiles)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.result_label)
        layout.addLayout(bottom)
        self._show_sync_state()
        self.reload()

    # -- SendGrid key and local mode ----------------------------------------------------
    def api_key(self) -> str | None:
        return self.context.secrets.sendgrid_api_key()

    def _show_sync_state(self) -> None:
        has_key = bool(self.api_key())
        self.sync_button.setEnabled(has_key and not self.syncing)
        self.sync_button.setToolTip("" if has_key else "Add a SendGrid API key in Settings "
                                    "to fetch figures.")
        if not has_key:
            self.status_label.setText(
                "Local mode: no SendGrid key is set, so emails are saved as files instead "
                "of being sent, and there are no deliveries, opens or clicks to show. Add "
                "a key in Settings to send and see figures here.")
            return
        stats_at = self.stats.stats_synced_at if self.stats else None
        suppressions_at = self.stats.suppressions_synced_at if self.stats else None
        text = (f"Last synced with SendGrid: figures {when_text(stats_at)}, unsubscribes and "
                f"bounces {when_text(suppressions_at)}. Opens and clicks keep arriving for "
                "days after a send.")
        if self.context.settings.get("sending.local_mode"):
            text = "Local mode is on: new emails are saved as files, not sent. " + text
        self.status_label.setText(text)

    # -- reading ------------------------------------------------------------------------
    def reload(self) -> None:
        sessions, kind, item_id = self.context.sessions, self.kind, self.item_id

        def job() -> CampaignStats:
            with sessions() as session:
                if kind == "drip":
                    return campaign_stats.drip_stats(session, item_id, days=DAYS)
                return campaign_stats.mass_email_stats(session, item_id, days=DAYS)

        run_in_background(job, self._loaded, self._load_failed, parent=self)

    def _loaded(self, stats: CampaignStats) -> None:
        self.stats = stats
        total = stats.total
        for key, tile in self.tiles.items():
            tile.value.setText(f"{getattr(total, key):,}")
            tile.rate.setText("" if key == "sent" else rate_text(total, key))
        self.chart.set_series([d.day for d in stats.days], [d.delivered for d in stats.days],
                              [d.unique_opens for d in stats.days],
                              [d.unique_clicks for d in stats.days])
        self.chart.empty_text = ("No figures from SendGrid yet: press Sync now, or wait for "
                                 "the next automatic sync." if self.api_key() else
                                 "Local mode: nothing was sent through SendGrid, so there "
                                 "are no figures.")
        self.model.set_stats(stats)
        self._show_sync_state()
        self.loaded.emit()

    def _load_failed(self, error: Exception) -> None:
        if not isinstance(error, UserError):
            log.error("reading campaign stats failed", exc_info=error)
        set_tone(self.result_label, f"The figures could not be read: {error}", False)

    # -- syncing ------------------------------------------------------------------------
    def sync_now(self) -> None:
        key = self.api_key()
        if not key or self.syncing:
            return
        self.syncing = True
        self._show_sync_state()
        set_tone(self.result_label, "Fetching unsubscribes, bounces and figures from "
                 "SendGrid…", None)
        sessions, factory = self.context.sessions, self.api_factory

        def job() -> str:
            return sendgrid_sync.sync_now(sessions, key, api_factory=factory)

        run_in_background(job, self._synced, self._sync_failed, parent=self)

    def _synced(self, summary: str) -> None:
        self.syncing = False
        set_tone(self.result_label, summary, True)
        self.synced.emit(summary)
        self.reload()

    def _sync_failed(self, error: Exception) -> None:
        self.syncing = False
        if isinstance(error, UserError):
            text = str(error)
        else:
            log.error("SendGrid sync failed", exc_info=error)
            text = f"The sync did not finish: {error}"
        set_tone(self.result_label, text, False)
        self._show_sync_state()
        self.synced.emit(text)
