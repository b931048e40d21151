"""New DQ rules reach existing databases: at every start (services/first_run.py), each
current rule set is compared with this version's registry, and a rule or parameter it
lacks is added as a new, audited version — the same versioning and audit as a Save in the
DQ settings, by the system rather than a member of staff.

What counts as missing, and why a rule staff turned off is never brought back, is
domain/dq_rules/upgrade.py. Idempotent: once added, nothing is missing, so the next start
makes no version. Two workstations starting at once on PostgreSQL take turns on the rule
sets' advisory lock; the second then finds nothing missing.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from orchid_desktop.db.models import DQRuleSet
from orchid_desktop.domain.dq_rules import SCREENED_TYPES, add_missing_defaults, registry_for
from orchid_desktop.domain.vocab import ApplicantType

from .outbox_claims import writer_session
from .screening import current_rule_set, lock_rule_sets, save_rule_set

log = logging.getLogger(__name__)

NOTE_LENGTH = 500  # dq_rule_sets.change_note


def add_new_default_rules(sessions: sessionmaker[Session]) -> list[str]:
    """Add what each current rule set lacks; returns one line per new version."""
    done: list[str] = []
    for applicant_type in SCREENED_TYPES:
        if not _anything_missing(sessions, applicant_type):
            continue  # the usual start: a plain read, no write lock taken
        try:
            # BEGIN IMMEDIATE on SQLite: the version read stays current until the commit
            with writer_session(sessions) as session, session.begin():
                line = _upgrade(session, applicant_type)
        except IntegrityError:
            # a writer that does not take the lock (an older version's Save on another
            # workstation) got there first: the rules are still added at the next start
            log.warning("new DQ rules for %s not added: the rule set changed meanwhile",
                        applicant_type.value)
            continue
        if line:
            done.append(line)  # first run logs it
    return done


def _anything_missing(sessions: sessionmaker[Session], applicant_type: ApplicantType) -> bool:
    """Whether the current rule set lacks a rule or setting of this version, before any
    lock: every start asks, and almost always the answer is no."""
    with sessions() as session:
        current = current_rule_set(session, applicant_type)
        return current is not None and bool(
            add_missing_defaults(registry_for(applicant_type), current.rules)[1])


def _upgrade(session: Session, applicant_type: ApplicantType) -> str | None:
    lock_rule_sets(session)
    current = current_rule_set(session, applicant_type)
    if current is None:
        return None  # nothing stored yet: first run stores the whole of the defaults
    registry = registry_for(applicant_type)
    # under the lock: another workstation may have added them since the check
    if not add_missing_defaults(registry, current.rules)[1]:
        return None
    rules, added = add_missing_defaults(registry, current.rules,
                                        _removed_rules(session, applicant_type, current))
    if not added:
        return None
    note = "; ".join(added)
    if len(note) > NOTE_LENGTH:
        note = note[:NOTE_LENGTH - 1] + "…"
    new = save_rule_set(session, applicant_type, rules, staff_id=None, note=note,
                        expected_version=current.version_number, is_system=True)
    return f"{applicant_type.label} DQ rules version {new.version_number}: {note}"


def _removed_rules(session: Session, applicant_type: ApplicantType,
                   current: DQRuleSet) -> set[str]:
    """Rules of earlier versions that the current one no longer has."""
    earlier = session.scalars(select(DQRuleSet.rules).where(
        DQRuleSet.applicant_type == applicant_type, DQRuleSet.id != current.id))
    return {key for rules in earlier for key in rules} - set(current.rules)
