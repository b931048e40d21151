"""The Leads and Contacts tabs and their windows, driven with qtbot as staff use them.

Modal dialogs are driven by replacing their ``exec`` with a function that fills the real
widgets and presses the real buttons, so no test waits on a modal event loop.
"""

from __future__ import annotations

import csv
from datetime import date

from PySide6.QtCore import QItemSelectionModel, Qt

from orchid_desktop.db.models import Contact, Lead
from orchid_desktop.domain.vocab import LeadStatus, PipelineStage
from orchid_desktop.services import contacts
from orchid_desktop.ui import contact_dialog, lead_dialog, leads_tab, people_tab
from orchid_desktop.ui.contact_dialog import ContactDialog
from orchid_desktop.ui.contacts_tab import MergeDialog
from orchid_desktop.ui.lead_dialog import LeadDialog
from orchid_desktop.ui.person_form import DuplicateChoice
from tests.people_helpers import add_contact, add_lead


def drive(monkeypatch, dialog_class, steps):
    """Replace ``dialog_class.exec`` by ``steps(dialog)``; records each dialog shown."""
    shown = []

    def fake_exec(self):
        shown.append(self)
        return steps(self)

    monkeypatch.setattr(dialog_class, "exec", fake_exec)
    return shown


def select_rows(tab, rows):
    selection = tab.table.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(tab.model.index(row, 0), QItemSelectionModel.SelectionFlag.Select
                         | QItemSelectionModel.SelectionFlag.Rows)


def names(tab):
    return [tab.model.index(r, 0).data() for r in range(tab.model.rowCount())]


def fill_new_lead(first, email, phone=""):
    def steps(dialog: LeadDialog):
        dialog.fields.first_name.setText(first)
        dialog.fields.last_name.setText("Rivera")
        dialog.fields.email.setText(email)
        dialog.fields.phone.setText(phone)
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
        return dialog.result()
    return steps


def test_a_phone_inquiry_becomes_a_lead_in_the_list(window, monkeypatch, context):
    shown = drive(monkeypatch, LeadDialog, fill_new_lead("Luz", "luz@example.com",
                                                           "(512) 555-0142"))
    window.leads_tab.empty.buttons["New lead…"].click()
    assert window.leads_tab.currentIndex() == 1
    assert names(window.leads_tab) == ["Luz Rivera"]
    assert window.leads_tab.model.index(0, 2).data() == "(512) 555-0142"
    assert window.leads_tab.count_label.text() == "1 lead"
    # a second one with an invalid email is refused with the reason, nothing saved
    warnings = []
    monkeypatch.setattr(lead_dialog.QMessageBox, "warning",
                        lambda parent, title, text: warnings.append(text))
    drive(monkeypatch, LeadDialog, fill_new_lead("Bad", "not-an-email"))
    window.leads_tab.new_lead()
    assert "'not-an-email' is not a valid email address" in warnings[0]
    assert window.leads_tab.model.total_rows() == 1
    assert len(shown) == 1


def test_a_duplicate_lead_offers_to_open_the_person_already_there(window, monkeypatch,
                                                                   context):
    existing = add_lead(context, "Luz", "Rivera", "luz@example.com")
    window.leads_tab.refresh()
    monkeypatch.setattr(lead_dialog, "ask_about_duplicate",
                        lambda parent, matches, **kw: (DuplicateChoice.OPEN, matches[0]))
    opened = []

    def steps(dialog: LeadDialog):
        if dialog.lead_id is None:
            return fill_new_lead("L.", " LUZ@example.com ")(dialog)
        opened.append(dialog.lead_id)
        return 0

    drive(monkeypatch, LeadDialog, steps)
    window.leads_tab.new_lead()
    assert opened == [existing]
    assert window.leads_tab.model.total_rows() == 1


def test_the_lead_window_shows_the_form_as_received(qtbot, context):
    lead_id = add_lead(context, email="luz@example.com",
                       raw={"Are you between 21 and 33?": "Yes", "ad_name": "Spring donors"})
    dialog = LeadDialog(context, lead_id)
    qtbot.addWidget(dialog)
    rows = {dialog.raw.item(r, 0).text(): dialog.raw.item(r, 1).text()
            for r in range(dialog.raw.rowCount())}
    assert rows == {"Are you between 21 and 33?": "Yes", "ad_name": "Spring donors"}


def test_search_as_you_type_and_filters(window, qtbot, context):
    for first, last, email in (("José", "Müller", "jose@example.com"),
                               ("Jessica", "Smith", "jess@example.org"),
                               ("Mary", "Jones", "mary@example.net")):
        add_lead(context, first, last, email)
    tab = window.leads_tab
    tab.refresh()
    qtbot.keyClicks(tab.filters.search, "jo")
    qtbot.waitUntil(lambda: tab.model.total_rows() == 2, timeout=3000)
    assert sorted(names(tab)) == ["José Müller", "Mary Jones"]
    assert tab.count_label.text() == "2 leads match the filter"
    tab.filters.search.clear()
    qtbot.waitUntil(lambda: tab.model.total_rows() == 3, timeout=3000)
    tab.filters.statuses.set_selected(("ignored",))
    tab.filters.statuses.changed.emit()
    assert tab.model.total_rows() == 0
    assert tab.currentIndex() == 1  # an empty result keeps the filters on screen


def test_promote_ignore_and_archive_with_undo(window, monkeypatch, context):
    ids = [add_lead(context, f"P{i}", "Doe", f"p{i}@example.com") for i in range(4)]
    tab = window.leads_tab
    tab.refresh()
    opened = []
    tab.open_contact = opened.append
    # newest first: rows 0 and 1 are the last two added
    select_rows(tab, [0, 1])
    tab.promote_action.trigger()
    assert window.contacts_tab.model.total_rows() == 2
    assert "Promoted 2 leads to contacts" in tab.banner.label.text()
    assert opened == []  # several at once: nobody is opened
    select_rows(tab, [2])
    monkeypatch.setattr(leads_tab.QInputDialog, "getItem",
                        lambda *a, **k: ("Spam", True))
    tab.ignore_action.trigger()
    with context.sessions() as session:
        assert session.get(Lead, ids[1]).status == LeadStatus.IGNORED
    assert tab.banner.button.isVisible()
    tab.banner.button.click()  # Undo
    with context.sessions() as session:
        assert session.get(Lead, ids[1]).status == LeadStatus.NEW
    select_rows(tab, [3])
    tab.archive_action.trigger()
    assert tab.model.total_rows() == 3
    tab.banner.button.click()
    assert tab.model.total_rows() == 4
    select_rows(tab, [3])
    tab.promote_action.trigger()  # one lead: its new contact opens
    assert len(opened) == 1


def test_saved_filters_are_offered_again(window, monkeypatch, context):
    add_lead(context, "Jessica", "Smith", "jess@example.org")
    tab = window.leads_tab
    tab.refresh()
    tab.filters.search.setText("jess")
    tab.filters._emit()
    monkeypatch.setattr(people_tab.QInputDialog, "getText", lambda *a, **k: ("Jess", True))
    tab.save_current_filter()
    tab.filters.clear()
    assert tab.filters.search.text() == ""
    index = tab.saved.findText("Jess")
    assert index > 0
    tab.saved.activated.emit(index)
    assert tab.filters.search.text() == "jess"
    assert tab.model.filter.search == "jess"


def test_export_the_listed_leads_to_csv(window, qtbot, context, tmp_path):
    add_lead(context, "Jessica", "Smith", "jess@example.org", "2125550188")
    add_lead(context, "Mary", "Jones", "=cmd@example.net")
    tab = window.leads_tab
    tab.refresh()
    target = tmp_path / "leads.csv"
    tab.export_to(target, tab.model.filter)
    qtbot.waitUntil(lambda: "Exported 2 leads" in tab.banner.label.text(), timeout=5000)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["First name"] for row in rows} == {"Jessica", "Mary"}


def test_a_contact_is_edited_and_its_history_shows_the_change(qtbot, context):
    contact_id = add_contact(context, "Ana", "Silva", "ana@example.com")
    dialog = ContactDialog(context, contact_id)
    qtbot.addWidget(dialog)
    dialog.profile.editor("date_of_birth").setText("2001-06-15")
    dialog.profile.editor("height_cm").setText("170")
    dialog.profile.editor("weight_kg").setText("65")
    assert "BMI: 22.5" in dialog.profile.computed.text()
    dialog.person.first_name.setText("Ana Maria")
    assert dialog.save()
    assert dialog.changed
    texts = [dialog.history.item(r, 2).text() for r in range(dialog.history.rowCount())]
    assert any("First name: Ana → Ana Maria" in t for t in texts)
    assert any("Date of birth: — → 2001-06-15" in t for t in texts)
    with context.sessions() as session:
        assert session.get(Contact, contact_id).date_of_birth == date(2001, 6, 15)


def test_a_save_after_another_workstation_saved_offers_reload_or_keep(qtbot, context,
                                                                       monkeypatch):
    contact_id = add_contact(context, "Ana", "Silva", "ana@example.com")
    dialog = ContactDialog(context, contact_id)
    qtbot.addWidget(dialog)
    with context.sessions() as session:  # the other workstation
        theirs = contacts.contact_detail(session, contact_id)
    from tests.people_helpers import person
    with context.sessions.begin() as session:
        contacts.save_contact(session, contact_id, theirs.version, person("Ana", "Silva",
                              email="ana@example.com"), dict(theirs.profile, city="Denver"),
                              staff_id=context.staff_id)
    dialog.profile.editor("city").setText("Austin")
    asked = []
    monkeypatch.setattr(dialog, "ask_conflict",
                        lambda message, differences: asked.append(differences) or "reload")
    assert not dialog.save()
    assert ("City", "Denver", "Austin") in asked[0]
    assert dialog.profile.editor("city").text() == "Denver"  # reloaded theirs
    dialog.profile.editor("city").setText("Austin")
    with context.sessions.begin() as session:
        now = contacts.contact_detail(session, contact_id)
        contacts.save_contact(session, contact_id, now.version, person("Ana", "Silva",
                              email="ana@example.com"), dict(now.profile, city="Boulder"),
                              staff_id=context.staff_id)
    monkeypatch.setattr(dialog, "ask_conflict", lambda message, differences: "keep")
    assert dialog.save()
    with context.sessions() as session:
        assert session.get(Contact, contact_id).city == "Austin"


def test_stage_notes_and_documents_from_the_contact_window(qtbot, context, monkeypatch,
                                                           tmp_path):
    contact_id = add_contact(context, "Ana", "Silva", "ana@example.com")
    dialog = ContactDialog(context, contact_id)
    qtbot.addWidget(dialog)

    def choose_withdrawn(stage_dialog):
        stage_dialog.stage.setCurrentIndex(stage_dialog.stage.findData(PipelineStage.WITHDRAWN))
        stage_dialog.reason.setText("moved abroad")
        return 1

    drive(monkeypatch, contact_dialog.StageDialog, choose_withdrawn)
    dialog.change_stage()
    assert "Withdrawn" in dialog.stage_label.text()
    dialog.note_text.setPlainText("Asked to call back in spring.")
    dialog.add_note()
    assert dialog.notes.item(0, 2).text() == "Asked to call back in spring."
    assert dialog.tabs.tabText(1) == "Notes (1)"
    scan = tmp_path / "records.pdf"
    scan.write_bytes(b"%PDF records")
    dialog.attach_documents([scan])
    assert dialog.documents.item(0, 0).text() == "records.pdf"
    opened = []
    monkeypatch.setattr(contact_dialog.QDesktopServices, "openUrl",
                        lambda url: opened.append(url.toLocalFile()))
    dialog.documents.selectRow(0)
    path = dialog.open_document()
    assert path.read_bytes() == b"%PDF records" and opened == [str(path)]
    monkeypatch.setattr(contact_dialog.QMessageBox, "question",
                        lambda *a, **k: contact_dialog.QMessageBox.StandardButton.Yes)
    dialog.remove_document()
    assert dialog.documents.rowCount() == 0
    history = [dialog.history.item(r, 2).text() for r in range(dialog.history.rowCount())]
    assert any("document removed" in t for t in history)
    assert any("Stage: Pre-screen → Withdrawn" in t for t in history)


def test_merging_two_contacts_from_the_tab(window, monkeypatch, context):
    add_contact(context, "Ana", "Silva", "ana@example.com")
    add_contact(context, "Ana", "Silva", "", "4155550123")
    tab = window.contacts_tab
    tab.refresh()
    select_rows(tab, [0, 1])

    def keep_second(merge_dialog: MergeDialog):
        merge_dialog.keep_buttons[1].setChecked(True)
        return 1

    drive(monkeypatch, MergeDialog, keep_second)
    tab.merge_action.trigger()
    assert tab.model.total_rows() == 1
    assert "Merged contact" in tab.banner.label.text()
    with context.sessions() as session:
        (kept,) = session.query(Contact).filter(Contact.merged_into_id.is_(None)).all()
    assert (kept.email, kept.phone_e164) == ("ana@example.com", "+14155550123")


def test_the_list_model_is_a_valid_qt_model_with_a_filter(qtmodeltester, context):
    for i in range(5):
        add_lead(context, f"Jo{i}", "Doe", f"jo{i}@example.com")
    from orchid_desktop.services.listing import lead_listing
    from orchid_desktop.services.people_query import PeopleFilter
    from orchid_desktop.ui.people_model import PeopleTableModel

    model = PeopleTableModel(lead_listing(context.sessions))
    model.set_filter(PeopleFilter(search="jo3"))
    assert model.rowCount() == 1
    assert model.index(0, 0).data(Qt.ItemDataRole.DisplayRole) == "Jo3 Doe"
    qtmodeltester.check(model, force_py=True)


def test_a_huge_selection_is_refused_in_plain_words(window, context, monkeypatch):
    from orchid_desktop.services.demo import load_demo_data
    from orchid_desktop.ui import people_tab as tab_module

    load_demo_data(context.sessions, context.staff_id, leads=30, contacts=0)
    tab = window.leads_tab
    tab.refresh()
    monkeypatch.setattr(tab_module, "MAX_ACTION_ROWS", 10)
    tab.table.selectAll()
    errors = []
    monkeypatch.setattr(tab, "show_error", errors.append)
    assert tab.chosen_ids() == []
    assert errors == ["30 rows are selected; act on at most 10 at a time (narrow the list "
                      "with a filter)."]


def test_editing_a_lead_and_adding_a_contact_directly(window, monkeypatch, context):
    lead_id = add_lead(context, "Luz", "Rivera", "luz@example.com")
    tab = window.leads_tab
    tab.refresh()

    def rename(dialog: LeadDialog):
        assert dialog.lead_id == lead_id
        dialog.fields.last_name.setText("Rivera-Díaz")
        dialog.fields.phone.setText("p:+15125550142")  # as lead-ad exports write it
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
        return dialog.result()

    drive(monkeypatch, LeadDialog, rename)
    select_rows(tab, [0])
    tab.open_action.trigger()
    assert names(tab) == ["Luz Rivera-Díaz"]
    with context.sessions() as session:
        assert session.get(Lead, lead_id).phone_e164 == "+15125550142"

    opened = []
    monkeypatch.setattr(window.contacts_tab, "open_person", opened.append)
    drive(monkeypatch, LeadDialog, fill_new_lead("Ada", "ada@example.com"))
    window.contacts_tab.new_contact()
    with context.sessions() as session:
        (contact,) = session.query(Contact).all()
    assert contact.stage == PipelineStage.PRE_SCREEN and opened == [contact.id]


def test_logging_an_email_by_hand(qtbot, context, monkeypatch):
    contact_id = add_contact(context, "Ana", "Silva", "ana@example.com")
    dialog = ContactDialog(context, contact_id)
    qtbot.addWidget(dialog)

    def write(log: contact_dialog.LogEmailDialog):
        log.subject.setText("Travel question")
        log.body.setPlainText("Can I do the retrieval in Denver?")
        return 1

    drive(monkeypatch, contact_dialog.LogEmailDialog, write)
    dialog.log_email()
    assert dialog.emails.item(0, 2).text() == "Received: Travel question"
    assert dialog.tabs.tabText(2) == "Emails (1)"


def test_unsaved_edits_survive_notes_and_stage_changes_and_type_switches(qtbot, context,
                                                                         monkeypatch):
    contact_id = add_contact(context, "Ana", "Silva", "ana@example.com")
    with context.sessions() as session:
        detail = contacts.contact_detail(session, contact_id)
    from tests.people_helpers import person
    with context.sessions.begin() as session:
        contacts.save_contact(session, contact_id, detail.version,
                              person("Ana", "Silva", email="ana@example.com"),
                              dict(detail.profile, contraception="pill", ethnicity="Mixed"),
                              staff_id=context.staff_id)
    dialog = ContactDialog(context, contact_id)
    qtbot.addWidget(dialog)
    monkeypatch.setattr(dialog, "ask_unsaved", lambda: "discard")
    dialog.profile.editor("city").setText("Austin")
    dialog.note_text.setPlainText("Called.")
    dialog.add_note()
    drive(monkeypatch, contact_dialog.StageDialog, lambda d: (
        d.stage.setCurrentIndex(d.stage.findData(PipelineStage.APPLICATION)), 1)[1])
    dialog.change_stage()
    assert dialog.profile.editor("city").text() == "Austin"  # still there
    # egg donor → carrier → egg donor keeps the donor answers
    carrier = dialog.person.applicant_type.findData("gestational_carrier")
    donor = dialog.person.applicant_type.findData("egg_donor")
    dialog.person.applicant_type.setCurrentIndex(carrier)
    dialog.person.applicant_type.setCurrentIndex(donor)
    assert dialog.profile.values()["contraception"] == "pill"
    assert dialog.save()  # not mistaken for a conflict with our own stage change
    with context.sessions() as session:
        saved = session.get(Contact, contact_id)
        assert (saved.city, saved.stage) == ("Austin", PipelineStage.APPLICATION)
        assert saved.profile["contraception"] == "pill"
        assert saved.profile["ethnicity"] == "Mixed"


def test_keep_mine_keeps_what_the_other_workstation_changed_elsewhere(qtbot, context,
                                                                      monkeypatch):
    contact_id = add_contact(context, "Ana", "Silva", "ana@example.com", "4155550123")
    dialog = ContactDialog(context, contact_id)
    qtbot.addWidget(dialog)
    with context.sessions() as session:
        theirs = contacts.contact_detail(session, contact_id)
    from tests.people_helpers import person
    with context.sessions.begin() as session:  # the other workstation changes the phone
        contacts.save_contact(session, contact_id, theirs.version,
                              person("Ana", "Silva", "ana@example.com", "5125550142"),
                              theirs.profile, staff_id=context.staff_id)
    dialog.profile.editor("city").setText("Austin")
    asked = []
    monkeypatch.setattr(dialog, "ask_conflict",
                        lambda message, clashes: asked.append(clashes) or "keep")
    assert dialog.save()
    assert asked == [[]]  # nothing both changed
    with context.sessions() as session:
        saved = session.get(Contact, contact_id)
    assert (saved.phone_e164, saved.city) == ("+15125550142", "Austin")


def test_closing_with_unsaved_edits_asks_first(qtbot, context, monkeypatch):
    contact_id = add_contact(context, "Ana", "Silva", "ana@example.com")
    dialog = ContactDialog(context, contact_id)
    qtbot.addWidget(dialog)
    dialog.profile.editor("city").setText("Austin")
    answers = iter(["cancel", "save"])
    monkeypatch.setattr(dialog, "ask_unsaved", lambda: next(answers))
    dialog.close_button.click()
    assert dialog.result() == 0 and dialog.edits() == {"city": "Austin"}
    dialog.close_button.click()
    with context.sessions() as session:
        assert session.get(Contact, contact_id).city == "Austin"


def test_the_contact_shows_the_inquiries_it_came_from(qtbot, context):
    from orchid_desktop.services import leads as lead_service
    lead_id = add_lead(context, email="ana@example.com", raw={"ad_name": "Spring donors"})
    with context.sessions.begin() as session:
        contact_id = lead_service.promote(session, lead_id, staff_id=context.staff_id).contact_id
    dialog = ContactDialog(context, contact_id)
    qtbot.addWidget(dialog)
    assert dialog.tabs.tabText(4) == "Inquiries (1)"
    row = [dialog.inquiries.item(0, c).text() for c in range(5)]
    assert row[0] == f"Lead #{lead_id}" and row[3:] == ["ad_name", "Spring donors"]


def test_a_lead_conflict_can_keep_mine(qtbot, context, monkeypatch):
    from orchid_desktop.services import leads as lead_service
    from tests.people_helpers import person
    lead_id = add_lead(context, "Luz", "Rivera", "luz@example.com")
    dialog = LeadDialog(context, lead_id)
    qtbot.addWidget(dialog)
    with context.sessions.begin() as session:  # another workstation
        lead_service.update_lead(session, lead_id, 1, person("Luz", "R.", "luz@example.com"),
                                 staff_id=context.staff_id)
    dialog.fields.first_name.setText("Lucía")
    monkeypatch.setattr(dialog, "ask_conflict", lambda message: "keep")
    dialog.save()
    assert dialog.saved_id == lead_id
    with context.sessions() as session:
        assert session.get(Lead, lead_id).first_name == "Lucía"


def test_a_selection_made_before_the_list_changed_is_not_acted_on(window, context,
                                                                   monkeypatch):
    for i in range(3):
        add_lead(context, f"P{i}", "Doe", f"p{i}@example.com")
    tab = window.leads_tab
    tab.refresh()
    select_rows(tab, [0, 1])
    add_lead(context, "New", "Arrival", "new@example.com")  # another workstation
    errors = []
    monkeypatch.setattr(tab, "show_error", errors.append)
    tab.archive_action.trigger()
    assert "The list changed while you were selecting" in errors[0]
    assert tab.model.total_rows() == 4
    with context.sessions() as session:
        assert session.query(Lead).filter(Lead.archived_at.is_not(None)).count() == 0


def test_a_date_preset_is_saved_as_relative(window, context, monkeypatch):
    add_lead(context, "Luz", "Rivera", "luz@example.com")
    tab = window.leads_tab
    tab.refresh()
    tab.filters.dates.set_range(None, None, last_days=6, emit=True)
    assert tab.filters.dates.text() == "Received: last 7 days"
    assert tab.model.total_rows() == 1
    monkeypatch.setattr(people_tab.QInputDialog, "getText", lambda *a, **k: ("This week", True))
    tab.save_current_filter()
    with context.sessions() as session:
        from orchid_desktop.services import saved_views
        ((_name, saved),) = saved_views.list_filters(session, tab.kind.saved_view_kind)
    assert saved.last_days == 6 and saved.date_from is None


def test_values_from_elsewhere_are_kept_and_do_not_look_like_edits(qtbot, context):
    contact_id = add_contact(context, "Ana", "Silva", "ana@example.com")
    with context.sessions.begin() as session:  # as an import might have stored them
        contact = session.get(Contact, contact_id)
        contact.profile = {"education": "master", "nicotine": False}
        contact.preferred_contact_method = "text"
    dialog = ContactDialog(context, contact_id)
    qtbot.addWidget(dialog)
    assert dialog.edits() == {}
    assert dialog.profile.values()["nicotine"] == "no"
    dialog.profile.editor("city").setText("Austin")
    assert dialog.save()
    with context.sessions() as session:
        saved = session.get(Contact, contact_id)
        assert (saved.profile["education"], saved.preferred_contact_method, saved.city) == \
            ("master", "text", "Austin")
