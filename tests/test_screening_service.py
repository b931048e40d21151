"""Screening through the service layer: evaluations stored with the rule-set version they
used; a settings change is a new version and never rewrites an earlier evaluation."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from orchid_desktop.db.models import AuditEntry, DQRuleSet, ScreeningEvaluation
from orchid_desktop.domain.vocab import ApplicantType, ScreeningOutcome
from orchid_desktop.errors import ConflictError
from orchid_desktop.services import contacts, screening
from tests.people_helpers import add_contact, person

TODAY = date(2026, 11, 22)


def _with_profile(context, contact_id, **values):
    with context.sessions() as session:
        detail = contacts.contact_detail(session, contact_id)
    with context.sessions.begin() as session:
        contacts.save_contact(session, contact_id, detail.version,
                              person(email=detail.form.email, state=detail.form.state),
                              dict(detail.profile, **values), staff_id=context.staff_id)


def test_an_evaluation_is_stored_with_its_rule_set_version(context):
    contact_id = add_contact(context, "Ana", "Silva", "ana@example.com")
    with context.sessions.begin() as session:
        first = screening.screen_contact(session, contact_id, today=TODAY)
    # nothing filled in yet: the rules need data, they never pass silently
    assert first.result.outcome == ScreeningOutcome.NEEDS_DATA
    assert first.rule_set_version == 1
    _with_profile(context, contact_id, date_of_birth="2006-01-01")  # 20 years old
    with context.sessions.begin() as session:
        second = screening.screen_contact(session, contact_id, today=TODAY)
        stored = session.get(ScreeningEvaluation, second.evaluation_id)
        assert stored.outcome == ScreeningOutcome.DQ
        assert stored.as_of == TODAY
        age = next(r for r in stored.results if r["rule"] == "age")
        assert (age["outcome"], age["code"]) == ("dq", "AGE_UNDER_MIN")


def test_a_settings_change_is_a_new_version_and_history_keeps_the_old(context):
    contact_id = add_contact(context, "Ana", "Silva", "ana@example.com")
    _with_profile(context, contact_id, date_of_birth="2006-01-01")
    with context.sessions.begin() as session:
        before = screening.screen_contact(session, contact_id, today=TODAY)
        rules = copy.deepcopy(screening.current_rule_set(session, ApplicantType.EGG_DONOR).rules)
    rules["age"]["dq_under"] = 19
    with context.sessions.begin() as session:
        new = screening.save_rule_set(session, ApplicantType.EGG_DONOR, rules,
                                      staff_id=context.staff_id, note="accept from 19")
        assert new.version_number == 2
        # saving the same rules again makes no new version
        assert screening.save_rule_set(session, ApplicantType.EGG_DONOR, rules,
                                       staff_id=context.staff_id).id == new.id
    with context.sessions.begin() as session:
        after = screening.screen_contact(session, contact_id, today=TODAY)
        old = session.get(ScreeningEvaluation, before.evaluation_id)
        versions = {r.version_number: r.is_current for r in session.query(DQRuleSet).filter_by(
            applicant_type=ApplicantType.EGG_DONOR)}
        change = session.query(AuditEntry).filter_by(action="rules_changed").one()
    assert after.rule_set_version == 2
    assert next(r for r in after.result.results if r.rule == "age").outcome != \
        ScreeningOutcome.DQ
    assert old.outcome == ScreeningOutcome.DQ  # the stored judgement is unchanged
    assert versions == {1: False, 2: True}
    assert change.changes == {"age.dq_under": [21, 19]} and change.reason == "accept from 19"


def test_other_applicants_are_not_screened(context):
    contact_id = add_contact(context, "Ana", "Silva", "ana@example.com",
                             applicant_type="other")
    with context.sessions.begin() as session:
        assert screening.screen_contact(session, contact_id, today=TODAY) is None


def test_a_save_built_on_an_older_version_is_refused_under_the_lock(context):
    with context.sessions.begin() as session:
        rules = copy.deepcopy(screening.current_rule_set(session, ApplicantType.EGG_DONOR).rules)
        rules["age"]["dq_over"] = 33
        screening.save_rule_set(session, ApplicantType.EGG_DONOR, rules,
                                staff_id=context.staff_id, expected_version=1)
    rules["age"]["dq_under"] = 19
    with pytest.raises(ConflictError, match="changed on another workstation"), \
            context.sessions.begin() as session:
        screening.save_rule_set(session, ApplicantType.EGG_DONOR, rules,
                                staff_id=context.staff_id, expected_version=1)
    with context.sessions() as session:
        current = screening.current_rule_set(session, ApplicantType.EGG_DONOR)
        assert (current.version_number, current.rules["age"]["dq_under"]) == (2, 21)
