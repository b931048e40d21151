"""Render the main window (each tab), the Settings, DQ settings and campaign dialogs to PNG,
offscreen, on a throw-away database with demo data:
python docs/make_screenshots.py [OUT_DIR]"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import ClassVar

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["ORCHID_HOME"] = tempfile.mkdtemp(prefix="orchid-shots-")

import keyring
from keyring.backend import KeyringBackend


class _Memory(KeyringBackend):
    priority = 1
    store: ClassVar[dict] = {}

    def get_password(self, s, u):
        return self.store.get((s, u))

    def set_password(self, s, u, p):
        self.store[(s, u)] = p

    def delete_password(self, s, u):
        self.store.pop((s, u), None)


def main(out: Path, with_demo: bool = True) -> None:
    keyring.set_keyring(_Memory())
    from PySide6.QtWidgets import QApplication

    from orchid_desktop.app import open_context
    from orchid_desktop.services.demo import load_demo_data
    from orchid_desktop.ui.application import make_qapplication
    from orchid_desktop.ui.main_window import TAB_NAMES, MainWindow
    from orchid_desktop.ui.settings_dialog import SettingsDialog

    make_qapplication()
    context = open_context()
    out.mkdir(parents=True, exist_ok=True)
    window = MainWindow(context, tray_available=True)
    window.resize(1180, 720)
    window.show()
    QApplication.processEvents()
    window.grab().save(str(out / "main-window-empty.png"))
    if with_demo:
        load_demo_data(context.sessions, context.staff_id)
        window.refresh_tabs()
    for index, name in enumerate(TAB_NAMES):
        window.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        window.grab().save(str(out / f"main-window-{name.lower()}.png"))
    _people_windows(context, window, out)
    dialog = SettingsDialog(context, parent=window)
    dialog.show()
    for index in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        dialog.grab().save(str(out / f"settings-{dialog.tabs.tabText(index).lower()}.png"))
    dialog.close()
    _dq_settings(context, window, out)
    _screening(context, window, out)
    _campaigns(context, window, out)
    _campaign_authoring(context, window, out)
    window.request_quit()
    window.close()
    context.close()


def _people_windows(context, window, out: Path) -> None:
    """A searched and filtered lead list, a lead, a contact's pages and a merge."""
    from PySide6.QtWidgets import QApplication

    from orchid_desktop.services import contacts
    from orchid_desktop.ui.contact_dialog import ContactDialog
    from orchid_desktop.ui.contacts_tab import MergeDialog
    from orchid_desktop.ui.lead_dialog import LeadDialog

    def shoot(widget, name):
        widget.show()
        QApplication.processEvents()
        widget.grab().save(str(out / name))

    tab = window.leads_tab
    window.tabs.setCurrentIndex(0)
    tab.filters.types.set_selected(("egg_donor",))
    tab.filters.search.setText("ma")
    tab.filters._emit()
    tab.table.selectRow(1)
    tab.banner.show_message("2 leads archived.", undo=lambda: None)
    shoot(window, "leads-search-and-filter.png")
    tab.banner.hide()
    lead_id = tab.model.person_id(0)
    shoot(LeadDialog(context, lead_id, parent=window), "lead-dialog.png")
    window.tabs.setCurrentIndex(1)
    first, second = (window.contacts_tab.model.person_id(r) for r in (0, 1))
    with context.sessions.begin() as session:
        contacts.add_note(session, first, "Called her: she prefers texts after 5 pm.",
                          staff_id=context.staff_id)
        contacts.change_stage(session, first, "records", staff_id=context.staff_id,
                              reason="application complete; asking for clinic records")
    dialog = ContactDialog(context, first, parent=window)
    for index in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(index)
        name = dialog.tabs.tabText(index).split(" ")[0].lower()
        shoot(dialog, f"contact-{name}.png")
    dialog.close()
    with context.sessions() as session:
        details = [contacts.contact_detail(session, i) for i in (first, second)]
    shoot(MergeDialog(details, window), "merge-dialog.png")


def _dq_settings(context, window, out: Path) -> None:
    """The DQ settings dialog on each applicant type's tab; the carrier's scrolled to its
    blocked-states list."""
    from PySide6.QtWidgets import QApplication

    from orchid_desktop.domain.vocab import ApplicantType
    from orchid_desktop.ui.dq_settings_dialog import DQSettingsDialog

    for kind, name in ((ApplicantType.EGG_DONOR, "egg-donor"),
                       (ApplicantType.GESTATIONAL_CARRIER, "carrier")):
        dialog = DQSettingsDialog(context, kind, parent=window)
        dialog.resize(dialog.minimumSize())
        dialog.show()
        QApplication.processEvents()
        if kind is ApplicantType.GESTATIONAL_CARRIER:
            page = dialog.pages[kind]
            page.scroll.verticalScrollBar().setValue(page.boxes["state"].y())
            QApplication.processEvents()
        dialog.grab().save(str(out / f"dq-settings-{name}.png"))
        dialog.close()




def _screening(context, window, out: Path) -> None:
    """The queue with a flagged contact's evaluation, a DQ group, and the reject and
    convert dialogs."""
    from PySide6.QtWidgets import QApplication

    from orchid_desktop.services import screening_decisions
    from orchid_desktop.services.screening_view import screening_view
    from orchid_desktop.ui.screening_dialogs import ConvertDialog, RejectDialog

    def shoot(widget, name):
        widget.show()
        QApplication.processEvents()
        widget.grab().save(str(out / name))

    from datetime import date

    window.resize(1440, 820)
    window.tabs.setCurrentWidget(window.screening_tab)
    tab = window.screening_tab
    tab.refresh()
    tab.table.selectRow(0)
    shoot(window, "screening-queue.png")
    for row in range(tab.group_list.count()):
        if tab.group_list.item(row).text().startswith("DQ"):
            tab.group_list.setCurrentRow(row)
    tab.table.selectRow(0)
    shoot(window, "screening-dq-group.png")
    shoot(RejectDialog(tab.detail.view, window), "screening-reject-dialog.png")
    with context.sessions() as session:
        view = screening_view(session, tab.detail.view.contact_id)
        staff = screening_decisions.staff_choices(session)
    shoot(ConvertDialog(view, staff, context.staff_id, date.today(), window),
          "screening-convert-dialog.png")
    window.resize(1180, 720)


def _campaign_data(context) -> dict[str, int]:
    """Drips in each state over the demo people: the donor welcome running for ten days
    (its early emails sent), the carrier welcome paused, two drafts."""
    from dataclasses import replace
    from datetime import timedelta

    from sqlalchemy import select, update

    from orchid_desktop.db.models import Contact, Lead, OutboxMessage
    from orchid_desktop.db.models.base import utcnow
    from orchid_desktop.domain.vocab import CampaignTarget, EmailKind, OutboxStatus
    from orchid_desktop.services import (
        agency,
        campaign_queue,
        drip_lifecycle,
        drips,
        enrolment,
        senders,
    )
    from orchid_desktop.services.templates import list_templates
    from orchid_desktop.ui.library_sequences import library_sequences, sequence_steps

    form = agency.load_agency(context.sessions)
    agency.save_agency(context.sessions, replace(
        form, name="Bright Path Fertility", postal_address="200 Harbor Way, Suite 4, "
        "San Diego, CA 92101", application_link="https://brightpath.example/apply",
        time_zone="America/Los_Angeles"),
        context.staff_id)
    senders.replace_senders(context.sessions, [senders.SenderRow(
        None, "recruiting@brightpath.example", "Bright Path Recruiting", 2000)],
        context.staff_id)
    sender = senders.list_senders(context.sessions)[0].id
    staff, ten_days_ago = context.staff_id, utcnow() - timedelta(days=10)
    ids = {}
    with context.sessions.begin() as session:
        sequences = library_sequences(list_templates(session, kind=EmailKind.MARKETING))
        for name, target, auto in (
                ("Egg donor welcome", CampaignTarget.EGG_DONOR, "lead_created"),
                ("Gestational carrier welcome", CampaignTarget.GESTATIONAL_CARRIER, None),
                ("Deferred re-engagement", CampaignTarget.ANY, None)):
            ids[name] = drips.save_drip(session, None, drips.DripForm(
                name, target, sequence_steps(sequences[name]), sender_identity_id=sender,
                auto_enrol_rule={"on": auto, "applicant_type": target.value} if auto
                else None), staff_id=staff)
        ids["Spring open house follow-up"] = drips.save_drip(session, None, drips.DripForm(
            "Spring open house follow-up", CampaignTarget.ANY,
            sequence_steps(sequences["Egg donor welcome"])[:3]), staff_id=staff)
        for name, model in (("Egg donor welcome", Lead),
                            ("Gestational carrier welcome", Contact)):
            people = session.scalars(select(model.id).limit(60)).all()
            key = "lead_ids" if model is Lead else "contact_ids"
            enrolment.enrol(session, ids[name], staff_id=staff, now=ten_days_ago,
                            **{key: people})
            drip_lifecycle.launch(session, ids[name], staff_id=staff, now=ten_days_ago)
    with context.sessions.begin() as session:
        campaign_queue.queue_due(session)
        session.execute(update(OutboxMessage).values(status=OutboxStatus.SENT,
                                                     finished_at=utcnow()))
        campaign_queue.settle(session)
        drip_lifecycle.pause(session, ids["Gestational carrier welcome"], staff_id=staff,
                             reason="checking the new compensation figures")
    return ids


def _campaigns(context, window, out: Path) -> None:
    """The drip campaigns list, the editor on the donor welcome sequence, and the
    simulator of the running donor welcome."""
    from PySide6.QtWidgets import QApplication

    from orchid_desktop.ui.drip_editor import DripEditorDialog
    from orchid_desktop.ui.drip_simulator import DripSimulatorDialog

    def settle_events(until=lambda: True, rounds=400):
        import time

        for _ in range(rounds):
            QApplication.processEvents()
            if until():
                return
            time.sleep(0.01)

    def shoot(widget, name, until=lambda: True):
        widget.show()
        settle_events(until)
        widget.grab().save(str(out / name))

    ids = _campaign_data(context)
    window.resize(1280, 720)
    window.tabs.setCurrentWidget(window.campaigns_tab)
    page = window.campaigns_tab.drips_page
    page.refresh(select=ids["Gestational carrier welcome"])
    shoot(window, "campaigns-tab.png", lambda: page.model.rowCount() == 4)
    editor = DripEditorDialog(context, parent=window)
    editor.start_from.setCurrentIndex(editor.start_from.findData("Egg donor welcome"))
    editor._start_from_chosen()
    editor.name_edit.setText("Egg donor welcome (autumn)")
    editor.sender_box.setCurrentIndex(1)
    editor.auto_box.setChecked(True)
    editor.steps_editor.table.selectRow(3)
    shoot(editor, "drip-editor.png")
    editor.close()
    simulator = DripSimulatorDialog(context, ids["Egg donor welcome"], "Egg donor welcome",
                                    parent=window)
    shoot(simulator, "drip-simulator.png", lambda: bool(simulator.sends))
    simulator.close()
    window.resize(1180, 720)


def _campaign_authoring(context, window, out: Path) -> None:
    """The template editor on a library template with its preview for a demo contact, and
    the mass-email editor once its audience is counted."""
    import time
    from dataclasses import replace

    from PySide6.QtWidgets import QApplication
    from sqlalchemy import select

    from orchid_desktop.db.models import Template
    from orchid_desktop.services import agency, senders
    from orchid_desktop.services.segments import Segment
    from orchid_desktop.ui.mass_email_editor import MassEmailEditor
    from orchid_desktop.ui.template_editor import TemplateEditorDialog

    def shoot(widget, name, until=lambda: True):
        widget.show()
        for _ in range(500):
            QApplication.processEvents()
            if until():
                break
            time.sleep(0.01)
        QApplication.processEvents()
        widget.grab().save(str(out / name))

    form = agency.load_agency(context.sessions)
    if not form.name:  # what the preview fills in
        agency.save_agency(context.sessions, replace(
            form, name="Bright Path Fertility", postal_address="200 Harbor Way, San Diego, "
            "CA 92101", application_link="https://brightpath.example/apply"), context.staff_id)
    if not senders.list_senders(context.sessions):
        senders.replace_senders(context.sessions, [senders.SenderRow(
            None, "recruiting@brightpath.example", "Bright Path Recruiting", 2000)],
            context.staff_id)
    with context.sessions() as session:
        welcome = session.scalar(select(Template.id).where(Template.slug == "donor-welcome-01"))
    editor = TemplateEditorDialog(context, welcome, parent=window)
    shoot(editor, "template-preview.png")
    editor.close()
    mass = MassEmailEditor(context, parent=window)
    mass.name.setText("December newsletter")
    mass.audience.set_segment(Segment(applicant_types=("egg_donor",),
                                      sources=("facebook_instagram", "website")))
    mass.send_at.setChecked(True)
    mass.use_window.setChecked(True)
    shoot(mass, "mass-email-editor.png", lambda: not mass.audience.is_counting())
    mass.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "screenshots")
