"""The DQ settings dialog, driven through its widgets against a real database, and the
parameter descriptions and validation it shares with every other editor of the rules."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox
from sqlalchemy import func, select

from orchid_desktop.db.models import AuditEntry, DQRuleSet, Staff
from orchid_desktop.domain import dq_rules
from orchid_desktop.domain.dq_rules import SCREENED_TYPES, default_rules
from orchid_desktop.domain.vocab import ApplicantType
from orchid_desktop.services import screening
from orchid_desktop.ui.application import make_qapplication
from orchid_desktop.ui.dq_settings_dialog import DQSettingsDialog

DONOR, CARRIER = ApplicantType.EGG_DONOR, ApplicantType.GESTATIONAL_CARRIER


@pytest.fixture
def open_dialog(qtbot, context, monkeypatch):
    """A shown dialog whose problem box records instead of blocking; no other message box
    may appear."""
    make_qapplication()
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: pytest.fail(f"message box: {a}"))

    def make(kind: ApplicantType = DONOR) -> DQSettingsDialog:
        dialog = DQSettingsDialog(context, kind)
        dialog.problems = []
        monkeypatch.setattr(dialog, "show_problems", dialog.problems.extend)
        monkeypatch.setattr(dialog, "ask_discard", lambda: True)
        qtbot.addWidget(dialog)
        dialog.show()
        return dialog
    return make


def _store(context, kind, change, note="set up for the test"):
    with context.sessions.begin() as session:
        rules = copy.deepcopy(screening.current_rule_set(session, kind).rules)
        change(rules)
        return screening.save_rule_set(session, kind, rules, staff_id=context.staff_id,
                                       note=note).version_number


def _current(context, kind):
    with context.sessions() as session:
        row = screening.current_rule_set(session, kind)
        return row.version_number, copy.deepcopy(row.rules), row.id


def _audits(context):
    with context.sessions() as session:
        return [(a.entity_id, a.staff_id, a.changes, a.reason) for a in session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "dq_rule_set")
            .order_by(AuditEntry.id))]


def _versions(context) -> int:
    with context.sessions() as session:
        return session.scalar(select(func.count()).select_from(DQRuleSet))


def _click_save(qtbot, dialog):
    buttons = dialog.findChild(QDialogButtonBox)
    qtbot.mouseClick(buttons.button(QDialogButtonBox.StandardButton.Save),
                     Qt.MouseButton.LeftButton)


def _shown(page) -> dict:
    """What the page's widgets show, in the shape of the rule settings."""
    return {rule: {"enabled": box.isChecked(),
                   **{p: e.value() for p, e in page.editors[rule].items()}}
            for rule, box in page.boxes.items()}


def _without_basis(rules) -> dict:
    return {rule: {k: v for k, v in s.items() if k != "basis"} for rule, s in rules.items()}


# ---- the dialog ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", SCREENED_TYPES)
def test_it_opens_on_each_type_showing_the_current_version(open_dialog, context, kind):
    _store(context, kind, lambda r: r["age"].update(dq_under=19, enabled=False),
           note="partner clinic takes 19")
    dialog = open_dialog(kind)
    page = dialog.pages[kind]
    assert dialog.tabs.currentWidget() is page
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == [
        "Egg donor", "Gestational carrier"]
    expected = _without_basis(default_rules(kind))
    expected["age"].update(dq_under=19, enabled=False)
    assert _shown(page) == expected
    assert list(page.boxes) == list(default_rules(kind))  # the stored (engine) order
    with context.sessions() as session:
        name = session.get(Staff, context.staff_id).display_name
    today = date.today()
    assert page.version_label.text() == (f"Version 2 · changed {today.day} "
                                         f"{today:%b %Y} by {name} — partner clinic takes 19")
    basis = [label.text() for label in page.boxes["age"].findChildren(QLabel)
             if label.text().startswith("Basis: ")]
    assert basis == [f"Basis: {default_rules(kind)['age']['basis']}"]


def test_a_changed_threshold_and_rule_make_version_2_audited_with_exactly_those(
        open_dialog, context, qtbot):
    dialog = open_dialog()
    page = dialog.pages[DONOR]
    page.editors["age"]["dq_under"].widget.setValue(19)
    page.boxes["psychiatric"].setChecked(False)
    page.editors["bmi"]["flag_from"].widget.setValue(27.5)
    dialog.note_edit.setText("  partner clinic takes 19-year-olds  ")
    _click_save(qtbot, dialog)
    assert dialog.problems == []
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.saved_types == [DONOR]
    version, rules, rule_set_id = _current(context, DONOR)
    assert version == 2
    assert (rules["age"]["dq_under"], rules["psychiatric"]["enabled"],
            rules["bmi"]["flag_from"]) == (19, False, 27.5)
    assert _current(context, CARRIER)[0] == 1  # the untouched type gets no version
    assert _audits(context) == [(rule_set_id, context.staff_id, {
        "age.dq_under": [21, 19], "bmi.flag_from": [28.0, 27.5],
        "psychiatric.enabled": [True, False]}, "partner clinic takes 19-year-olds")]
    with context.sessions() as session:
        stored = session.get(DQRuleSet, rule_set_id)
        assert (stored.change_note, stored.created_by_id) == (
            "partner clinic takes 19-year-olds", context.staff_id)


def test_both_types_are_saved_in_one_go(open_dialog, context, qtbot):
    dialog = open_dialog()
    dialog.pages[DONOR].editors["nicotine"]["reapply_after_days"].widget.setValue(120)
    dialog.pages[CARRIER].editors["postpartum"]["months_after_vaginal"].widget.setValue(3)
    _click_save(qtbot, dialog)
    assert dialog.saved_types == [DONOR, CARRIER]
    assert _current(context, DONOR)[1]["nicotine"]["reapply_after_days"] == 120
    assert _current(context, CARRIER)[1]["postpartum"]["months_after_vaginal"] == 3
    assert [changes for _, _, changes, _ in _audits(context)] == [
        {"nicotine.reapply_after_days": [90, 120]}, {"postpartum.months_after_vaginal": [6, 3]}]


def test_saving_with_nothing_changed_makes_no_version(open_dialog, context, qtbot):
    dialog = open_dialog(CARRIER)
    _click_save(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.saved_types == []
    assert _versions(context) == 2
    assert _audits(context) == []


def test_invalid_thresholds_list_every_problem_and_save_nothing(open_dialog, context, qtbot):
    dialog = open_dialog()
    donor, carrier = dialog.pages[DONOR], dialog.pages[CARRIER]
    donor.editors["age"]["flag_from"].widget.setValue(20)  # below "disqualify under" 21
    donor.editors["contraception"]["flag_methods"].widget.boxes["depo_provera"].setChecked(True)
    carrier.editors["deliveries"]["flag_at_c_sections"].widget.setValue(4)
    for box in carrier.editors["residency"]["allowed"].widget.boxes.values():
        box.setChecked(False)
    _click_save(qtbot, dialog)
    assert dialog.problems == [
        "Egg donor — Age: 'disqualify under' (21) must be below 'flag from' (20)",
        "Egg donor — Birth control: Depo-Provera can't be in both 'defer methods' and "
        "'flag methods'",
        "Gestational carrier — Deliveries and C-sections: 'flag from C-sections' (4) must be "
        "at most 'disqualify over C-sections' (3)",
        "Gestational carrier — Citizenship / residency: 'accepted statuses' needs at least "
        "one choice, or every applicant is disqualified",
    ]
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.saved_types == []
    assert _versions(context) == 2
    assert _audits(context) == []


def test_changing_the_blocked_states_dates_the_review_today(open_dialog, context, qtbot):
    dialog = open_dialog(CARRIER)
    page = dialog.pages[CARRIER]
    states = page.editors["state"]["blocked_states"].widget
    assert states.boxes["LA"].text() == "LA — Louisiana"
    assert page.reviewed_edit.date().toPython() == date(2026, 11, 1)
    states.boxes["TX"].setChecked(True)
    assert page.reviewed_edit.date().toPython() == date.today()
    states.boxes["TX"].setChecked(False)  # back as it was: so is the review date
    assert page.reviewed_edit.date().toPython() == date(2026, 11, 1)
    states.boxes["TX"].setChecked(True)
    states.boxes["LA"].setChecked(False)
    _click_save(qtbot, dialog)
    state = _current(context, CARRIER)[1]["state"]
    assert (state["blocked_states"], state["reviewed_on"]) == (
        ["NE", "TX"], date.today().isoformat())
    assert _audits(context)[0][2] == {
        "state.blocked_states": [["LA", "NE"], ["NE", "TX"]],
        "state.reviewed_on": ["2026-11-01", date.today().isoformat()]}


def test_a_review_date_the_user_set_is_kept_when_the_list_changes(open_dialog, context, qtbot):
    dialog = open_dialog(CARRIER)
    page = dialog.pages[CARRIER]
    page.reviewed_edit.setDate(QDate(2026, 10, 15))
    page.editors["state"]["blocked_states"].widget.boxes["TX"].setChecked(True)
    _click_save(qtbot, dialog)
    assert _current(context, CARRIER)[1]["state"]["reviewed_on"] == "2026-10-15"


def test_reviewed_today_alone_is_a_new_version(open_dialog, context, qtbot):
    dialog = open_dialog(CARRIER)
    qtbot.mouseClick(dialog.pages[CARRIER].reviewed_button, Qt.MouseButton.LeftButton)
    _click_save(qtbot, dialog)
    assert dialog.saved_types == [CARRIER]
    assert _audits(context)[0][2] == {
        "state.reviewed_on": ["2026-11-01", date.today().isoformat()]}


def test_restore_defaults_sets_every_widget_back(open_dialog, context, qtbot):
    def edit_donor(rules):
        rules["age"].update(dq_under=19, flag_from=29)
        rules["education"]["enabled"] = True
        rules["cycles"]["flag_conditions"] = ["pcos"]
    _store(context, DONOR, edit_donor)
    _store(context, CARRIER, lambda r: r["state"].update(blocked_states=["LA"],
                                                         reviewed_on="2026-11-15"))
    dialog = open_dialog()
    for kind in SCREENED_TYPES:
        qtbot.mouseClick(dialog.pages[kind].restore_button, Qt.MouseButton.LeftButton)
    assert _shown(dialog.pages[DONOR]) == _without_basis(default_rules(DONOR))
    carrier = dialog.pages[CARRIER]
    # the list went back to the defaults, so it counts as reviewed today
    assert carrier.reviewed_edit.date().toPython() == date.today()
    _click_save(qtbot, dialog)
    assert dialog.saved_types == [DONOR, CARRIER]
    assert _current(context, DONOR)[:2] == (3, default_rules(DONOR))
    expected = default_rules(CARRIER)
    expected["state"]["reviewed_on"] = date.today().isoformat()
    assert _current(context, CARRIER)[:2] == (3, expected)


def test_keys_the_dialog_does_not_know_survive_a_save(open_dialog, context, qtbot):
    def add_unknown(rules):
        rules["age"]["clinic_note"] = "ask Dr Lee first"
        rules["travel"] = {"enabled": True, "countries": ["BR"]}
    _store(context, DONOR, add_unknown)
    dialog = open_dialog()
    page = dialog.pages[DONOR]
    assert "travel" not in page.boxes
    kept = [label.text() for label in page.findChildren(QLabel) if "Kept as" in label.text()]
    assert kept == ["Kept as they are (not editable in this version): travel"]
    page.editors["age"]["dq_over"].widget.setValue(32)
    _click_save(qtbot, dialog)
    rules = _current(context, DONOR)[1]
    assert rules["age"]["clinic_note"] == "ask Dr Lee first"
    assert rules["travel"] == {"enabled": True, "countries": ["BR"]}
    assert rules["age"]["basis"] == default_rules(DONOR)["age"]["basis"]
    assert _audits(context)[-1][2] == {"age.dq_over": [34, 32]}


def test_a_version_saved_elsewhere_meanwhile_is_never_overwritten(open_dialog, context, qtbot):
    dialog = open_dialog()
    _store(context, DONOR, lambda r: r["age"].update(dq_over=33), note="other workstation")
    dialog.pages[DONOR].editors["age"]["dq_under"].widget.setValue(19)
    _click_save(qtbot, dialog)
    assert len(dialog.problems) == 1 and "another workstation" in dialog.problems[0]
    version, rules, _ = _current(context, DONOR)
    assert (version, rules["age"]["dq_under"], rules["age"]["dq_over"]) == (2, 21, 33)


def test_cancel_with_edits_asks_before_discarding(open_dialog, monkeypatch):
    dialog = open_dialog()
    asked = []
    monkeypatch.setattr(dialog, "ask_discard", lambda: asked.append(True) or False)
    dialog.pages[DONOR].editors["drugs"]["injected_lookback_years"].widget.setValue(3)
    dialog.reject()
    assert asked == [True] and dialog.isVisible()


# ---- parameter descriptions and validation ------------------------------------------------

@pytest.mark.parametrize("kind", SCREENED_TYPES)
def test_every_default_rule_and_parameter_is_described(kind):
    described = dq_rules.registry_for(kind)
    assert set(described) == set(default_rules(kind))
    for key, settings in default_rules(kind).items():
        rule = described[key]
        assert rule.label and rule.description
        assert {p.key for p in rule.parameters} == set(settings) - {"enabled", "basis"}, key
        for p in rule.parameters:
            assert p.label and p.kind in dq_rules.KINDS
            if p.kind in (dq_rules.INT, dq_rules.FLOAT):
                assert p.minimum <= settings[p.key] <= p.maximum, (key, p.key)
            if p.kind in (dq_rules.CHOICES, dq_rules.CHOICE):
                assert p.choices, (key, p.key)


@pytest.mark.parametrize("kind", SCREENED_TYPES)
def test_the_defaults_are_valid(kind):
    assert dq_rules.validate(kind, default_rules(kind)) == []


def test_choices_come_from_the_form_catalogues():
    carrier = dq_rules.registry_for(CARRIER)
    states = dict(carrier["state"].param("blocked_states").choices)
    assert states["LA"] == "LA — Louisiana" and len(states) == 52
    methods = dict(dq_rules.registry_for(DONOR)["contraception"].param("defer_methods").choices)
    assert methods["depo_provera"] == "Depo-Provera" and "none" not in methods
    assert "none" not in dict(carrier["assistance"].param("dq_programs").choices)
    assert dict(carrier["complications"].param("flag_conditions").choices)[
        "hypertension"] == "High blood pressure in pregnancy"


def test_validate_lists_every_donor_problem_at_once():
    rules = default_rules(DONOR)
    rules["age"].update(dq_under=31)  # equal to "flag from"
    rules["bmi"].update(flag_from=31.0)  # above "disqualify over"
    rules["nicotine"]["reapply_after_days"] = -5
    rules["prior_donations"]["dq_at_cycles"] = "6"
    rules["cycles"]["flag_conditions"] = ["pcos", "moon_phase"]
    del rules["fda_risk"]["jail_hours"]
    rules["genetics"]["flag_adopted_without_history"] = "yes"
    rules["education"]["minimum"] = "phd"
    rules["psychiatric"]["enabled"] = 1
    assert dq_rules.validate(DONOR, rules) == [
        "Age: 'disqualify under' (31) must be below 'flag from' (31)",
        "BMI: 'flag from' (31) must be at most 'disqualify over' (30)",
        "Nicotine: 're-apply after' (-5) must be at least 1",
        "Cycles: 'flag conditions' has 'moon_phase', not among the choices",
        "Prior donations: 'disqualify at' must be a whole number",
        "Genetics: 'flag adopted without history' must be on or off",
        "Mental health: 'enabled' must be on or off",
        "FDA risk factors: 'jail stays longer than' is missing",
        "Education: 'minimum' ('phd') is not one of the choices",
    ]


def test_validate_lists_every_carrier_problem_at_once():
    rules = default_rules(CARRIER)
    rules["age"]["dq_over"] = 99
    rules["deliveries"]["dq_over_c_sections"] = 2  # below "flag from" 3
    rules["assistance"]["flag_programs"] += ["welfare", "section_8"]
    rules["state"].update(blocked_states=["LA", "ZZ"], reviewed_on="soon")
    rules["residency"]["allowed"] = []
    rules["bmi"]["flag_from"] = True  # a bool is not a number
    assert dq_rules.validate(CARRIER, rules) == [
        "Age: 'disqualify over' (99) must be at most 60",
        "Deliveries and C-sections: 'flag from C-sections' (3) must be at most "
        "'disqualify over C-sections' (2)",
        "BMI: 'flag from' must be a number",
        "Government assistance: Welfare, Section 8 can't be in both 'disqualify programs' "
        "and 'flag programs'",
        "State law: 'blocked states' has 'ZZ', not among the choices",
        "State law: 'last reviewed' ('soon') is not a date",
        "Citizenship / residency: 'accepted statuses' needs at least one choice, or every "
        "applicant is disqualified",
    ]


def test_validate_leaves_unknown_keys_and_basis_alone():
    rules = default_rules(CARRIER)
    rules["state"]["basis"] = 42
    rules["state"]["source_url"] = ["not", "judged"]
    rules["moon"] = {"enabled": "maybe"}
    assert dq_rules.validate(CARRIER, rules) == []
    assert dq_rules.validate(ApplicantType.OTHER, {"age": {"dq_under": "x"}}) == []
