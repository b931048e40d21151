"""The main window, driven as a user would: tabs, empty states, demo data, status bar,
pause / resume, closing with and without a tray."""


from orchid_desktop.services.demo import load_demo_data
from orchid_desktop.services.listing import lead_listing
from orchid_desktop.ui.application import make_qapplication
from orchid_desktop.ui.empty_state import EmptyState
from orchid_desktop.ui.main_window import TAB_NAMES, MainWindow
from orchid_desktop.ui.people_model import PeopleTableModel


def test_tabs_open_on_empty_states_that_say_how_to_begin(window):
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == list(TAB_NAMES)
    assert isinstance(window.leads_tab.currentWidget(), EmptyState)
    assert "No leads yet" in window.leads_tab.empty.title_label.text()
    assert "Load demo data" in window.leads_tab.empty.buttons
    assert isinstance(window.screening_tab.currentWidget(), EmptyState)
    assert "DQ settings…" in window.screening_tab.empty.buttons
    for empty in (window.screening_tab.empty, window.campaigns_tab.drips_page.empty):
        assert len(empty.body_label.text()) > 80


def test_status_bar_shows_database_sending_state_and_queue(window, context):
    assert window.database_label.text().startswith("Local database")
    assert str(context.paths.database_file) in window.database_label.text()
    assert window.sending_label.text() == "Sending: local mode"
    assert "No SendGrid key" in window.sending_label.toolTip()
    assert window.queue_label.text() == "Queue: 0 waiting"


def test_a_sendgrid_key_switches_local_mode_to_running(window, context):
    context.secrets.set("sendgrid-api-key", "SG.test")
    window.refresh_status()
    assert window.sending_label.text() == "Sending: running"


def test_pause_and_resume_sending_from_the_menu(window, qtbot):
    window.pause_action.trigger()
    assert window.sending_label.text() == "Sending: paused"
    assert window.pause_action.text() == "&Resume sending"
    window.pause_action.trigger()
    assert window.sending_label.text() == "Sending: local mode"


def test_demo_button_fills_the_tables_off_the_gui_thread(window, qtbot):
    window.leads_tab.empty.buttons["Load demo data"].click()
    qtbot.waitUntil(lambda: window.leads_tab.currentIndex() == 1, timeout=10_000)
    assert window.leads_tab.model.total_rows() == 300
    assert window.contacts_tab.model.total_rows() == 120
    assert "Loaded 300 demo leads" in window.statusBar().currentMessage()


def test_closing_without_a_tray_asks_before_quitting(window, qtbot, monkeypatch):
    monkeypatch.setattr(window, "confirm_quit_without_tray", lambda: False)
    window.close()
    assert window.isVisible()
    monkeypatch.setattr(window, "confirm_quit_without_tray", lambda: True)
    with qtbot.waitSignal(window.quit_requested, timeout=1000):
        window.close()
    assert not window.isVisible()


def test_closing_with_a_tray_hides_the_window_and_keeps_running(qtbot, context):
    make_qapplication()
    win = MainWindow(context, tray_available=True)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.hidden_to_tray, timeout=1000):
        win.close()
    assert not win.isVisible()
    win.bring_forward()
    assert win.isVisible()
    win.request_quit()


def test_the_last_tab_is_remembered(qtbot, context):
    make_qapplication()
    win = MainWindow(context, tray_available=True)
    qtbot.addWidget(win)
    win.tabs.setCurrentIndex(3)
    win.request_quit()
    win.close()
    again = MainWindow(context, tray_available=True)
    qtbot.addWidget(again)
    assert again.tabs.currentIndex() == 3
    again.request_quit()


def test_the_people_model_passes_qt_model_tester(qtmodeltester, context):
    load_demo_data(context.sessions, context.staff_id, leads=450, contacts=5)
    model = PeopleTableModel(lead_listing(context.sessions))
    model.reload()
    assert model.rowCount() == 450  # the whole list is addressable at once…
    assert model.cached_pages() == 0  # …but no row has been read yet
    assert model.index(449, 0).data()  # the last row costs one page
    assert model.cached_pages() == 1
    checked = PeopleTableModel(lead_listing(context.sessions))
    checked.reload()
    qtmodeltester.check(checked, force_py=True)
    # sorted, and with rows read from the far end of the list
    from PySide6.QtCore import Qt
    checked.sort(0, Qt.SortOrder.AscendingOrder)
    assert checked.index(449, 0).data() and checked.index(0, 0).data()
    qtmodeltester.check(checked, force_py=True)


def test_sorting_is_done_by_the_database(context):
    load_demo_data(context.sessions, context.staff_id, leads=30, contacts=0)
    from PySide6.QtCore import Qt

    model = PeopleTableModel(lead_listing(context.sessions))
    model.sort(0, Qt.SortOrder.AscendingOrder)
    names = [model.index(r, 0).data() for r in range(model.rowCount())]
    # the Name column sorts by last name, then first name, as staff file people
    assert names == sorted(names, key=lambda n: (n.split()[-1], n.split()[0]))
