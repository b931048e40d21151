"""The DQ rule registry (domain/dq_rules): every rule complete and valid, the stored format
of the first release kept exactly, and a rule added in a new version reaching a database
created before it — at the next start, as an audited version, keeping what staff set —
on SQLite and PostgreSQL, also with two workstations starting at once."""

from __future__ import annotations

import ast
import copy
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from orchid_desktop.db.models import AuditEntry, DQRuleSet, ScreeningEvaluation
from orchid_desktop.domain import dq_rules
from orchid_desktop.domain.application_fields import BY_KEY
from orchid_desktop.domain.dq_rules import (
    FLAG,
    INT,
    SCREENED_TYPES,
    Answers,
    Finding,
    Param,
    Rule,
    add_missing_defaults,
    default_rules,
    registry_for,
    validate,
)
from orchid_desktop.domain.dq_rules.carrier import STATES
from orchid_desktop.domain.dq_rules.egg_donor import NicotineSettings
from orchid_desktop.domain.dq_rules.params import CHOICES
from orchid_desktop.domain.vocab import ApplicantType
from orchid_desktop.services import screening
from tests.people_helpers import add_contact

DONOR, CARRIER = ApplicantType.EGG_DONOR, ApplicantType.GESTATIONAL_CARRIER
TODAY = date(2026, 5, 17)
REPO = Path(__file__).resolve().parents[1]

# The defaults exactly as the first release stored them (domain/dq_defaults.py then): what
# every existing database holds as version 1. Never edit this to make a test pass — a
# difference means existing databases would read differently from new ones.
FIRST_RELEASE_DEFAULTS = {
    DONOR: {
        "age": {"enabled": True, "dq_under": 21, "dq_over": 34, "flag_from": 31,
                "basis": "ASRM gamete-donation guidance prefers 21–34; many agencies cap "
                         "at 28–31"},
        "bmi": {"enabled": True, "dq_under": 18.5, "dq_over": 30.0, "flag_from": 28.0,
                "basis": "agency practice (19–29, ≤28 and ≤30 are all seen)"},
        "nicotine": {"enabled": True, "reapply_after_days": 90,
                     "basis": "agency practice: any current smoking, vaping or nicotine"},
        "drugs": {"enabled": True, "injected_lookback_years": 5,
                  "basis": "agency practice; FDA donor-eligibility risk factors "
                           "(21 CFR 1271)"},
        "contraception": {"enabled": True, "defer_methods": ["depo_provera", "arm_implant"],
                          "flag_methods": ["hormonal_iud"],
                          "regular_cycles_after_stopping": 3, "basis": "agency practice"},
        "cycles": {"enabled": True, "flag_conditions": ["irregular", "pcos", "endometriosis"],
                   "basis": "agency practice"},
        "prior_donations": {"enabled": True, "dq_at_cycles": 6,
                            "basis": "ASRM 2020 opinion on repeated donation (figure seen "
                                     "second-hand)"},
        "genetics": {"enabled": True, "flag_adopted_without_history": True,
                     "basis": "ASRM; agency practice"},
        "psychiatric": {"enabled": True, "basis": "agency practice"},
        "fda_risk": {"enabled": True, "lookback_months": 12, "jail_hours": 72,
                     "basis": "21 CFR 1271 risk factors"},
        "education": {"enabled": False, "minimum": "high_school",
                      "basis": "a preference only, off by default"},
    },
    CARRIER: {
        "age": {"enabled": True, "dq_under": 21, "dq_over": 45, "flag_from": 40,
                "basis": "ASRM gestational-carrier recommendations (2022) give 21–45"},
        "parity": {"enabled": True, "flag_not_raising_child": True,
                   "basis": "ASRM 2022: at least one prior term delivery"},
        "deliveries": {"enabled": True, "dq_over_deliveries": 5, "dq_over_c_sections": 3,
                       "flag_at_c_sections": 3,
                       "basis": "ASRM 2022; clinics often cap C-sections at 2"},
        "complications": {"enabled": True,
                          "flag_conditions": ["preterm_birth", "preeclampsia",
                                              "gestational_diabetes", "hypertension"],
                          "flag_over_miscarriages": 2, "basis": "agency practice"},
        "bmi": {"enabled": True, "dq_over": 33.0, "flag_from": 30.0,
                "basis": "agency caps range 30–35"},
        "household_substances": {"enabled": True, "basis": "ASRM summary; agency practice "
                                                           "(she, partner or household)"},
        "assistance": {"enabled": True,
                       "dq_programs": ["cash_assistance", "welfare", "public_housing",
                                       "section_8"],
                       "flag_programs": ["medicaid", "snap", "wic"],
                       "basis": "agency practice"},
        "state": {"enabled": True, "blocked_states": ["LA", "NE"], "reviewed_on": "2026-11-01",
                  "basis": "state surrogacy law; review the list when laws change"},
        "residency": {"enabled": True, "allowed": ["us_citizen", "permanent_resident"],
                      "basis": "agency practice"},
        "postpartum": {"enabled": True, "months_after_vaginal": 6, "months_after_c_section": 12,
                       "flag_breastfeeding": True,
                       "basis": "agency practice (some use 3/6 months)"},
        "criminal": {"enabled": True,
                     "basis": "agency practice: self-reported → flag, confirmed → DQ"},
    },
}

ALL_RULES = [pytest.param(kind, rule, id=f"{kind.value}-{rule.key}")
             for kind in SCREENED_TYPES for rule in registry_for(kind).rules()]


# ---- every rule complete --------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "rule"), ALL_RULES)
def test_every_rule_has_a_label_phrases_and_valid_defaults(kind, rule):
    assert rule.label and rule.description and rule.topic and rule.basis
    assert rule.questions and all(rule.questions.values())
    # every question is about a field of a form (the state is the identity form's)
    assert set(rule.questions) <= set(BY_KEY) | {"state"}
    for p in rule.parameters:
        assert p.label and p.kind in dq_rules.KINDS
        assert p.problems(rule.default_of(p.key)) == [], p.key
    assert validate(kind, {rule.key: rule.default_json()}) == []


def _profiles(kind: ApplicantType) -> Iterator[dict]:
    """Profiles that make a rule ask for everything it can: nothing answered; every yes/no
    answered yes (so the dates and counts behind them are needed); a recent delivery."""
    yield {}
    yes = {key: "yes" for key, f in BY_KEY.items() if f.kind == "yes_no" and f.applies(kind)}
    yield yes
    yield {**yes, "last_delivery_date": TODAY - timedelta(days=30), "contraception": "pill"}


@pytest.mark.parametrize(("kind", "rule"), ALL_RULES)
def test_every_answer_a_rule_can_miss_has_its_question(kind, rule):
    for profile in _profiles(kind):
        answers = Answers(profile, TODAY)
        list(rule.check(rule.defaults, answers, kind))
        assert set(answers.missing) <= set(rule.questions), profile


@pytest.mark.parametrize("kind", SCREENED_TYPES)
def test_the_defaults_are_the_first_release_format_exactly(kind):
    # same keys, values, types (30.0 is a float) and order, as JSON text
    assert json.dumps(default_rules(kind), ensure_ascii=False) == json.dumps(
        FIRST_RELEASE_DEFAULTS[kind], ensure_ascii=False)
    assert validate(kind, FIRST_RELEASE_DEFAULTS[kind]) == []


@pytest.mark.parametrize(("kind", "rule"), ALL_RULES)
def test_stored_settings_round_trip_through_the_typed_settings(kind, rule):
    stored = FIRST_RELEASE_DEFAULTS[kind][rule.key]
    settings = rule.settings(stored)
    assert dataclasses.is_dataclass(settings) and settings == rule.defaults
    assert rule.parameter_values(settings) == {
        k: v for k, v in stored.items() if k not in ("enabled", "basis")}
    edited = copy.deepcopy(stored)
    for p in rule.parameters:
        if p.kind == INT:
            edited[p.key] = stored[p.key] + 1
    assert rule.parameter_values(rule.settings(edited)) == {
        k: v for k, v in edited.items() if k not in ("enabled", "basis")}


def test_settings_are_typed_and_ignore_keys_that_are_not_parameters():
    age = registry_for(DONOR)["age"]
    settings = age.settings({"enabled": True, "dq_under": 19, "dq_over": 34, "flag_from": 31,
                             "basis": "x", "clinic_note": "ask Dr Lee"})
    assert (settings.dq_under, settings.dq_over, settings.flag_from) == (19, 34, 31)
    # the carrier BMI has no lower limit; a missing parameter reads as its default
    bmi = registry_for(CARRIER)["bmi"].settings({"enabled": True, "dq_over": 35.0})
    assert (bmi.dq_under, bmi.dq_over, bmi.flag_from) == (None, 35.0, 30.0)


def test_a_rule_whose_parameters_do_not_match_its_settings_fails_at_declaration():
    with pytest.raises(ValueError, match="do not match"):
        Rule("x", "X", "X.", lambda s, a, k: [], NicotineSettings(90), topic="x",
             questions={}, parameters=(Param("reapply_days", "Re-apply", INT),))


def test_the_rule_modules_import_each_other_without_a_cycle():
    """Each module of the package imports only modules declared before it (the core, then
    one module per type, then what is derived from them): no cycle, as there was between
    the first release's screening_rules.py and screening_rules_carrier.py."""
    package = REPO / "orchid_desktop/domain/dq_rules"
    graph: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text())
        graph[path.stem] = {
            (node.module or "").split(".")[0] or alias.name
            for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 1
            for alias in node.names} - {path.stem}
    graph.pop("__init__")
    done: list[str] = []
    while graph:  # take away modules whose imports are all taken: a cycle would stay
        ready = sorted(m for m, needs in graph.items() if needs <= set(done))
        assert ready, f"import cycle among {sorted(graph)}"
        for module in ready:
            done.append(module)
            del graph[module]


# ---- the upgrade of a stored rule set, as data ------------------------------------------------

@dataclasses.dataclass(frozen=True)
class StateReviewSettings:
    flag_states: tuple[str, ...]
    waiting_days: int


def _check_state_review(s: StateReviewSettings, a: Answers, kind) -> Iterator[Finding]:
    state = a.choice("state")
    if state in s.flag_states:
        yield Finding(FLAG, "STATE_REVIEW_FLAG", "A coordinator will talk with you about "
                      f"travel to our clinics (about {s.waiting_days} days' notice).")


# a rule a later release might add, declared as any rule is
STATE_REVIEW = Rule(
    "state_review", "State review", "Applicants from these states talk travel through with "
    "a coordinator.", _check_state_review,
    StateReviewSettings(flag_states=("CA",), waiting_days=14),
    topic="travel", questions={"state": "which state you live in"},
    parameters=(Param("flag_states", "Flag", CHOICES, "flag states", choices=STATES),
                Param("waiting_days", "Notice", INT, "notice", 0, 90, suffix=" days")),
    basis="a test of a later release")


@dataclasses.dataclass(frozen=True)
class NicotineWithCbd(NicotineSettings):
    include_cbd: bool


def _nicotine_with_a_new_parameter() -> Rule:
    nicotine = registry_for(DONOR)["nicotine"]
    return dataclasses.replace(
        nicotine, defaults=NicotineWithCbd(reapply_after_days=90, include_cbd=True),
        parameters=(*nicotine.parameters, Param("include_cbd", "Count CBD", dq_rules.BOOL)))


@contextmanager
def new_rule_registered() -> Iterator[Rule]:
    """The registry as a later release has it: one new donor rule."""
    with registry_for(DONOR).temporarily(STATE_REVIEW) as rule:
        yield rule


def test_a_new_rule_and_a_new_parameter_are_added_and_nothing_else_changes():
    stored = default_rules(DONOR)
    stored["age"]["dq_under"] = 19  # staff's value
    stored["psychiatric"]["enabled"] = False  # turned off by staff
    with new_rule_registered(), registry_for(DONOR).temporarily(
            _nicotine_with_a_new_parameter()):
        rules, added = add_missing_defaults(registry_for(DONOR), stored)
        again = add_missing_defaults(registry_for(DONOR), rules)
    assert added == ["new setting added by upgrade: Nicotine — Count CBD",
                     "new rule added by upgrade: State review"]
    assert list(rules) == list(stored) + ["state_review"]  # new rules come last
    assert rules["state_review"] == STATE_REVIEW.default_json()
    assert rules["nicotine"] == {**stored["nicotine"], "include_cbd": True}
    assert {k: v for k, v in rules.items() if k not in ("nicotine", "state_review")} == {
        k: v for k, v in stored.items() if k != "nicotine"}
    assert again == (rules, [])  # idempotent
    assert stored["age"]["dq_under"] == 19 and "state_review" not in stored  # not edited


def test_a_rule_removed_in_an_earlier_version_is_not_added_back():
    stored = default_rules(DONOR)
    del stored["cycles"]
    assert add_missing_defaults(registry_for(DONOR), stored, removed={"cycles"}) == (
        stored, [])
    assert add_missing_defaults(registry_for(DONOR), stored)[1] == [
        "new rule added by upgrade: Cycles"]


# ---- the upgrade at start, on a real database ---------------------------------------------------

def _open(url: str | None):
    from orchid_desktop.app import open_context

    return open_context(url)


def _versions(context, kind=DONOR) -> list[DQRuleSet]:
    with context.sessions() as session:
        return list(session.scalars(select(DQRuleSet).where(DQRuleSet.applicant_type == kind)
                                    .order_by(DQRuleSet.version_number)))


def _staff_edits(context) -> None:
    with context.sessions.begin() as session:
        rules = copy.deepcopy(screening.current_rule_set(session, DONOR).rules)
        rules["age"]["dq_under"] = 19
        rules["psychiatric"]["enabled"] = False
        screening.save_rule_set(session, DONOR, rules, staff_id=context.staff_id,
                                note="partner clinic takes 19")


def _a_new_rule_reaches_a_database_created_before_it(url: str | None) -> None:
    context = _open(url)  # the database and first-run data of the earlier release
    _staff_edits(context)
    context.close()

    with new_rule_registered():
        context = _open(url)  # the next start, on the release with the new rule
        try:
            versions = _versions(context)
            assert [v.version_number for v in versions] == [1, 2, 3]
            upgraded = versions[-1]
            assert upgraded.is_current and upgraded.created_by_id is None
            assert upgraded.change_note == "new rule added by upgrade: State review"
            assert upgraded.rules == {**versions[1].rules,
                                      "state_review": STATE_REVIEW.default_json()}
            # staff's value and the rule they turned off are as they left them
            assert upgraded.rules["age"]["dq_under"] == 19
            assert upgraded.rules["psychiatric"]["enabled"] is False
            assert _versions(context, CARRIER)[-1].version_number == 1  # nothing new there
            assert context.first_run_created == [
                "Egg donor DQ rules version 3: new rule added by upgrade: State review"]
            with context.sessions() as session:
                audit = session.scalars(select(AuditEntry).where(
                    AuditEntry.entity_type == "dq_rule_set",
                    AuditEntry.entity_id == upgraded.id)).one()
            assert (audit.action, audit.reason, audit.is_system, audit.staff_id) == (
                "rules_changed", "new rule added by upgrade: State review", True, None)
            assert audit.changes["state_review.flag_states"] == [None, ["CA"]]

            # screening runs the new rule (the contact lives in CA: the rule flags)
            contact_id = add_contact(context, "Ana", "Silva", "ana@example.com", state="CA")
            with context.sessions.begin() as session:
                screened = screening.screen_contact(session, contact_id, today=TODAY)
                stored = session.get(ScreeningEvaluation, screened.evaluation_id)
                assert stored.rule_set_id == upgraded.id
                row = next(r for r in stored.results if r["rule"] == "state_review")
            assert screened.rule_set_version == 3
            assert (row["outcome"], row["code"]) == ("flag", "STATE_REVIEW_FLAG")
            assert "14 days' notice" in row["message"]
        finally:
            context.close()

        context = _open(url)  # a second start adds nothing
        try:
            assert [v.version_number for v in _versions(context)] == [1, 2, 3]
            assert context.first_run_created == []
        finally:
            context.close()


def test_a_new_rule_reaches_a_database_created_before_it():
    _a_new_rule_reaches_a_database_created_before_it(None)


def test_a_new_parameter_reaches_an_existing_rule_keeping_staff_values():
    context = _open(None)
    _staff_edits(context)
    context.close()
    with registry_for(DONOR).temporarily(_nicotine_with_a_new_parameter()):
        context = _open(None)
        try:
            current = _versions(context)[-1]
            assert current.version_number == 3
            assert current.rules["nicotine"] == {**FIRST_RELEASE_DEFAULTS[DONOR]["nicotine"],
                                                 "include_cbd": True}
            assert current.rules["age"]["dq_under"] == 19
            assert current.change_note == ("new setting added by upgrade: Nicotine — "
                                           "Count CBD")
        finally:
            context.close()


def test_a_rule_staff_removed_is_not_brought_back_at_start():
    context = _open(None)
    with context.sessions.begin() as session:
        rules = copy.deepcopy(screening.current_rule_set(session, DONOR).rules)
        del rules["cycles"]
        screening.save_rule_set(session, DONOR, rules, staff_id=context.staff_id)
    context.close()
    context = _open(None)
    try:
        assert [v.version_number for v in _versions(context)] == [1, 2]
        assert "cycles" not in _versions(context)[-1].rules
    finally:
        context.close()


def _migrated(pg_url: str) -> str:
    from orchid_desktop.db import migrate

    engine = create_engine(pg_url)
    migrate.upgrade(engine)  # a shared database is upgraded on purpose, not at start
    engine.dispose()
    return pg_url


@pytest.mark.postgres
def test_a_new_rule_reaches_a_database_created_before_it_on_postgresql(pg_url):
    _a_new_rule_reaches_a_database_created_before_it(_migrated(pg_url))


# ---- two workstations starting at once ----------------------------------------------------------

CHILD = """
import json, sys
from tests.test_dq_registry import _open, new_rule_registered
with new_rule_registered():
    context = _open(sys.argv[1])
    print(json.dumps(context.first_run_created))
    context.close()
"""


def _waiting_for_the_lock(admin) -> int:
    return admin.execute(text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )).scalar_one()


@pytest.mark.postgres
def test_two_workstations_starting_at_once_add_the_rule_once(pg_url):
    url = _migrated(pg_url)
    _open(url).close()  # the earlier release's database (staff and first-run data)
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
           "QT_QPA_PLATFORM": "offscreen"}
    engine = create_engine(url)
    with engine.connect() as admin:
        # hold the rule sets' lock, so both starts reach it and wait: a real race
        admin.execute(select(func.pg_advisory_lock(screening.RULE_SETS_LOCK)))
        admin.commit()
        children = [subprocess.Popen([sys.executable, "-c", CHILD, url], cwd=REPO, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    for _ in range(2)]
        try:
            deadline = time.monotonic() + 90
            while _waiting_for_the_lock(admin) < 2:
                assert time.monotonic() < deadline, "the two starts never reached the lock"
                assert all(child.poll() is None for child in children), [
                    child.communicate() for child in children]
                time.sleep(0.1)
                admin.commit()  # a fresh snapshot of pg_locks
        finally:
            admin.execute(select(func.pg_advisory_unlock(screening.RULE_SETS_LOCK)))
            admin.commit()
        outputs = [child.communicate(timeout=90) for child in children]
    engine.dispose()
    assert [child.returncode for child in children] == [0, 0], outputs
    created = sorted(json.loads(out) for out, _ in outputs)
    assert created == [[], ["Egg donor DQ rules version 2: new rule added by upgrade: "
                            "State review"]]
    with new_rule_registered():
        context = _open(url)
    try:
        versions = _versions(context)
        assert [v.version_number for v in versions] == [1, 2]
        assert "state_review" in versions[-1].rules
    finally:
        context.close()
