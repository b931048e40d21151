"""The window and the tray with the background scheduler: Send due now, the status bar
while sending, notifications for a refused key, the tray's menu and tooltip."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from orchid_desktop.db.models import AgencySettings, OutboxMessage
from orchid_desktop.domain.vocab import OutboxStatus
from orchid_desktop.services.dispatch import DispatchReport
from orchid_desktop.services.sending_state import SendingMode, SendingSnapshot
from orchid_desktop.ui.icons import app_icon
from orchid_desktop.ui.main_window import _dispatch_words
from orchid_desktop.ui.sending_bridge import SendingBridge
from orchid_desktop.ui.tray import Tray, tooltip
from tests.campaign_helpers import ready_to_send
from tests.outbox_helpers import add_people, queue_messages


def _saved(context) -> int:
    with context.sessions() as session:
        return session.scalar(select(func.count()).where(
            OutboxMessage.status == OutboxStatus.SAVED_LOCALLY))


def test_send_due_now_sends_in_the_background_and_the_status_bar_says_so(window, qtbot, context):
    sender = ready_to_send(context, daily_limit=10_000)
    with context.sessions.begin() as session:
        session.get(AgencySettings, 1).global_rate_per_minute = 100_000
        queue_messages(session, add_people(session, 25), sender_id=sender)
    bridge = SendingBridge(context, dispatch_seconds=3600, parent=window)
    window.attach_sending(bridge)
    events = []
    bridge.news.connect(lambda kind, payload: events.append(kind))
    bridge.start()
    try:
        assert window.send_now_action.isEnabled()
        window.send_now_action.trigger()
        qtbot.waitUntil(lambda: _saved(context) == 25, timeout=15_000)
        qtbot.waitUntil(lambda: "dispatched" in events, timeout=5_000)
        qtbot.waitUntil(lambda: "25 saved to the local outbox" in
                        window.statusBar().currentMessage(), timeout=5_000)
        assert "progress" in events
        assert window.sending_label.text() == "Sending: local mode"
    finally:
        bridge.stop()


def test_progress_shows_in_the_status_bar(window, qtbot):
    report = DispatchReport(claimed=5000, sent=2000)
    window._on_sending_event("progress", report)
    assert window.sending_label.text() == "Sending now: 2,000 of 5,000…"
    assert window.sending_label.property("state") == "busy"
    window._on_sending_event("dispatched", DispatchReport(claimed=5000, sent=4990, failed=10))
    assert window.statusBar().currentMessage() == _dispatch_words(
        DispatchReport(sent=4990, failed=10))


def test_a_refused_key_is_told_in_the_status_bar_and_as_a_notice(window, qtbot):
    notices = []
    window.notice.connect(lambda title, text: notices.append((title, text)))
    window._on_sending_event("key refused", "SendGrid refused the API key (401)")
    assert notices == [("Sending paused: SendGrid refused the key",
                        "SendGrid refused the API key (401)")]
    assert "refused the key" in window.statusBar().currentMessage()


# the offscreen platform has no tray host to watch for
@pytest.mark.qt_log_ignore("systemTrayWindowChanged")
def test_tray_menu_and_tooltip(window, qtbot):
    tray = Tray(window, app_icon())
    try:
        texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
        assert texts == ["Show Orchid Desktop", "&Pause sending", "Send &due now",
                         "&Quit Orchid Desktop"]
        snap = SendingSnapshot(SendingMode.RUNNING, "", 1234,
                               2, datetime(2026, 12, 1, 18, 0, tzinfo=UTC))
        window.status_changed.emit(snap)
        assert tray.icon.toolTip() == tooltip(snap)
        assert "1,234 emails waiting" in tooltip(snap) and "2 uncertain" in tooltip(snap)
        assert "Next send:" in tooltip(snap)
    finally:
        tray.hide()
