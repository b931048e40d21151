"""The Screening tab driven as a screener would: the queue by outcome group with counts,
the evaluation of the selected contact, every decision through its dialog, conversion to
a client, and re-screening off the GUI thread."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from orchid_desktop.db.models import Contact, OutboxMessage
from orchid_desktop.domain.vocab import PipelineStage, ScreeningOutcome
from orchid_desktop.services import contacts, screening_decisions
from orchid_desktop.ui.empty_state import EmptyState
from orchid_desktop.ui.screening_dialogs import (
    ApproveDialog,
    ConvertDialog,
    DeferDialog,
    FlagDialog,
    RejectDialog,
    RequestInfoDialog,
)
from orchid_desktop.ui.screening_tab import ScreeningTab
from tests.people_helpers import add_contact
from tests.test_people_tabs import drive
from tests.test_screening_decisions import edit, passing_contact

TODAY = date.today()


@pytest.fixture
def tab(qtbot, context, monkeypatch):
    errors: list[str] = []
    monkeypatch.setattr(ScreeningTab, "show_error", lambda self, text: errors.append(text))
    widget = ScreeningTab(context, EmptyState("Nothing to screen", "…"))
    widget.errors = errors
    qtbot.addWidget(widget)
    widget.resize(1400, 800)
    return widget


@pytest.fixture
def queue(context):
    """Three contacts: one every rule passes, one the rules disqualify, one half-filled."""
    passed = passing_contact(context, "Pat", "pat@example.com")
    dq = passing_contact(context, "Dee", "dee@example.com")
    edit(context, dq, nicotine="yes")
    needs = add_contact(context, "Nia", "Data", "nia@example.com")
    return {"passed": passed, "dq": dq, "needs": needs}


def group_texts(tab) -> list[str]:
    return [tab.group_list.item(i).text() for i in range(tab.group_list.count())]


def listed(tab) -> list[str]:
    return [tab.model.index(r, 0).data() for r in range(tab.model.rowCount())]


def choose_group(tab, label: str) -> None:
    for row in range(tab.group_list.count()):
        if tab.group_list.item(row).text().startswith(label):
            tab.group_list.setCurrentRow(row)
            return
    raise AssertionError(label)


def choose(tab, name: str) -> None:
    row = listed(tab).index(name)
    tab.table.selectRow(row)


def stage_of(context, contact_id) -> PipelineStage:
    with context.sessions() as session:
        return session.get(Contact, contact_id).stage


def test_an_empty_database_shows_how_to_begin(tab):
    assert tab.currentWidget() is tab.empty


def test_the_queue_groups_by_outcome_with_counts_and_shows_what_fired(tab, queue):
    tab.refresh()
    assert tab.currentIndex() == 1
    texts = group_texts(tab)
    assert texts[0] == "All  (3)"
    assert "DQ  (1)" in texts and "Passed  (1)" in texts and "Needs data  (1)" in texts
    choose_group(tab, "DQ")
    assert listed(tab) == ["Dee Silva"]
    outcome = tab.model.index(0, 4).data()
    fired = tab.model.index(0, 5).data()
    assert outcome == "DQ"
    assert fired.startswith("Nicotine: DQ")
    tab.table.selectRow(0)
    detail = tab.detail
    assert detail.title.text() == "Dee Silva"
    assert detail.badge.text() == "DQ"
    first_rule = [detail.table.item(0, c).text() for c in range(4)]
    assert first_rule[:2] == ["Nicotine", "DQ"]
    assert "Smokes, vapes or uses nicotine: Yes" in first_rule[3]
    assert "rules version 1" in detail.status.text()
    # counts follow the other filters too (search)
    choose_group(tab, "All")
    tab.filters.search.setText("Pat")
    tab.filters._emit()
    assert group_texts(tab)[0] == "All  (1)"


def test_approve_moves_the_contact_on_and_selects_the_next(tab, queue, monkeypatch, context):
    tab.refresh()
    choose(tab, "Pat Silva")
    next_name = listed(tab)[listed(tab).index("Pat Silva") + 1] \
        if listed(tab)[-1] != "Pat Silva" else listed(tab)[-2]
    shown = drive(monkeypatch, ApproveDialog, lambda d: d.note.setPlainText("lovely") or 1)
    tab.approve_action.trigger()
    assert len(shown) == 1
    assert stage_of(context, queue["passed"]) is PipelineStage.APPROVED
    assert "Pat Silva" not in listed(tab)
    assert tab.detail.title.text() == next_name
    assert "approved" in tab.banner.label.text()


def test_overruling_a_dq_asks_again_until_a_reason_is_given(tab, queue, monkeypatch, context):
    tab.refresh()
    choose(tab, "Dee Silva")
    attempts = []

    def steps(dialog):
        attempts.append(1)
        if len(attempts) == 2:
            dialog.note.setPlainText("quit smoking a year ago, confirmed")
        return 1
    drive(monkeypatch, ApproveDialog, steps)
    tab.approve_action.trigger()
    assert len(attempts) == 2
    assert "say why" in tab.errors[0]
    assert stage_of(context, queue["dq"]) is PipelineStage.APPROVED


def test_reject_with_a_rule_code_and_the_kind_notice(tab, queue, monkeypatch, context):
    tab.refresh()
    choose(tab, "Dee Silva")

    def steps(dialog):
        assert dialog.reason.itemData(0) == "NICOTINE_CURRENT" or \
            dialog.reason.itemData(0).startswith("NICOTINE")
        assert dialog.send_notice.isChecked()
        return 1
    drive(monkeypatch, RejectDialog, steps)
    tab.reject_action.trigger()
    with context.sessions() as session:
        contact = session.get(Contact, queue["dq"])
        assert contact.stage is PipelineStage.DISQUALIFIED
        assert contact.dq_reason_code.startswith("NICOTINE")
        notice = session.scalars(select(OutboxMessage)).one()
        assert notice.category == "kind-rejection-notice"
    assert "Dee Silva" not in listed(tab)
    tab.queue_box.setCurrentIndex(tab.queue_box.findData("closed"))
    assert listed(tab) == ["Dee Silva"]
    tab.table.selectRow(0)
    assert not tab.approve_action.isEnabled()  # decided: nothing to approve here
    assert "Rejected: NICOTINE" in tab.detail.status.text()


def test_defer_until_a_date_then_the_waiting_list(tab, queue, monkeypatch, context):
    tab.refresh()
    choose(tab, "Nia Data")
    later = TODAY + timedelta(days=45)

    def steps(dialog):
        dialog.until.setDate(QDate(later.year, later.month, later.day))
        dialog.note.setPlainText("travelling until then")
        return 1
    drive(monkeypatch, DeferDialog, steps)
    tab.defer_action.trigger()
    with context.sessions() as session:
        assert session.get(Contact, queue["needs"]).deferred_until == later
    assert "Nia Data" not in listed(tab)
    tab.queue_box.setCurrentIndex(tab.queue_box.findData("waiting"))
    assert listed(tab) == ["Nia Data"]


def test_flag_and_unflag(tab, queue, monkeypatch, context):
    tab.refresh()
    choose(tab, "Pat Silva")
    drive(monkeypatch, FlagDialog, lambda d: d.note.setPlainText("check photos") or 1)
    tab.flag_action.trigger()
    assert "Flagged  (1)" in group_texts(tab)
    choose(tab, "Pat Silva")
    assert tab.flag_action.text() == "Unflag"
    assert "check photos" in tab.detail.status.text()
    tab.flag_action.trigger()
    assert "Flagged  (0)" in group_texts(tab)
    with context.sessions() as session:
        texts = [i.text for i in contacts.history(session, queue["passed"])]
    assert any("unflagged" in t for t in texts) and any("flagged" in t for t in texts)


def test_request_information_lists_what_the_rules_miss(tab, queue, monkeypatch, context):
    tab.refresh()
    choose(tab, "Nia Data")
    seen = []

    def steps(dialog):
        seen.append(dialog.what.toPlainText())
        return 1
    drive(monkeypatch, RequestInfoDialog, steps)
    tab.info_action.trigger()
    assert "date of birth" in seen[0]
    with context.sessions() as session:
        assert session.get(Contact, queue["needs"]).info_requested_at is not None
        assert session.scalars(select(OutboxMessage)).one().category == "information-request"
    choose(tab, "Nia Data")
    assert "Information requested" in tab.detail.status.text()


def test_convert_an_approved_contact_to_a_client_once(tab, queue, monkeypatch, context):
    with context.sessions.begin() as session:
        screening_decisions.approve(session, queue["passed"], staff_id=context.staff_id)
    tab.refresh()
    tab.queue_box.setCurrentIndex(tab.queue_box.findData("approved"))
    assert listed(tab) == ["Pat Silva"]
    tab.table.selectRow(0)
    assert tab.convert_action.isEnabled()
    shown = drive(monkeypatch, ConvertDialog, lambda d: 1)
    tab.convert_action.trigger()
    assert len(shown) == 1
    year = TODAY.year
    assert f"case ED-{year}-0001 opened" in tab.banner.label.text()
    assert listed(tab) == []  # a client is no longer "to convert"
    with context.sessions() as session:
        assert screening_decisions.client_case(session, queue["passed"]) is not None


def test_rescreen_all_runs_off_the_gui_thread_and_reports(tab, queue, monkeypatch, qtbot,
                                                           context):
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    tab.refresh()
    with qtbot.waitSignal(tab.rescreen_finished, timeout=10_000) as finished:
        tab.rescreen_all_action.trigger()
    tally = finished.args[0]
    assert (tally.done, tally.total) == (3, 3)
    assert tally.outcomes[ScreeningOutcome.DQ] == 1
    assert tab.banner.label.text().startswith("Screened 3 of 3 contacts")
    assert tab.rescreen_all_action.isEnabled()


def test_saving_dq_settings_offers_to_rescreen_everyone(tab, queue, monkeypatch, qtbot):
    from orchid_desktop.domain.vocab import ApplicantType
    from orchid_desktop.ui.dq_settings_dialog import DQSettingsDialog

    def saved(dialog):
        dialog.saved_types = [ApplicantType.EGG_DONOR]
        return 1
    drive(monkeypatch, DQSettingsDialog, saved)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or
                        QMessageBox.StandardButton.Yes)
    tab.refresh()
    with qtbot.waitSignal(tab.rescreen_finished, timeout=10_000):
        tab.settings_action.trigger()
    assert len(asked) == 1 and "Re-screen everyone" in asked[0]


def test_a_decision_taken_elsewhere_is_reported_once_and_the_queue_reread(
        tab, queue, monkeypatch, context):
    tab.refresh()
    choose(tab, "Pat Silva")
    with context.sessions.begin() as session:  # another workstation decides first
        screening_decisions.approve(session, queue["passed"], staff_id=context.staff_id)
    shown = drive(monkeypatch, RejectDialog, lambda d: 1)
    tab.reject_action.trigger()
    assert len(shown) == 1  # not offered again: nothing in the dialog can fix it
    assert "another workstation" in tab.errors[0]
    assert stage_of(context, queue["passed"]) is PipelineStage.APPROVED
    assert "Pat Silva" not in listed(tab)


def test_the_reject_banner_says_a_notice_was_queued_only_when_it_was(
        tab, queue, monkeypatch):
    tab.refresh()
    choose(tab, "Dee Silva")

    def no_notice(dialog):
        dialog.send_notice.setChecked(False)
        return 1
    drive(monkeypatch, RejectDialog, no_notice)
    tab.reject_action.trigger()
    assert tab.banner.label.text() == "Dee Silva rejected."
